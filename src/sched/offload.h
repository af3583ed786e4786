/* offload.h - worker threads for calls that can only block inside the kernel. */
#pragma once

void offload_init(void);

/**
 * offload_syscall - run syscall nr on a worker thread while the calling
 * uthread is parked, so its vCPU keeps running others. Its interrupt word
 * (signal_arm_wait) interrupts the worker's call (which then returns
 * -EINTR, as the kernel would). Returns the kernel's result.
 */
long offload_syscall(long nr, const long a[6]);
/* In a forked child (sched_after_fork): no workers and no jobs yet. */
void offload_after_fork(void);
