/* timer.c - one-shot timers on per-vCPU heaps: binary min-heaps, one lock each. */
#include "sched/timer.h"

#include <stdlib.h>

#include "core/forkhot.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "sched/sched.h"
#include "sched/vcpu.h"

struct timer_heap {
	spinlock_t lock;
	struct utimer **t;
	int n, cap;
	/* Mirror of t[0]->deadline for a lock-free peek by every vCPU loop. */
	uint64_t earliest;
} __attribute__((aligned(64)));

FORK_HOT static struct timer_heap *heaps;
FORK_HOT static int nheaps;

void timer_init(int n)
{
	heaps = calloc(n, sizeof(*heaps));
	if (!heaps)
		pg_die("out of memory");
	/* Room for a first 64 from the start: the mid path arms timers only
	 * where there is room (timer_room), and a vCPU whose waits never took
	 * the full path would otherwise never have any. */
	for (int i = 0; i < n; i++) {
		heaps[i].earliest = UINT64_MAX;
		heaps[i].cap = 64;
		heaps[i].t = malloc(heaps[i].cap * sizeof(*heaps[i].t));
		if (!heaps[i].t)
			pg_die("out of memory");
	}
	nheaps = n;
}

static void place(struct timer_heap *h, int i, struct utimer *t)
{
	h->t[i] = t;
	__atomic_store_n(&t->heap_idx, i, __ATOMIC_RELEASE);
}

static void sift_up(struct timer_heap *h, int i)
{
	struct utimer *t = h->t[i];
	while (i > 0) {
		int parent = (i - 1) / 2;
		if (h->t[parent]->deadline <= t->deadline)
			break;
		place(h, i, h->t[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void sift_down(struct timer_heap *h, int i)
{
	struct utimer *t = h->t[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->t[c + 1]->deadline < h->t[c]->deadline)
			c++;
		if (h->t[c]->deadline >= t->deadline)
			break;
		place(h, i, h->t[c]);
		i = c;
	}
	place(h, i, t);
}

static void publish(struct timer_heap *h)
{
	__atomic_store_n(&h->earliest, h->n ? h->t[0]->deadline : UINT64_MAX, __ATOMIC_RELEASE);
}

static void remove_at(struct timer_heap *h, int i)
{
	struct utimer *t = h->t[i];
	__atomic_store_n(&t->heap_idx, -1, __ATOMIC_RELEASE);
	if (--h->n != i) {
		place(h, i, h->t[h->n]);
		sift_down(h, i);
		sift_up(h, h->t[i]->heap_idx);
	}
	publish(h);
}

bool timer_room(void)
{
	struct timer_heap *h = &heaps[vcpu_self()->id];
	return __atomic_load_n(&h->n, __ATOMIC_RELAXED) < h->cap;
}

void timer_arm(struct utimer *t, uint64_t deadline)
{
	struct timer_heap *h = &heaps[vcpu_self()->id];
	spin_lock(&h->lock);
	PG_ASSERT(t->heap_idx < 0);
	if (h->n == h->cap) {
		h->cap *= 2;
		h->t = realloc(h->t, h->cap * sizeof(*h->t));
		if (!h->t)
			pg_die("out of memory");
	}
	t->deadline = deadline;
	__atomic_store_n(&t->heap, h, __ATOMIC_RELAXED);
	place(h, h->n++, t);
	sift_up(h, h->n - 1);
	bool first = h->t[0] == t;
	publish(h);
	spin_unlock(&h->lock);
	/* A sleeping vCPU computed its timeout from the old earliest deadline.
	 * But a uthread arming its own sleep's timer parks right after, and
	 * its vCPU, with nothing else queued, then sleeps until it itself: no
	 * other is woken (a server parking in epoll_wait with a timeout cost a
	 * kick per request, and the kicked vCPU's spin took the server). */
	struct vcpu *v = vcpu_self();
	bool parks_here = v->cur && t == &v->cur->timer && !__atomic_load_n(&v->rq_len, __ATOMIC_RELAXED);
	if (first && !parks_here)
		sched_kick_idle();
}

void timer_cancel(struct utimer *t)
{
	struct timer_heap *h = __atomic_load_n(&t->heap, __ATOMIC_RELAXED);
	if (__atomic_load_n(&t->heap_idx, __ATOMIC_ACQUIRE) >= 0) {
		spin_lock(&h->lock);
		if (t->heap_idx >= 0)
			remove_at(h, t->heap_idx);
		spin_unlock(&h->lock);
	}
	/* running was set before heap_idx went -1 (see fire_due). */
	while (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

uint64_t timer_next_deadline(void)
{
	uint64_t min = UINT64_MAX;
	for (int i = 0; i < nheaps; i++) {
		uint64_t e = __atomic_load_n(&heaps[i].earliest, __ATOMIC_ACQUIRE);
		if (e < min)
			min = e;
	}
	return min;
}

/* fire_due - run h's due timers, the lock held on entry and on return;
 * each fn runs unlocked, its timer marked running first. */
static void fire_due(struct timer_heap *h, uint64_t now)
{
	while (h->n && h->t[0]->deadline <= now) {
		struct utimer *t = h->t[0];
		__atomic_store_n(&t->running, true, __ATOMIC_RELAXED);
		remove_at(h, 0);
		spin_unlock(&h->lock);
		t->fn(t);
		__atomic_store_n(&t->running, false, __ATOMIC_RELEASE);
		spin_lock(&h->lock);
	}
}

void timer_run_expired(uint64_t now)
{
	int self = vcpu_self()->id;
	for (int k = 0; k < nheaps; k++) {
		/* Its own heap first; others' only if due and not busy: their
		 * vCPU may be running app code for a while. */
		struct timer_heap *h = &heaps[(self + k) % nheaps];
		if (__atomic_load_n(&h->earliest, __ATOMIC_ACQUIRE) > now)
			continue;
		if (k == 0)
			spin_lock(&h->lock);
		else if (!spin_trylock(&h->lock))
			continue;
		fire_due(h, now);
		spin_unlock(&h->lock);
	}
}

void timer_after_fork(void)
{
	/* Every armed timer was another thread's, or a subsystem's of the
	 * parent: the child's one vCPU starts with none. */
	nheaps = 1;
	heaps[0].lock.locked = 0;
	heaps[0].n = 0;
	heaps[0].earliest = UINT64_MAX;
}
