/* timeutil.h - timespec checks and deadlines for the sleeping calls. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/syscall.h>

#include "core/rawsys.h"

#define NSEC_PER_SEC 1000000000L

static inline bool timespec_valid(const struct timespec *t)
{
	return t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < NSEC_PER_SEC;
}

static inline long timespec_diff_ns(const struct timespec *a, const struct timespec *b)
{
	return (a->tv_sec - b->tv_sec) * NSEC_PER_SEC + (a->tv_nsec - b->tv_nsec);
}

static inline struct timespec timespec_add_ns(struct timespec t, long ns)
{
	t.tv_sec += ns / NSEC_PER_SEC;
	t.tv_nsec += ns % NSEC_PER_SEC;
	if (t.tv_nsec >= NSEC_PER_SEC) {
		t.tv_sec++;
		t.tv_nsec -= NSEC_PER_SEC;
	} else if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += NSEC_PER_SEC;
	}
	return t;
}

/* boot_ticks - clock ticks (USER_HZ, 100) since boot, as /proc/PID/stat's
 * starttime counts them. */
static inline uint64_t boot_ticks(void)
{
	struct timespec t;
	raw_syscall6(SYS_clock_gettime, CLOCK_BOOTTIME, (long)&t, 0, 0, 0, 0);
	return (uint64_t)t.tv_sec * 100 + (uint64_t)t.tv_nsec / 10000000;
}

static inline uint64_t timespec_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

/* deadline_after - CLOCK_MONOTONIC ns, `rel` from now; saturates. */
static inline uint64_t deadline_after(const struct timespec *rel)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rel->tv_sec > (int64_t)(UINT64_MAX / NSEC_PER_SEC / 2))
		return UINT64_MAX / 2;
	return timespec_ns(&now) + timespec_ns(rel);
}

/* How a waiting call with a relative timeout ends: block false for a zero
 * timeout (one look), deadline 0 for none (rel NULL). */
struct wait_end {
	bool block;
	uint64_t deadline;
};

static inline struct wait_end wait_end_rel(const struct timespec *rel)
{
	if (!rel)
		return (struct wait_end){ true, 0 };
	if (!rel->tv_sec && !rel->tv_nsec)
		return (struct wait_end){ false, 0 };
	return (struct wait_end){ true, deadline_after(rel) };
}

/* wait_end_ms - the same for a timeout in ms (negative: none). */
static inline struct wait_end wait_end_ms(int ms)
{
	struct timespec rel = { ms / 1000, (ms % 1000) * 1000000L };
	return wait_end_rel(ms < 0 ? NULL : &rel);
}

/* deadline_at - CLOCK_MONOTONIC ns for absolute time `abs` on clock clk. */
static inline uint64_t deadline_at(clockid_t clk, const struct timespec *abs)
{
	struct timespec now_clk, now_mono;
	clock_gettime(clk, &now_clk);
	clock_gettime(CLOCK_MONOTONIC, &now_mono);
	int64_t d = timespec_diff_ns(abs, &now_clk);
	if (d <= 0)
		return timespec_ns(&now_mono);
	if (abs->tv_sec > (int64_t)(UINT64_MAX / NSEC_PER_SEC / 2))
		return UINT64_MAX / 2;
	return timespec_ns(&now_mono) + d;
}

/* cpu_clock_ns - a CPU-time clock of the host (this kernel thread's,
 * CLOCK_THREAD_CPUTIME_ID; the process's, CLOCK_PROCESS_CPUTIME_ID). */
static inline uint64_t cpu_clock_ns(clockid_t clk)
{
	struct timespec t = { 0, 0 };
	raw_syscall3(SYS_clock_gettime, clk, &t, 0);
	return timespec_ns(&t);
}

/* thread_cpu_ns - CPU time of the calling kernel thread (a vCPU's): a raw
 * call, since glibc's goes through the vDSO only to make the same one. */
static inline uint64_t thread_cpu_ns(void)
{
	return cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}
