/* signalfd.c - signalfd over virtual signals: a user-space file object. */
#include "fs/signalfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/systab.h"

/*
 * The program's fd is backed by a host eventfd, so poll/epoll/select on it
 * work unchanged: its counter is non-zero while a watched signal may be
 * pending. Reads are served here, from the virtual pending sets.
 */

struct sigfd {
	struct vfile vf;
	struct vproc *p;
	uint64_t mask;
	int efd;            /* the host eventfd (also the fd entry's host fd) */
	int slot;           /* index in p->sigfds */
};

void signalfd_notify(struct vproc *p, int sig)
{
	for (int i = 0; i < SIGFD_MAX; i++) {
		uint64_t mask = __atomic_load_n(&p->sigfd_mask[i], __ATOMIC_ACQUIRE);
		int efd = __atomic_load_n(&p->sigfd_efd[i], __ATOMIC_ACQUIRE);
		if (efd >= 0 && (mask & SIGBIT(sig))) {
			uint64_t one = 1;
			raw_syscall3(SYS_write, efd, &one, 8);
		}
	}
}

static void sigfd_publish(struct sigfd *s)
{
	__atomic_store_n(&s->p->sigfd_mask[s->slot], s->mask, __ATOMIC_RELEASE);
	__atomic_store_n(&s->p->sigfd_efd[s->slot], s->efd, __ATOMIC_RELEASE);
}

static void sigfd_release(struct vfile *f)
{
	struct sigfd *s = (struct sigfd *)f;
	__atomic_store_n(&s->p->sigfd_efd[s->slot], -1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->p->sigfd_mask[s->slot], 0, __ATOMIC_RELEASE);
	free(s);
}

static void fill(struct signalfd_siginfo *o, const siginfo_t *si)
{
	memset(o, 0, sizeof(*o));
	o->ssi_signo = si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	o->ssi_pid = si->si_pid;
	o->ssi_uid = si->si_uid;
	o->ssi_int = si->si_int;
	o->ssi_ptr = (uint64_t)si->si_ptr;
	if (si->si_code == SI_TIMER) {
		o->ssi_tid = si->si_timerid;
		o->ssi_overrun = si->si_overrun;
	}
	if (si->si_signo == SIGCHLD) {
		o->ssi_status = si->si_status;
		o->ssi_utime = si->si_utime;
		o->ssi_stime = si->si_stime;
	} else if (si->si_code > 0) {
		o->ssi_addr = (uint64_t)si->si_addr;
	}
}

/* drain - reset the eventfd, then set it again if something is still
 * pending: in this order a signal queued meanwhile is never missed. */
static void drain(struct sigfd *s, struct uthread *ut)
{
	uint64_t cnt;
	raw_syscall3(SYS_read, s->efd, &cnt, 8);
	if (signal_pending_mask(ut) & s->mask) {
		uint64_t one = 1;
		raw_syscall3(SYS_write, s->efd, &one, 8);
	}
}

static long sigfd_read(struct vfile *f, struct uthread *ut, long ubuf, long count)
{
	struct sigfd *s = (struct sigfd *)f;
	size_t max = count / sizeof(struct signalfd_siginfo);
	if (!max)
		return -EINVAL;
	for (;;) {
		size_t n = 0;
		uint64_t pend;
		while (n < max && (pend = signal_pending_mask(ut) & s->mask)) {
			int sig = __builtin_ctzll(pend) + 1;
			siginfo_t si;
			if (!signal_dequeue(ut, sig, &si))
				continue;
			struct signalfd_siginfo o;
			fill(&o, &si);
			if (copy_to_user(ubuf + n * sizeof(o), &o, sizeof(o)))
				return -EFAULT;
			n++;
		}
		drain(s, ut);
		if (n)
			return n * sizeof(struct signalfd_siginfo);
		if (f->nonblock)
			return -EAGAIN;
		/* Wait for a watched signal, or EINTR for one that runs a handler. */
		if (signal_wait(ut, s->mask | ~ut->sigmask, 0) < 0 &&
		    !(signal_pending_mask(ut) & s->mask))
			return -EINTR;
	}
}

static const struct vfile_ops sigfd_ops = {
	.read = sigfd_read,
	.release = sigfd_release,
};

long sys_signalfd4(struct uthread *ut, const long a[6])
{
	uint64_t mask;
	int fd = (int)a[0], flags = (int)a[3];
	if (a[2] != 8 || (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)))
		return -EINVAL;
	if (copy_from_user(&mask, a[1], 8))
		return -EFAULT;
	mask &= ~SIG_UNBLOCKABLE;
	struct vproc *p = ut->proc;
	if (fd != -1) {
		struct vfile *f = fdt_obj(p->fdt, fd);
		long r = -EINVAL;
		if (f && f->ops == &sigfd_ops) {
			struct sigfd *s = (struct sigfd *)f;
			s->mask = mask;
			sigfd_publish(s);
			drain(s, ut);
			r = fd;
		} else if (fdt_host(p->fdt, fd) < 0) {
			r = -EBADF;
		}
		vfile_put(f);
		return r;
	}
	int slot = -1;
	for (int i = 0; i < SIGFD_MAX && slot < 0; i++) {
		int expect = -1;
		if (__atomic_compare_exchange_n(&p->sigfd_efd[i], &expect, -2, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			slot = i;
	}
	if (slot < 0)
		return -EMFILE;
	struct sigfd *s = calloc(1, sizeof(*s));
	long efd = raw_syscall3(SYS_eventfd2, 0,
				EFD_NONBLOCK | ((flags & SFD_CLOEXEC) ? EFD_CLOEXEC : 0), 0);
	if (!s || efd < 0) {
		free(s);
		__atomic_store_n(&p->sigfd_efd[slot], -1, __ATOMIC_RELEASE);
		return efd < 0 ? efd : -ENOMEM;
	}
	/* The eventfd stays non-blocking for the runtime; the program's
	 * O_NONBLOCK is virtual (struct vfile). */
	*s = (struct sigfd){ .vf = { &sigfd_ops, 1, true, (flags & SFD_NONBLOCK) != 0 },
			     .p = p, .mask = mask, .efd = efd, .slot = slot };
	sigfd_publish(s);
	drain(s, ut);
	long v = fdt_install_obj(p->fdt, efd, &s->vf, 0);
	if (v < 0) {
		raw_syscall3(SYS_close, efd, 0, 0);
		vfile_put(&s->vf);
	}
	return v;
}

long sys_signalfd(struct uthread *ut, const long a[6])
{
	long b[6] = { a[0], a[1], a[2], 0, 0, 0 };
	return sys_signalfd4(ut, b);
}
