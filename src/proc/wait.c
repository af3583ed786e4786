/* wait.c - the ends of spawned programs: zombies, wait4/waitid, SIGCHLD, orphans. */
#include "proc/wait.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "proc/fork.h"
#include "proc/pidfd.h"
#include "proc/pidspace.h"
#include "proc/signal.h"
#include "proc/spawn.h"
#include "proc/vproc.h"
#include "sched/sched.h"

/* A uthread parked in wait_child until a child of its program ends. */
struct waiter {
	struct uthread *ut;
	int pid;              /* its program */
	struct waiter *next;
};

/* Guards every program's ppid, zombie flag and the waiters: a child's end
 * and its parent's wait, or its parent's own end, meet under it. */
FORK_HOT static spinlock_t family_lock;
FORK_HOT static struct waiter *waiters;

static void wake_waiters(int pid)
{
	for (struct waiter *w = waiters; w; w = w->next)
		if (w->pid == pid)
			uthread_wake(w->ut, WAKE_EVENT);
}

/* A command-line program is the monitor's, never reaped. */
static bool spawned(const struct vproc *p)
{
	return p->root != p;
}

/* Linux reaps at once the children of a parent that ignores SIGCHLD. */
static bool reaps_itself(const struct vproc *parent)
{
	const struct k_sigaction *ka = &parent->sigaction[SIGCHLD - 1];
	return ka->handler == (uint64_t)SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}

static bool gone(const struct vproc *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_DEAD;
}

/* reaper_for - who adopts dying's children (Linux's find_new_reaper):
 * its nearest living ancestor that asked to (PR_SET_CHILD_SUBREAPER),
 * else the instance's first program, as a subreaper of the whole. */
static struct vproc *reaper_for(const struct vproc *dying)
{
	/* Bounded: a chain of parents is a path, but a racing re-parent is
	 * not worth a loop. */
	const struct vproc *a = dying;
	for (int hops = 0; a->ppid > 1 && hops < 1024; hops++) {
		struct vproc *up = vproc_by_pid(a->ppid);
		if (!up)
			break;
		if (up != dying && up->child_subreaper && !gone(up))
			return up;
		a = up;
	}
	struct vproc *r = vproc_at(0);
	return r && r != dying && !gone(r) ? r : NULL;
}

/* tell_parent - p's signal to its parent (SIGCHLD, or a clone's own), with
 * code and status as waitid reports them. */
static void tell_parent(struct vproc *parent, const struct vproc *p, int code, int status)
{
	siginfo_t si = { .si_signo = p->parent_signal, .si_code = code };
	si.si_pid = p->pid;
	si.si_uid = getuid();
	si.si_status = status;
	signal_queue(parent, NULL, &si);
	signal_notify(parent, NULL);
}

/* The code and status of p's end, as waitid and SIGCHLD give them. */
static int end_code(const struct vproc *p)
{
	return p->exit_signal ? CLD_KILLED : CLD_EXITED;
}

static int end_status(const struct vproc *p)
{
	return p->exit_signal ? p->exit_signal : p->exit_code;
}

static void signal_parent(struct vproc *parent, const struct vproc *p)
{
	if (p->parent_signal)
		tell_parent(parent, p, end_code(p), end_status(p));
}

/* report_parent - SIGCHLD for a stop or a continue of p (code CLD_STOPPED
 * or CLD_CONTINUED, status the signal), unless its parent asked for none
 * (SA_NOCLDSTOP); its waits look again. family_lock held. */
static void report_parent(struct vproc *p, int code, int status)
{
	struct vproc *parent = spawned(p) && p->ppid > 1 && !p->orphaned ? vproc_by_pid(p->ppid) : NULL;
	if (!parent || gone(parent))
		return;
	const struct k_sigaction *ka = &parent->sigaction[SIGCHLD - 1];
	if (p->parent_signal == SIGCHLD && !(ka->flags & SA_NOCLDSTOP))
		tell_parent(parent, p, code, status);
	wake_waiters(parent->pid);
}

void wait_child_stopped(struct vproc *p, int sig)
{
	spin_lock(&family_lock);
	p = vproc_seen_as(p);
	p->stop_report = sig;
	p->cont_report = false;
	report_parent(p, CLD_STOPPED, sig);
	spin_unlock(&family_lock);
}

void wait_child_continued(struct vproc *p)
{
	spin_lock(&family_lock);
	p = vproc_seen_as(p);
	p->stop_report = 0;
	p->cont_report = true;
	report_parent(p, CLD_CONTINUED, SIGCONT);
	spin_unlock(&family_lock);
}

/* parent_died - c's parent p has ended: c's PR_SET_PDEATHSIG signal, if it
 * asked for one; a forked child's (in another host process) is what it
 * published, and goes there. */
