/* vproc.c - virtual processes: ids, lookup and the end of a program. */
#include "proc/vproc.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "fs/fdtable.h"

#include "core/bigdata.h"
#include "core/hostcred.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "proc/seccomp.h"
#include "proc/semundo.h"
#include "sched/vcpu.h"
#include "fs/vfile.h"
#include "mm/regions.h"
#include "mm/uaccess.h"
#include "proc/instance.h"
#include "proc/pidspace.h"
#include "proc/posix_locks.h"
#include "proc/wait.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "proc/timers.h"
#include "proc/tracelog.h"
#include "loader/exec.h"

#define MAX_VPROCS 4096

/* Slots of reaped programs are NULL until a new program takes them; readers
 * take no lock (signal handlers read it), writers take table_lock. */
static struct vproc *vprocs[MAX_VPROCS] PG_BIG;
FORK_HOT static int nvprocs;
FORK_HOT static spinlock_t table_lock;

/* The umask programs start with: pegasus's own at start-up. The host
 * process's umask is then 0, and each program's is applied by the runtime
 * to the files it creates (A_CMODE arguments). */
static unsigned default_umask = 022;

/* table_add - the lowest free slot: 0 or -EAGAIN (the table is full). */
static int table_add(struct vproc *p)
{
	spin_lock(&table_lock);
	int i = 0;
	while (i < nvprocs && vprocs[i])
		i++;
	if (i == MAX_VPROCS) {
		spin_unlock(&table_lock);
		return -EAGAIN;
	}
	__atomic_store_n(&vprocs[i], p, __ATOMIC_RELEASE);
	if (i == nvprocs)
		__atomic_store_n(&nvprocs, i + 1, __ATOMIC_RELEASE);
	spin_unlock(&table_lock);
	return 0;
}

/* The host's limits as pegasus found them, before it raised its own
 * RLIMIT_NOFILE (vproc_init_host), and its no_new_privs: a program starts
 * with those (read once: a fork makes two vprocs, which would cost 33
 * calls). */
static struct rlimit host_rlim[RLIM_NLIMITS];
static bool host_nnp;
static struct thread_sched host_sched;
static struct prog_attrs host_attrs;
static bool have_host_state;

static void read_host_state(void)
{
	if (__atomic_load_n(&have_host_state, __ATOMIC_ACQUIRE))
		return;
	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &host_rlim[r]);
	host_nnp = raw_syscall6(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0, 0) == 1;
	/* What pegasus was started with (`nice -n 5 pegasus run`): every
	 * program starts so. */
	long prio = raw_syscall3(SYS_getpriority, PRIO_PROCESS, 0, 0);
	long io = raw_syscall3(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0, 0);
	long pol = raw_syscall3(SYS_sched_getscheduler, 0, 0, 0);
	struct sched_param sp = { 0 };
	raw_syscall3(SYS_sched_getparam, 0, (long)&sp, 0);
	long pers = raw_syscall3(SYS_personality, 0xffffffff, 0, 0);
	long slack = raw_syscall6(SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0, 0);
	host_sched = (struct thread_sched){
		.nice = prio > 0 ? 20 - (int)prio : 0,
		.ioprio = io > 0 ? (int)io : 0,
		.policy = pol > 0 ? (int)(pol & ~SCHED_RESET_ON_FORK) : SCHED_OTHER,
		.rt_prio = sp.sched_priority,
		.reset_on_fork = pol > 0 && (pol & SCHED_RESET_ON_FORK),
		.timerslack = slack > 0 ? (uint64_t)slack : 50000,
		.default_slack = slack > 0 ? (uint64_t)slack : 50000,
	};
	host_attrs = (struct prog_attrs){
		.personality = pers > 0 ? (unsigned)pers : 0,
		.dumpable = 1,
		.thp_disable = raw_syscall6(SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0, 0) == 1,
	};
	__atomic_store_n(&have_host_state, true, __ATOMIC_RELEASE);
}

struct thread_sched vproc_thread_sched(void)
{
	read_host_state();
	return host_sched;
}

