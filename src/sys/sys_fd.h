/* sys_fd.h - installing new fds in a program's table, for the handlers that make them. */
#pragma once
#include <stdint.h>

struct uthread;
struct vfile;

/* fd_install_pair - two new files become the program's lowest free fds,
 * written to app memory at uaddr: host[i] when obj[i] is NULL, else the
 * object alone with fdflags (FD_CLOEXEC). Both are the table's on success,
 * closed or put on failure. 0, -EMFILE or -EFAULT. */
long fd_install_pair(struct uthread *ut, const int host[2], struct vfile *const obj[2], int fdflags,
		     uint64_t uaddr);