static void parent_died(struct vproc *p, struct vproc *c)
{
	struct prog_info pi;
	/* Elsewhere: forked, or exec'd into a process of its own (its image's
	 * addresses were taken here: a stand-in). */
	int host = c->host_pid > 0 ? c->host_pid : c->stand_in_host;
	int sig = c->pdeathsig;
	if (host > 0)
		sig = pidspace_lookup(c->pid, &pi) && pi.host_pid == host ? pi.pdeathsig : 0;
	if (!sig || c->zombie || __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == VP_DEAD)
		return;
	siginfo_t si = { .si_signo = sig, .si_code = SI_USER };
	si.si_pid = p->pid;
	/* A forked child armed the kernel's too (fork_pdeath_arm), and takes
	 * the first of the two (fork_pdeath_repeat). A stand-in's child is
	 * told as any signal (its kernel one is SIGKILL, kept). */
	if (c->host_pid > 0 && p->stand_in_host != c->host_pid) {
		fork_pdeath_send_to(host, c->pid, &si);
	} else if (host > 0) {
		fork_signal_send_to(host, c->pid, &si);
	} else if (c->host_pid == 0) {
		signal_queue(c, NULL, &si);
		signal_notify(c, NULL);
	}
}

/* adopt_children - p's children, alive or zombies, go to the reaper. */
static void adopt_children(struct vproc *p)
{
	struct vproc *reaper = reaper_for(p);
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *c = vproc_at(i);
		if (!c || c == p || !spawned(c) || c->ppid != p->pid)
			continue;
		parent_died(p, c);
		c->ppid = reaper ? reaper->pid : 1;
		/* Taken in by the instance (its first program, standing in for
		 * init), not by a subreaper that asked. */
		c->orphaned = !reaper || !reaper->child_subreaper;
		/* A forked child's process reads it (getppid); one whose host
		 * parent is this process's dying program is the kernel's to
		 * give away (to the nearest subreaper process: fork.c adopt). */
		if (!c->host_pid || (reaper && !reaper->host_pid))
			pidspace_set_ppid(c->pid, c->ppid);
		if (c->zombie && (c->orphaned || reaps_itself(reaper))) {
			c->zombie = false;
			vproc_release(c);
		}
	}
	if (reaper)
		wake_waiters(reaper->pid);
}

struct vproc *wait_orphan_reaper(int ppid, bool first)
{
	spin_lock(&family_lock);
	/* Its parent's placeholder, if this process forked it: the nearest
	 * subreaper above it, as adopt_children would choose. */
	struct vproc *up = ppid > 1 ? vproc_by_pid(ppid) : NULL;
	struct vproc *r = up ? reaper_for(up) : NULL;
	/* Or the subreaper itself, which its record names once the orphan
	 * asked for its parent (vproc.c vproc_ppid). */
	if (up && !up->host_pid && up->child_subreaper && !gone(up))
		r = up;
	if (r && (r->host_pid || (r == vproc_at(0) && !first)))
		r = NULL;
	for (int i = 0; !r && i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q && !q->host_pid && q->child_subreaper && !gone(q))
			r = q;
	}
	if (!r && first && (up = vproc_at(0)) && !up->host_pid && !gone(up))
		r = up;
	spin_unlock(&family_lock);
	return r;
}

void wait_take_in(struct vproc *c, struct vproc *reaper)
{
	spin_lock(&family_lock);
	if (gone(reaper))
		reaper = reaper_for(reaper);
	c->ppid = reaper ? reaper->pid : 1;
	c->root = reaper ? reaper->root : c;
	c->orphaned = !reaper || !reaper->child_subreaper;
	pidspace_set_ppid(c->pid, c->ppid); /* its own process reads it (getppid) */
	if (reaper)
		wake_waiters(reaper->pid);
	spin_unlock(&family_lock);
}

void wait_orphans(struct vproc *p)
{
	spin_lock(&family_lock);
	adopt_children(p);
	spin_unlock(&family_lock);
	if (p->child_subreaper) {
		p->child_subreaper = false;
		fork_subreaper_host(); /* maybe none asks here any more */
	}
}

void wait_program_ended(struct vproc *p)
{
	vfork_release(p);
	pidfd_ended(p);
	/* The program a forked process was made for, ending before it: its
	 * parent's process hears of it now (its SIGCHLD and wait come from
	 * there). */
	bool told = fork_tell_ended(p, p->exit_signal ? (p->exit_signal & 0x7f) : (p->exit_code & 0xff) << 8);
	spin_lock(&family_lock);
	if (spawned(p)) {
		struct vproc *parent = p->ppid > 1 ? vproc_by_pid(p->ppid) : NULL;
		if (parent && !gone(parent)) {
			/* An orphan the instance took in, as init would: reaped
			 * at once, its end no news to its new parent. */
			if (!told && !p->orphaned)
				signal_parent(parent, p);
			if (p->orphaned || reaps_itself(parent))
				vproc_release(p);
			else
				p->zombie = true;
			wake_waiters(parent->pid);
		} else {
			vproc_release(p);
		}
	} else {
		/* One pegasus started: its parent is the shell outside, which
		 * reaps it at once, so the others no longer see it (a "stop the
		 * daemon and wait till its pid is gone" loop waited forever). */
		vproc_unlist(p);
	}
	spin_unlock(&family_lock);
}

