/* sched.c - the M:N scheduler: per-vCPU run queues, stealing, idle, wakeups. */
#include "sched/sched.h"

#include <cpuid.h>
#include <errno.h>
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/fsbase.h"
#include "core/hostcred.h"
#include "core/hthread.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "core/timeutil.h"
#include "sched/kwait.h"
#include "sched/poller.h"
#include "sched/preempt.h"
#include "sched/quiesce.h"
#include "sched/timer.h"

FORK_HOT struct sched_config sched_cfg = { .nvcpus = 1, .poll_ns = 50000, .steal_delay_ns = 10000, .slice_ns = 10000000 };
struct vcpu **vcpus;

void uctx_switch(uint64_t *save_rsp, uint64_t new_rsp);

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- run queues ---- */

/* rq_push - append; returns how many were queued before. */
static int rq_push(struct vcpu *v, struct uthread *ut)
{
	ut->rq_next = NULL;
	spin_lock(&v->rq_lock);
	int before = v->rq_len;
	if (v->rq_tail)
		v->rq_tail->rq_next = ut;
	else
		v->rq_head = ut;
	v->rq_tail = ut;
	v->rq_len++;
	spin_unlock(&v->rq_lock);
	return before;
}

/* rq_unlink_head - the first queued uthread, taken off; rq_lock held. */
static struct uthread *rq_unlink_head(struct vcpu *v)
{
	struct uthread *ut = v->rq_head;
	if (ut) {
		v->rq_head = ut->rq_next;
		if (!v->rq_head)
			v->rq_tail = NULL;
		v->rq_len--;
		v->rq_pops++;
	}
	return ut;
}

static struct uthread *rq_pop(struct vcpu *v)
{
	if (!__atomic_load_n(&v->rq_len, __ATOMIC_RELAXED))
		return NULL;
	spin_lock(&v->rq_lock);
	struct uthread *ut = rq_unlink_head(v);
	spin_unlock(&v->rq_lock);
	return ut;
}

/*
 * What a spinning vCPU has seen of another's queue: a wakee queued next to
 * its waker is left there a moment (sched_cfg.steal_delay_ns), because in
 * a request/response exchange the waker blocks right after and the wakee
 * then runs where the data it reads is warm, with no cross-CPU wake-up;
 * taken at once it makes two vCPUs ping-pong in lock step. A queue that
 * keeps the same head longer, holds two, or belongs to a sleeping vCPU is
 * real spare work and is stolen.
 */
struct steal_seen {
	unsigned pops;          /* the victim's rq_pops when its head was first seen */
	uint64_t since;         /* and when */
};

static bool worth_stealing(struct vcpu *o, struct steal_seen *seen, uint64_t now)
{
	if (!sched_cfg.steal_delay_ns || __atomic_load_n(&o->idle, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&o->rq_len, __ATOMIC_RELAXED) > 1)
		return true;
	unsigned pops = __atomic_load_n(&o->rq_pops, __ATOMIC_RELAXED);
	if (!seen->since || seen->pops != pops) {
		seen->pops = pops;
		seen->since = now;
		return false;
	}
	return now - seen->since >= sched_cfg.steal_delay_ns;
}

/* steal - take work queued on another vCPU that is busy or asleep; with
 * seen (a spinning vCPU's view, now its clock), only what waited there. */
static struct uthread *steal(struct vcpu *self, struct steal_seen *seen, uint64_t now)
{
	for (int i = 1; i < sched_cfg.nvcpus; i++) {
		int id = (self->id + i) % sched_cfg.nvcpus;
		struct vcpu *o = vcpus[id];
		if (!__atomic_load_n(&o->rq_len, __ATOMIC_RELAXED)) {
			if (seen)
				seen[id].since = 0;
			continue;
		}
		if (seen && !worth_stealing(o, &seen[id], now))
			continue;
		/* Never wait for a queue lock: its holder may be a vCPU thread
		 * the host has descheduled; try the next one instead. */
		if (!spin_trylock(&o->rq_lock))
			continue;
		struct uthread *ut = rq_unlink_head(o);
		spin_unlock(&o->rq_lock);
		if (ut)
			return ut;
	}
	return NULL;
}

