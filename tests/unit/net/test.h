/* test.h - a tiny self-contained test runner for the net/local unit tests. */
#pragma once
#include <stdio.h>
#include <stdlib.h>

extern int test_failed;	/* set by CHECK in the running test */

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		test_failed = 1; \
		return; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, _a, #b, _b); \
		test_failed = 1; \
		return; \
	} \
} while (0)

struct test_case {
	const char *name;
	void (*fn)(void);
};

/* Each test file exports a NULL-terminated table. */
extern const struct test_case ring_tests[], channel_tests[], model_tests[];
