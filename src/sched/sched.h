/* sched.h - the M:N scheduler: uthreads on vCPU kernel threads. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "sched/vcpu.h"

struct sched_config {
	int nvcpus;          /* --cpus: vCPU kernel threads */
	/* The CPUs programs see (sched_getaffinity): the instance's vCPUs,
	 * also in a forked child, which runs on one of its own. */
	int shown_cpus;
	uint64_t poll_ns;    /* --poll: spin this long before sleeping in the kernel */
	uint64_t steal_delay_ns; /* a spinning vCPU leaves a wakee by its waker this long */
	uint64_t slice_ns;   /* --slice: preempt app code running longer than this */
	/* Each vCPU thread, bound and about to run uthreads, turns on the
	 * catch-all of app syscalls (entry/sud.c); -errno stops pegasus. */
	int (*vcpu_enter)(struct vcpu *v);
};

extern struct sched_config sched_cfg;
extern struct vcpu **vcpus;

uint64_t now_ns(void);

/* sched_ran_ns - how long t has run on vCPUs, its current slice included,
 * as the TSC estimates it; 0 where the TSC cannot tell (it stops or
 * drifts with the CPU's state). */
uint64_t sched_ran_ns(const struct uthread *t);

/* Start the vCPUs and run the n first uthreads; never returns. */
_Noreturn void sched_start_many(struct uthread **first, int n);

/* Make t, if it runs app code on another vCPU, cross the gate now. */
void sched_kick_running(struct uthread *t);
/* The uthread this kernel thread runs, or NULL if it is no vCPU. */
struct uthread *uthread_self_or_null(void);

/* Make a new (or woken) uthread runnable on a run queue. */
void sched_enqueue(struct uthread *ut, struct vcpu *prefer);

/* Called at gate crossings: work queued here while a vCPU idles? Kick it. */
void sched_balance(void);

/* Wake a blocked uthread; false if it was not blocked (already woken). */
bool uthread_wake(struct uthread *ut, int reason);

/**
 * uthread_sleep - park the calling uthread, whose state the caller already
 * set to UT_BLOCKED (after queueing it where a waker will find it; the
 * wait queues of sched/waitq.h do both).
 * @deadline: CLOCK_MONOTONIC ns to wake at, or 0 for none.
 * @intr: the interrupt word (ut->sig_intr) ends the sleep.
 *
 * Returns the wake reason; WAKE_SIGNAL if interrupted before or during the
 * sleep, or if the uthread's program is ending.
 */
int uthread_sleep(uint64_t deadline, bool intr);

/* Fire expired timers and run the pollers (sched/poller.h); true if a
 * poller found work. The vCPU loop calls it, and so does a preemption
 * tick, so that a vCPU busy with app code still wakes the sleepers it owes
 * a wakeup. */
bool sched_poll_events(void);

/* sched_runtime_tls - the runtime's own TLS in %fs, before library code.
 * Between two uthreads of the mid path the vCPU loop may still hold an
 * app's base (core/fsbase.h): what it runs there touches no TLS until this. */
void sched_runtime_tls(void);

/* sched_setup_idle - the eventfd that kicks v. The epoll sets it sleeps on
 * (one also holds the shared kernel-fd readiness set) are made at its
 * first sleep, which a forked child that execs or exits at once never has. */
void sched_setup_idle(struct vcpu *v);
/* sched_enter - v's thread turns on the catch-all (sched_config.vcpu_enter). */
void sched_enter(struct vcpu *v);

/* Let other runnable uthreads run. */
void uthread_yield(void);

/* The calling uthread ends; its vCPU frees it. */
_Noreturn void uthread_exit_current(void);

/* Kick a vCPU out of its idle sleep. Async-signal-safe. */
void vcpu_kick(struct vcpu *v);
/* Kick some idle vCPU, if any: new work appeared. */
void sched_kick_idle(void);
/* Work was queued for help that no idle vCPU was kicked for: true once,
 * for the vCPU about to sleep that takes it (it looks for work instead). */
bool sched_take_help_wanted(void);
/* sched_help_wanted - the same, left set. */
bool sched_help_wanted(void);
