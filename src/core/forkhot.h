/* forkhot.h - the runtime variables a host fork writes, gathered on one page. */
#pragma once

/*
 * A fork leaves every private page copy-on-write in both processes, and a
 * page fault costs 1-25 µs depending on the host (25 under a paravirtual
 * MMU: docs/BENCHMARKS.md). Variables that every fork's child (or its
 * parent, right after) writes, scattered over the runtime's data, cost one
 * fault each per fork; in this section they share one page. Zero-valued
 * ones lose their place in .bss (a few bytes of the file).
 */
#define FORK_HOT __attribute__((section("pg_forkhot")))
