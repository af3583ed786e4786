/* test_waitq.c - unit tests of sched/waitq: parking, waking by mask and key, requeue, callbacks. */
#include <errno.h>
#include <string.h>

#include "fake_sched.h"
#include "sched/waitq.h"
#include "unit.h"

static struct waitq q, q2;
static struct uthread *A, *B;
static long b_result;

static void setup(void)
{
	fake_sched_init();
	memset(&q, 0, sizeof(q));
	memset(&q2, 0, sizeof(q2));
	B = fake_uthread(1);
	A = fake_uthread(0);
	b_result = 1;
}

static long park(struct waitq *wq, struct wq_entry *e, bool intr)
{
	spin_lock(&wq->lock);
	return waitq_park(wq, e, 0, intr);
}

/* B parks on q (events, key) from inside A's sleep, with its own hook. */
static void park_b(struct waitq *wq, uint32_t events, uint64_t key, fake_sleep_hook hook)
{
	struct wq_entry e = { .events = events, .key = key };
	fake_set_current(B);
	fake_on_sleep(B, hook);
	b_result = park(wq, &e, true);
	CHECK(!e.q);
}

static int wake_all_hook(struct uthread *ut, int nth)
{
	CHECK_EQ(waitq_wake(&q, -1, WQ_ALL), 1);
	return WAKE_TIMEOUT; /* not what ends it: the wake came first */
}

UNIT_TEST(wake_ends_park)
{
	setup();
	fake_on_sleep(A, wake_all_hook);
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), 0);
	CHECK(waitq_empty(&q));
	CHECK_EQ(A->state, UT_RUNNING);
}

UNIT_TEST(timeout_takes_entry_off)
{
	setup();
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), -ETIMEDOUT); /* no hook: the sleep times out */
	CHECK(waitq_empty(&q));
	CHECK(!e.q);
	CHECK_EQ(waitq_wake(&q, -1, WQ_ALL), 0);
}

static int timeout_then_wake_hook(struct uthread *ut, int nth)
{
	uthread_wake(ut, WAKE_TIMEOUT);          /* the timer fires... */
	CHECK_EQ(waitq_wake(&q, 1, WQ_ALL), 1); /* ...and a waker takes the entry */
	return WAKE_TIMEOUT;
}

UNIT_TEST(wake_racing_timeout_is_not_lost)
{
	setup();
	fake_on_sleep(A, timeout_then_wake_hook);
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), 0);
	CHECK(waitq_empty(&q));
}

static int interrupt_hook(struct uthread *ut, int nth)
{
	ut->sig_intr = 1; /* what signal_notify does */
	uthread_wake(ut, WAKE_SIGNAL);
	return 0;
}

UNIT_TEST(interrupt_ends_interruptible_park)
{
	setup();
	fake_on_sleep(A, interrupt_hook);
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), -EINTR);
	CHECK(waitq_empty(&q));
}

UNIT_TEST(interrupt_word_set_before_park)
{
	setup();
	A->sig_intr = 1;
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), -EINTR);
	CHECK_EQ(fake_sleeps(A), 0);
	CHECK(waitq_empty(&q));
	CHECK_EQ(waitq_sleep(0), -EINTR);
}

static int signal_then_wake_hook(struct uthread *ut, int nth)
{
	if (nth == 1) {
		uthread_wake(ut, WAKE_SIGNAL);
		return 0;
	}
	CHECK_EQ(waitq_wake(&q, 1, WQ_ALL), 1);
	return 0;
}

UNIT_TEST(uninterruptible_park_sleeps_through_signals)
{
	setup();
	A->sig_intr = 1;
	A->sig_wake = ~0ull;
	fake_on_sleep(A, signal_then_wake_hook);
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, false), 0);
	CHECK_EQ(fake_sleeps(A), 2);
	CHECK_EQ(A->sig_wake, 0); /* no candidate for a signal's wake-up */
}

static int b_wakes_one_hook(struct uthread *ut, int nth)
{
	CHECK_EQ(waitq_wake(&q, 1, WQ_ALL), 1);
	CHECK_EQ(A->state, UT_RUNNABLE); /* the first parked, FIFO */
	CHECK_EQ(B->state, UT_BLOCKED);
	return WAKE_TIMEOUT;
}

static int a_hook_parks_b(struct uthread *ut, int nth)
{
	park_b(&q, WQ_ALL, 0, b_wakes_one_hook);
	return WAKE_TIMEOUT;
}

UNIT_TEST(wake_one_is_fifo)
{
	setup();
	fake_on_sleep(A, a_hook_parks_b);
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), 0);
	CHECK_EQ(b_result, -ETIMEDOUT);
	CHECK(waitq_empty(&q));
}

