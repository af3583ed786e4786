/* futex.h - futexes served in user space: wait queues keyed by address. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* futex(2) for the calling thread tid, every op but the requeue-PI ones;
 * -errno like the kernel. Waits are interruptible (the caller arms the
 * interrupt word: signal_arm_wait), but a LOCK_PI's. */
long futex_op(uint64_t uaddr, int op, uint32_t val, uint64_t timeout_or_val2, uint64_t uaddr2,
	      uint32_t val3, int tid);

/* Wake up to n waiters of uaddr (thread exit's CLEARTID, robust lists). */
long futex_wake(uint64_t uaddr, bool shared, int n, uint32_t bitset);
/* A program has forked: shared futexes may now be another host process's
 * too, and go to the kernel as well (see futex.c). */
void futex_shared_to_kernel(void);
/* Does futex op (its flags) go to the kernel (a shared one, after a fork)? */
bool futex_in_kernel(int op);
/* In a forked child (sched_after_fork): no waiters. */
void futex_after_fork(void);
/* futex_robust_exit - the robust list at *list of thread tid, which ends
 * (its exit, its program's, an exec): the futexes it holds are marked
 * OWNER_DIED and one waiter of each woken, as the kernel's
 * exit_robust_list() (set_robust_list is the runtime's: the kernel knows
 * no list to walk); *list becomes 0, as Linux's futex_cleanup leaves it.
 * Before the thread's tid is cleared: a joiner may reuse its stack, and
 * the list head on it, at once. */
void futex_robust_exit(uint64_t *list, int tid);
