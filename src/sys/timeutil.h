/* timeutil.h - timespec checks and deadlines for the sleeping calls. */
#pragma once
#include <stdbool.h>
#include <time.h>

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

/* timespec_deadline - CLOCK_MONOTONIC time `rel` from now. */
static inline struct timespec timespec_deadline(const struct timespec *rel)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += rel->tv_sec;
	return timespec_add_ns(now, rel->tv_nsec);
}
