/* signalfd.c - signalfd over virtual signals: a user-space file object. */
#include "proc/signalfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/*
 * An object alone (no host fd): reads take the watched signals off the
 * virtual pending sets; readiness is pushed through its poll head. A
 * thread-directed signal is readable only by its thread, which this file
 * cannot see when polled: the slot's `seen` word remembers the watched
 * signals queued since the last read (as the eventfd this replaces
 * counted them), so any thread's signal makes it readable once.
 */

struct sigfd {
	struct vfile vf;
	struct vproc *p;
	int slot;           /* index in p->sigfd[] */
};

static struct sigfd *sigfd_of(struct vfile *f)
{
	return (struct sigfd *)f;
}

void signalfd_notify(struct vproc *p, int sig)
{
	for (int i = 0; i < SIGFD_MAX; i++)
		if (__atomic_load_n(&p->sigfd_mask[i], __ATOMIC_ACQUIRE) & SIGBIT(sig))
			__atomic_or_fetch(&p->sigfd_seen[i], SIGBIT(sig), __ATOMIC_RELEASE);
}

static uint32_t sigfd_poll(struct vfile *f)
{
	struct sigfd *s = sigfd_of(f);
	uint64_t mask = __atomic_load_n(&s->p->sigfd_mask[s->slot], __ATOMIC_ACQUIRE);
	uint64_t pend = __atomic_load_n(&s->p->sigpending, __ATOMIC_ACQUIRE) |
			__atomic_load_n(&s->p->sigfd_seen[s->slot], __ATOMIC_ACQUIRE);
	return pend & mask ? EPOLLIN | EPOLLRDNORM : 0;
}

void signalfd_wake(struct vproc *p)
{
	bool any = false;
	for (int i = 0; i < SIGFD_MAX && !any; i++)
		any = __atomic_load_n(&p->sigfd_mask[i], __ATOMIC_ACQUIRE) != 0;
	if (!any)
		return;
	spin_lock(&p->sigfd_lock);
	for (int i = 0; i < SIGFD_MAX; i++)
		if (p->sigfd[i] && (sigfd_poll(p->sigfd[i]) & EPOLLIN))
			vfile_notify(p->sigfd[i], EPOLLIN | EPOLLRDNORM);
	spin_unlock(&p->sigfd_lock);
}

static void sigfd_release(struct vfile *f)
{
	struct sigfd *s = sigfd_of(f);
	spin_lock(&s->p->sigfd_lock);
	__atomic_store_n(&s->p->sigfd_mask[s->slot], 0, __ATOMIC_RELEASE);
	s->p->sigfd[s->slot] = NULL;
	spin_unlock(&s->p->sigfd_lock);
	free(s);
}

/* Linux's siginfo_layout: which union member si holds. */
enum layout { L_KILL, L_TIMER, L_POLL, L_FAULT, L_CHLD, L_RT, L_SYS };

static enum layout layout_of(int sig, int code)
{
	if (code > SI_USER && code < SI_KERNEL) {
		switch (sig) {
		case SIGILL: case SIGFPE: case SIGSEGV: case SIGBUS: case SIGTRAP:
			return L_FAULT;
		case SIGCHLD:
			return L_CHLD;
		case SIGSYS:
			return L_SYS;
		default: /* SIGPOLL's codes (POLL_IN...) and any other kernel code */
			return code <= POLL_HUP ? L_POLL : L_KILL;
		}
	}
	return code == SI_TIMER ? L_TIMER : code == SI_SIGIO ? L_POLL : code < 0 ? L_RT : L_KILL;
}

/* fill - Linux's signalfd_copyinfo: the members of si's layout, the rest 0. */
static void fill(struct signalfd_siginfo *o, const siginfo_t *si)
{
	memset(o, 0, sizeof(*o));
	o->ssi_signo = si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	enum layout l = layout_of(si->si_signo, si->si_code);
	if (l == L_KILL || l == L_CHLD || l == L_RT) {
		o->ssi_pid = si->si_pid;
		o->ssi_uid = si->si_uid;
	}
	if (l == L_TIMER || l == L_RT) {
		o->ssi_ptr = (uint64_t)si->si_ptr;
		o->ssi_int = si->si_int;
	}
	switch (l) {
	case L_TIMER:
		o->ssi_tid = si->si_timerid;
		o->ssi_overrun = si->si_overrun;
		break;
	case L_POLL:
		o->ssi_band = (uint32_t)si->si_band;
		o->ssi_fd = si->si_fd;
		break;
	case L_FAULT:
		o->ssi_addr = (uint64_t)si->si_addr;
		break;
	case L_CHLD:
		o->ssi_status = si->si_status;
		o->ssi_utime = (uint64_t)si->si_utime;
		o->ssi_stime = (uint64_t)si->si_stime;
		break;
	case L_SYS:
		o->ssi_call_addr = (uint64_t)si->si_call_addr;
		o->ssi_syscall = si->si_syscall;
		o->ssi_arch = si->si_arch;
		break;
	default:
		break;
	}
}