static int b_wakes_by_mask_hook(struct uthread *ut, int nth)
{
	spin_lock(&q.lock);
	CHECK_EQ(waitq_events_locked(&q), 1 | 4);
	spin_unlock(&q.lock);
	CHECK_EQ(waitq_wake(&q, -1, 4), 1);
	CHECK_EQ(A->state, UT_BLOCKED);
	return WAKE_TIMEOUT;
}

static int a_hook_parks_b_on_4(struct uthread *ut, int nth)
{
	park_b(&q, 4, 0, b_wakes_by_mask_hook);
	return WAKE_TIMEOUT;
}

UNIT_TEST(wake_by_mask)
{
	setup();
	fake_on_sleep(A, a_hook_parks_b_on_4);
	struct wq_entry e = { .events = 1 };
	CHECK_EQ(park(&q, &e, true), -ETIMEDOUT);
	CHECK_EQ(b_result, 0);
	CHECK(waitq_empty(&q));
}

static int calls;
static uint32_t seen;
static void count_cb(struct wq_entry *e, uint32_t events)
{
	calls++;
	seen = events;
}

UNIT_TEST(callbacks_get_the_mask_and_stay)
{
	setup();
	calls = 0;
	struct wq_entry c1 = { .events = 1, .func = count_cb }, c2 = { .events = 2, .func = count_cb };
	waitq_add(&q, &c1);
	waitq_add(&q, &c2);
	CHECK_EQ(waitq_wake(&q, 1, 2), 0); /* callbacks are not counted */
	CHECK_EQ(calls, 1);
	CHECK_EQ(seen, 2);
	CHECK_EQ(waitq_wake(&q, -1, 3), 0);
	CHECK_EQ(calls, 3);
	waitq_remove(&c1);
	waitq_remove(&c1); /* off already: nothing */
	spin_lock(&q.lock);
	CHECK_EQ(waitq_events_locked(&q), 2);
	spin_unlock(&q.lock);
	waitq_remove(&c2);
	CHECK(waitq_empty(&q));
	CHECK_EQ(q.ncallbacks, 0);
}

static int hang_cb_then_wake_hook(struct uthread *ut, int nth)
{
	static struct wq_entry c = { .events = WQ_ALL, .func = count_cb };
	waitq_add(&q, &c);
	CHECK_EQ(waitq_wake(&q, 1, 8), 1);
	CHECK_EQ(calls, 1); /* reached past the parked entry woken first */
	waitq_remove(&c);
	return 0;
}

UNIT_TEST(wake_one_still_calls_callbacks)
{
	setup();
	calls = 0;
	fake_on_sleep(A, hang_cb_then_wake_hook);
	struct wq_entry e = { .events = WQ_ALL };
	CHECK_EQ(park(&q, &e, true), 0);
}

static int b_requeues_hook(struct uthread *ut, int nth)
{
	spin_lock(&q.lock);
	spin_lock(&q2.lock);
	CHECK_EQ(waitq_requeue_locked(&q, &q2, 8, 24, 5), 1); /* A only: B is keyed 16 */
	CHECK_EQ(waitq_wake_key_locked(&q, 8, 1, WQ_ALL), 0);
	CHECK_EQ(waitq_wake_key_locked(&q2, 24, 1, WQ_ALL), 1);
	spin_unlock(&q2.lock);
	spin_unlock(&q.lock);
	return WAKE_TIMEOUT;
}

static int a_hook_parks_b_key16(struct uthread *ut, int nth)
{
	park_b(&q, WQ_ALL, 16, b_requeues_hook);
	return WAKE_TIMEOUT;
}

UNIT_TEST(requeue_then_wake_on_new_queue)
{
	setup();
	fake_on_sleep(A, a_hook_parks_b_key16);
	struct wq_entry e = { .events = WQ_ALL, .key = 8 };
	CHECK_EQ(park(&q, &e, true), 0);
	CHECK_EQ(b_result, -ETIMEDOUT);
	CHECK(waitq_empty(&q) && waitq_empty(&q2));
}

static int requeue_only_hook(struct uthread *ut, int nth)
{
	spin_lock(&q.lock);
	spin_lock(&q2.lock);
	CHECK_EQ(waitq_requeue_locked(&q, &q2, 8, 24, 1), 1);
	spin_unlock(&q2.lock);
	spin_unlock(&q.lock);
	return WAKE_TIMEOUT;
}

UNIT_TEST(timeout_after_requeue_leaves_new_queue)
{
	setup();
	fake_on_sleep(A, requeue_only_hook);
	struct wq_entry e = { .events = WQ_ALL, .key = 8 };
	CHECK_EQ(park(&q, &e, true), -ETIMEDOUT);
	CHECK(waitq_empty(&q2));
	CHECK_EQ(e.key, 24);
}
