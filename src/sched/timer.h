/* timer.h - one-shot timers on per-vCPU heaps: uthread sleeps and callbacks. */
#pragma once
#include <stdint.h>

#include "sched/vcpu.h"

/*
 * Each vCPU has its own heap (and lock): a timer goes on the heap of the
 * vCPU that arms it. At its deadline its fn runs on a vCPU: the owner's in
 * its loop or at its slice tick, or an idle one that finds it due (idle
 * vCPUs sleep until the earliest deadline of all heaps). A uthread's sleep
 * timer (uthread_sleep) wakes it; other users (TCP's retransmissions, a
 * poller's housekeeping) set their own fn.
 *
 * fn runs without the heap's lock: it may arm timers (its own too) but
 * must not cancel its own timer (timer_cancel waits for a running fn).
 */

/* Heaps for n vCPUs; before any timer is armed. */
void timer_init(int n);
/* Arm t (fn set) to fire at deadline (CLOCK_MONOTONIC ns), on the calling
 * vCPU's heap. t must not be armed. */
void timer_arm(struct utimer *t, uint64_t deadline);
/* timer_room - an arm on this vCPU now allocates nothing (the gate's mid
 * path, which may call no library code, arms only then). */
bool timer_room(void);
/* Disarm t; if its fn is running, wait until it returns. */
void timer_cancel(struct utimer *t);
/* The earliest deadline of all heaps, or UINT64_MAX. Lock-free. */
uint64_t timer_next_deadline(void);
/* Run every due timer (deadline <= now): the calling vCPU's, and those of
 * other vCPUs whose heap is not busy. */
void timer_run_expired(uint64_t now);
/* In a forked child (sched_after_fork): one empty heap, for vCPU 0. */
void timer_after_fork(void);
