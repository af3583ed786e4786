/* instance.c - an instance: the fused programs of one pegasus process and their ends. */
#include "proc/instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/hthread.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "loader/exec.h"
#include "proc/output.h"
#include "proc/pidspace.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/sched.h"
#include "proc/tracelog.h"

/*
 * The monitor is a plain runtime thread (not a vCPU): it waits for
 * programs to end, applies the exit policy (SIGTERM to the others, each
 * left to its parent if that is left, then SIGKILL after the grace
 * period) and ends the host process with the deciding program's status,
 * or by the signal that killed it.
 */

FORK_HOT static struct instance_spec *spec;
FORK_HOT static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
FORK_HOT static pthread_cond_t cv; /* on CLOCK_MONOTONIC, set up in instance_run */
FORK_HOT static struct vproc *decider;  /* whose end gives pegasus its status */
/* Programs between their end (VP_DEAD, which nalive counts) and
 * instance_program_ended: the instance does not end under them, whose
 * report (a crash's "killed by SIGSEGV") would go unprinted. */
FORK_HOT static int finishing;
FORK_HOT static bool ending;            /* the exit policy has been triggered */
FORK_HOT static bool forked;            /* a forked child: every program descends from decider */
FORK_HOT static bool decider_ended;     /* the deciding program has ended */

static bool alive(struct vproc *p)
{
	return p && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != VP_DEAD;
}

/* detached - p runs in a host process of its own, forked from the family
 * of the instance's one command-line program, which has ended: natively a
 * background job or a daemon its shell left running (`sh -c 'server &'`,
 * gpg's agent), which outlives pegasus too. The instance neither waits
 * for it nor stops it (a reader of pegasus's stdout waited for it: `gpg
 * ... | grep` hung while the agent lived); a signal to the whole group
 * (Ctrl-C, `timeout`) reaches its host process from the kernel, one
 * that moved to a session of its own (setsid) is spared. Beside other
 * command-line programs a daemon's child is what they were fused with:
 * waited for. In a forked child's process, always: its parent's waitpid
 * waited for a forked grandchild (`pg_ctl start` never returned). */
static bool detached(struct vproc *p)
{
	return p->host_pid && p->root == decider && (forked || (decider_ended && spec->nprogs == 1));
}

/* counts - p is alive and the instance's to wait for and to stop. */
static bool counts(struct vproc *p)
{
	return alive(p) && !detached(p);
}

static int nalive(void)
{
	int n = 0;
	for (int i = 0; i < vproc_count(); i++)
		n += counts(vproc_at(i));
	return n;
}

/* A command-line program lives on in the programs it spawned here: a
 * daemon's parent exits at once, and its child is what the user ran (one
 * it forked into a process of its own lives on by itself: detached). */
static bool family_alive(struct vproc *root)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (counts(p) && p->root == root)
			return true;
	}
	return false;
}

static void report(struct vproc *p)
{
	/* Alone, a program's end is pegasus's own: the shell reports it. A
	 * spawned program's end is its parent's to report. */
	if (spec->nprogs == 1 || p->root != p)
		return;
	if (p->exit_signal)
		fprintf(stderr, "pegasus: [%s] killed by SIG%s%s\n", p->name, sigabbrev_np(p->exit_signal),
			p == decider || ending || nalive() - counts(p) == 0 ? "" : "; the other programs go on");
	else if (p->exit_code)
		fprintf(stderr, "pegasus: [%s] exited with code %d\n", p->name, p->exit_code);
}

static _Noreturn void die_like(struct vproc *p);

bool instance_ends_with(struct vproc *p)
{
	if (!forked || p != decider)
		return false;
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q != p && alive(q) && q->root == decider)
			return false;
	}
	return true;
}

static uint64_t outside_sigs; /* the signals sent to the instance from outside */
static bool roots_stopped;    /* every command-line program was sent a stop from outside */

void instance_outside_signal(int sig, bool to_all_roots)
{
	if (sig > 0 && sig <= 64)
		__atomic_or_fetch(&outside_sigs, 1ull << (sig - 1), __ATOMIC_RELAXED);
	if (to_all_roots)
		__atomic_store_n(&roots_stopped, true, __ATOMIC_RELAXED);
}

/* stopped_from_outside - did a signal from outside end the first program
 * (killed by one, or TERM, INT or QUIT came: not HUP, which servers take
 * as "reload")? */
