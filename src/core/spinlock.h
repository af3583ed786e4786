/* spinlock.h - a test-and-test-and-set lock for short runtime critical sections. */
#pragma once
#include <stdbool.h>

typedef struct {
	volatile int locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

/* Spins this long (a few microseconds), then yields the CPU while it waits:
 * the holder may be a thread the kernel put on this same CPU (a worker
 * waking a vCPU it shares CPU 0 with), which spinning on would only delay
 * to the end of the time slice. */
#define SPIN_BEFORE_YIELD 256

/* spin_yield - give the CPU up (core/spinlock.c). Weak: where only the lock
 * is linked (unit tests, fuzzers) it is absent, and waiters just spin. */
void spin_yield(void) __attribute__((weak));

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		for (unsigned n = 1; __atomic_load_n(&l->locked, __ATOMIC_RELAXED); n++) {
			__builtin_ia32_pause();
			if (n % SPIN_BEFORE_YIELD == 0 && spin_yield)
				spin_yield();
		}
	}
}

static inline bool spin_trylock(spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
