/* fd_owner.c - a file's owner: F_SETOWN/F_GETOWN(_EX) in virtual ids, and the SIGIO and SIGURG objects send it. */
#include "sys/fd_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/*
 * A file's owner gets SIGIO/SIGURG. Programs name it with virtual ids,
 * which the kernel does not know (nginx's master: F_SETOWN, getpid()). An
 * object keeps the id as given. A kernel file gets the host process that
 * runs the owner (its signals reach programs through the host signal
 * handlers: the first program, see DECISIONS.md), and the virtual owner is
 * remembered by host fd, so F_GETOWN gives back what was set.
 */
struct owner { int type, id; };

#define NREC 64
static struct { int hfd; struct owner v; } recs[NREC];
static int nrec;
static spinlock_t rec_lock;

bool fd_owner_cmd(int cmd)
{
	return cmd == F_SETOWN || cmd == F_GETOWN || cmd == F_SETOWN_EX || cmd == F_GETOWN_EX;
}

static bool pgrp_exists(int pgid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && p->pgid == pgid)
			return true;
	}
	return false;
}

/* host_of - the host pid that runs virtual owner o (0 for none), or -ESRCH
 * when o names nothing of the instance known here. */
static long host_of(struct owner o)
{
	if (!o.id)
		return 0;
	if (o.type == F_OWNER_TID)
		return uthread_by_tid(o.id) ? getpid() : -ESRCH;
	if (o.type == F_OWNER_PGRP)
		return pgrp_exists(o.id) ? getpid() : -ESRCH;
	struct vproc *p = vproc_by_pid(o.id);
	if (!p)
		return -ESRCH;
	return p->host_pid > 0 ? p->host_pid : getpid();
}

static void remember(int hfd, struct owner v)
{
	spin_lock(&rec_lock);
	int i = 0;
	while (i < nrec && recs[i].hfd != hfd)
		i++;
	if (i == nrec && nrec < NREC)
		nrec++;
	if (i < nrec)
		recs[i].hfd = hfd, recs[i].v = v;
	spin_unlock(&rec_lock);
}

/* virtual_of - the kernel's owner of hfd (type k, host pid h) as the
 * program named it: what it set, if this host fd still has that owner;
 * else the host process's program (the caller's own, or a forked child). */
static struct owner virtual_of(struct uthread *ut, int hfd, struct owner k)
{
	if (!k.id || k.id < 0)
		return k;
	if (k.id == getpid()) {
		struct owner v = { F_OWNER_PID, ut->proc->pid };
		spin_lock(&rec_lock);
		for (int i = 0; i < nrec; i++)
			if (recs[i].hfd == hfd)
				v = recs[i].v;
		spin_unlock(&rec_lock);
		return v;
	}
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && p->host_pid == k.id)
			return (struct owner){ F_OWNER_PID, vproc_seen_as(p)->pid };
	}
	return k;
}

static long set_owner(struct vfile *f, int hfd, struct owner v)
{
	if (v.type != F_OWNER_TID && v.type != F_OWNER_PID && v.type != F_OWNER_PGRP)
		return -EINVAL;
	if (v.id < 0)
		return -ESRCH; /* F_SETOWN_EX: an id no process has */
	long h = host_of(v);
	if (h < 0)
		return h;
	if (f) {
		__atomic_store_n(&f->owner_type, v.type, __ATOMIC_RELAXED);
		__atomic_store_n(&f->owner, v.id, __ATOMIC_RELAXED);
		return 0;
	}
	struct f_owner_ex k = { F_OWNER_PID, (pid_t)h };
	long r = raw_syscall3(SYS_fcntl, hfd, F_SETOWN_EX, (long)&k);
	if (r == 0)
		remember(hfd, v);
	return r;
}

