/* cputime.c - CPU-time clocks whose ids name a program or one of its threads. */
#include "proc/cputime.h"

#include <errno.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "fs/fdtable.h"
#include "proc/pidspace.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/sched.h"
#include "sched/vcpu.h"

/*
 * glibc makes these ids from virtual pids and tids, as the kernel encodes
 * them (posix-cpu-timers.c): ~id << 3, then bit 2 for a thread, and the
 * low two bits for the kind (PROF, VIRT, SCHED; 3 is an fd clock).
 *
 * A program's process CPU time is the host process's (every program of
 * the instance that runs in it): the kernel counts per kernel thread, and
 * vCPU threads run any program. A thread's CPU time is its uthread's,
 * counted by the scheduler around each switch (its vCPU thread's time
 * before and after): two kernel calls a switch, so counting starts for a
 * program at the first CPU-time clock it uses. What each thread ran
 * before is the scheduler's estimate (TSC cycles while switched in,
 * sched_ran_ns), kept within the host process's CPU time: python's
 * thread_time() after a second of work in a program with a second
 * thread read 0.
 */
#define CLK_ID(c) (~((c) >> 3))
#define CLK_THREAD 4
#define CLK_KIND(c) ((c) & 3)
#define CLK_FD 3
#define MAKE_CLK(id, flags) ((clockid_t)((unsigned)~(id) << 3) | (flags))

/* count - from now on, p's threads' CPU time is counted; the caller's (if
 * one of them) from this moment of its current slice. */
static void count_program(struct vproc *p, struct uthread *ut)
{
	if (__atomic_load_n(&p->cpu_acct, __ATOMIC_RELAXED))
		return;
	uint64_t host_ns = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID), sum = 0;
	spin_lock(&p->lock);
	for (struct uthread *t = p->threads; t; t = t->proc_next)
		sum += t->cpu_ns = sched_ran_ns(t);
	/* Each thread's time is set before it is counted: a vCPU adds to
	 * cpu_ns only from a switch in that saw cpu_acct. */
	for (struct uthread *t = p->threads; t; t = t->proc_next) {
		if (sum > host_ns)
			t->cpu_ns = (uint64_t)((unsigned __int128)t->cpu_ns * host_ns / sum);
		__atomic_store_n(&t->cpu_acct, true, __ATOMIC_RELEASE);
	}
	p->cpu_acct = true;
	spin_unlock(&p->lock);
	if (ut->proc != p)
		return;
	ut->cpu_start = thread_cpu_ns();
	/* A lone thread of the one program of its host process ran for all
	 * of the process's CPU time so far (the runtime's share included):
	 * closer than the estimate. */
	if (p->nthreads == 1 && vproc_alone(p))
		ut->cpu_ns = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static void count(struct uthread *ut)
{
	count_program(ut->proc, ut);
}

long cputime_clock(struct uthread *ut, clockid_t clk, clockid_t *kclk, struct uthread **thread)
{
	*thread = NULL;
	if (clk == CLOCK_THREAD_CPUTIME_ID) {
		count(ut);
		*thread = ut;
		*kclk = MAKE_CLK(0, CLK_THREAD | 2 /* SCHED */);
		return CPUCLOCK_UTHREAD;
	}
	*kclk = clk;
	if (clk >= 0)
		return CPUCLOCK_KERNEL;
	int id = CLK_ID(clk);
	if (CLK_KIND(clk) == CLK_FD) {
		/* A dynamic clock (PTP) opened as a file: the host fd's. */
		int h = id >= 0 ? fdt_host(ut->proc->fdt, id) : -1;
		if (h < 0 || (clk & CLK_THREAD))
			return -EINVAL;
		*kclk = MAKE_CLK(h, CLK_FD);
		return CPUCLOCK_KERNEL;
	}
	if (id < 0)
		return -EINVAL;
	if (clk & CLK_THREAD) {
		/* Linux: a thread of the caller's own process only. */
		struct uthread *t = id == 0 ? ut : uthread_by_tid(id);
		if (!t || t->proc != ut->proc)
			return -EINVAL;
		count(ut);
		*thread = t;
		*kclk = MAKE_CLK(0, CLK_THREAD | CLK_KIND(clk));
		return CPUCLOCK_UTHREAD;
	}
	struct vproc *p = id == 0 ? ut->proc : vproc_by_pid(id);
	struct prog_info pi;
	int host;
	if (p)
		host = p->host_pid > 0 ? p->host_pid : 0; /* a forked child: its process */
	else if (pidspace_forked() && pidspace_lookup(id, &pi))
		host = pi.host_pid == getpid() ? 0 : pi.host_pid; /* another process's program */
	else
		return -EINVAL;
	*kclk = MAKE_CLK(host, CLK_KIND(clk));
	return CPUCLOCK_KERNEL;
}

