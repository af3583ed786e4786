/* offload.h - worker threads for calls that can only block inside the kernel. */
#pragma once

struct uthread;

void offload_init(void);

/**
 * offload_syscall - run syscall nr on a worker thread while the calling
 * uthread is parked, so its vCPU keeps running others. A signal for the
 * uthread interrupts the worker's call (it then returns -EINTR, as the
 * kernel would). Returns the kernel's result.
 */
long offload_syscall(struct uthread *ut, long nr, const long a[6]);
