/* sys_fd.h - installing new fds in a program's table, for the handlers that make them. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct uthread;
struct vfile;
struct vproc;

/* fd_install_pair - two new files become the program's lowest free fds,
 * written to app memory at uaddr: host[i] when obj[i] is NULL, else the
 * object alone with fdflags (FD_CLOEXEC). Both are the table's on success,
 * closed or put on failure. 0, -EMFILE or -EFAULT. */
long fd_install_pair(struct uthread *ut, const int host[2], struct vfile *const obj[2], int fdflags,
		     uint64_t uaddr);

/* pidfd_new_fd - a new close-on-exec fd for a pidfd of p (NULL: pid's
 * program, already reaped); -errno. */
long pidfd_new_fd(struct uthread *ut, struct vproc *p, int pid, bool nonblock);