void vproc_sched_forked(struct thread_sched *s)
{
	/* A child's timer slack starts at its parent's (Linux: its
	 * default_timer_slack_ns is the parent's timer_slack_ns). */
	s->default_slack = s->timerslack;
	if (!s->reset_on_fork)
		return;
	if (s->policy == SCHED_FIFO || s->policy == SCHED_RR) {
		s->policy = SCHED_OTHER;
		s->rt_prio = 0;
		s->nice = 0;
	} else if (s->nice < 0) {
		s->nice = 0;
	}
	s->reset_on_fork = false;
}

struct vproc *vproc_new(const char *name, int pid)
{
	struct vproc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (!pid && (pid = pidspace_alloc()) < 0) {
		free(p);
		return NULL;
	}
	if (table_add(p) < 0) {
		free(p);
		return NULL;
	}
	FORK_HOT static uint64_t serials;
	p->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	p->pid = pid;
	p->root = p;
	p->parent_signal = SIGCHLD;
	p->ppid = 1;
	p->pgid = p->pid;
	p->sid = p->pid;
	p->name = name;
	read_host_state();
	memcpy(p->rlim, host_rlim, sizeof(host_rlim));
	p->umask = default_umask;
	p->cwd_fd = -1;
	p->cred = hostcred_initial(); /* pegasus's own, until it changes them */
	p->no_new_privs = host_nnp;
	p->attrs = host_attrs;
	long lim = p->rlim[RLIMIT_NOFILE].rlim_cur;
	p->fdt = fdt_new(lim > FDT_PAGE * FDT_PAGES ? FDT_PAGE * FDT_PAGES : lim);
	if (vproc_hooks.created)
		vproc_hooks.created(p);
	return p;
}

struct vproc_hooks vproc_hooks;

/* Reaped programs wait here before being freed: a lookup that found one
 * just before its reap is long done when REAP_DELAY more have been reaped. */
#define REAP_DELAY 64
FORK_HOT static struct vproc *reaped[REAP_DELAY];
FORK_HOT static unsigned nreaped;

void vproc_unlist(struct vproc *p)
{
	spin_lock(&table_lock);
	for (int i = 0; i < nvprocs; i++)
		if (vprocs[i] == p)
			__atomic_store_n(&vprocs[i], NULL, __ATOMIC_RELEASE);
	spin_unlock(&table_lock);
	pidspace_unpublish(p->pid);
}

void vproc_release(struct vproc *p)
{
	vproc_unlist(p);
	spin_lock(&table_lock);
	struct vproc *old = reaped[nreaped % REAP_DELAY];
	reaped[nreaped++ % REAP_DELAY] = p;
	spin_unlock(&table_lock);
	/* Reaped: its pid may be given out again (any host process of the
	 * instance may do so; the lookups that raced see it gone first). */
	pidspace_free(p->pid);
	if (p->cwd_fd >= 0)
		close(p->cwd_fd);
	p->cwd_fd = -1;
	if (!old)
		return;
	fdt_free(old->fdt);
	free(old->cwd);
	free(old->exe);
	free(old->stats);
	free(old);
}

struct vproc *vproc_by_id(int id)
{
	struct vproc *p = vproc_by_pid(id);
	struct uthread *t = p ? NULL : uthread_by_tid(id);
	return p ? p : t ? t->proc : NULL;
}

bool vproc_is_zombie(const struct vproc *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_DEAD &&
	       __atomic_load_n(&p->zombie, __ATOMIC_ACQUIRE);
}

struct vproc *vproc_by_pid(int pid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && p->pid == pid)
			return p;
	}
	return NULL;
}

void vproc_init_host(void)
{
	default_umask = umask(0);
	read_host_state();
	/* All programs share the host process's fd space: give it all (the
	 * programs keep the soft limit they came with). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int vproc_set_stdio(struct vproc *p, const int host[3])
{
	for (int i = 0; i < 3; i++) {
		if (host[i] < 0)
			continue;
		int h = fcntl(host[i], F_DUPFD, 3);
		if (h < 0)
			return -errno;
		fdt_install_at(p->fdt, i, h, NULL, 0);
	}
	return 0;
}

int vproc_count(void)
{
	return __atomic_load_n(&nvprocs, __ATOMIC_ACQUIRE);
}

struct vproc *vproc_at(int i)
{
	return __atomic_load_n(&vprocs[i], __ATOMIC_ACQUIRE);
}

struct vproc *vproc_outside_target(void)
{
	/* The program whose pid this process's is (a forked child's, one
	 * that went to a host process of its own to exec), if it runs here. */
	struct vproc *p = vproc_by_pid((int)raw_syscall3(SYS_getpid, 0, 0, 0));
	if (p && !p->host_pid)
		return p;
	p = vproc_count() ? vproc_at(0) : NULL;
	for (int i = 1; !p && i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q && q->root == q && !q->host_pid && __atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != VP_DEAD)
			p = q;
	}
	return p;
}