void wait_after_fork(void)
{
	/* The waiters were the parent's threads; the lock may have been
	 * another vCPU's (reaping) or the monitor's at the fork. */
	waiters = NULL;
	family_lock.locked = 0;
}

/* Does child c match a wait's idtype/id and its __WCLONE/__WALL choice? */
static bool wanted(struct vproc *c, int idtype, int id, int options)
{
	if (idtype == P_PGID && c->host_pid)
		vproc_sync_ids(c); /* a forked child may have changed groups */
	if ((idtype == P_PID && c->pid != id) || (idtype == P_PGID && c->pgid != id))
		return false;
	if (options & __WALL)
		return true;
	/* A "clone" child signals its parent with something else than SIGCHLD. */
	return !!(options & __WCLONE) == (c->parent_signal != SIGCHLD);
}

/* still_stopped - c's stop is still news: a forked child's host process
 * that went on since (a SIGCONT, or its end, which its parent's process has
 * yet to reap) reports no stop, as Linux's wait finds none once a child runs
 * again (bash's `kill -STOP %1; kill -CONT %1; wait` said the job was
 * stopped). A look that consumes nothing. */
static bool still_stopped(const struct vproc *c)
{
	int h = __atomic_load_n(&c->host_pid, __ATOMIC_ACQUIRE);
	siginfo_t si;
	si.si_pid = 0;
	return h <= 0 ||
	       raw_syscall6(SYS_waitid, P_PID, h, (long)&si, WEXITED | WCONTINUED | WNOHANG | WNOWAIT, 0, 0) < 0 ||
	       !si.si_pid;
}

long wait_child(struct uthread *ut, int idtype, int id, int options, struct wait_result *res)
{
	int me = ut->proc->pid;
	bool interrupted = false, strays_seen = false;
	for (;;) {
		bool any = false;
		spin_lock(&family_lock);
		for (int i = 0; i < vproc_count(); i++) {
			struct vproc *c = vproc_at(i);
			if (!c || !spawned(c) || c->ppid != me || c->orphaned || !wanted(c, idtype, id, options))
				continue;
			any = true;
			/* What there is to report of c, once (unless WNOWAIT). */
			bool take = !(options & WNOWAIT);
			if ((options & WUNTRACED) && c->stop_report && !c->zombie && still_stopped(c)) {
				*res = (struct wait_result){ c->pid, CLD_STOPPED, c->stop_report };
				if (take)
					c->stop_report = 0;
			} else if ((options & WCONTINUED) && c->cont_report && !c->zombie) {
				*res = (struct wait_result){ c->pid, CLD_CONTINUED, SIGCONT };
				if (take)
					c->cont_report = false;
			} else if (c->zombie && (options & WEXITED)) {
				*res = (struct wait_result){ c->pid, end_code(c), end_status(c), c->host_usage };
				if (take) {
					/* Its time becomes the parent's children's (a
					 * forked child's, the host's count has). */
					if (!c->host_pid)
						ut->proc->children_ns += c->ran_ns + c->children_ns;
					c->zombie = false;
					vproc_release(c);
				}
			} else {
				continue;
			}
			spin_unlock(&family_lock);
			return 0;
		}
		if (!any && !strays_seen && ut->proc->child_subreaper) {
			/* Orphans of forked children the kernel gave this
			 * process (a subreaper) are news here only now. */
			spin_unlock(&family_lock);
			strays_seen = true;
			if (fork_adopt_strays())
				continue;
			spin_lock(&family_lock);
		}
		if (!any || interrupted || (options & WNOHANG)) {
			spin_unlock(&family_lock);
			res->pid = 0;
			return !any ? -ECHILD : interrupted ? -EINTR : 0;
		}
		/* Armed for this wait: the interrupt word may still be set by an
		 * earlier one (with nothing left to deliver, each sleep then
		 * ended at once and wait4 spun, holding its vCPU). */
		signal_arm_wait(ut, ~ut->sigmask);
		struct waiter w = { ut, me, waiters };
		waiters = &w;
		__atomic_store_n(&ut->state, UT_BLOCKED, __ATOMIC_RELAXED);
		spin_unlock(&family_lock);
		/* Look once more after a signal: a child that ended meanwhile wins. */
		interrupted = uthread_sleep(0, ~ut->sigmask) == WAKE_SIGNAL;
		spin_lock(&family_lock);
		struct waiter **pp = &waiters;
		while (*pp != &w)
			pp = &(*pp)->next;
		*pp = w.next;
		spin_unlock(&family_lock);
	}
}