static bool stopped_from_outside(int died_of)
{
	uint64_t got = __atomic_load_n(&outside_sigs, __ATOMIC_RELAXED);
	uint64_t stops = 1ull << (SIGTERM - 1) | 1ull << (SIGINT - 1) | 1ull << (SIGQUIT - 1);
	return (died_of && (got >> (died_of - 1) & 1)) || (got & stops);
}

void instance_program_finishing(void)
{
	__atomic_add_fetch(&finishing, 1, __ATOMIC_ACQ_REL);
}

void instance_program_ended(struct vproc *p)
{
	pthread_mutex_lock(&mu);
	report(p);
	__atomic_sub_fetch(&finishing, 1, __ATOMIC_ACQ_REL);
	/* --exit=all: a stop signal from outside (kill, `timeout`, Ctrl-C)
	 * was meant for the instance, which stops once the first program has
	 * ended after it (killed, or by its handler): the monitor's SIGTERM
	 * for those that had none and, past the grace time, SIGKILL. */
	if (spec->exit_policy == EXIT_ALL && p == decider && stopped_from_outside(p->exit_signal))
		ending = true;
	/* --exit=first|NAME: when the deciding program and all it spawned are
	 * over; or at once when a signal killed it: it was stopped (a kill
	 * from outside, Ctrl-C, `timeout`), not done, and what it spawned goes
	 * too (a daemon's parent exits, it is not killed). Not in a forked
	 * child's process: there the program is one process of its parent's
	 * family, and what it spawned lives on as orphans, as Linux's do (its
	 * parent heard of its end already: fork_tell_ended). */
	if (p == decider)
		decider_ended = true;
	if (spec->exit_policy != EXIT_ALL && p->root == decider &&
	    (!family_alive(decider) || (p == decider && p->exit_signal && !forked)))
		ending = true;
	/* The monitor waits for the end or for the last program: a wake-up
	 * of its thread at every exit would cost each short child a futex
	 * wake and, with that thread running, a TLB shootdown per munmap. */
	if (ending || (nalive() == 0 && !__atomic_load_n(&finishing, __ATOMIC_ACQUIRE)))
		pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	/* In a forked child nothing is left to stop then: no monitor needed. */
	if (forked && ending)
		die_like(decider);
}

/* die_like - end the host process as the deciding program ended. */
static _Noreturn void die_like(struct vproc *p)
{
	output_flush();
	if (p->exit_signal)
		vproc_die_of_signal(p->exit_signal);
	_exit(p->exit_code & 0xff);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void kill_all_alive(void)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (counts(p))
			vproc_terminate(p, SIGKILL, 0);
	}
}

/*
 * term_tops - the closing SIGTERM, to each program left whose parent is
 * not one left (a command-line program, a daemon whose parent exited, an
 * orphan), once: as a user stops a server by its pid, its children are
 * its own to stop. Sent to all at once, squid's and kamailio's helpers
 * died before their parents asked them ("helpers are crashing too
 * rapidly", exit 1). Called again as programs end: a child whose parent
 * ended without stopping it gets its own.
 */
static void term_tops(void)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!counts(p) || p->end_termed)
			continue;
		struct vproc *parent = p->root == p || p->orphaned ? NULL : vproc_by_pid(p->ppid);
		if (parent && counts(parent))
			continue;
		p->end_termed = true;
		/* A command-line program that took a stop from outside is
		 * stopping: a second SIGTERM would run its handler again. */
		if (p->root == p && __atomic_load_n(&roots_stopped, __ATOMIC_RELAXED))
			continue;
		siginfo_t si = { .si_signo = SIGTERM, .si_code = SI_KERNEL };
		signal_queue(p, NULL, &si);
		signal_notify(p, NULL);
	}
}