/* ---- kicks ---- */

void vcpu_kick(struct vcpu *v)
{
	/* Waiting in a host call of its uthread's (solo.c): only a signal
	 * reaches it there. Pairs with solo_enter's store of v->solo and
	 * look at the queues: either it sees the work, or this sees it. */
	if (__atomic_load_n(&v->solo, __ATOMIC_SEQ_CST)) {
		preempt_kick(v);
		return;
	}
	uint64_t one = 1;
	raw_syscall3(SYS_write, v->kick_fd, &one, 8);
}

/*
 * Work queued for help when no vCPU was asleep to kick. A vCPU takes its
 * last look at the queues before it says it sleeps (idle_sleep): work
 * queued in between would wait for its busy vCPU's next tick (or for ever
 * with --slice 0). So the one who asks sets this before looking for a
 * sleeper, and a vCPU about to sleep checks it after saying so (both
 * seq_cst): either it is kicked or it sees the flag and looks again.
 */
static int help_wanted;

void sched_kick_idle(void)
{
	/* Set already: its next reader looks again after this work was
	 * queued (the caller queued it first); no store to a shared line. */
	if (!__atomic_load_n(&help_wanted, __ATOMIC_SEQ_CST))
		__atomic_store_n(&help_wanted, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < sched_cfg.nvcpus; i++) {
		struct vcpu *v = vcpus[i];
		if (v && (__atomic_load_n(&v->idle, __ATOMIC_SEQ_CST) ||
			  __atomic_load_n(&v->solo, __ATOMIC_SEQ_CST))) {
			vcpu_kick(v);
			return;
		}
	}
}

bool sched_help_wanted(void)
{
	return __atomic_load_n(&help_wanted, __ATOMIC_SEQ_CST);
}

bool sched_take_help_wanted(void)
{
	return __atomic_load_n(&help_wanted, __ATOMIC_SEQ_CST) &&
	       __atomic_exchange_n(&help_wanted, 0, __ATOMIC_SEQ_CST);
}

/**
 * sched_enqueue - make ut runnable on vCPU v (the caller's own if NULL).
 *
 * Wakeup policy: a kick costs a syscall here and a kernel wakeup there, and
 * a stolen uthread then runs across CPUs from the one that woke it. So a
 * sleeping target is kicked; a busy one only gets help (an idle vCPU
 * kicked to steal) when it already had work queued: one wakee waits for
 * its waker to block, as in a ping-pong; a second one is spread out.
 * sched_balance() and the slice tick catch what this leaves queued.
 */
void sched_enqueue(struct uthread *ut, struct vcpu *prefer)
{
	struct vcpu *v = prefer ? prefer : vcpu_self();
	__atomic_store_n(&ut->state, UT_RUNNABLE, __ATOMIC_RELEASE);
	int before = rq_push(v, ut);
	/* Pairs with the idle flag store + queue re-check in idle_sleep(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->idle, __ATOMIC_RELAXED) || __atomic_load_n(&v->solo, __ATOMIC_RELAXED))
		vcpu_kick(v);
	else if (before > 0 || (v != vcpu_self() && __atomic_load_n(&v->cur, __ATOMIC_RELAXED)))
		sched_kick_idle();
}

void sched_balance(void)
{
	struct vcpu *v = vcpu_self();
	if (v && __atomic_load_n(&v->rq_len, __ATOMIC_RELAXED))
		sched_kick_idle();
}

bool uthread_wake(struct uthread *ut, int reason)
{
	int expect = UT_BLOCKED;
	if (!__atomic_compare_exchange_n(&ut->state, &expect, UT_RUNNABLE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	ut->wake_reason = reason;
	/* Woken by a uthread: next to its waker, which often blocks right
	 * after (it produced what the wakee consumes); woken from outside (a
	 * worker, the monitor): where it ran last. */
	struct vcpu *self = vcpu_self();
	sched_enqueue(ut, self ? self : ut->last_vcpu);
	return true;
}

/* ---- switching ---- */

/* to_scheduler - leave the calling uthread's context for the vCPU loop. It
 * returns when some vCPU (maybe another one) runs the uthread again. */
