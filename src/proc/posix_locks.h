/* posix_locks.h - POSIX record locks (fcntl F_SETLK...) owned by programs, not by the host process. */
#pragma once
#include <fcntl.h>

#include <stdint.h>
#include <sys/types.h>

struct vproc;

/* One file a program has locked through: its own description of it
 * (vproc.plocks; proc/remote.c reads another process's list). */
struct plock_file {
	dev_t dev;
	ino_t ino;
	int ofd;                 /* host fd, O_CLOEXEC: the lock owner; -1:
				  * none could be opened, the kernel's own
				  * lock (the host process's) serves it */
	uint64_t serial;         /* which entry (a waiting lock's re-check) */
	struct plock_file *next;
};

/*
 * The kernel owns a POSIX lock by process, and fused programs share one:
 * their locks would never conflict, and one's close would drop another's.
 * So each program takes its locks as open-file-description (OFD) locks on
 * an open file description of its own per file (reopened through
 * /proc/self/fd), which makes it the owner; the POSIX rules are kept on
 * top: any close of one of its fds on the file drops them all
 * (posix_locks_closed), a fork's child holds none, exec keeps them, the
 * program's end drops them. F_GETLK names the program of the instance
 * that holds a conflicting lock.
 */

/* posix_lock returns this when the kernel's own call should serve it (a
 * file that is not a regular one, no /proc to reopen it through). */
#define POSIX_LOCK_KERNEL (-4097)

/**
 * posix_lock - F_SETLK, F_SETLKW or F_GETLK of program p on its host fd
 * host (lock in runtime memory; F_GETLK fills it). 0, -errno, or
 * POSIX_LOCK_KERNEL. F_SETLKW waits on a worker (sched/offload.h): the
 * caller has armed its interrupt word.
 */
long posix_lock(struct vproc *p, int host, int cmd, struct flock *lock);

/* posix_locks_closed - p is about to close its host fd host: if p holds
 * locks on that file, they go (Linux's locks_remove_posix). */
void posix_locks_closed(struct vproc *p, int host);

/* posix_locks_release - p has ended: all its locks go. */
void posix_locks_release(struct vproc *p);

/* posix_locks_after_fork - in a fork's child, whose copy of p holds no
 * locks: its copies of the parent's descriptions are closed, unlocking
 * nothing of the parent's (first, before the other programs' copies go
 * with posix_locks_release). */
void posix_locks_after_fork(struct vproc *p);
