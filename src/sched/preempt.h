/* preempt.h - taking the vCPU back from app code: slices and kicks. */
#pragma once

struct vcpu;

/* The host signal that stops app code on a vCPU (preemption ticks, kicks). */
#define SIG_VCPU_KICK 64
/* The host signal that interrupts an offload worker's blocking call. */
#define SIG_WORKER_INTR 63
/* The host signal that asks for --stats now (`pegasus stats PID`). */
#define SIG_STATS 62

/* Arm v's slice timer; called on v's own thread. */
void preempt_start_vcpu(struct vcpu *v);
/* Make v's current uthread cross the gate soon (signal delivery). */
void preempt_kick(struct vcpu *v);
