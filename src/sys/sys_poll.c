/* sys_poll.c - calls that carry fd numbers inside their buffers: poll, select (on fs/fpoll.c), SCM_RIGHTS. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "fs/fdtable.h"
#include "fs/fpoll.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/sched.h"
#include "sched/vcpu.h"
#include "sys/inflight.h"
#include "sys/kcall.h"
#include "sys/systab.h"
#include "core/timeutil.h"

/* ---- the files of one call: on the runtime stack up to POLL_STACK ---- */

#define POLL_STACK 32

struct fset {
	struct fpoll_ent *ents;
	struct pollfd *kfds;
	int n;
	struct fpoll_ent ents_stack[POLL_STACK];
	struct pollfd kfds_stack[POLL_STACK];
};

static bool fset_init(struct fset *s, size_t n)
{
	s->n = 0;
	if (n <= POLL_STACK) {
		s->ents = s->ents_stack;
		s->kfds = s->kfds_stack;
		return true;
	}
	s->ents = malloc(n * (sizeof(*s->ents) + sizeof(*s->kfds)));
	s->kfds = (struct pollfd *)(s->ents + n);
	return s->ents != NULL;
}

/* fset_add - program fd vfd (its object referenced); false if not open. */
static bool fset_add(struct fset *s, struct uthread *ut, int vfd, uint32_t events)
{
	struct fdtable *t = ut->proc->fdt;
	struct fpoll_ent *x = &s->ents[s->n++];
	x->file = fdt_obj(t, vfd);
	x->host = fdt_host(t, vfd);
	x->w.q = x->kw.q = NULL; /* hung by a blocking fpoll_wait only */
	/* An object that leaves readiness to its kernel file. */
	if (x->file && !x->file->ops->poll && x->host >= 0) {
		vfile_put(x->file);
		x->file = NULL;
	}
	x->events = events;
	x->revents = 0;
	return x->file || x->host >= 0;
}

static void fset_free(struct fset *s)
{
	for (int i = 0; i < s->n; i++)
		vfile_put(s->ents[i].file);
	if (s->ents != s->ents_stack)
		free(s->ents);
}

/* fset_wait_on - fpoll_wait, going on after signals that run no handler. */
static long fset_wait_on(struct uthread *ut, long nr, struct fset *s, struct wait_end end)
{
	for (;;) {
		/* The call's mask is in place: the signals it lets through end the wait. */
		if (end.block)
			signal_arm_wait(ut, ~ut->sigmask);
		long r = fpoll_wait(s->ents, s->n, s->kfds, end.block, end.deadline);
		if (r != -EINTR || !signal_wait_goes_on(ut, !(systab_get(nr)->flags & SF_NORESTART)))
			return r;
	}
}

/* fset_put_files - a fork's child drops the callbacks and references of
 * the set of a thread it does not have (uthread.held). */
static void fset_put_files(void *set)
{
	struct fset *s = set;
	fpoll_unhook(s->ents, s->n);
	for (int i = 0; i < s->n; i++) {
		vfile_put(s->ents[i].file);
		s->ents[i].file = NULL;
	}
}

/* fset_wait - fset_wait_on, the set's references held (uthread.held). */
static long fset_wait(struct uthread *ut, long nr, struct fset *s, struct wait_end end)
{
	ut->held.set = s;
	ut->held.put_set = fset_put_files;
	long r = fset_wait_on(ut, nr, s, end);
	ut->held.set = NULL;
	return r;
}

/* read_timespec - a timeout argument: *rel, or NULL for none; -errno. */
static long read_timespec(uint64_t u, struct timespec *buf, struct timespec **rel)
{
	*rel = NULL;
	if (!u)
		return 0;
	if (copy_from_user(buf, u, sizeof(*buf)))
		return -EFAULT;
	if (!timespec_valid(buf))
		return -EINVAL;
	*rel = buf;
	return 0;
}

/* left - what remains of a timeout, written back as Linux's
 * poll_select_finish does (never for a zero timeout or none). */
