/* cputime.h - CPU-time clocks whose ids name a program or one of its threads. */
#pragma once
#include <stdint.h>
#include <time.h>

struct uthread;

enum cpuclock_kind {
	CPUCLOCK_KERNEL, /* *kclk: the id the kernel serves it with */
	CPUCLOCK_UTHREAD /* *thread: a uthread's counted CPU time */
};

/**
 * cputime_clock - what clock id clk of ut's program means: an id for the
 * kernel (its own clocks; a process clock becomes the host process's that
 * runs the program; an fd clock takes the host fd), or a uthread of the
 * program (thread CPU clocks). -EINVAL for an id that names nothing
 * here, as Linux. The first CPU-time clock a program uses turns on the
 * counting of its threads' time.
 */
long cputime_clock(struct uthread *ut, clockid_t clk, clockid_t *kclk, struct uthread **thread);
/* cputime_thread_ns - t's CPU time as far as counted, seen from cur. */
uint64_t cputime_thread_ns(struct uthread *cur, struct uthread *t);

/* cputime_itimer - ut's program's ITIMER_VIRTUAL or ITIMER_PROF (which)
 * as setitimer (want, may be NULL) and getitimer (old) see it; 0. */
long cputime_itimer(struct uthread *ut, int which, const struct itimerspec *want, struct itimerspec *old);
/* cputime_enforce - at ut's slice ticks: its program's ITIMER_VIRTUAL and
 * ITIMER_PROF, and RLIMIT_CPU, signalled as Linux does past the soft and
 * hard limits. */
void cputime_enforce(struct uthread *ut);
