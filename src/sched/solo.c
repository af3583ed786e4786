/* solo.c - a uthread with its vCPU to itself waits in the kernel's own call instead of parking. */
#include "sched/solo.h"

#include <errno.h>
#include <x86intrin.h>

#include "core/rawsys.h"
#include "sched/poller.h"
#include "sched/preempt.h"
#include "sched/quiesce.h"
#include "sched/sched.h"
#include "sched/timer.h"
#include "sched/vcpu.h"
#include "sched/waitq.h"

/*
 * A forked server process (a postgres backend, an apache child) runs one
 * program thread on one vCPU. Parked on its socket the ordinary way, each
 * wait cost it kwait's registration, the vCPU's idle wait, the harvest and
 * a second look: postgres's select-only pgbench made 14.8 system calls a
 * query where Linux makes 9.1. Here the vCPU itself sleeps in the call.
 */

/* wanted - does anything else want v before deadline, or came for its
 * uthread? A stop for a fork (quiesce.h) wants v in its loop. Loads only. */
static bool wanted(struct vcpu *v, uint64_t deadline)
{
	struct uthread *ut = v->cur;
	uint64_t next = timer_next_deadline();
	return __atomic_load_n(&v->rq_len, __ATOMIC_SEQ_CST) || sched_pollers_pending(v->id) ||
	       (next != UINT64_MAX && (!deadline || next < deadline)) ||
	       __atomic_load_n(&ut->sig_intr, __ATOMIC_SEQ_CST) || __atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE) ||
	       (__atomic_load_n(&sched_stopping, __ATOMIC_SEQ_CST) & 1);
}

bool solo_may(uint64_t deadline)
{
	return !wanted(vcpu_self(), deadline);
}

/* enter - say v waits in a call, then check nothing else wants it: a
 * kicker publishes its work, then looks at v->solo (vcpu_kick), so either
 * it signals or this sees the work. Help wanted elsewhere refuses the
 * call, left set for the vCPU loop to take when it looks for work there
 * (idle_sleep): taken here, a mid path that then went the full way would
 * have lost it. */
static bool enter(struct vcpu *v, uint64_t deadline)
{
	__atomic_store_n(&v->solo, 1, __ATOMIC_SEQ_CST);
	if (wanted(v, deadline) || sched_help_wanted()) {
		__atomic_store_n(&v->solo, 0, __ATOMIC_RELEASE);
		return false;
	}
	return true;
}

void solo_arm(void)
{
	__atomic_store_n(&vcpu_self()->solo_cut, 0, __ATOMIC_SEQ_CST);
}

long solo_call(long nr, long a0, long a1, long a2, long a3, struct timespec *ts, uint64_t deadline)
{
	struct vcpu *v = vcpu_self();
	if (!enter(v, deadline))
		return -EAGAIN;
	if (deadline) {
		uint64_t now = now_ns(), d = deadline > now ? deadline - now : 0;
		ts->tv_sec = (time_t)(d / 1000000000ull);
		ts->tv_nsec = (long)(d % 1000000000ull);
	}
	uint64_t slept = __rdtsc();
	long r = pg_syscall_cuttable(nr, a0, a1, a2, a3, &v->solo_cut);
	__atomic_store_n(&v->solo, 0, __ATOMIC_RELEASE);
	/* Asleep, not running: its run time (sched_ran_ns) skips the wait. */
	v->cur->ran_tsc_start += __rdtsc() - slept;
	return r;
}

/* solo_wake - cut v's solo call short (or its next one, if armed and not
 * yet made). */
static void solo_wake(struct vcpu *v)
{
	/* Pairs with enter(): the mark is set before v->solo is read, so a
	 * call not yet made finds the mark, one in progress gets the signal. */
	__atomic_store_n(&v->solo_cut, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->solo, __ATOMIC_SEQ_CST) && v != vcpu_self())
		preempt_kick(v);
}

void solo_woken(struct wq_entry *e, uint32_t events)
{
	solo_wake(__atomic_load_n(&e->ut->last_vcpu, __ATOMIC_ACQUIRE));
}

void solo_signal(struct vcpu *v, unsigned long long *rip)
{
	if (v && __atomic_load_n(&v->solo, __ATOMIC_ACQUIRE))
		pg_cut_short(&v->solo_cut, rip);
}