int vproc_alloc_id(void)
{
	return pidspace_alloc();
}

struct uthread *uthread_by_tid(int tid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!p)
			continue;
		spin_lock(&p->lock);
		struct uthread *t = p->threads;
		while (t && t->tid != tid)
			t = t->proc_next;
		spin_unlock(&p->lock);
		if (t)
			return t;
	}
	return NULL;
}

struct uthread *uthread_by_tid_nolock(int tid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		for (struct uthread *t = p ? p->threads : NULL; t; t = t->proc_next)
			if (t->tid == tid)
				return t;
	}
	return NULL;
}

void vproc_add_thread(struct vproc *p, struct uthread *t, const struct uthread *creator)
{
	t->cpu_ns = t->cpu_start = t->ran_tsc = 0; /* a reused uthread starts again */
	t->credp = &p->cred;
	spin_lock(&p->lock);
	/* Its creator's seccomp filters, taken as it joins: a TSYNC (under
	 * this lock) either sees it or came before. */
	if (creator)
		seccomp_inherit(t, creator);
	t->cpu_acct = p->cpu_acct;
	t->proc_next = p->threads;
	p->threads = t;
	p->nthreads++;
	spin_unlock(&p->lock);
}

int vproc_remove_thread(struct vproc *p, struct uthread *t)
{
	spin_lock(&p->lock);
	struct uthread **pp = &p->threads;
	while (*pp && *pp != t)
		pp = &(*pp)->proc_next;
	if (*pp)
		*pp = t->proc_next;
	/* The "main" thread stands for the process (ids, /proc, default
	 * masks): once it is gone, any thread left does. */
	if (p->main_thread == t)
		__atomic_store_n(&p->main_thread, p->threads, __ATOMIC_RELEASE);
	int left = --p->nthreads;
	p->ran_ns += sched_ran_ns(t);
	spin_unlock(&p->lock);
	/* A thread's id is free at its end; the leader's is the program's,
	 * free when the program is reaped. */
	if (t->tid != p->pid)
		pidspace_free(t->tid);
	seccomp_drop(t);
	return left;
}

static void kick_thread(struct uthread *t)
{
	if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == UT_BLOCKED)
		uthread_wake(t, WAKE_SIGNAL);
	else
		sched_kick_running(t);
}

void vproc_terminate(struct vproc *p, int sig, int code)
{
	if (p->host_pid) {
		/* A forked child ends in its own process; its end comes back. */
		if (p->host_pid > 0)
			kill(p->host_pid, sig ? sig : SIGKILL);
		return;
	}
	spin_lock(&p->lock);
	int expect = VP_LIVE;
	if (!__atomic_compare_exchange_n(&p->state, &expect, VP_EXITING, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED)) {
		spin_unlock(&p->lock);
		return;
	}
	p->exit_signal = sig;
	p->exit_code = sig ? 128 + sig : code & 0xff;
	for (struct uthread *t = p->threads; t; t = t->proc_next) {
		__atomic_store_n(&t->exiting, true, __ATOMIC_RELEASE);
		if (t != uthread_self_or_null())
			kick_thread(t);
	}
	spin_unlock(&p->lock);
	struct uthread *self = uthread_self_or_null();
	if (trace_on && self && self->proc == p) {
		if (sig)
			trace_event(self, "+++ killed by SIG%s +++", sigabbrev_np(sig));
		else
			trace_event(self, "+++ exited with %d +++", code & 0xff);
	}
}

bool vproc_end_others(struct uthread *ut)
{
	struct vproc *p = ut->proc;
	spin_lock(&p->lock);
	bool alone = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_LIVE;
	for (struct uthread *t = p->threads; alone && t; t = t->proc_next) {
		if (t == ut)
			continue;
		__atomic_store_n(&t->exiting, true, __ATOMIC_RELEASE);
		kick_thread(t);
	}
	spin_unlock(&p->lock);
	return alone;
}

