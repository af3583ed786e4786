/* test_timer.c - unit tests of sched/timer: order, cancel, expiry, callbacks that re-arm. */
#include <stdlib.h>

#include "fake_sched.h"
#include "sched/timer.h"
#include "unit.h"

static int order[8], nfired;

static void record(struct utimer *t)
{
	if (nfired < 8)
		order[nfired] = (int)(t->deadline / 100);
	nfired++;
}

static void setup(void)
{
	static bool heaps;
	fake_sched_init();
	fake_uthread(0);
	if (!heaps)
		timer_init(1); /* the fake vCPU is id 0 */
	heaps = true;
	nfired = 0;
}

UNIT_TEST(earliest_first)
{
	setup();
	struct utimer a = { .heap_idx = -1, .fn = record }, b = a, c = a;
	CHECK_EQ(timer_next_deadline(), UINT64_MAX);
	timer_arm(&a, 300);
	timer_arm(&b, 100);
	timer_arm(&c, 200);
	CHECK_EQ(timer_next_deadline(), 100);
	timer_run_expired(150);
	CHECK_EQ(nfired, 1);
	CHECK_EQ(order[0], 1);
	CHECK_EQ(b.heap_idx, -1);
	CHECK(!b.running);
	CHECK_EQ(timer_next_deadline(), 200);
	timer_cancel(&c);
	timer_cancel(&c); /* not armed: nothing */
	CHECK_EQ(timer_next_deadline(), 300);
	timer_run_expired(300); /* due at exactly now */
	CHECK_EQ(nfired, 2);
	CHECK_EQ(order[1], 3);
	CHECK_EQ(timer_next_deadline(), UINT64_MAX);
}

static int rearms;
static void rearm(struct utimer *t)
{
	if (++rearms < 3)
		timer_arm(t, t->deadline + 10); /* from its own fn: allowed */
}

UNIT_TEST(callback_rearms_itself)
{
	setup();
	rearms = 0;
	struct utimer t = { .heap_idx = -1, .fn = rearm };
	timer_arm(&t, 10);
	timer_run_expired(15);
	CHECK_EQ(rearms, 1);
	CHECK_EQ(timer_next_deadline(), 20);
	timer_run_expired(100); /* the re-armed ones are due too: all run */
	CHECK_EQ(rearms, 3);
	CHECK_EQ(timer_next_deadline(), UINT64_MAX);
}

static void wake_owner(struct utimer *t)
{
	uthread_wake((struct uthread *)((char *)t - offsetof(struct uthread, timer)), WAKE_TIMEOUT);
}

UNIT_TEST(sleep_timer_wakes_its_uthread)
{
	setup();
	struct uthread *u = fake_uthread(1);
	u->state = UT_BLOCKED;
	u->timer.fn = wake_owner;
	timer_arm(&u->timer, 50);
	timer_run_expired(49);
	CHECK_EQ(u->state, UT_BLOCKED);
	timer_run_expired(50);
	CHECK_EQ(u->state, UT_RUNNABLE);
	CHECK_EQ(u->wake_reason, WAKE_TIMEOUT);
}

UNIT_TEST(many_in_order)
{
	setup();
	static struct utimer t[500];
	srand(1);
	for (int i = 0; i < 500; i++) {
		t[i] = (struct utimer){ .heap_idx = -1, .fn = record };
		timer_arm(&t[i], 1 + rand() % 10000);
	}
	for (int i = 0; i < 500; i += 3)
		timer_cancel(&t[i]);
	uint64_t prev = 0;
	int runs = 0;
	while (timer_next_deadline() != UINT64_MAX) {
		uint64_t d = timer_next_deadline();
		CHECK(d >= prev);
		prev = d;
		nfired = 0;
		timer_run_expired(d);
		runs += nfired;
	}
	for (int i = 0; i < 500; i++)
		CHECK_EQ(t[i].heap_idx, -1);
	CHECK_EQ(runs, 500 - 167);
}