static long get_owner(struct uthread *ut, struct vfile *f, int hfd, struct owner *out)
{
	if (f) {
		out->type = __atomic_load_n(&f->owner_type, __ATOMIC_RELAXED);
		out->id = __atomic_load_n(&f->owner, __ATOMIC_RELAXED);
		return 0;
	}
	struct f_owner_ex k;
	long r = raw_syscall3(SYS_fcntl, hfd, F_GETOWN_EX, (long)&k);
	if (r < 0)
		return r;
	*out = virtual_of(ut, hfd, (struct owner){ k.type, k.pid });
	return 0;
}

long fd_owner_fcntl(struct uthread *ut, struct vfile *f, int hfd, int cmd, long arg)
{
	struct owner v;
	struct f_owner_ex ex;
	long r;
	switch (cmd) {
	case F_SETOWN:
		/* Linux: a negative id is a process group, a positive one a
		 * process; -INT_MIN cannot be negated. */
		if ((int)arg == (int)0x80000000)
			return -EINVAL;
		v = (int)arg < 0 ? (struct owner){ F_OWNER_PGRP, -(int)arg }
				 : (struct owner){ F_OWNER_PID, (int)arg };
		return set_owner(f, hfd, v);
	case F_SETOWN_EX:
		if (copy_from_user(&ex, arg, sizeof(ex)))
			return -EFAULT;
		return set_owner(f, hfd, (struct owner){ ex.type, ex.pid });
	case F_GETOWN:
		r = get_owner(ut, f, hfd, &v);
		return r < 0 ? r : v.type == F_OWNER_PGRP ? -v.id : v.id;
	case F_GETOWN_EX:
		r = get_owner(ut, f, hfd, &v);
		if (r < 0)
			return r;
		ex = (struct f_owner_ex){ v.type, v.id };
		return copy_to_user(arg, &ex, sizeof(ex)) ? -EFAULT : 0;
	}
	return -EINVAL;
}

/* ---- what objects tell their owners (fs/vfile.h's vfile_owner) ---- */

/* queue_one - si to program p, or to thread t of it; false when a
 * real-time signal found the queue full. */
static bool queue_one(struct vproc *p, struct uthread *t, const siginfo_t *si)
{
	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_DEAD)
		return true;
	enum sigq r = signal_queue(p, t, si);
	if (signal_news(r, si->si_signo))
		signal_notify(p, t);
	return r != SIGQ_FULL;
}

/* send_owner - Linux's send_sigio_to_task for each task the owner names:
 * si, or plain SIGIO where si does not fit (a full real-time queue). */
static void send_owner(struct owner o, const siginfo_t *si)
{
	siginfo_t plain = { .si_signo = SIGIO, .si_code = SI_KERNEL };
	if (o.type == F_OWNER_TID) {
		struct uthread *t = uthread_by_tid(o.id);
		if (t && !queue_one(t->proc, t, si))
			queue_one(t->proc, t, &plain);
		return;
	}
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!p || vproc_seen_as(p) != p)
			continue; /* its stand-in passes signals on */
		if (o.type == F_OWNER_PGRP ? p->pgid != o.id : p->pid != o.id)
			continue;
		if (!queue_one(p, NULL, si))
			queue_one(p, NULL, &plain);
	}
}

static struct owner owner_of(struct vfile *f)
{
	return (struct owner){ __atomic_load_n(&f->owner_type, __ATOMIC_RELAXED),
			       __atomic_load_n(&f->owner, __ATOMIC_RELAXED) };
}

/* Linux's band_table (fs/fcntl.c), by POLL_* reason. */
static long band_of(int reason)
{
	switch (reason) {
	case POLL_IN: return POLLIN | POLLRDNORM;
	case POLL_OUT: return POLLOUT | POLLWRNORM | POLLWRBAND;
	case POLL_ERR: return POLLERR;
	case POLL_PRI: return POLLPRI | POLLRDBAND;
	default: return POLLHUP | POLLERR; /* POLL_HUP */
	}
}

