/* unit.h - a small runner for unit tests of the runtime's internals. */
#pragma once
#include <stdint.h>

/*
 * A test file defines cases with UNIT_TEST(name) { ... } and checks with
 * CHECK(cond) / CHECK_EQ(a, b); the first failed check ends its case.
 * Each test binary (one per file, linked with the sources under test and
 * unit_main.c) lists its cases with -l, runs the named ones, or all:
 * "ok NAME" or "FAIL NAME: file:line: what", exit status 1 if any failed.
 * tests/run.sh runs each case as one case of the suite.
 */

typedef void (*unit_fn)(void);

void unit_register(const char *name, unit_fn fn);
_Noreturn void unit_fail(const char *file, int line, const char *what, long long a, long long b);

#define UNIT_TEST(name)                                                                 \
	static void name(void);                                                         \
	__attribute__((constructor)) static void unit_reg_##name(void)                  \
	{                                                                               \
		unit_register(#name, name);                                             \
	}                                                                               \
	static void name(void)

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond))                                                            \
			unit_fail(__FILE__, __LINE__, #cond, 0, 0);                     \
	} while (0)

#define CHECK_EQ(a, b)                                                                  \
	do {                                                                            \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);          \
		if (unit_a_ != unit_b_)                                                 \
			unit_fail(__FILE__, __LINE__, #a " == " #b, unit_a_, unit_b_);  \
	} while (0)