static void *monitor(void *arg)
{
	pthread_mutex_lock(&mu);
	while (!ending && (nalive() > 0 || __atomic_load_n(&finishing, __ATOMIC_ACQUIRE)))
		pthread_cond_wait(&cv, &mu);
	/* The policy fired (or everyone is gone): ask the rest to stop. */
	if (nalive() > 0) {
		term_tops();
		struct timespec dl;
		deadline_in(&dl, spec->grace_ms);
		while (nalive() > 0 && pthread_cond_timedwait(&cv, &mu, &dl) != ETIMEDOUT)
			term_tops();
		if (nalive() > 0) {
			kill_all_alive();
			while (nalive() > 0)
				pthread_cond_wait(&cv, &mu);
		}
	}
	while (__atomic_load_n(&finishing, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	die_like(decider);
}

static void init_sync(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&mu, NULL);
	pthread_cond_init(&cv, &ca);
}

void instance_after_fork(struct vproc *p)
{
	/* The child process is p's: it ends with p and what p spawns, as p
	 * ended, and reports nothing (p's end is its parent's to report).
	 * Every program here descends from p, so when they are over nothing
	 * is left to stop: the last one ends the process itself, and no
	 * monitor thread is started (a thread per fork). */
	init_sync();
	decider = p;
	ending = false;
	forked = true;
	finishing = 0; /* the parent's programs that were ending are not here */
	spec->exit_policy = EXIT_FIRST;
	spec->nprogs = 1;
	output_after_fork();
}

/*
 * Fds above stderr that pegasus was started with (a shell's `exec 5<f`, a
 * `3>log` wrapper, make's jobserver, systemd's LISTEN_FDS): each
 * command-line program has them at the same numbers, as a child of the
 * shell would. Noted before the runtime opens anything of its own; the
 * host's copies close once every program holds its own.
 */
#define INHERIT_MAX 256
static int inherited[INHERIT_MAX], ninherited;

/* Stdio slots pegasus was started with closed (`<&-`): they hold
 * /dev/null, so that no runtime file lands there (its /proc/self/mem was
 * a program's stdin), and the programs get them closed, as natively. */
static bool stdio_closed[3];
#define STDIO_CLOSED (-2)

void instance_note_inherited_fds(void)
{
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0 && errno == EBADF)
			stdio_closed[i] = open("/dev/null", O_RDWR) == i;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && ninherited < INHERIT_MAX) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (!*end && end != e->d_name && fd > 2 && fd != dirfd(d))
			inherited[ninherited++] = (int)fd;
	}
	closedir(d);
	for (int i = 0; i < ninherited; i++)
		fcntl(inherited[i], F_SETFD, FD_CLOEXEC);
}

static int give_inherited(struct vproc *p)
{
	for (int i = 0; i < ninherited; i++) {
		int h = fcntl(inherited[i], F_DUPFD, 3); /* its FD_CLOEXEC is the entry's */
		int old = h < 0 ? -EBADF : fdt_inherit_at(p->fdt, inherited[i], h, NULL, 0);
		if (old == -EBADF || old == -EMFILE) {
			if (h >= 0)
				close(h);
			return -1;
		}
	}
	return 0;
}

/* open_stdio - the host fd a program gets for stdio slot i (STDIO_CLOSED:
 * none, vproc_set_stdio leaves it closed). */
static int open_stdio(const struct prog_spec *ps, int i)
{
	const char *s = ps->stdio[i];
	if ((!s && !(spec->prefix && i > 0)) || (s && !strcmp(s, "inherit")))
		return stdio_closed[i] ? STDIO_CLOSED : i;
	if (!s)
		return output_pipe(ps->name, i);
	if (!strcmp(s, "null"))
		return open("/dev/null", i ? O_WRONLY : O_RDONLY | O_CLOEXEC);
	return i ? open(s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666)
		 : open(s, O_RDONLY | O_CLOEXEC);
}

/* The signal mask and ignored signals pegasus was started with, which an
 * exec'd program inherits (`nohup`: SIGHUP ignored). */
static uint64_t host_blocked, host_ignored;

void instance_note_host_signals(void)
{
	/* The kernel's own calls: glibc's refuse or hide 32 and 33, its
	 * internal signals, which a parent may leave ignored too. */
	uint64_t old = 0;
	raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, 0, (long)&old, 8, 0, 0);
	for (int sig = 1; sig < 65; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		struct k_sigaction ka;
		if (old & SIGBIT(sig))
			host_blocked |= SIGBIT(sig);
		if (raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&ka, 8, 0, 0) == 0 &&
		    ka.handler == (uint64_t)SIG_IGN)
			host_ignored |= SIGBIT(sig);
	}
}