void vproc_take_leader_id(struct uthread *ut)
{
	struct vproc *p = ut->proc;
	if (ut->tid == p->pid)
		return;
	spin_lock(&p->lock);
	int old = ut->tid;
	ut->tid = p->pid;
	p->main_thread = ut;
	spin_unlock(&p->lock);
	pidspace_free(old);
}

void vproc_close_fds(struct vproc *p)
{
	if (p->ctty_host1)
		close(p->ctty_host1 - 1);
	p->ctty_host1 = 0;
	int max = fdt_max(p->fdt);
	for (int v = 0; v <= max; v++) {
		int h = fdt_remove(p->fdt, v);
		if (h >= 0)
			close(h);
	}
}

/* vproc_finish - the program is over: its fds and memory go, the instance
 * hears of it. */
static void vproc_finish(struct vproc *p)
{
	/* A forked child's process ends with p: its exit frees all that at
	 * once, where unmapping region by region cost each fork ~10%. */
	semundo_exit(p); /* the kernel has none of them to apply */
	if (!instance_ends_with(p)) {
		posix_locks_release(p);
		vproc_close_fds(p);
		timers_release_all(p, false);
		regions_release(p);
	}
	if (!p->host_pid && !p->stand_in_host) { /* a stand-in's is its process's (sys_exec.c) */
		/* Its peak memory is at most its host process's. */
		struct rusage host;
		uint64_t ns = p->ran_ns + p->children_ns;
		p->host_usage.ru_utime = (struct timeval){ (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull / 1000) };
		if (!raw_syscall3(SYS_getrusage, RUSAGE_SELF, (long)&host, 0))
			p->host_usage.ru_maxrss = host.ru_maxrss;
	}
	if (vproc_hooks.ended)
		vproc_hooks.ended(p);
	instance_program_finishing();
	__atomic_store_n(&p->state, VP_DEAD, __ATOMIC_RELEASE);
	/* Before the instance hears of it: a forked child's process ends
	 * there, and its children's parent-death signals must go first. */
	wait_orphans(p);
	instance_program_ended(p);
	/* Last: once its parent hears of it, p may be reaped and freed. */
	wait_program_ended(p);
}

void vproc_thread_exit(struct uthread *ut, int code)
{
	struct vproc *p = ut->proc;
	/* Each thread's (unless its exit or exec walked it), its program's
	 * memory still there: another process sharing a robust mutex sees
	 * EOWNERDEAD (tdb's check of them). */
	futex_robust_exit(&ut->robust_list, ut->tid);
	if (vproc_remove_thread(p, ut) == 0) {
		vproc_terminate(p, 0, code); /* no-op if it was already ending */
		vproc_finish(p);
	}
	uthread_exit_current();
}

void vproc_host_ended(struct vproc *p, int sig, int code)
{
	p->exit_signal = sig;
	p->exit_code = sig ? 128 + sig : code & 0xff;
	__atomic_store_n(&p->state, VP_EXITING, __ATOMIC_RELEASE);
	vproc_finish(p);
}

/* drop - in a forked child, program q (not the forking one) is gone: its
 * host fds are closed. Its memory stays mapped: it costs nothing until
 * touched, where unmapping costs a call per region. */
static void drop(struct vproc *q, struct uthread *keep)
{
	if (q == keep->proc)
		return;
	/* Its objects' references go too: an object the kept program shares
	 * lives on, and one held only here closes its kernel fd (a pipe moved
	 * into the kernel for this fork would otherwise never see its end). */
	posix_locks_release(q); /* a copy would keep its locks alive */
	vproc_close_fds(q);
	if (q->cwd_fd >= 0)
		close(q->cwd_fd);
}

/* stop_threads - in a forked child, the threads of every program but keep
 * never run: first of all, before any file closes, since a close wakes
 * the peers' waiters (a socket's other end), which would run here. */
static void stop_threads(struct vproc *q, struct uthread *keep)
{
	for (struct uthread *t = q->threads; t; t = t->proc_next)
		if (t != keep)
			__atomic_store_n(&t->state, UT_EXITED, __ATOMIC_RELEASE);
}