static struct timespec left(struct wait_end end)
{
	uint64_t now = now_ns(), ns = end.deadline > now ? end.deadline - now : 0;
	return (struct timespec){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
}

/* ---- poll, ppoll ---- */

static long poll_call(struct uthread *ut, long nr, uint64_t ufds, unsigned long n, struct wait_end end)
{
	if (n > (unsigned long)ut->proc->fdt->limit)
		return -EINVAL;
	struct pollfd stackbuf[POLL_STACK], *pf = n <= POLL_STACK ? stackbuf : malloc(n * sizeof(*pf));
	struct fset s;
	if (!pf || !fset_init(&s, n)) {
		if (pf != stackbuf)
			free(pf);
		return -ENOMEM;
	}
	long r = copy_from_user(pf, ufds, n * sizeof(*pf)) ? -EFAULT : 0;
	for (unsigned long i = 0; !r && i < n; i++)
		if (pf[i].fd >= 0)
			fset_add(&s, ut, pf[i].fd, (uint16_t)pf[i].events);
	if (!r)
		r = fset_wait(ut, nr, &s, end);
	/* Every revents goes back, even after EINTR; the fds stay as they were. */
	for (unsigned long i = 0, j = 0; r != -EFAULT && i < n; i++) {
		short rev = pf[i].fd >= 0 ? (short)s.ents[j++].revents : 0;
		if (copy_to_user(ufds + i * sizeof(*pf) + offsetof(struct pollfd, revents), &rev,
				 sizeof(rev)))
			r = -EFAULT;
	}
	fset_free(&s);
	if (pf != stackbuf)
		free(pf);
	return r;
}

long sys_poll(struct uthread *ut, const long a[6])
{
	return poll_call(ut, SYS_poll, a[0], a[1], wait_end_ms((int)a[2]));
}

long sys_ppoll(struct uthread *ut, const long a[6])
{
	struct timespec ts, *rel;
	long r = read_timespec(a[2], &ts, &rel);
	if (!r)
		r = signal_call_mask(ut, a[3], a[4]);
	if (r)
		return r;
	struct wait_end end = wait_end_rel(rel);
	r = poll_call(ut, SYS_ppoll, a[0], a[1], end);
	if (a[3])
		signal_call_mask_end(ut, r);
	if (rel && end.block) {
		ts = left(end);
		copy_to_user(a[2], &ts, sizeof(ts)); /* a failure here is ignored, as Linux's */
	}
	return r;
}

/* ---- select, pselect6: fd_set bitmaps of program fds ---- */

#define POLLIN_SET (EPOLLRDNORM | EPOLLRDBAND | EPOLLIN | EPOLLHUP | EPOLLERR)
#define POLLOUT_SET (EPOLLWRBAND | EPOLLWRNORM | EPOLLOUT | EPOLLERR)
#define POLLEX_SET (EPOLLPRI)
/* Up to FD_SETSIZE numbers, a call's bitmaps live on the runtime stack. */
#define SEL_STACK_WORDS (1024 / 64)

static const uint32_t sel_events[3] = { POLLIN_SET, POLLOUT_SET, POLLEX_SET };

static bool bit(const uint64_t *w, long i)
{
	return w && (w[i / 64] >> (i % 64) & 1);
}

static long select_call(struct uthread *ut, long nr, long n, const long usets[3], struct wait_end end)
{
	if (n < 0)
		return -EINVAL;
	if (n > ut->proc->fdt->limit) /* Linux cuts n to its table's size */
		n = ut->proc->fdt->limit;
	size_t words = (n + 63) / 64;
	uint64_t stack[3][SEL_STACK_WORDS], *v[3] = { 0 };
	long r = 0;
	for (int k = 0; k < 3 && !r; k++) {
		if (!usets[k])
			continue;
		v[k] = words <= SEL_STACK_WORDS ? stack[k] : malloc(words * 8);
		if (!v[k])
			r = -ENOMEM;
		else if (copy_from_user(v[k], usets[k], words * 8))
			r = -EFAULT;
	}
	long named = 0;
	for (long i = 0; !r && i < n; i++)
		named += bit(v[0], i) || bit(v[1], i) || bit(v[2], i);
	struct fset s = { .n = 0 };
	if (!r && !fset_init(&s, named))
		r = -ENOMEM;
	for (long i = 0; !r && i < n; i++) {
		uint32_t ev = 0;
		for (int k = 0; k < 3; k++)
			ev |= bit(v[k], i) ? sel_events[k] : 0;
		if (ev && !fset_add(&s, ut, (int)i, ev))
			r = -EBADF; /* every fd named must be open */
	}
	if (!r)
		r = fset_wait(ut, nr, &s, end);
	if (r >= 0) {
		/* The result sets, word by word in place: each event counts once
		 * per set it is in. */
		r = 0;
		for (size_t w = 0, j = 0; w < words; w++) {
			uint64_t asked[3];
			for (int k = 0; k < 3; k++) {
				asked[k] = v[k] ? v[k][w] : 0;
				if (v[k])
					v[k][w] = 0;
			}
			uint64_t any = asked[0] | asked[1] | asked[2];
			for (; any; any &= any - 1) {
				int b = __builtin_ctzll(any);
				uint32_t rev = s.ents[j++].revents;
				for (int k = 0; k < 3; k++) {
					if ((asked[k] >> b & 1) && (rev & sel_events[k])) {
						v[k][w] |= 1ull << b;
						r++;
					}
				}
			}
		}
		for (int k = 0; k < 3; k++)
			if (v[k] && copy_to_user(usets[k], v[k], words * 8))
				r = -EFAULT;
	}
	fset_free(&s);
	for (int k = 0; k < 3; k++)
		if (v[k] != stack[k])
			free(v[k]);
	return r;
}
long sys_select(struct uthread *ut, const long a[6])
{
	struct timeval tv;
	struct timespec ts, *rel = NULL;
	if (a[4]) {
		if (copy_from_user(&tv, a[4], sizeof(tv)))
			return -EFAULT;
		/* Linux folds whole seconds out of tv_usec; a negative part is EINVAL. */
		ts = (struct timespec){ tv.tv_sec + tv.tv_usec / 1000000, tv.tv_usec % 1000000 * 1000 };
		if (!timespec_valid(&ts))
			return -EINVAL;
		rel = &ts;
	}
	struct wait_end end = wait_end_rel(rel);
	long r = select_call(ut, SYS_select, (int)a[0], &a[1], end);
	if (rel && end.block) {
		ts = left(end);
		tv = (struct timeval){ ts.tv_sec, ts.tv_nsec / 1000 };
		copy_to_user(a[4], &tv, sizeof(tv)); /* a failure here is ignored, as Linux's */
	}
	return r;
}

long sys_pselect6(struct uthread *ut, const long a[6])
{
	struct timespec ts, *rel;
	struct { uint64_t set, size; } sig = { 0, 0 };
	long r = read_timespec(a[4], &ts, &rel);
	if (!r && a[5] && copy_from_user(&sig, a[5], sizeof(sig)))
		r = -EFAULT;
	if (!r)
		r = signal_call_mask(ut, sig.set, (long)sig.size);
	if (r)
		return r;
	struct wait_end end = wait_end_rel(rel);
	r = select_call(ut, SYS_pselect6, (int)a[0], &a[1], end);
	if (sig.set)
		signal_call_mask_end(ut, r);
	if (rel && end.block) {
		ts = left(end);
		copy_to_user(a[4], &ts, sizeof(ts));
	}
	return r;
}

/* ---- SCM_RIGHTS: fds passed over UNIX sockets ---- */

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
		size_t len = mh.msg_controllen;
		if (!r)
			r = inflight_map_rights(ut, ctl, &len, true, NULL);
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
		size_t len = mh.msg_controllen;
		long m = inflight_map_rights(ut, ctl, &len, false, &mh.msg_flags);
		mh.msg_controllen = len;
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
