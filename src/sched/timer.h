/* timer.h - the timers every vCPU shares: timeouts and sleeps of uthreads. */
#pragma once
#include <stdint.h>

#include "sched/vcpu.h"

void timer_arm(struct utimer *t, uint64_t deadline);
void timer_cancel(struct utimer *t);
/* The earliest deadline, or UINT64_MAX if no timer is armed. Lock-free. */
uint64_t timer_next_deadline(void);
/* Fire every timer whose deadline is <= now. */
void timer_run_expired(uint64_t now);
