/* bigdata.h - PG_BIG: a large zero-initialised table goes after the runtime's small variables. */
#pragma once

/*
 * .lbss follows .bss in the x86-64 link (it is the medium code model's
 * section for large data; small-model code reaches it as any variable, it
 * is within 2 GB). Without it the tables sit among the small variables in
 * object order, which then lie a few on each page over megabytes: every
 * fork, each such page written afterwards by parent or child costs a
 * copy-on-write fault of its own. Together the small ones fill 5 pages.
 */
#define PG_BIG __attribute__((section(".lbss")))