static void inherit_signals(struct uthread *ut)
{
	/* The runtime itself runs with nothing blocked. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	ut->sigmask = host_blocked;
	for (int sig = 1; sig < 65; sig++)
		if (host_ignored & SIGBIT(sig))
			ut->proc->sigaction[sig - 1].handler = (uint64_t)SIG_IGN;
}

/* load_one - a program's private state and image; 0, or a status. The
 * instance's first program has the host pid of pegasus as its virtual pid:
 * the pid it writes to a pid file is one that tools outside can kill, and
 * a signal sent to pegasus is for that program (entry/host_signals.c). */
static int load_one(const struct prog_spec *ps, bool first, struct uthread **out)
{
	int pid = first && pidspace_claim(getpid()) ? getpid() : 0;
	/* Its parent, group and session are pegasus's: a command a shell
	 * started has the shell as its parent, and the shell's group (or its
	 * job's, which pegasus then leads) and session: setsid works where it
	 * would natively, not where pegasus made every program a leader. The
	 * numbers are kept out of the instance's pid space. */
	static int host_ppid, host_pgid, host_sid;
	if (first) {
		host_ppid = getppid();
		host_pgid = (int)raw_syscall3(SYS_getpgid, 0, 0, 0);
		host_sid = (int)raw_syscall3(SYS_getsid, 0, 0, 0);
		int ids[3] = { host_ppid, host_pgid, host_sid };
		for (int i = 0; i < 3; i++)
			if (ids[i] > 0 && ids[i] != getpid())
				pidspace_keep_outside(ids[i]);
	}
	struct vproc *p = vproc_new(ps->name, pid);
	if (!p)
		pg_die("out of memory");
	/* 0 is a real answer: the parent, group or session is outside the
	 * pid namespace pegasus runs in (a container's, CI's), and the
	 * program sees 0 there as natively; it is not a leader for it. */
	p->ppid = host_ppid;
	if (host_pgid >= 0 && host_sid >= 0) {
		p->pgid = host_pgid;
		p->sid = host_sid;
	}
	int fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = open_stdio(ps, i);
		if (fds[i] < 0 && fds[i] != STDIO_CLOSED) {
			fprintf(stderr, "pegasus: [%s] cannot open %s: %s\n", ps->name, ps->stdio[i],
				strerror(errno));
			return 2;
		}
	}
	if (vproc_set_stdio(p, fds) < 0 || give_inherited(p) < 0)
		pg_die("cannot set up the fds of %s", ps->name);
	for (int i = 0; i < 3; i++)
		if (fds[i] > 2)
			close(fds[i]);
	long r = vproc_chdir(p, AT_FDCWD, ps->cwd ? ps->cwd : ".");
	if (r < 0) {
		fprintf(stderr, "pegasus: [%s] cannot use directory %s: %s\n", ps->name,
			ps->cwd ? ps->cwd : ".", strerror(-r));
		return 2;
	}
	struct exec_image img = { .stack_limit = p->rlim[RLIMIT_STACK].rlim_cur };
	char why[PATH_MAX + 256];
	/* The program's relative path and PATH lookup, from its own cwd. */
	int err = exec_load(p, &p->brk, ps->argv[0], NULL, ps->argv, ps->env, true, &img, why, sizeof(why));
	if (err == -EEXIST && img.clash) {
		/* A non-PIE image whose addresses another program holds: it
		 * starts with an execve of itself, which takes it to a host
		 * process of its own (sys_exec.c, exec_elsewhere). */
		pg_info("[%s] %s; it runs in a host process of its own", ps->name, why);
		img = (struct exec_image){ 0 };
		err = exec_stub(p, ps->name, ps->argv[0], ps->argv, ps->env, true, &img, why, sizeof(why));
	}
	if (err) {
		fprintf(stderr, "pegasus: %s%s%s%s\n", vproc_count() > 1 ? "[" : "",
			vproc_count() > 1 ? ps->name : "", vproc_count() > 1 ? "] " : "", why);
		return exec_status(err);
	}
	vproc_take_image(p, &img);
	struct uthread *ut = uthread_new(p, p->pid);
	ut->sched = vproc_thread_sched();
	p->main_thread = ut;
	vproc_add_thread(p, ut, NULL);
	ut->tf.rip = img.entry;
	ut->tf.rsp = img.sp;
	inherit_signals(ut);
	*out = ut;
	return 0;
}

int instance_run(struct instance_spec *s)
{
	spec = s;
	struct uthread *first[s->nprogs];
	for (int i = 0; i < s->nprogs; i++) {
		int st = load_one(&s->progs[i], i == 0, &first[i]);
		if (st)
			return st;
	}
	for (int i = 0; i < ninherited; i++)
		close(inherited[i]);
	decider = vproc_at(0);
	if (s->exit_policy == EXIT_NAMED) {
		for (int i = 0; i < vproc_count(); i++)
			if (!strcmp(vproc_at(i)->name, s->exit_name))
				decider = vproc_at(i);
	}
	init_sync();
	/* Host signals go to vCPUs. */
	if (hthread_start(NULL, 0, 1, 0, monitor, NULL))
		pg_die("cannot start the instance monitor");
	sched_start_many(first, s->nprogs);
}
