/* fake_sched.c - a stand-in scheduler for unit tests: one "vCPU", uthreads that never really sleep. */
#include "sched/poller.h"
#include "sched/solo.h"
#include "fake_sched.h"

#include <asm/prctl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NUT 8

static struct vcpu vcpu;
static struct uthread uts[NUT];
static fake_sleep_hook hooks[NUT];
static int sleeps[NUT];
int fake_wakes;

void fake_sched_init(void)
{
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.self = &vcpu;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, &vcpu)) {
		perror("arch_prctl(ARCH_SET_GS)");
		exit(2);
	}
	memset(uts, 0, sizeof(uts));
	memset(hooks, 0, sizeof(hooks));
	memset(sleeps, 0, sizeof(sleeps));
	fake_wakes = 0;
}

struct uthread *fake_uthread(int i)
{
	uts[i].state = UT_RUNNING;
	uts[i].timer.heap_idx = -1;
	vcpu.cur = &uts[i];
	return &uts[i];
}

void fake_set_current(struct uthread *ut)
{
	vcpu.cur = ut;
}

void fake_on_sleep(struct uthread *ut, fake_sleep_hook hook)
{
	hooks[ut - uts] = hook;
}

int fake_sleeps(struct uthread *ut)
{
	return sleeps[ut - uts];
}

bool uthread_wake(struct uthread *ut, int reason)
{
	int expect = UT_BLOCKED;
	if (!__atomic_compare_exchange_n(&ut->state, &expect, UT_RUNNABLE, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	ut->wake_reason = reason;
	fake_wakes++;
	return true;
}

int uthread_sleep(uint64_t deadline, bool intr)
{
	struct uthread *ut = uthread_self();
	int i = ut - uts;
	if (ut->state != UT_BLOCKED) {
		fprintf(stderr, "fake_sched: uthread %d sleeps while not BLOCKED\n", i);
		abort();
	}
	ut->wake_reason = 0;
	if (intr && ut->sig_intr) {
		ut->state = UT_RUNNING;
		return WAKE_SIGNAL;
	}
	int why = hooks[i] ? hooks[i](ut, ++sleeps[i]) : WAKE_TIMEOUT;
	fake_set_current(ut);
	if (ut->state == UT_RUNNABLE)
		why = ut->wake_reason;
	ut->state = UT_RUNNING;
	return why;
}

void sched_kick_idle(void)
{
}

/* Pollers are registered but never run here. */
void sched_poller_add(struct sched_poller *p)
{
}

/* No vCPU here to wait in a host call: every wait parks. */
long solo_call(long nr, long a0, long a1, long a2, long a3, struct timespec *ts, uint64_t deadline)
{
	return -EAGAIN;
}

void solo_arm(void)
{
}

void solo_woken(struct wq_entry *e, uint32_t events)
{
}

bool solo_may(uint64_t deadline)
{
	return false;
}
