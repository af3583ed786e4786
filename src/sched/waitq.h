/* waitq.h - wait queues: parked uthreads and callbacks, woken by event mask. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/spinlock.h"

struct uthread;
struct wq_entry;

/*
 * One primitive for every "wait until something happens" of the runtime
 * (futex, kernel-fd readiness, offloaded calls, and the poll heads of
 * user-space files), in the spirit of Linux's wait queues:
 *
 *  - A *parked* entry is a uthread asleep in waitq_park(). A waker takes it
 *    off the queue and makes it runnable; the parker then knows it was
 *    woken (0), however its sleep ended.
 *  - A *callback* entry (func set) stays queued until its owner removes
 *    it; every matching wake calls func(entry, events) under the queue's
 *    lock (an epoll item, a poll table). func must not sleep or take a
 *    lock that is held around a wake of this queue.
 *
 * The caller holds q->lock while it checks its condition and parks, and
 * wakers hold it while they change the condition and wake: no wake-up is
 * lost between the check and the sleep. Zeroed memory is an empty queue.
 */

typedef void (*wq_func_t)(struct wq_entry *e, uint32_t events);

struct waitq {
	spinlock_t lock;
	struct wq_entry *head, *tail;
	int ncallbacks;          /* callback entries queued: wake-one scans on */
};

struct wq_entry {
	struct wq_entry *next, *prev;
	struct waitq *q;         /* the queue it is on, NULL once off (atomic) */
	uint64_t key;            /* what a keyed wake matches (a futex address) */
	uint32_t events;         /* events it waits for (a mask, a futex bitset) */
	struct uthread *ut;      /* the parked uthread */
	wq_func_t func;          /* or the callback */
	/* An exclusive callback (EPOLLEXCLUSIVE): once one of them says it
	 * woke someone (sets woke), a wake calls no further exclusive ones. */
	bool exclusive, woke;
};

#define WQ_ALL 0xffffffffu

/**
 * waitq_park - park the calling uthread on q until a waker takes e off it.
 * @q: the queue, locked by the caller (it checked that it must wait).
 * @e: the caller's entry, with events (and key) set; anything else is set here.
 * @deadline: CLOCK_MONOTONIC ns, or 0 for none.
 * @intr: the wait also ends when the uthread's interrupt word is set
 *        (signal_arm_wait in proc/signal.h arms it).
 *
 * Unlocks q. Returns 0 if woken by a waker (even when a timeout or an
 * interrupt came at the same time: the wake-up is not lost), -ETIMEDOUT,
 * or -EINTR (interrupted, or the uthread's program is ending). On return
 * e is off every queue.
 */
long waitq_park(struct waitq *q, struct wq_entry *e, uint64_t deadline, bool intr);

/**
 * waitq_wait_until - park on q (woken by wakes that meet events) until
 * ready(arg) holds, as checked under q->lock (the lock its wakers change
 * the condition before waking under: no lost wake-up), or deadline
 * (-ETIMEDOUT) or an interrupt (-EINTR, as waitq_park's intr). 0 once it
 * holds.
 */
long waitq_wait_until(struct waitq *q, uint32_t events, bool (*ready)(void *arg), void *arg,
		      uint64_t deadline);
/* waitq_sleep - the same with no queue: only the deadline (-ETIMEDOUT) or
 * the interrupt word (-EINTR) end it; 0 for a spurious wake-up. */
long waitq_sleep(uint64_t deadline);

/* Wake up to n parked entries (n < 0: all) whose events meet events, and
 * call every such callback. q->lock held. Returns the parked ones woken. */
int waitq_wake_locked(struct waitq *q, int n, uint32_t events);
/* The same, only for entries with this key. */
int waitq_wake_key_locked(struct waitq *q, uint64_t key, int n, uint32_t events);
/* waitq_wake_locked, taking the lock. */
int waitq_wake(struct waitq *q, int n, uint32_t events);

/* Move up to n parked entries with key from q to q2, keyed key2 from then
 * on (futex requeue). Both locks held. Returns how many moved. */
int waitq_requeue_locked(struct waitq *q, struct waitq *q2, uint64_t key, uint64_t key2, int n);

/* waitq_after_fork - in a forked child: q keeps its callback entries (of
 * objects the child has too), not its parked ones (other threads', which
 * the child lacks), and its lock is free. Returns the callbacks kept. */
int waitq_after_fork(struct waitq *q);

/* The union of the events of every queued entry. q->lock held. */
uint32_t waitq_events_locked(const struct waitq *q);

static inline bool waitq_empty(const struct waitq *q)
{
	return !__atomic_load_n(&q->head, __ATOMIC_RELAXED);
}

/* Hang a callback entry (func and events set) on q, or take it off. */
void waitq_add(struct waitq *q, struct wq_entry *e);
void waitq_add_locked(struct waitq *q, struct wq_entry *e);
/* At the head, as Linux's add_wait_queue: the last hung is called first. */
void waitq_add_head(struct waitq *q, struct wq_entry *e);
void waitq_remove(struct wq_entry *e);
/* The same for an entry on q, whose lock the caller holds. */
void waitq_remove_locked(struct waitq *q, struct wq_entry *e);
