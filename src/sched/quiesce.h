/* quiesce.h - stopping every other vCPU at a safe point (for a host fork), and the child's scheduler. */
#pragma once
#include <stdbool.h>

struct vcpu;

/* Odd while a vCPU wants the others parked: they park at the top of their
 * loop, where they hold no lock and run no uthread. Each stop and each
 * resume adds one: a parker knows which stop it parked for. */
extern int sched_stopping;

/**
 * sched_stop_others - park every other vCPU in its loop (kicked out of app
 * code or runtime code), or claim it where it sleeps idle. From a uthread
 * in runtime code with no lock held. 0, or -EAGAIN if one did not park
 * within a second (a vCPU blocked in a kernel call): nothing is stopped
 * then.
 */
int sched_stop_others(void);
/* sched_resume_others - let them go on. */
void sched_resume_others(void);
/* sched_park - a vCPU's loop parks here while sched_stopping is odd. */
void sched_park(void);
/* sched_leave_idle - a vCPU back from its idle sleep (or not entering it)
 * goes on, once the stop that claimed it there, if any, is over. */
void sched_leave_idle(struct vcpu *v);

/**
 * sched_after_fork - in the child of a host fork made while the others
 * were stopped: the calling vCPU, which made the fork, becomes the only one
 * (vCPU 0), with an empty run queue, a new kick eventfd and idle epoll set,
 * SUD and its preemption timer on again (neither survives a fork); the
 * futexes, timers, kernel-fd waits and offloaded calls of threads that do
 * not exist here are forgotten.
 */
void sched_after_fork(void);
