/* fake_sched.h - a stand-in scheduler for unit tests: one "vCPU", uthreads that never really sleep. */
#pragma once
#include "sched/sched.h"

/*
 * The code under test reaches the scheduler through uthread_self() (%gs),
 * uthread_wake() and uthread_sleep(). Here %gs points at a fake vCPU whose
 * current uthread the test picks, a wake only records the CAS and the
 * reason as the real one does, and a sleep runs the test's hook: what
 * happens "while asleep" (other parties waking, requeueing, parking). The
 * sleep returns the wake reason if the hook (or anything) woke the
 * uthread, else the reason the hook returns (a timeout, an interrupt).
 */

/* What happens while ut sleeps; returns why the sleep ends if nobody woke it. */
typedef int (*fake_sleep_hook)(struct uthread *ut, int nth);

void fake_sched_init(void);
/* A fresh uthread of the fake world, made current. */
struct uthread *fake_uthread(int i);
void fake_set_current(struct uthread *ut);
/* The hook for ut's sleeps; nth counts them (from 1). */
void fake_on_sleep(struct uthread *ut, fake_sleep_hook hook);
int fake_sleeps(struct uthread *ut);
/* How many uthread_wake() calls succeeded. */
extern int fake_wakes;
