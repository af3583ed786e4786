/* bench.h - a tiny harness shared by the benchmark programs in bench/.
 *
 * Every benchmark program follows one protocol, which bench/run.sh relies on:
 *   PROG            run every case, print one line per case on stdout:
 *                       <case> <ns per op>          e.g. "getppid_glibc 166.2"
 *   PROG -l         list the cases: "<case>\t<what it measures>"
 *   PROG CASE...    run only these cases
 *   -t SECONDS      time box of one measurement (default 0.3)
 *   -r N            measurements per case; the median is printed (default 7)
 * Lines starting with '#' are comments (run.sh ignores them). Nothing else
 * goes to stdout, and the programs never judge the figures: they report.
 *
 * A case is a function that performs its operation n times; the harness
 * grows n until one batch takes >= 1 ms, then runs batches until the time
 * box is used, and divides. Cases that need setup (threads for a ping-pong,
 * ...) do it in their own init/fini hooks, outside the timed region. A case
 * that cannot run where it is (an `unavailable` hook answers why) prints
 * "# <case>: skipped: <why>" and no figure (run.sh shows "-"). */
#pragma once
#include <stdint.h>

struct bench_case {
	const char *name;
	const char *what;
	void (*run)(uint64_t n);          /* do the operation n times */
	void (*init)(void);               /* optional, before the first measurement */
	void (*fini)(void);               /* optional, after the last */
	double ops_per_iter;              /* 0 means 1: ns are per iteration / this */
	const char *(*unavailable)(void); /* optional: why it cannot run here, or NULL */
};

/* Parse the options above and run the cases; returns the exit status. */
int bench_main(int argc, char **argv, const struct bench_case *cases, int ncases);

/* Keep a value alive without a memory access the compiler could move. */
#define bench_sink(v) __asm__ volatile("" : : "r"(v))