static void to_scheduler(struct uthread *ut)
{
	/* Whoever runs next will load its own vector state. */
	vec_switch_out(ut);
	struct vcpu *v = vcpu_self();
	/* The mid path runs on the app's %fs where writing it costs a kernel
	 * call (fsbase.h): it needs no TLS, and its return loads the app's
	 * base anyway. Any other runtime code needs its own TLS back. */
	bool runtime_tls = pg_fsgsbase || v->kfs == v->rt_fs;
	uctx_switch(&ut->ctx_rsp, v->sched_rsp);
	/* Maybe resumed by another vCPU: runtime code must go on with the TLS
	 * of the kernel thread it now runs on (glibc's malloc caches, errno),
	 * not that of the one it left. */
	v = vcpu_self();
	if (runtime_tls)
		fsbase_switch(&v->kfs, v->rt_fs);
}

void sched_kick_running(struct uthread *t)
{
	struct vcpu *v = __atomic_load_n(&t->last_vcpu, __ATOMIC_ACQUIRE);
	if (v && v != vcpu_self() && __atomic_load_n(&v->cur, __ATOMIC_ACQUIRE) == t)
		preempt_kick(v);
}

struct uthread *uthread_self_or_null(void)
{
	struct vcpu *v = vcpu_self();
	return v ? v->cur : NULL;
}

static void sleep_timeout(struct utimer *t)
{
	uthread_wake((struct uthread *)((char *)t - offsetof(struct uthread, timer)), WAKE_TIMEOUT);
}

int uthread_sleep(uint64_t deadline, bool intr)
{
	struct uthread *ut = uthread_self();
	/* Its program is ending: no more sleeping. */
	if (__atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&ut->state, UT_RUNNING, __ATOMIC_RELAXED);
		return WAKE_SIGNAL;
	}
	/* BLOCKED, or already RUNNABLE if a waker came in between. */
	PG_ASSERT(__atomic_load_n(&ut->state, __ATOMIC_RELAXED) != UT_RUNNING);
	ut->wake_reason = 0;
	/* Pairs with the signal layer's store of the word before its wake:
	 * either it sees BLOCKED and wakes, or this sees the word. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (intr && __atomic_load_n(&ut->sig_intr, __ATOMIC_RELAXED)) {
		int expect = UT_BLOCKED;
		if (__atomic_compare_exchange_n(&ut->state, &expect, UT_RUNNING, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return WAKE_SIGNAL;
		/* Already woken and queued: it must go through the scheduler. */
	}
	if (deadline) {
		ut->timer.fn = sleep_timeout;
		timer_arm(&ut->timer, deadline);
	}
	to_scheduler(ut);
	if (deadline)
		timer_cancel(&ut->timer);
	return ut->wake_reason;
}

void uthread_yield(void)
{
	struct uthread *ut = uthread_self();
	struct vcpu *v = vcpu_self();
	/* Nothing else to run anywhere: do not pay for the round trip
	 * (unless a fork wants this vCPU parked in its loop). */
	if (!__atomic_load_n(&v->rq_len, __ATOMIC_RELAXED) &&
	    !(__atomic_load_n(&sched_stopping, __ATOMIC_RELAXED) & 1)) {
		bool other = false;
		for (int i = 0; i < sched_cfg.nvcpus && !other; i++)
			other = __atomic_load_n(&vcpus[i]->rq_len, __ATOMIC_RELAXED) != 0;
		if (!other)
			return;
	}
	to_scheduler(ut); /* state stays RUNNING: the loop requeues it */
}

void uthread_exit_current(void)
{
	struct uthread *ut = uthread_self();
	__atomic_store_n(&ut->state, UT_EXITED, __ATOMIC_RELEASE);
	to_scheduler(ut);
	__builtin_unreachable();
}

/* ---- the vCPU loop ---- */

/*
 * Kernel readiness wakes one idle vCPU, the watcher (sched/kwait.h), not
 * every one: with a server reached from outside, each woken kernel thread
 * took CPU from the clients (nginx with wrk -c 10 over loopback ran at
 * 0.53x Linux on 2 vCPUs, 0.98x on one). The role stays with its vCPU while
 * it runs: it harvests at each pick anyway, and the server it woke parks
 * there again. A vCPU going to sleep takes the role if nobody has it, or
 * if its holder is running a uthread while others wait for kernel fds;
 * the holder hands it over when it starts one while they do.
 */
