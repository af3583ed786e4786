/* remote.h - a program's runtime state read from another host process of the instance. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/pidspace.h"

/*
 * Every host process of an instance is a fork of the first (or of a fork
 * of it): the same runtime at the same addresses, so a program's struct
 * vproc, threads and fd table there are read with process_vm_readv at the
 * addresses its process published (prog_info.vproc_addr), as its argv is.
 * What is read is a snapshot of memory another process changes: every
 * pointer is read through the kernel (a stale one fails, it does not
 * fault), every count is bounded, and the program's pid is checked. All
 * fail (false, -1, 0 entries) where the kernel refuses the read (another
 * user's process, Yama's ptrace scope): the caller then shows the host's.
 */

/* remote_of - pid is a program that runs in another host process of the
 * instance and published where its state is: *out its record. */
bool remote_of(int pid, struct prog_info *out);

/* remote_status - its thread count, its stop (a program stopped beside
 * others: its process runs on), pending (its main thread's, the
 * process-wide), blocked (its main thread's), ignored and caught signals. */
struct remote_status {
	int nthreads;
	int stopsig;                 /* stopped beside other programs: the signal */
	unsigned umask;              /* its umask (its process's own is the runtime's) */
	uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt;
};
bool remote_status(const struct prog_info *pi, struct remote_status *out);

/* remote_fds - its open fd numbers, ascending, up to max: their count, or
 * -1. remote_tids - its threads' virtual tids, the same way. */
int remote_fds(const struct prog_info *pi, int *fds, int max);
int remote_tids(const struct prog_info *pi, int *tids, int max);
/* remote_locks - has it a description of file (dev, ino) it locked
 * through (proc/posix_locks.h)? */
bool remote_locks(const struct prog_info *pi, uint64_t dev, uint64_t ino);

/* remote_fd - what its fd names: 0 and *host the host fd (in its host
 * process) of a kernel file; 1 and *link what /proc shows for a file that
 * lives in that process's memory (a local socket or pipe, an eventfd...);
 * -ENOENT for no such fd; -EPERM if it cannot be read. */
long remote_fd(const struct prog_info *pi, int fd, int *host, char *link, size_t size);
