/* waitq.c - wait queues: parked uthreads and callbacks, woken by event mask. */
#include "sched/waitq.h"

#include <errno.h>
#include <string.h>

#include "sched/sched.h"

static void link_tail(struct waitq *q, struct wq_entry *e)
{
	e->next = NULL;
	e->prev = q->tail;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	if (e->func)
		q->ncallbacks++;
	__atomic_store_n(&e->q, q, __ATOMIC_RELAXED);
}

static void link_head(struct waitq *q, struct wq_entry *e)
{
	e->prev = NULL;
	e->next = q->head;
	if (q->head)
		q->head->prev = e;
	else
		q->tail = e;
	q->head = e;
	if (e->func)
		q->ncallbacks++;
	__atomic_store_n(&e->q, q, __ATOMIC_RELAXED);
}

static void unlink_entry(struct waitq *q, struct wq_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	if (e->func)
		q->ncallbacks--;
}

/* wake_parked - take a parked entry off q and make its uthread runnable.
 * e->q is cleared last, after the wake: a parker that sees NULL there may
 * return (its entry is on its stack) and never gets a stale wake later. */
static void wake_parked(struct waitq *q, struct wq_entry *e)
{
	struct uthread *ut = e->ut;
	unlink_entry(q, e);
	uthread_wake(ut, WAKE_EVENT);
	__atomic_store_n(&e->q, NULL, __ATOMIC_RELEASE);
}

static int wake(struct waitq *q, bool keyed, uint64_t key, int n, uint32_t events)
{
	int woken = 0;
	bool excl_done = false;
	struct wq_entry *e = q->head;
	while (e && (n < 0 || woken < n || q->ncallbacks)) {
		struct wq_entry *next = e->next;
		if ((e->events & events) && (!keyed || e->key == key)) {
			if (e->func && e->exclusive) {
				if (!excl_done) {
					e->woke = false;
					e->func(e, events);
					excl_done = e->woke;
				}
			} else if (e->func) {
				e->func(e, events);
			} else if (n < 0 || woken < n) {
				wake_parked(q, e);
				woken++;
			}
		}
		e = next;
	}
	return woken;
}

int waitq_wake_locked(struct waitq *q, int n, uint32_t events)
{
	return wake(q, false, 0, n, events);
}

int waitq_wake_key_locked(struct waitq *q, uint64_t key, int n, uint32_t events)
{
	return wake(q, true, key, n, events);
}

int waitq_wake(struct waitq *q, int n, uint32_t events)
{
	spin_lock(&q->lock);
	int r = wake(q, false, 0, n, events);
	spin_unlock(&q->lock);
	return r;
}

int waitq_requeue_locked(struct waitq *q, struct waitq *q2, uint64_t key, uint64_t key2, int n)
{
	int moved = 0;
	struct wq_entry *e = q->head;
	while (e && moved < n) {
		struct wq_entry *next = e->next;
		if (!e->func && e->key == key) {
			unlink_entry(q, e);
			e->key = key2;
			link_tail(q2, e);
			moved++;
		}
		e = next;
	}
	return moved;
}

uint32_t waitq_events_locked(const struct waitq *q)
{
	uint32_t ev = 0;
	for (const struct wq_entry *e = q->head; e; e = e->next)
		ev |= e->events;
	return ev;
}

/* lock_queue_of - lock the queue e is on and return it, or NULL if e is off
 * every queue. A requeue may move e meanwhile: check under the lock. */
static struct waitq *lock_queue_of(struct wq_entry *e)
{
	for (;;) {
		struct waitq *q = __atomic_load_n(&e->q, __ATOMIC_ACQUIRE);
		if (!q)
			return NULL;
		spin_lock(&q->lock);
		if (__atomic_load_n(&e->q, __ATOMIC_RELAXED) == q)
			return q;
		spin_unlock(&q->lock);
	}
}

void waitq_add_locked(struct waitq *q, struct wq_entry *e)
{
	link_tail(q, e);
}

void waitq_add(struct waitq *q, struct wq_entry *e)
{
	spin_lock(&q->lock);
	waitq_add_locked(q, e);
	spin_unlock(&q->lock);
}

void waitq_add_head(struct waitq *q, struct wq_entry *e)
{
	spin_lock(&q->lock);
	link_head(q, e);
	spin_unlock(&q->lock);
}

void waitq_remove_locked(struct waitq *q, struct wq_entry *e)
{
	unlink_entry(q, e);
	__atomic_store_n(&e->q, NULL, __ATOMIC_RELAXED);
}

void waitq_remove(struct wq_entry *e)
{
	struct waitq *q = lock_queue_of(e);
	if (!q)
		return;
	waitq_remove_locked(q, e);
	spin_unlock(&q->lock);
}

long waitq_park(struct waitq *q, struct wq_entry *e, uint64_t deadline, bool intr)
{
	struct uthread *ut = uthread_self();
	e->ut = ut;
	e->func = NULL;
	link_tail(q, e);
	/* Not a candidate for a signal's wake-up: the signal layer picks the
	 * thread to wake by this mask (see signal_notify). */
	if (!intr)
		__atomic_store_n(&ut->sig_wake, 0, __ATOMIC_RELAXED);
	for (;;) {
		/* Under the lock: a waker's CAS from BLOCKED cannot come first. */
		__atomic_store_n(&ut->state, UT_BLOCKED, __ATOMIC_RELAXED);
		spin_unlock(&q->lock);
		int why = uthread_sleep(deadline, intr);
		q = lock_queue_of(e);
		if (!q)
			return 0;
		/* Still queued: a timeout, an interrupt, the program's end, or a
		 * wake-up that was not for this wait (an uninterruptible one woken
		 * by a signal): sleep again for those. */
		bool interrupted = why == WAKE_SIGNAL &&
				   (intr || __atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE));
		if (why == WAKE_TIMEOUT || interrupted) {
			unlink_entry(q, e);
			__atomic_store_n(&e->q, NULL, __ATOMIC_RELAXED);
			spin_unlock(&q->lock);
			return why == WAKE_TIMEOUT ? -ETIMEDOUT : -EINTR;
		}
	}
}

long waitq_sleep(uint64_t deadline)
{
	struct uthread *ut = uthread_self();
	__atomic_store_n(&ut->state, UT_BLOCKED, __ATOMIC_RELAXED);
	int why = uthread_sleep(deadline, true);
	return why == WAKE_TIMEOUT ? -ETIMEDOUT : why == WAKE_SIGNAL ? -EINTR : 0;
}

long waitq_wait_until(struct waitq *q, uint32_t events, bool (*ready)(void *arg), void *arg,
		      uint64_t deadline)
{
	for (;;) {
		spin_lock(&q->lock);
		if (ready(arg)) {
			spin_unlock(&q->lock);
			return 0;
		}
		struct wq_entry w = { .events = events };
		long r = waitq_park(q, &w, deadline, true);
		if (r < 0)
			return r;
	}
}

int waitq_after_fork(struct waitq *q)
{
	struct wq_entry *e = q->head;
	memset(q, 0, sizeof(*q));
	int kept = 0;
	while (e) {
		struct wq_entry *next = e->next;
		if (e->func) {
			link_tail(q, e);
			kept++;
		}
		e = next;
	}
	return kept;
}