static bool takes_watch(struct vcpu *v)
{
	int w = kwait_watcher();
	if (w == v->id)
		return true;
	bool busy = w >= 0 && __atomic_load_n(&vcpus[w]->cur, __ATOMIC_ACQUIRE) && kwait_parked();
	return (w < 0 || busy) && kwait_pass_watch(w, v->id);
}

/* idle_sets - the epoll sets v sleeps on, made at its first sleep when it
 * has none (sched_setup_idle; a forked child's, sched_after_fork). */
static void idle_sets(struct vcpu *v)
{
	if (v->epfd >= 0)
		return;
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	v->epfd_kw = epoll_create1(EPOLL_CLOEXEC);
	if (v->epfd < 0 || v->epfd_kw < 0)
		pg_die("cannot create the idle wakeup of vCPU %d: %s", v->id, strerror(errno));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(v->epfd, EPOLL_CTL_ADD, v->kick_fd, &ev);
	epoll_ctl(v->epfd_kw, EPOLL_CTL_ADD, v->kick_fd, &ev);
	kwait_attach(v->epfd_kw);
}

/* Claimable by a fork's stopper from the moment v->idle says asleep until
 * sched_leave_idle: only lock-free loads and the wait itself run there.
 * Whether something woke it (a kick, a kernel fd) rather than a timeout
 * or a signal (its slice tick). */
static bool idle_sleep(struct vcpu *v)
{
	idle_sets(v);
	uint64_t next = timer_next_deadline(), now = now_ns();
	struct timespec ts, *tsp = NULL;
	if (next != UINT64_MAX) {
		uint64_t d = next > now ? next - now : 0;
		ts.tv_sec = d / 1000000000ull;
		ts.tv_nsec = d % 1000000000ull;
		tsp = &ts;
	}
	__atomic_store_n(&v->idle, VCPU_ASLEEP, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->rq_len, __ATOMIC_SEQ_CST) || sched_pollers_pending(v->id) ||
	    timer_next_deadline() != next || sched_take_help_wanted()) {
		sched_leave_idle(v);
		return true;
	}
	struct epoll_event ev[16];
	long n = raw_syscall6(SYS_epoll_pwait2, takes_watch(v) ? v->epfd_kw : v->epfd, (long)ev, 16,
			      (long)tsp, 0, 8);
	sched_leave_idle(v);
	bool fd_ready = false;
	for (long i = 0; i < n; i++) {
		if (ev[i].data.ptr == NULL) {
			uint64_t cnt;
			raw_syscall3(SYS_read, v->kick_fd, &cnt, 8);
		} else {
			fd_ready = true; /* the shared kernel-fd set (kwait_attach) */
		}
	}
	if (fd_ready)
		kwait_drain();
	return n > 0;
}

void sched_runtime_tls(void)
{
	struct vcpu *v = vcpu_self();
	if (!pg_fsgsbase)
		fsbase_switch(&v->kfs, v->rt_fs);
}

bool sched_poll_events(void)
{
	/* No clock read unless a timer is armed: this runs at every switch. */
	if (timer_next_deadline() != UINT64_MAX)
		timer_run_expired(now_ns());
	return sched_pollers_run(vcpu_self()->id);
}

/* watch_handoff - v, the watcher, is about to run a uthread while others
 * are parked on kernel fds: a sleeping vCPU takes the watch (woken to
 * sleep on the shared set), or their readiness would wait until v next
 * schedules. A lone server's own wait has fired by then: nobody is woken. */
static void watch_handoff(struct vcpu *v)
{
	if (sched_cfg.nvcpus < 2 || kwait_watcher() != v->id || !kwait_parked())
		return;
	for (int i = 1; i < sched_cfg.nvcpus; i++) {
		struct vcpu *o = vcpus[(v->id + i) % sched_cfg.nvcpus];
		if (__atomic_load_n(&o->idle, __ATOMIC_ACQUIRE) == VCPU_ASLEEP &&
		    kwait_pass_watch(v->id, o->id)) {
			vcpu_kick(o);
			return;
		}
	}
}