/* resync - after a read or a new mask: what the reader's thread still has
 * pending becomes the seen set (cleared first: a signal queued in between
 * is then counted again, never lost), and its waiters are told. */
static void resync(struct sigfd *s, struct uthread *ut)
{
	uint64_t mask = __atomic_load_n(&s->p->sigfd_mask[s->slot], __ATOMIC_ACQUIRE);
	__atomic_store_n(&s->p->sigfd_seen[s->slot], 0, __ATOMIC_RELEASE);
	__atomic_or_fetch(&s->p->sigfd_seen[s->slot], signal_pending_mask(ut) & mask,
			  __ATOMIC_RELEASE);
	vfile_notify(&s->vf, sigfd_poll(&s->vf));
}

/* One signalfd_siginfo per watched pending signal, as many as fit;
 * -EAGAIN if none (sys/objcall.c waits on the poll head if it may). */
static long sigfd_read(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct sigfd *s = sigfd_of(f);
	uint64_t mask = __atomic_load_n(&s->p->sigfd_mask[s->slot], __ATOMIC_ACQUIRE);
	size_t total = 0;
	for (int i = 0; i < m->iovcnt; i++)
		total += m->iov[i].iov_len;
	if (total < sizeof(struct signalfd_siginfo))
		return -EINVAL;
	long done = 0;
	for (int i = 0; i < m->iovcnt; i++) {
		uint64_t base = (uint64_t)m->iov[i].iov_base;
		size_t room = m->iov[i].iov_len, o = 0;
		uint64_t pend;
		while (room - o >= sizeof(struct signalfd_siginfo) &&
		       (pend = signal_pending_mask(ut) & mask)) {
			int sig = __builtin_ctzll(pend) + 1;
			siginfo_t si;
			if (!signal_dequeue(ut, sig, &si))
				continue;
			struct signalfd_siginfo out;
			fill(&out, &si);
			if (copy_to_user(base + o, &out, sizeof(out)))
				return done ? done : -EFAULT;
			o += sizeof(out);
		}
		done += o;
		if (room - o >= sizeof(struct signalfd_siginfo))
			break; /* nothing more pending */
	}
	resync(s, ut);
	return done ? done : -EAGAIN;
}

static int sigfd_fdinfo(struct vfile *f, char *buf, size_t size)
{
	struct sigfd *s = sigfd_of(f);
	return snprintf(buf, size, "sigmask:\t%016llx\n",
			(unsigned long long)__atomic_load_n(&s->p->sigfd_mask[s->slot], __ATOMIC_ACQUIRE));
}

/* Seeking is accepted and does nothing, as Linux's noop_llseek. */
static long sigfd_lseek(struct vfile *f, int64_t off, int whence)
{
	return 0;
}

static const struct vfile_ops sigfd_ops = {
	.name = "[signalfd]",
	.read = sigfd_read,
	.lseek = sigfd_lseek,
	.poll = sigfd_poll,
	.fdinfo = sigfd_fdinfo,
	.release = sigfd_release,
	/* A forked child reads its own signals: its copy is its signalfd. */
	.fork_copies = true,
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
			__atomic_store_n(&p->sigfd_mask[sigfd_of(f)->slot], mask, __ATOMIC_RELEASE);
			resync(sigfd_of(f), ut);
			r = fd;
		} else if (!f && fdt_host(p->fdt, fd) < 0) {
			r = -EBADF;
		}
		vfile_put(f);
		return r;
	}
	struct sigfd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	vfile_init(&s->vf, &sigfd_ops, O_RDWR | ((flags & SFD_NONBLOCK) ? O_NONBLOCK : 0));
	s->p = p;
	s->slot = -1;
	spin_lock(&p->sigfd_lock);
	for (int i = 0; i < SIGFD_MAX && s->slot < 0; i++) {
		if (!p->sigfd[i]) {
			s->slot = i;
			p->sigfd[i] = &s->vf;
			p->sigfd_seen[i] = 0;
			__atomic_store_n(&p->sigfd_mask[i], mask, __ATOMIC_RELEASE);
		}
	}
	spin_unlock(&p->sigfd_lock);
	if (s->slot < 0) {
		free(s);
		return -EMFILE;
	}
	resync(s, ut);
	long v = fdt_install_obj(p->fdt, -1, &s->vf, 0, (flags & SFD_CLOEXEC) ? FD_CLOEXEC : 0);
	if (v < 0)
		vfile_put(&s->vf);
	return v;
}

long sys_signalfd(struct uthread *ut, const long a[6])
{
	long b[6] = { a[0], a[1], a[2], 0, 0, 0 };
	return sys_signalfd4(ut, b);
}