/* put_held - in a forked child, once no thread but keep can run: the files
 * the others' calls held go, as those calls never return here. Else a file
 * closed here by every fd lived on (a listener another thread accepted on
 * kept its port bound while the child lived). */
static void put_held(struct vproc *q, struct uthread *keep)
{
	for (struct uthread *t = q->threads; t; t = t->proc_next) {
		if (t == keep)
			continue;
		vfile_put(t->held.file);
		if (t->held.set)
			t->held.put_set(t->held.set);
		t->held = (struct uthread_held){ 0 };
	}
}

/* The host's own argv strings, free to overwrite (main.c runs on copies):
 * where the first program's process shows that program's command line to
 * tools outside (ps, pidof, pgrep -f read /proc/PID/cmdline). A forked
 * child's process has them too. Cut to their length, padded with NULs. */
static char *host_args;
static size_t host_args_len;
static const struct vproc *host_args_of; /* whose they show now */

void vproc_host_args(char *area, size_t len)
{
	host_args = area;
	host_args_len = len;
}

static void show_host_args(const struct vproc *p)
{
	if (!host_args || host_args_len < 2 || p->arg_end <= p->arg_start)
		return;
	size_t n = p->arg_end - p->arg_start;
	if (n > host_args_len - 1)
		n = host_args_len - 1;
	if (copy_from_user(host_args, p->arg_start, n))
		n = 0;
	memset(host_args + n, 0, host_args_len - n);
	host_args_of = p;
}

void vproc_after_fork(struct vproc *p, struct uthread *ut, int pid, int ppid)
{
	for (int i = 0; i < nvprocs; i++)
		if (vprocs[i])
			stop_threads(vprocs[i], ut);
	for (int i = 0; i < nvprocs; i++)
		if (vprocs[i])
			put_held(vprocs[i], ut);
	for (int i = 0; i < nvprocs; i++) {
		if (vprocs[i])
			drop(vprocs[i], ut);
		vprocs[i] = NULL;
	}
	vprocs[0] = p;
	nvprocs = 1;
	table_lock.locked = 0;
	p->execd = false; /* a fork's child has not exec'd yet */
	p->start_ticks = 0; /* its host process started with it */
	p->lock.locked = 0;
	p->pid = pid;
	p->ppid = ppid;
	p->root = p;
	p->zombie = false;
	p->orphaned = false;
	p->end_termed = false;
	p->vfork = NULL;
	p->threads = ut;
	ut->proc_next = NULL;
	p->nthreads = 1;
	p->main_thread = ut;
	ut->tid = pid;
	/* Pending signals are not inherited (fork(2)). */
	p->sigpending = p->sigclaimed = 0;
	ut->sigpending = ut->sigclaimed = 0;
	memset(p->rtq.used, 0, sizeof(p->rtq.used));
	/* The host process is p's now: tools outside read p's command line
	 * there, not that of the program that started the instance (p may be
	 * one that a program of the parent's process spawned). Not written
	 * again if shown already: that page would be copied for nothing. */
	if (host_args_of != p)
		show_host_args(p);
	if (vproc_hooks.forked)
		vproc_hooks.forked(p);
}

void vproc_exit(struct vproc *p, int code)
{
	vproc_terminate(p, 0, code);
	vproc_thread_exit(uthread_self(), code);
}

void vproc_kill(struct vproc *p, int sig)
{
	vproc_terminate(p, sig, 0);
	vproc_thread_exit(uthread_self(), 0);
}

