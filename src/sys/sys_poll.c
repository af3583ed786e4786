/* sys_poll.c - calls that carry fd numbers inside their buffers: poll, select, SCM_RIGHTS. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "proc/signal.h"
#include "sched/kwait.h"
#include "sched/sched.h"
#include "sys/kcall.h"
#include <sys/epoll.h>
#include <time.h>
#include "sys/systab.h"

/* Any fd number the kernel is sure to call invalid (POLLNVAL, EBADF). */
#define BAD_HOST_FD INT_MAX

/* ---- poll, ppoll ---- */

/* Objects alone have no kernel state: until poll is served in user space,
 * the kernel waits on their mirror (readable while a read would not wait)
 * and their revents are their own poll op's. A wait for POLLOUT, which the
 * mirror cannot show, is re-checked every millisecond. */
static short obj_revents(struct uthread *ut, int vfd, short events)
{
	struct vfile *f = fdt_obj(ut->proc->fdt, vfd);
	short m = f ? (short)(f->ops->poll(f) & (events | POLLERR | POLLHUP)) : POLLNVAL;
	vfile_put(f);
	return m;
}

/* alone - an object alone still in user space (not moved into the kernel). */
static bool alone(struct uthread *ut, int vfd)
{
	if (vfd < 0 || fdt_host(ut->proc->fdt, vfd) >= 0 || !fdt_has_obj(ut->proc->fdt, vfd))
		return false;
	struct vfile *f = fdt_obj(ut->proc->fdt, vfd);
	bool r = f && !vfile_in_kernel(f);
	vfile_put(f);
	return r;
}

