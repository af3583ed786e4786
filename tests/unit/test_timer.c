/* test_timer.c - unit tests of sched/timer: the heap's order, cancel, expiry. */
#include <stdlib.h>

#include "fake_sched.h"
#include "sched/timer.h"
#include "unit.h"

static struct utimer *timer_of(struct uthread *ut)
{
	ut->state = UT_BLOCKED;
	return &ut->timer;
}

UNIT_TEST(earliest_first)
{
	fake_sched_init();
	struct uthread *a = fake_uthread(0), *b = fake_uthread(1), *c = fake_uthread(2);
	CHECK_EQ(timer_next_deadline(), UINT64_MAX);
	timer_arm(timer_of(a), 300);
	timer_arm(timer_of(b), 100);
	timer_arm(timer_of(c), 200);
	CHECK_EQ(timer_next_deadline(), 100);
	timer_run_expired(150);
	CHECK_EQ(b->state, UT_RUNNABLE);
	CHECK_EQ(b->wake_reason, WAKE_TIMEOUT);
	CHECK_EQ(a->state, UT_BLOCKED);
	CHECK_EQ(b->timer.heap_idx, -1);
	CHECK_EQ(timer_next_deadline(), 200);
	timer_cancel(&c->timer);
	timer_cancel(&c->timer); /* not armed: nothing */
	CHECK_EQ(timer_next_deadline(), 300);
	timer_run_expired(300); /* due at exactly now */
	CHECK_EQ(a->state, UT_RUNNABLE);
	CHECK_EQ(c->state, UT_BLOCKED);
	CHECK_EQ(timer_next_deadline(), UINT64_MAX);
}

UNIT_TEST(many_in_order)
{
	fake_sched_init();
	struct uthread *u = fake_uthread(0);
	static struct utimer t[500];
	srand(1);
	for (int i = 0; i < 500; i++) {
		t[i] = (struct utimer){ .heap_idx = -1, .ut = u };
		timer_arm(&t[i], 1 + rand() % 10000);
	}
	for (int i = 0; i < 500; i += 3)
		timer_cancel(&t[i]);
	uint64_t prev = 0;
	int fired = 0;
	while (timer_next_deadline() != UINT64_MAX) {
		uint64_t d = timer_next_deadline();
		CHECK(d >= prev);
		prev = d;
		timer_run_expired(d);
		fired++;
	}
	for (int i = 0; i < 500; i++)
		CHECK_EQ(t[i].heap_idx, -1);
	CHECK(fired <= 500 - 167);
}