/*
 * spin_ns - how long v may spin before it sleeps. Spinning wins a wake-up
 * only while the CPU it burns is spare: on a host whose CPUs are all
 * wanted (a client outside the instance, a CPU-bound neighbour, fewer
 * CPUs than vCPUs) it takes them from the very threads the vCPU waits
 * for (nginx with a busy loop beside it, wrk outside: 55k requests/s
 * spinning, 80k not). The sign is the kernel's: preemptions of this
 * kernel thread (someone else was runnable and got its CPU), counted
 * every SPIN_CHECK_NS; a few of them and v stops spinning until a
 * period passes without. A spin also yields its CPU at its start and
 * every SPIN_YIELD_NS: a thread of another process that is runnable
 * there (a forked child, a client outside) runs at once instead of after
 * the spin (pinned to one CPU, a fork+exit+wait took 14% less). A yield
 * that hands the CPU over counts as a preemption: the same sign.
 */
#define SPIN_CHECK_NS 20000000ull
#define SPIN_BUSY_PREEMPTS 40
#define SPIN_YIELD_NS 20000ull

static uint64_t spin_ns(struct vcpu *v, uint64_t now)
{
	if (!sched_cfg.poll_ns)
		return 0;
	if (now - v->spin_checked >= SPIN_CHECK_NS) {
		struct rusage ru;
		if (getrusage(RUSAGE_THREAD, &ru) == 0) {
			v->host_busy = v->spin_checked && ru.ru_nivcsw - v->spin_nivcsw >= SPIN_BUSY_PREEMPTS;
			v->spin_nivcsw = ru.ru_nivcsw;
		}
		v->spin_checked = now;
	}
	return v->host_busy ? 0 : sched_cfg.poll_ns;
}

static struct uthread *pick_next(struct vcpu *v)
{
	uint64_t spin_until = 0, yielded = 0;
	struct steal_seen seen[sched_cfg.nvcpus];
	bool seen_set = false; /* cleared on the first spin: most picks find work at once */
	for (;;) {
		/* Nothing held here: the place to wait while a fork is made. */
		if (__atomic_load_n(&sched_stopping, __ATOMIC_ACQUIRE) & 1)
			sched_park();
		/* A poller that found work keeps an idle vCPU spinning. */
		if (sched_poll_events())
			spin_until = 0;
		struct uthread *ut = rq_pop(v);
		if (ut) {
			watch_handoff(v);
			return ut;
		}
		uint64_t now = now_ns();
		if (!spin_until)
			spin_until = now + spin_ns(v, now);
		if (!seen_set) {
			memset(seen, 0, sizeof(seen));
			seen_set = true;
		}
		/* The last look before sleeping takes anything queued. */
		ut = steal(v, now < spin_until ? seen : NULL, now);
		if (ut) {
			watch_handoff(v);
			return ut;
		}
		if (now < spin_until) {
			if (now - yielded >= SPIN_YIELD_NS) {
				sched_yield();
				yielded = now;
			}
			for (int i = 0; i < 64; i++)
				_mm_pause();
			continue;
		}
		/* Woken by its tick (or a timer): no spin, which would only take
		 * the kernel events another vCPU is busy with (and the uthread
		 * they are for). */
		spin_until = idle_sleep(v) ? 0 : 1;
	}
}

static void finish_switch(struct vcpu *v, struct uthread *prev)
{
	switch (__atomic_load_n(&prev->state, __ATOMIC_ACQUIRE)) {
	case UT_RUNNING: /* it yielded or was preempted */
		__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
		sched_enqueue(prev, v);
		break;
	case UT_EXITED:
		uthread_free(prev);
		break;
	default: /* blocked, or already woken and queued elsewhere */
		__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
	}
}

