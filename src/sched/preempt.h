/* preempt.h - taking the vCPU back from app code: slices and kicks. */
#pragma once
#include <stdbool.h>

#include "sched/vcpu.h"

/* The host signal that stops app code on a vCPU (preemption ticks, kicks). */
#define SIG_VCPU_KICK 64
/* The host signal that interrupts an offload worker's blocking call. */
#define SIG_WORKER_INTR 63
/* The host signal that asks for --stats now (`pegasus stats PID`), sent
 * with this value (sigqueue): without it, 62 is a program's signal. */
#define SIG_STATS 62
#define SIG_STATS_VALUE 0x70677374 /* "pgst" */
/* 62 also carries the standard signals forwarded between the instance's
 * processes (proc/fork.h FORK_SIG_CARRIER), tagged. Programs may send 62-64 too: from another process (a forked child's
 * SIGRTMAX) or from outside they arrive as the same host signals, which
 * are the runtime's only when sent as above (a tick of the vCPU's own
 * timer, a tgkill, `pegasus stats`); host_signals.c tells them apart. */

/* Arm v's slice timer; called on v's own thread. */
void preempt_start_vcpu(struct vcpu *v);
/*
 * preempt_tick_set - start (on) or stop v's slice ticks; on v's own thread
 * (its tick handler too). A vCPU asleep in the kernel with nothing of its
 * own to run (idle, or its uthread's solo wait) has nothing to preempt:
 * its tick stops it there (a tick woke every idle vCPU 100 times a
 * second), and its next return to work starts it again
 * (preempt_tick_resume: when the vCPU loop starts a uthread, and on a
 * uthread's way back to app code after a solo wait).
 */
void preempt_tick_set(struct vcpu *v, bool on);
static inline void preempt_tick_resume(struct vcpu *v)
{
	if (v->tick_paused)
		preempt_tick_set(v, true);
}
/* Make v's current uthread cross the gate soon (signal delivery). */
void preempt_kick(struct vcpu *v);