void vproc_die_of_signal(int sig)
{
	/* Die of the same signal so the shell reports it in its own words
	 * ("Segmentation fault") and with its own status (128+N). */
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigaction(sig, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
	/* Not reached unless the signal is one the host ignores here. */
	_exit(128 + sig);
}

/* parent_host - the host process of p's parent if that runs elsewhere:
 * only a forked program's own parent is a stand-in here with a host pid,
 * its process's parent. 0: the parent runs here (wait.c sets ppid when it
 * ends) or is not known here. */
static int parent_host(struct vproc *p)
{
	struct vproc *pp = pidspace_forked() ? vproc_by_pid(p->ppid) : NULL;
	return pp ? __atomic_load_n(&pp->host_pid, __ATOMIC_ACQUIRE) : 0;
}

/* take_adoption - p's parent, in host process host, ended there, and that
 * process gave p to the instance's first program in p's record (wait.c):
 * p's parent now. True if so. */
static bool take_adoption(struct vproc *p, int host)
{
	struct prog_info pi;
	if (host <= 0 || !pidspace_lookup(p->pid, &pi) || pi.host_pid != getpid() || pi.ppid == p->ppid)
		return false;
	__atomic_store_n(&p->ppid, pi.ppid, __ATOMIC_RELAXED);
	return true;
}

/* publish - vproc_publish; group_is_new: p's own process or its parent's
 * just moved it (setpgid, setsid). */
static void publish(struct vproc *p, bool group_is_new)
{
	/* The group alone, stored whole: a shell's setpgid of its job and the
	 * job's own, racing from two processes, each leave the record right
	 * (a copy of the record written back undid the other's: bash's
	 * `kill -STOP %1` found no such group). */
	if (group_is_new)
		pidspace_set_group(p->pid, p->pgid, p->sid);
	if (p->host_pid)
		return; /* a forked child: its own process tells the rest */
	struct prog_info pi = { p->pid, p->ppid, p->pgid, p->sid, getpid(), { 0 }, p->arg_start,
				p->arg_end, p->cwd_fd, { 0 } };
	memcpy(pi.comm, p->comm, sizeof(pi.comm));
	prog_info_set_exe(&pi, p->exe);
	pi.pdeathsig = p->pdeathsig;
	pi.subreaper = p->child_subreaper;
	pi.stood_in_at = p->forked_for_exec;
	pi.stopsig = p->host_stopsig;
	pi.execd = p->execd;
	pi.start_ticks = p->start_ticks;
	pi.vproc_addr = (uint64_t)(uintptr_t)p;
	pi.env_start = p->env_start;
	pi.env_end = p->env_end;
	prog_info_set_ids(&pi, __atomic_load_n(&p->cred, __ATOMIC_ACQUIRE));
	pidspace_publish(&pi);
}

void vproc_publish(struct vproc *p)
{
	publish(p, false);
}

void vproc_publish_group(struct vproc *p)
{
	publish(p, true);
}

int vproc_host_of(int pid)
{
	if (pid == 0)
		return 0;
	struct vproc *p = vproc_by_pid(pid);
	if (p && p->stand_in_host)
		return p->stand_in_host;
	if (p && p->host_pid > 0)
		return p->host_pid;
	if (p || uthread_by_tid(pid))
		return 0;
	struct prog_info pi;
	if (pidspace_forked() && pidspace_lookup(pid, &pi) && pi.host_pid != getpid())
		return pi.host_pid;
	return -ESRCH;
}

void vproc_stand_in_back(struct vproc *p)
{
	struct prog_info pi;
	int host = __atomic_load_n(&p->stand_in_host, __ATOMIC_ACQUIRE);
	if (host <= 0 || !pidspace_lookup(p->pid, &pi) || pi.host_pid != host)
		return;
	__atomic_store_n(&p->pgid, pi.pgid, __ATOMIC_RELAXED);
	__atomic_store_n(&p->sid, pi.sid, __ATOMIC_RELAXED);
	pi.host_pid = getpid();
	pi.vproc_addr = (uint64_t)(uintptr_t)p;
	pidspace_publish(&pi);
}

void vproc_sync_ids(struct vproc *p)
{
	struct prog_info pi;
	if (!pidspace_forked() || !pidspace_lookup(p->pid, &pi))
		return;
	int stand_in = __atomic_load_n(&p->stand_in_host, __ATOMIC_ACQUIRE);
	if (pi.host_pid == (p->host_pid ? p->host_pid : getpid()) || (stand_in > 0 && pi.host_pid == stand_in)) {
		__atomic_store_n(&p->pgid, pi.pgid, __ATOMIC_RELAXED);
		__atomic_store_n(&p->sid, pi.sid, __ATOMIC_RELAXED);
		if (p->host_pid)
			__atomic_store_n(&p->execd, pi.execd != 0, __ATOMIC_RELAXED);
	}
}

void vproc_dispositions(const struct k_sigaction sa[64], uint64_t *ign, uint64_t *cgt)
{
	*ign = *cgt = 0;
	for (int s = 1; s <= 64; s++) {
		uint64_t h = sa[s - 1].handler;
		if (h == (uint64_t)SIG_IGN)
			*ign |= 1ull << (s - 1);
		else if (h != (uint64_t)SIG_DFL)
			*cgt |= 1ull << (s - 1);
	}
}

struct vproc *vproc_seen_as(struct vproc *p)
{
	struct vproc *parent = p->host_pid > 0 && p->ppid > 1 ? vproc_by_pid(p->ppid) : NULL;
	return parent && __atomic_load_n(&parent->stand_in_host, __ATOMIC_ACQUIRE) == p->host_pid ? parent : p;
}

int vproc_ppid(struct vproc *p)
{
	int host = parent_host(p), now;
	if (host > 0 && !take_adoption(p, host) && (now = (int)raw_syscall3(SYS_getppid, 0, 0, 0)) != host) {
		/* The parent's whole process is gone (the middle of a double
		 * fork): the host gave this one to its reaper, init or a
		 * subreaper, the program's parent now as on Linux: the one
		 * there that asked (fork.c adopt), not always its leader. */
		int asked = pidspace_subreaper_in(now);
		if (asked > 0)
			now = asked;
		__atomic_store_n(&p->ppid, now, __ATOMIC_RELAXED);
		pidspace_set_ppid(p->pid, now);
	}
	return p->ppid;
}

void vproc_take_image(struct vproc *p, struct exec_image *img)
{
	free(p->exe);
	p->exe = img->exe;
	img->exe = NULL;
	memcpy(p->comm, img->comm, sizeof(p->comm));
	p->stack_lo = img->stack_lo;
	p->stack_len = img->stack_len;
	p->arg_start = img->arg_start;
	p->arg_end = img->arg_end;
	p->env_start = img->env_start;
	p->env_end = img->env_end;
	p->dynamic = img->has_interp;
	p->execd = true;
	p->mlock_future = 0; /* a new mm's def_flags */
	p->attrs.dumpable = 1; /* begin_new_exec's SUID_DUMP_USER */
	vproc_publish(p);
	vproc_name_host(p, p->comm);
	if (p->pid == raw_syscall3(SYS_getpid, 0, 0, 0))
		show_host_args(p);
}

void vproc_name_host(struct vproc *p, const char *comm)
{
	/* The host process whose pid is p's (the first program's, a forked
	 * child's) is named as p: ps, pgrep, pidof and start-stop-daemon
	 * --name read its leader's name. /proc/self/comm is the leader's,
	 * written from any of its threads. */
	long self = raw_syscall3(SYS_getpid, 0, 0, 0);
	if (p->pid != self)
		return;
	/* On the leader itself (a forked child's one thread), its own name
	 * is the process's: no path walk in /proc. */
	if (raw_syscall3(SYS_gettid, 0, 0, 0) == self) {
		char name[16];
		strncpy(name, comm, 15);
		name[15] = 0;
		raw_syscall3(SYS_prctl, PR_SET_NAME, (long)name, 0);
		return;
	}
	long fd = raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/self/comm", O_WRONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return;
	raw_syscall3(SYS_write, fd, (long)comm, (long)strnlen(comm, 15));
	raw_syscall3(SYS_close, fd, 0, 0);
}

const char *uthread_name(const struct uthread *ut)
{
	return ut->comm[0] ? ut->comm : ut->proc->comm;
}

void uthread_rename(struct uthread *ut, const char *name)
{
	char n[16] = { 0 };
	strncpy(n, name, 15);
	memcpy(ut->comm, n, sizeof(n));
	if (ut->tid == ut->proc->pid) {
		memcpy(ut->proc->comm, n, sizeof(n));
		vproc_publish(ut->proc);
		vproc_name_host(ut->proc, n);
	}
}

bool vproc_sole_thread(const struct uthread *ut)
{
	int n = 0;
	for (int i = 0; i < vproc_count() && n < 2; i++) {
		struct vproc *q = vproc_at(i);
		n += q ? __atomic_load_n(&q->nthreads, __ATOMIC_RELAXED) : 0;
	}
	return n == 1 && ut->proc->nthreads == 1;
}

bool vproc_alone(const struct vproc *p)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q && q != p && !q->host_pid && __atomic_load_n(&q->threads, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}