static _Noreturn void vcpu_loop(struct vcpu *v)
{
	for (;;) {
		struct uthread *ut = pick_next(v);
		/* Its last vCPU may not have finished switching away from it. */
		while (__atomic_load_n(&ut->on_cpu, __ATOMIC_ACQUIRE))
			_mm_pause();
		__atomic_store_n(&ut->on_cpu, true, __ATOMIC_RELAXED);
		__atomic_store_n(&ut->state, UT_RUNNING, __ATOMIC_RELEASE);
		/* Its program's ids, if this kernel thread holds others (one
		 * pointer compare when no program changed its ids). */
		const struct hostcred *cred = ut->credp ? __atomic_load_n(ut->credp, __ATOMIC_ACQUIRE) : NULL;
		if (cred)
			vcpu_take_cred(v, cred);
		ut->last_vcpu = v;
		v->cur = ut;
		preempt_tick_resume(v);
		ut->cpu_start = ut->cpu_acct ? thread_cpu_ns() : 0;
		__atomic_store_n(&ut->ran_tsc_start, __rdtsc(), __ATOMIC_RELAXED);
		uctx_switch(&v->sched_rsp, ut->ctx_rsp);
		/* Back on this vCPU's own stack; v is still right here. */
		struct uthread *prev = v->cur;
		__atomic_store_n(&prev->ran_tsc, prev->ran_tsc + (__rdtsc() - prev->ran_tsc_start),
				 __ATOMIC_RELAXED);
		if (prev->cpu_start)
			prev->cpu_ns += thread_cpu_ns() - prev->cpu_start;
		v->cur = NULL;
		finish_switch(v, prev);
	}
}

void sched_setup_idle(struct vcpu *v)
{
	v->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->kick_fd < 0)
		pg_die("cannot create the kick of vCPU %d: %s", v->id, strerror(errno));
	v->epfd = v->epfd_kw = -1;
}

void sched_enter(struct vcpu *v)
{
	int r = sched_cfg.vcpu_enter ? sched_cfg.vcpu_enter(v) : 0;
	if (r < 0)
		pg_die("vCPU %d cannot run programs: %s", v->id, strerror(-r));
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	vcpu_bind_current(v);
	sched_setup_idle(v);
	sched_enter(v);
	/* Born with every host signal blocked (hthread_start); bound and able
	 * to be kicked now, its handlers have this vCPU to work on. */
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	preempt_start_vcpu(v);
	vcpu_loop(v);
}

/* The TSC's rate is measured from the start to each reading (no
 * calibration wait); trusted only where it is invariant (CPUID
 * 0x80000007 EDX bit 8: constant, and ticking in deep C-states). */
static uint64_t tsc_base, tsc_base_ns;

uint64_t sched_ran_ns(const struct uthread *t)
{
	uint64_t now = __rdtsc(), cycles = __atomic_load_n(&t->ran_tsc, __ATOMIC_RELAXED);
	if (!tsc_base)
		return 0;
	if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) {
		uint64_t start = __atomic_load_n(&t->ran_tsc_start, __ATOMIC_RELAXED);
		cycles += now > start ? now - start : 0;
	}
	uint64_t dt = now - tsc_base, dns = now_ns() - tsc_base_ns;
	return dt ? (uint64_t)((unsigned __int128)cycles * dns / dt) : 0;
}

static void tsc_start(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d >> 8 & 1)) {
		tsc_base_ns = now_ns();
		tsc_base = __rdtsc();
	}
}

void sched_start_many(struct uthread **first, int n)
{
	struct vcpu *v0 = vcpu_self();
	tsc_start();
	sched_cfg.shown_cpus = sched_cfg.nvcpus;
	vcpus = calloc(sched_cfg.nvcpus, sizeof(*vcpus));
	timer_init(sched_cfg.nvcpus);
	vcpus[0] = v0;
	for (int i = 1; i < sched_cfg.nvcpus; i++)
		vcpus[i] = vcpu_alloc(i);
	sched_setup_idle(v0);
	for (int i = 1; i < sched_cfg.nvcpus; i++)
		if (hthread_start(&vcpus[i]->thread, 1 << 20, 0, 0, vcpu_main, vcpus[i]))
			pg_die("cannot start vCPU %d", i);
	sched_enter(v0);
	preempt_start_vcpu(v0);
	for (int i = 0; i < n; i++) {
		/* Spread the programs over the vCPUs to begin with. */
		struct vcpu *v = vcpus[i % sched_cfg.nvcpus];
		first[i]->last_vcpu = v;
		sched_enqueue(first[i], v);
	}
	vcpu_loop(v0);
}
