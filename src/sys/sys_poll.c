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
#include "mm/uaccess.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "proc/signal.h"
#include "sched/kwait.h"
#include "sched/sched.h"
#include "sys/inflight.h"
#include "sys/kcall.h"
#include <sys/epoll.h>
#include <time.h>
#include "sys/systab.h"

/* Any fd number the kernel is sure to call invalid (POLLNVAL, EBADF). */
#define BAD_HOST_FD INT_MAX

/* ---- poll, ppoll ---- */

static long poll_common(struct uthread *ut, long nr, const long a[6])
{
	unsigned long n = a[1];
	if (n > (unsigned long)ut->proc->fdt->limit)
		return -EINVAL;
	struct pollfd stackbuf[64], *pf = n <= 64 ? stackbuf : malloc(n * sizeof(*pf));
	long r = !pf ? -ENOMEM : copy_from_user(pf, a[0], n * sizeof(*pf));
	if (r == 0) {
		for (unsigned long i = 0; i < n; i++) {
			if (pf[i].fd >= 0) {
				int h = kcall_kernel_fd(ut, pf[i].fd);
				pf[i].fd = h >= 0 ? h : BAD_HOST_FD;
			}
		}
		long b[6] = { (long)pf, a[1], a[2], a[3], a[4], a[5] };
		r = kcall(ut, nr, systab_get(nr), b);
		/* Only revents go back: the app's fd numbers stay as they were. */
		for (unsigned long i = 0; r >= 0 && i < n; i++)
			if (copy_to_user(a[0] + i * sizeof(*pf) + offsetof(struct pollfd, revents),
					 &pf[i].revents, sizeof(short)))
				r = -EFAULT;
	}
	if (pf != stackbuf)
		free(pf);
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
	/* The result sets, in program numbers. */
	for (int s = 0; s < 3 && r >= 0; s++) {
		if (!v[s])
			continue;
		memset(v[s], 0, vwords * 8);
		for (long i = 0; i < n; i++)
			if (host[i] >= 0 && (h[s][host[i] / 64] >> (host[i] % 64) & 1))
				v[s][i / 64] |= 1ull << (i % 64);
		if (copy_to_user(a[s + 1], v[s], vwords * 8))
			r = -EFAULT;
	}
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

/* ---- SCM_RIGHTS: fds passed over UNIX sockets ---- */

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
			long m = to_host ? inflight_send(ut, fds[i]) : inflight_recv(ut, fds[i]);
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
