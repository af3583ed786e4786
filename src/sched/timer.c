/* timer.c - the timers every vCPU shares: a binary min-heap under one lock. */
#include "sched/timer.h"

#include <stdlib.h>

#include "core/log.h"
#include "core/spinlock.h"
#include "sched/sched.h"

static spinlock_t lock = SPINLOCK_INIT;
static struct utimer **heap;
static int nheap, capheap;
/* Mirror of heap[0]->deadline for a lock-free peek by every vCPU loop. */
static uint64_t earliest = UINT64_MAX;

static void place(int i, struct utimer *t)
{
	heap[i] = t;
	t->heap_idx = i;
}

static void sift_up(int i)
{
	struct utimer *t = heap[i];
	while (i > 0) {
		int parent = (i - 1) / 2;
		if (heap[parent]->deadline <= t->deadline)
			break;
		place(i, heap[parent]);
		i = parent;
	}
	place(i, t);
}

static void sift_down(int i)
{
	struct utimer *t = heap[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= nheap)
			break;
		if (c + 1 < nheap && heap[c + 1]->deadline < heap[c]->deadline)
			c++;
		if (heap[c]->deadline >= t->deadline)
			break;
		place(i, heap[c]);
		i = c;
	}
	place(i, t);
}

static void remove_at(int i)
{
	struct utimer *t = heap[i];
	t->heap_idx = -1;
	if (--nheap == i)
		goto out;
	place(i, heap[nheap]);
	sift_down(i);
	sift_up(heap[i]->heap_idx);
out:
	__atomic_store_n(&earliest, nheap ? heap[0]->deadline : UINT64_MAX, __ATOMIC_RELEASE);
}

void timer_arm(struct utimer *t, uint64_t deadline)
{
	spin_lock(&lock);
	PG_ASSERT(t->heap_idx < 0);
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 64;
		heap = realloc(heap, capheap * sizeof(*heap));
		if (!heap)
			pg_die("out of memory");
	}
	t->deadline = deadline;
	place(nheap++, t);
	sift_up(nheap - 1);
	bool first = heap[0] == t;
	__atomic_store_n(&earliest, heap[0]->deadline, __ATOMIC_RELEASE);
	spin_unlock(&lock);
	/* A sleeping vCPU computed its timeout from the old earliest deadline. */
	if (first)
		sched_kick_idle();
}

void timer_cancel(struct utimer *t)
{
	if (__atomic_load_n(&t->heap_idx, __ATOMIC_ACQUIRE) < 0)
		return;
	spin_lock(&lock);
	if (t->heap_idx >= 0)
		remove_at(t->heap_idx);
	spin_unlock(&lock);
}

uint64_t timer_next_deadline(void)
{
	return __atomic_load_n(&earliest, __ATOMIC_ACQUIRE);
}

void timer_run_expired(uint64_t now)
{
	if (timer_next_deadline() > now)
		return;
	spin_lock(&lock);
	while (nheap && heap[0]->deadline <= now) {
		struct utimer *t = heap[0];
		remove_at(0);
		/* Woken under the lock: the uthread cannot re-arm this timer for a
		 * new sleep before this wake is done, so no wake is ever stale. */
		uthread_wake(t->ut, WAKE_TIMEOUT);
	}
	spin_unlock(&lock);
}
