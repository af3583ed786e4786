/* sys_epoll.c - epoll_create, epoll_ctl and the epoll_wait family over fs/epoll.c's sets. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/rawsys.h"
#include "fs/epoll.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/kwait.h"
#include "sched/vcpu.h"
#include "sys/systab.h"
#include "core/timeutil.h"

/* install_set - a new set (an object alone) at the lowest free number. */
static long install_set(struct uthread *ut, int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	long r;
	struct vfile *f = eventpoll_create(&r);
	if (!f)
		return r;
	r = fdt_install_obj(ut->proc->fdt, -1, f, 0, (flags & EPOLL_CLOEXEC) ? FD_CLOEXEC : 0);
	if (r < 0)
		vfile_put(f);
	return r;
}

long sys_epoll_create(struct uthread *ut, const long a[6])
{
	return (int)a[0] <= 0 ? -EINVAL : install_set(ut, 0);
}

long sys_epoll_create1(struct uthread *ut, const long a[6])
{
	return install_set(ut, (int)a[0]);
}

/* is_kernel_set - is host fd h a kernel epoll set? */
static bool is_kernel_set(int h)
{
	char path[32], link[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", h);
	long n = raw_syscall3(SYS_readlink, (long)path, (long)link, sizeof(link) - 1);
	return n > 0 && (link[n] = 0, !strcmp(link, "anon_inode:[eventpoll]"));
}

/* kernel_target - what kernel set h watches for target t: its kernel
 * file, an object moving into the kernel for it (ADD) as one passed by
 * SCM_RIGHTS does (a set that is the kernel's watches kernel files only);
 * -errno, the object left as it is, where the kernel would refuse: h is
 * no set (EINVAL), or a DEL or MOD names an object still ours, which no
 * kernel set can hold (ENOENT). */
static int kernel_target(int h, int op, struct ep_target *t)
{
	if (!t->file)
		return t->host;
	if (!is_kernel_set(h))
		return -EINVAL;
	if (op != EPOLL_CTL_ADD && !vfile_in_kernel(t->file))
		return -ENOENT;
	return t->file->ops->host_file(t->file);
}

long sys_epoll_ctl(struct uthread *ut, const long a[6])
{
	struct fdtable *t = ut->proc->fdt;
	struct epoll_event ev = { 0 };
	if (a[1] != EPOLL_CTL_DEL && copy_from_user(&ev, a[3], sizeof(ev)))
		return -EFAULT;
	struct vfile *ep = fdt_obj(t, a[0]);
	if (!ep && fdt_host(t, a[0]) < 0)
		return -EBADF;
	struct ep_target tg = { .file = fdt_obj(t, a[2]), .fd = (int)a[2], .host = fdt_host(t, a[2]) };
	/* An object that leaves readiness to its kernel file: a kernel member. */
	if (tg.file && !tg.file->ops->poll && tg.host >= 0) {
		vfile_put(tg.file);
		tg.file = NULL;
	}
	long r;
	if (!tg.file && tg.host < 0)
		r = -EBADF;
	else if (is_eventpoll(ep))
		r = eventpoll_ctl(ep, (int)a[1], &tg, &ev);
	else if (tg.file && (ep || !tg.file->ops->host_file))
		r = tg.file->ops->poll ? -EINVAL : -EPERM;
	else if ((r = kernel_target(fdt_host(t, a[0]), (int)a[1], &tg)) >= 0)
		/* a kernel set (inherited, received), or none: the kernel's checks (EPERM, EINVAL) */
		r = raw_syscall6(SYS_epoll_ctl, fdt_host(t, a[0]), a[1], r, (long)&ev, 0, 0);
	vfile_put(tg.file);
	vfile_put(ep);
	return r;
}

/* kernel_set_wait - a wait on a set the runtime did not make (inherited
 * from a process outside, received through a kernel socket), host fd h:
 * the kernel's epoll_wait, which never blocks here; the uthread parks on
 * the set's readiness meanwhile. */
static long kernel_set_wait(struct uthread *ut, long nr, int h, const long a[6], struct wait_end end)
{
	for (;;) {
		long r = raw_syscall6(SYS_epoll_wait, h, a[1], a[2], 0, 0, 0);
		if (r || !end.block)
			return r;
		signal_arm_wait(ut, ~ut->sigmask);
		r = kwait_fd(h, EPOLLIN, end.deadline);
		if (r == -ETIMEDOUT)
			return 0;
		if (r == -EINTR && !signal_wait_goes_on(ut, !(systab_get(nr)->flags & SF_NORESTART)))
			return -EINTR;
	}
}

/* wait - epoll_wait and friends. */
static long wait(struct uthread *ut, long nr, const long a[6], struct wait_end end)
{
	int max = (int)a[2];
	struct fdtable *t = ut->proc->fdt;
	struct vfile *f = fdt_obj(t, a[0]);
	int h = f ? -1 : fdt_host(t, a[0]);
	/* Linux's order: the fd, the arguments, what the fd is. */
	long r = !f && h < 0 ? -EBADF : eventpoll_wait_args(a[1], max);
	if (!r && !f)
		return kernel_set_wait(ut, nr, h, a, end); /* the kernel says EINVAL for no set */
	if (!r && !is_eventpoll(f))
		r = -EINVAL;
	if (r) {
		vfile_put(f);
		return r;
	}
	struct vfile *outer = ut->held.file;
	ut->held.file = f;
	/* A gate looked at the set a moment ago and found nothing. */
	bool looked = vcpu_self()->ep_looked;
	vcpu_self()->ep_looked = 0;
	/* Events go straight into the program's buffer (fs/epoll.c). */
	while (!r) {
		/* The call's mask is in place: the signals it lets through end the wait. */
		if (end.block)
			signal_arm_wait(ut, ~ut->sigmask);
		r = eventpoll_wait(f, a[1], max, end.block, end.deadline, looked);
		looked = false;
		if (r != -EINTR || !signal_wait_goes_on(ut, !(systab_get(nr)->flags & SF_NORESTART)))
			break;
		r = 0; /* a signal that runs no handler and ends nothing: wait on */
	}
	ut->held.file = outer;
	vfile_put(f);
	return r;
}

long sys_epoll_wait(struct uthread *ut, const long a[6])
{
	return wait(ut, SYS_epoll_wait, a, wait_end_ms((int)a[3]));
}

/* with_mask - the wait under epoll_pwait's signal mask (Linux's
 * set_user_sigmask, then restore_saved_sigmask_unless(-EINTR)). */
static long with_mask(struct uthread *ut, long nr, const long a[6], struct wait_end end)
{
	long r = signal_call_mask(ut, a[4], a[5]);
	if (r)
		return r;
	r = wait(ut, nr, a, end);
	if (a[4])
		signal_call_mask_end(ut, r);
	return r;
}

long sys_epoll_pwait(struct uthread *ut, const long a[6])
{
	return with_mask(ut, SYS_epoll_pwait, a, wait_end_ms((int)a[3]));
}

long sys_epoll_pwait2(struct uthread *ut, const long a[6])
{
	struct timespec ts;
	if (a[3] && copy_from_user(&ts, a[3], sizeof(ts)))
		return -EFAULT;
	if (a[3] && !timespec_valid(&ts))
		return -EINVAL;
	return with_mask(ut, SYS_epoll_pwait2, a, wait_end_rel(a[3] ? &ts : NULL));
}
