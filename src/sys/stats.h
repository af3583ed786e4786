/* stats.h - per-program syscall counts (--stats): by name, class and path. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

struct sys_stats {
	unsigned long trapped[SYS_MAX + 1]; /* index SYS_MAX: numbers out of range */
	unsigned long fast[SYS_MAX + 1]; /* rewritten sites, on the full path */
	/* Rewritten sites served on the lean or mid path (entry/lean.c): no
	 * %fs change, no full vector save. What the full path serves instead
	 * costs two arch_prctl a call where FSGSBASE is missing. */
	unsigned long lean[SYS_MAX + 1];
	/* Of those, the ones passed on to the kernel by kcall (translated or
	 * offloaded): a call a user-space object served never is. */
	unsigned long kernel[SYS_MAX + 1];
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

/* No library call: the lean path (built without vector registers) uses it. */
static inline void stats_lean(struct uthread *ut, long nr)
{
	if (stats_on)
		__atomic_add_fetch(&ut->proc->stats->lean[stats_index(nr)], 1, __ATOMIC_RELAXED);
}

static inline void stats_kernel(struct uthread *ut, long nr)
{
	if (stats_on)
		__atomic_add_fetch(&ut->proc->stats->kernel[stats_index(nr)], 1, __ATOMIC_RELAXED);
}

/* Print p's table to the runtime's stderr. */
void stats_print(struct vproc *p);
/* Ask for every live program's table (async-signal-safe), printed by
 * whichever vCPU runs the stats poller first (stats_init registers it). */
void stats_request(void);
void stats_init(void);
/* More lines at the end of each table (the entry layer's rewritten sites). */
extern void (*stats_footer)(FILE *f);
