/* stats.h - per-program syscall counts (--stats): by name, class and path. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

struct sys_stats {
	unsigned long trapped[SYS_MAX + 1]; /* index SYS_MAX: numbers out of range */
	unsigned long fast[SYS_MAX + 1];
};

extern bool stats_on;

static inline unsigned stats_index(long nr)
{
	return (unsigned long)nr < SYS_MAX ? (unsigned)nr : SYS_MAX;
}

static inline void stats_trapped(struct uthread *ut, long nr)
{
	if (stats_on)
		__atomic_add_fetch(&ut->proc->stats->trapped[stats_index(nr)], 1, __ATOMIC_RELAXED);
}

static inline void stats_fast(struct uthread *ut, long nr)
{
	if (stats_on)
		__atomic_add_fetch(&ut->proc->stats->fast[stats_index(nr)], 1, __ATOMIC_RELAXED);
}

/* Print p's table to the runtime's stderr. */
void stats_print(struct vproc *p);
/* Ask for every live program's table (async-signal-safe), printed by
 * whichever vCPU runs the stats poller first (stats_init registers it). */
void stats_request(void);
void stats_init(void);
/* More lines at the end of each table (the entry layer's rewritten sites). */
extern void (*stats_footer)(FILE *f);