/* tell - f's F_SETSIG signal (or plain SIGIO) for reason. */
static void tell(struct vfile *f, int reason)
{
	struct owner o = owner_of(f);
	if (!o.id)
		return;
	int sig = __atomic_load_n(&f->sigio_sig, __ATOMIC_RELAXED);
	siginfo_t si = { .si_signo = SIGIO, .si_code = SI_KERNEL };
	if (sig) {
		si.si_signo = sig;
		/* Signals with codes of their own take SI_SIGIO instead. */
		bool own_codes = sig == SIGILL || sig == SIGFPE || sig == SIGSEGV || sig == SIGBUS ||
				 sig == SIGTRAP || sig == SIGCHLD || sig == SIGSYS;
		si.si_code = own_codes ? SI_SIGIO : reason;
		si.si_band = band_of(reason);
		si.si_fd = __atomic_load_n(&f->async_fd, __ATOMIC_RELAXED);
	}
	send_owner(o, &si);
}

/* The reason from what became ready (a wake-up's key names what may have;
 * the object says what is, lock-free). Urgent data is POLL_IN here, as
 * sk_data_ready says it; its POLL_PRI is owner_urgent's. */
static int ready_reason(struct vfile *f, uint32_t events)
{
	uint32_t now = f->ops->poll ? f->ops->poll(f) & events : events;
	if (!now)
		now = events;
	return now & EPOLLERR ? POLL_ERR : now & EPOLLHUP ? POLL_HUP :
	       !(now & (EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLPRI)) && (now & EPOLLOUT) ? POLL_OUT : POLL_IN;
}

static void owner_sigio(struct vfile *f, uint32_t events)
{
	switch (f->ops->fasync) {
	case FASYNC_READY: tell(f, ready_reason(f, events)); break;
	case FASYNC_IN: tell(f, POLL_IN); break;
	case FASYNC_OUT: tell(f, POLL_OUT); break;
	case FASYNC_NONE: break;
	}
}

/* sk_send_sigurg: SIGURG to the owner, O_ASYNC or not; with O_ASYNC and
 * F_SETSIG also that signal as POLL_PRI (kill_fasync skips plain SIGIO). */
static void owner_urgent(struct vfile *f)
{
	struct owner o = owner_of(f);
	send_owner(o, &(siginfo_t){ .si_signo = SIGURG, .si_code = SI_KERNEL });
	if ((__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ASYNC) && __atomic_load_n(&f->sigio_sig, __ATOMIC_RELAXED))
		tell(f, POLL_PRI);
}

/* reached_from_host - does a signal the kernel sends this host process
 * reach owner o? Host signals go to one program (vproc_outside_target). */
static bool reached_from_host(struct owner o)
{
	struct vproc *t = vproc_outside_target();
	if (!t || !o.id)
		return false;
	if (o.type == F_OWNER_TID) {
		struct uthread *u = uthread_by_tid(o.id);
		return u && u->proc == t;
	}
	return o.type == F_OWNER_PID && o.id == t->pid;
}

/* The kernel file an object became signals from now on, when what it
 * sends reaches the owner: its owner as the kernel can name it (the host
 * process), its signal, O_ASYNC. Another owner (a fused program that is
 * not the host process's first, a group) would have had its SIGIO go to
 * that program, whom SIGIO's default action kills: such an owner hears
 * nothing more. The kernel's si_fd names the kernel file's number. */
static void owner_moved(struct vfile *f, int kfd)
{
	struct owner o = owner_of(f);
	if (!reached_from_host(o)) {
		pg_debug("fd owner %d: not reached through the host process, O_ASYNC dropped at the move", o.id);
		return;
	}
	set_owner(NULL, kfd, o);
	raw_syscall3(SYS_fcntl, kfd, F_SETSIG, __atomic_load_n(&f->sigio_sig, __ATOMIC_RELAXED));
	if (f->flags & O_ASYNC) {
		long fl = raw_syscall3(SYS_fcntl, kfd, F_GETFL, 0);
		if (fl >= 0)
			raw_syscall3(SYS_fcntl, kfd, F_SETFL, fl | O_ASYNC);
	}
}

static const struct vfile_owner_ops owner_ops = {
	.sigio = owner_sigio,
	.urgent = owner_urgent,
	.moved = owner_moved,
};

void fd_owner_init(void)
{
	vfile_owner = &owner_ops;
}