static long poll_objects(struct uthread *ut, long nr, const long a[6], struct pollfd *pf,
			 const int *vfd, unsigned long n)
{
	int64_t left = -1; /* ns; -1: no timeout */
	struct timespec ts;
	if (nr == SYS_poll && (int)a[2] >= 0)
		left = (int64_t)(int)a[2] * 1000000;
	if (nr == SYS_ppoll && a[2]) {
		if (copy_from_user(&ts, a[2], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		left = ts.tv_sec * 1000000000ll + ts.tv_nsec;
	}
	uint64_t deadline = left > 0 ? now_ns() + left : 0;
	for (;;) {
		bool ready = false, out_wait = false;
		for (unsigned long i = 0; i < n; i++) {
			if (!alone(ut, vfd[i]))
				continue;
			short m = obj_revents(ut, vfd[i], pf[i].events);
			ready |= m != 0;
			out_wait |= !m && (pf[i].events & POLLOUT);
		}
		int64_t wait = ready ? 0 : left;
		if (out_wait && (wait < 0 || wait > 1000000))
			wait = 1000000;
		ts = (struct timespec){ wait / 1000000000, wait % 1000000000 };
		long b[6] = { (long)pf, a[1], 0, a[3], a[4], a[5] };
		b[2] = nr == SYS_poll ? (wait < 0 ? -1 : (wait + 999999) / 1000000) : wait < 0 ? 0 : (long)&ts;
		long r = kcall(ut, nr, systab_get(nr), b);
		if (r < 0)
			return r;
		r = 0;
		for (unsigned long i = 0; i < n; i++) {
			if (alone(ut, vfd[i]))
				pf[i].revents = obj_revents(ut, vfd[i], pf[i].events);
			r += pf[i].revents != 0;
		}
		if (r || left == 0)
			return r;
		if (left > 0) {
			uint64_t now = now_ns();
			if (now >= deadline)
				return 0;
			left = (int64_t)(deadline - now);
		}
	}
}

static long poll_common(struct uthread *ut, long nr, const long a[6])
{
	unsigned long n = a[1];
	if (n > (unsigned long)ut->proc->fdt->limit)
		return -EINVAL;
	struct pollfd stackbuf[64], *pf = n <= 64 ? stackbuf : malloc(n * sizeof(*pf));
	int vstack[64], *vfd = n <= 64 ? vstack : malloc(n * sizeof(int));
	long r = !pf || !vfd ? -ENOMEM : copy_from_user(pf, a[0], n * sizeof(*pf));
	if (r == 0) {
		bool objs = false;
		for (unsigned long i = 0; i < n; i++) {
			vfd[i] = pf[i].fd;
			objs |= alone(ut, vfd[i]);
			if (pf[i].fd >= 0) {
				int h = kcall_kernel_fd(ut, pf[i].fd);
				pf[i].fd = h >= 0 ? h : BAD_HOST_FD;
			}
		}
		long b[6] = { (long)pf, a[1], a[2], a[3], a[4], a[5] };
		r = objs ? poll_objects(ut, nr, a, pf, vfd, n) : kcall(ut, nr, systab_get(nr), b);
		/* Only revents go back: the app's fd numbers stay as they were. */
		for (unsigned long i = 0; r >= 0 && i < n; i++)
			if (copy_to_user(a[0] + i * sizeof(*pf) + offsetof(struct pollfd, revents),
					 &pf[i].revents, sizeof(short)))
				r = -EFAULT;
	}
	if (pf != stackbuf)
		free(pf);
	if (vfd != vstack)
		free(vfd);
	return r;
}

long sys_poll(struct uthread *ut, const long a[6])
{
	return poll_common(ut, SYS_poll, a);
}

long sys_ppoll(struct uthread *ut, const long a[6])
{
	return poll_common(ut, SYS_ppoll, a);
}

/* ---- epoll_wait: the app's epoll set is itself pollable ---- */

/* The uthread parks on the readiness of the app's epoll fd (nested in the
 * runtime's own set) instead of blocking a worker thread in epoll_wait:
 * events reach it through the vCPUs' idle loop, with no thread hop. */
static long epoll_common(struct uthread *ut, const long a[6], long timeout_ms, uint64_t uset,
			 long setsize)
{
	int h = fdt_host(ut->proc->fdt, a[0]);
	if (h < 0)
		return fdt_has_obj(ut->proc->fdt, a[0]) ? -EINVAL : h; /* not an epoll fd */
	if (a[2] <= 0 || a[2] > 0x7fffffff / 12)
		return -EINVAL;
	long r = signal_call_mask(ut, uset, setsize);
	if (r)
		return r;
	uint64_t deadline = timeout_ms > 0 ? now_ns() + timeout_ms * 1000000ull : 0;
	signal_arm_wait(ut, ~ut->sigmask);
	for (;;) {
		r = raw_syscall6(SYS_epoll_wait, h, a[1], a[2], 0, 0, 0);
		if (r != 0 || timeout_ms == 0)
			return r;
		if (signal_next_deliverable(ut))
			return -EINTR;
		r = kwait_fd(h, EPOLLIN, deadline);
		if (r == -ETIMEDOUT)
			return 0;
		if (r < 0)
			return r;
	}
}

long sys_epoll_wait(struct uthread *ut, const long a[6])
{
	return epoll_common(ut, a, (int)a[3] < 0 ? -1 : (int)a[3], 0, 0);
}

long sys_epoll_pwait(struct uthread *ut, const long a[6])
{
	return epoll_common(ut, a, (int)a[3] < 0 ? -1 : (int)a[3], a[4], a[5]);
}

long sys_epoll_pwait2(struct uthread *ut, const long a[6])
{
	long ms = -1;
	if (a[3]) {
		struct timespec ts;
		if (copy_from_user(&ts, a[3], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		ms = ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000;
		if (ms == 0 && (ts.tv_sec || ts.tv_nsec))
			ms = 1;
	}
	return epoll_common(ut, a, ms, a[4], a[5]);
}

/* ---- select, pselect6: fd_set bitmaps of program fds ---- */

/* Up to FD_SETSIZE numbers, a call's bitmaps live on the runtime stack. */
#define SEL_STACK_FDS 1024
#define SEL_STACK_WORDS (SEL_STACK_FDS / 64)

/* zwords - n zeroed bitmap words: the caller's stack buffer if it holds
 * them, else the heap (NULL if that fails); zwords_free gives them back. */
static uint64_t *zwords(uint64_t *stack, size_t n)
{
	uint64_t *w = n <= SEL_STACK_WORDS ? stack : malloc(n * 8);
	if (w)
		memset(w, 0, n * 8);
	return w;
}

static void zwords_free(uint64_t *w, const uint64_t *stack)
{
	if (w != stack)
		free(w);
}

static long select_common(struct uthread *ut, long nr, const long a[6])
{
	long n = a[0];
	if (n < 0 || n > ut->proc->fdt->limit)
		return -EINVAL;
	size_t vwords = (n + 63) / 64;
	uint64_t vstack[3][SEL_STACK_WORDS], hstack[3][SEL_STACK_WORDS];
	uint64_t *v[3] = { 0 }, *h[3] = { 0 };
	int host_stack[SEL_STACK_FDS];
	int *host = n <= SEL_STACK_FDS ? host_stack : malloc(n * sizeof(int));
	long r = host ? 0 : -ENOMEM;
	for (long i = 0; !r && i < n; i++)
		host[i] = -1; /* not named in any set */
	for (int s = 0; s < 3 && !r; s++) {
		if (!a[s + 1])
			continue;
		v[s] = zwords(vstack[s], vwords);
		if (!v[s] || copy_from_user(v[s], a[s + 1], vwords * 8))
			r = v[s] ? -EFAULT : -ENOMEM;
	}
	/* Every program fd named in any set must be open. */
	int hmax = 0;
	for (long i = 0; !r && i < n; i++) {
		bool named = false;
		for (int s = 0; s < 3; s++)
			named |= v[s] && (v[s][i / 64] >> (i % 64) & 1);
		if (!named)
			continue;
		host[i] = kcall_kernel_fd(ut, i);
		if (host[i] < 0)
			r = -EBADF;
		else if (host[i] + 1 > hmax)
			hmax = host[i] + 1;
	}
	size_t hwords = (hmax + 63) / 64;
	for (int s = 0; s < 3 && !r; s++) {
		if (!v[s])
			continue;
		if (!(h[s] = zwords(hstack[s], hwords))) {
			r = -ENOMEM;
			break;
		}
		for (long i = 0; i < n; i++)
			if (v[s][i / 64] >> (i % 64) & 1)
				h[s][host[i] / 64] |= 1ull << (host[i] % 64);
	}
	if (!r) {
		long b[6] = { hmax, (long)h[0], (long)h[1], (long)h[2], a[4], a[5] };
		r = kcall(ut, nr, systab_get(nr), b);
	}
	/* The result sets, in program numbers; an object alone answers for
	 * itself (the mirror shows only readability): Linux's POLLIN_SET,
	 * POLLOUT_SET and POLLEX_SET. */
	static const short sel_ev[3] = { POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI };
	long bits = 0;
	for (int s = 0; s < 3 && r >= 0; s++) {
		if (!v[s])
			continue;
		for (long i = 0; i < n; i++) {
			bool in = v[s][i / 64] >> (i % 64) & 1, set;
			if (!in)
				continue;
			if (alone(ut, i))
				set = obj_revents(ut, (int)i, sel_ev[s]) & sel_ev[s];
			else
				set = host[i] >= 0 && (h[s][host[i] / 64] >> (host[i] % 64) & 1);
			if (!set)
				v[s][i / 64] &= ~(1ull << (i % 64));
			bits += set;
		}
		if (copy_to_user(a[s + 1], v[s], vwords * 8))
			r = -EFAULT;
	}
	if (r >= 0)
		r = bits;
	for (int s = 0; s < 3; s++) {
		zwords_free(v[s], vstack[s]);
		zwords_free(h[s], hstack[s]);
	}
	if (host != host_stack)
		free(host);
	return r;
}

long sys_select(struct uthread *ut, const long a[6])
{
	return select_common(ut, SYS_select, a);
}

long sys_pselect6(struct uthread *ut, const long a[6])
{
	return select_common(ut, SYS_pselect6, a);
}

/* ---- epoll_ctl ---- */

/* Until epoll is served in user space, an object alone that a kernel epoll
 * set is to watch moves into the kernel if it can (pipes, eventfd), so the
 * kernel's events are exactly Linux's; others (signalfd) are watched
 * through their mirror. */
long sys_epoll_ctl(struct uthread *ut, const long a[6])
{
	if (a[1] != EPOLL_CTL_DEL && alone(ut, (int)a[2])) {
		struct vfile *f = fdt_obj(ut->proc->fdt, a[2]);
		if (f)
			vfile_to_kernel(f);
		vfile_put(f);
	}
	return kcall(ut, SYS_epoll_ctl, systab_get(SYS_epoll_ctl), a);
}

/* ---- SCM_RIGHTS: fds passed over UNIX sockets ---- */

/* send_fd - the host fd a kernel socket passes for vfd: a user-space object
 * leaves the instance, so it moves into the kernel with its contents. */
static long send_fd(struct uthread *ut, int vfd)
{
	int h = fdt_host(ut->proc->fdt, vfd);
	struct vfile *f = h < 0 ? fdt_obj(ut->proc->fdt, vfd) : NULL;
	if (h >= 0 || !f)
		return h;
	long r = vfile_to_kernel(f);
	vfile_put(f);
	return r ? r : kcall_kernel_fd(ut, vfd);
}

/* Rewrite the fds in SCM_RIGHTS messages of a control buffer in place:
 * to_host maps program fds to host fds (sending); otherwise received host
 * fds become program fds (receiving). */
static long map_rights(struct uthread *ut, char *ctl, size_t len, bool to_host)
{
	struct msghdr mh = { .msg_control = ctl, .msg_controllen = len };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int *fds = (int *)CMSG_DATA(c);
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			long m = to_host ? send_fd(ut, fds[i]) : kcall_new_fd(ut, fds[i]);
			if (m < 0)
				return to_host ? -EBADF : m;
			fds[i] = m;
		}
	}
	return 0;
}

long sys_sendmsg(struct uthread *ut, const long a[6])
{
	struct msghdr mh;
	if (copy_from_user(&mh, a[1], sizeof(mh)))
		return -EFAULT;
	char *ctl = NULL;
	if (mh.msg_control && mh.msg_controllen) {
		if (mh.msg_controllen > 65536)
			return -ENOBUFS;
		ctl = malloc(mh.msg_controllen);
		if (!ctl)
			return -ENOMEM;
		long r = copy_from_user(ctl, (uint64_t)mh.msg_control, mh.msg_controllen);
		if (!r)
			r = map_rights(ut, ctl, mh.msg_controllen, true);
		if (r) {
			free(ctl);
			return r;
		}
		mh.msg_control = ctl;
	}
	long b[6] = { a[0], (long)&mh, a[2], 0, 0, 0 };
	long r = kcall(ut, SYS_sendmsg, systab_get(SYS_sendmsg), b);
	free(ctl);
	return r;
}

long sys_recvmsg(struct uthread *ut, const long a[6])
{
	struct msghdr mh;
	if (copy_from_user(&mh, a[1], sizeof(mh)))
		return -EFAULT;
	uint64_t uctl = (uint64_t)mh.msg_control;
	char *ctl = NULL;
	if (uctl && mh.msg_controllen) {
		if (mh.msg_controllen > 65536)
			mh.msg_controllen = 65536;
		ctl = calloc(1, mh.msg_controllen);
		if (!ctl)
			return -ENOMEM;
		mh.msg_control = ctl;
	}
	long b[6] = { a[0], (long)&mh, a[2], 0, 0, 0 };
	long r = kcall(ut, SYS_recvmsg, systab_get(SYS_recvmsg), b);
	if (r >= 0 && ctl) {
		long m = map_rights(ut, ctl, mh.msg_controllen, false);
		if (m < 0)
			r = m;
		else if (copy_to_user(uctl, ctl, mh.msg_controllen))
			r = -EFAULT;
	}
	if (r >= 0) {
		/* The kernel's updates of the header, in the app's copy. */
		mh.msg_control = (void *)uctl;
		if (copy_to_user(a[1], &mh, sizeof(mh)))
			r = -EFAULT;
	}
	free(ctl);
	return r;
}