uint64_t cputime_thread_ns(struct uthread *cur, struct uthread *t)
{
	uint64_t ns = __atomic_load_n(&t->cpu_ns, __ATOMIC_RELAXED);
	/* Its current slice, which only its own vCPU thread can read. */
	if (t == cur && t->cpu_start)
		ns += thread_cpu_ns() - t->cpu_start;
	return ns;
}

/* program_ns - p's CPU time: its threads' as counted (the caller's slice
 * included). */
static uint64_t program_ns(struct vproc *p, struct uthread *cur)
{
	uint64_t ns = 0;
	spin_lock(&p->lock);
	for (struct uthread *t = p->threads; t; t = t->proc_next)
		ns += cputime_thread_ns(cur, t);
	spin_unlock(&p->lock);
	return ns;
}

static void limit_signal(struct vproc *p, int sig)
{
	siginfo_t si = { .si_signo = sig, .si_code = SI_KERNEL };
	signal_queue(p, NULL, &si);
	signal_notify(p, NULL);
}

/* ---- ITIMER_VIRTUAL and ITIMER_PROF: on the program's own CPU time ---- */

/*
 * The host process's would count every program's CPU (and the runtime's):
 * a fused program's SIGPROF came while it slept, from another's work. So
 * they run on the program's CPU time as counted here, and expire at its
 * slice ticks (every 10 ms of running), as Linux's check_cpu_itimer does
 * at its ticks: an expiry adds one interval. VIRTUAL counts its system
 * time too, which is not told apart here.
 */
static const int cpu_timer_sig[2] = { SIGVTALRM, SIGPROF };

long cputime_itimer(struct uthread *ut, int which, const struct itimerspec *want, struct itimerspec *old)
{
	struct vproc *p = ut->proc;
	int i = which == ITIMER_PROF;
	uint64_t now = 0;
	if (p->cpu_timer_next[i] || want) {
		count_program(p, ut);
		now = program_ns(p, ut);
	}
	if (old) {
		uint64_t next = __atomic_load_n(&p->cpu_timer_next[i], __ATOMIC_RELAXED);
		/* Linux's: 1 ns rather than 0 while it still runs. */
		uint64_t left = !next ? 0 : next > now ? next - now : 1;
		old->it_value = (struct timespec){ (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
		uint64_t iv = p->cpu_timer_interval[i];
		old->it_interval = (struct timespec){ (time_t)(iv / 1000000000ull), (long)(iv % 1000000000ull) };
	}
	if (want) {
		uint64_t v = (uint64_t)want->it_value.tv_sec * 1000000000ull + (uint64_t)want->it_value.tv_nsec;
		p->cpu_timer_interval[i] = (uint64_t)want->it_interval.tv_sec * 1000000000ull +
					   (uint64_t)want->it_interval.tv_nsec;
		__atomic_store_n(&p->cpu_timer_next[i], v ? now + v : 0, __ATOMIC_RELAXED);
	}
	return 0;
}

static void cpu_timers_check(struct vproc *p, struct uthread *ut)
{
	if (!p->cpu_timer_next[0] && !p->cpu_timer_next[1])
		return;
	uint64_t now = program_ns(p, ut);
	for (int i = 0; i < 2; i++) {
		uint64_t next = __atomic_load_n(&p->cpu_timer_next[i], __ATOMIC_RELAXED);
		if (!next || now < next)
			continue;
		uint64_t iv = p->cpu_timer_interval[i];
		__atomic_store_n(&p->cpu_timer_next[i], iv ? next + iv : 0, __ATOMIC_RELAXED);
		limit_signal(p, cpu_timer_sig[i]);
	}
}

void cputime_enforce(struct uthread *ut)
{
	struct vproc *p = ut->proc;
	cpu_timers_check(p, ut);
	struct rlimit *rl = &p->rlim[RLIMIT_CPU];
	if (rl->rlim_cur == RLIM_INFINITY)
		return;
	/* Counted from the first tick under a limit (set, inherited or
	 * exec'd with): a slice at most goes uncounted. */
	count_program(p, ut);
	uint64_t s = program_ns(p, ut) / 1000000000ull;
	/* As Linux's check_process_timers: SIGKILL at the hard limit; at the
	 * soft one SIGXCPU, and the soft limit moves a second on. */
	if (rl->rlim_max != RLIM_INFINITY && s >= rl->rlim_max) {
		limit_signal(p, SIGKILL);
	} else if (s >= rl->rlim_cur) {
		limit_signal(p, SIGXCPU);
		if (rl->rlim_cur < rl->rlim_max)
			rl->rlim_cur++;
	}
}
