/* sys_pipe.c - pipe, pipe2, eventfd, eventfd2: user-space objects made for the program. */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/eventfd.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "net/local/pipe.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/sys_fd.h"
#include "sys/systab.h"

#define O_NOTIFICATION_PIPE O_EXCL /* <linux/watch_queue.h>, which clashes with <fcntl.h> */

/* Both ends live in the instance as one channel, until one leaves it
 * (see docs/DECISIONS.md). O_DIRECT (packet mode) pipes stay the kernel's:
 * the channel has no packet boundaries in its byte ring. */
long sys_pipe2(struct uthread *ut, const long a[6])
{
	int flags = (int)a[1];
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	int h[2] = { -1, -1 };
	struct vfile *ends[2] = { 0 };
	long r = flags & (O_DIRECT | O_NOTIFICATION_PIPE) ? raw_syscall3(SYS_pipe2, h, flags, 0)
							  : pipe_new(flags, ends);
	if (r < 0)
		return r;
	return fd_install_pair(ut, h, ends, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0, a[0]);
}

long sys_pipe(struct uthread *ut, const long a[6])
{
	const long b[6] = { a[0], 0 };
	return sys_pipe2(ut, b);
}

long sys_eventfd2(struct uthread *ut, const long a[6])
{
	int flags = (int)a[1];
	if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
		return -EINVAL;
	struct vfile *f = eventfd_new((unsigned int)a[0], flags);
	if (!f)
		return -ENOMEM;
	long v = fdt_install_obj(ut->proc->fdt, -1, f, 0, (flags & EFD_CLOEXEC) ? FD_CLOEXEC : 0);
	if (v < 0)
		vfile_put(f);
	return v;
}

long sys_eventfd(struct uthread *ut, const long a[6])
{
	const long b[6] = { a[0], 0 };
	return sys_eventfd2(ut, b);
}
