/* rewrite.h - lazy rewriting of trapped syscall sites (and faulting CPUIDs) into jumps to stubs. */
#pragma once
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

struct uthread;

enum rewrite_mode { REWRITE_OFF, REWRITE_PATTERN, REWRITE_ZPOLINE };

extern enum rewrite_mode rewrite_mode;

/* Prepare the chosen mode; 0 or -errno (zpoline: page 0 not mappable). */
int rewrite_init(enum rewrite_mode mode);

/* A program trapped on the syscall instruction at addr with number nr:
 * rewrite the site if it matches a known pattern. Runtime context. */
/* Around a host fork (proc/fork.c's hooks): no site is patched while it is
 * made, and the child gets the stubs as they were (entry/stub_arena.h).
 * rewrite_fork_prepare: 0 or -ENOMEM (no fork then). */
int rewrite_fork_prepare(void);
void rewrite_fork_parent(void);
/* In a forked child: the stubs become the child's own pages. */
void rewrite_after_fork(void);
void rewrite_site(struct uthread *ut, uint64_t addr, long nr);
/* A program's CPUID at addr faulted (entry/cpuid.h): rewrite its site. */
void rewrite_cpuid_site(struct uthread *ut, uint64_t addr);
/* Code in [start, start + len) goes away: forget its sites (mm's unmap hook). */
void rewrite_forget(uint64_t start, uint64_t len);

/* rewrite_app_ip - the app's own address after the syscall of a call that
 * entered through stub record rec (0: none) and resumes at rip: rip, but
 * for a site whose stub carries the instruction after the syscall (a
 * moved cmp), where rip is in the stub. */
uint64_t rewrite_app_ip(uint64_t rec, uint64_t rip);
/* Where a thread stopped inside a rewritten sequence must resume. */
uint64_t rewrite_fixup_rip(uint64_t rip);
/* rewrite_cpuid_resume - a CPUID at ip faulted, and by the time its signal
 * is handled another thread's fault there rewrote the site (the bytes at
 * ip are the rewrite's now, so the fault looks like no CPUID's): where to
 * go on (the jmp at ip, or the same point in the stub), or 0 if no CPUID
 * site covers ip. From a host signal handler. */
uint64_t rewrite_cpuid_resume(uint64_t ip);
extern int rewrite_have_interiors;

/* Async-signal-safe lookups for the fault handler: */
/* ret is the return address pushed by a zpoline site's `call *%rax`. */
bool rewrite_zpoline_return(uint64_t ret);
/* ip is the ud2 left where a rewritten syscall instruction was. */
bool rewrite_is_old_syscall(uint64_t ip);
/* ip is an int3 planted while the site at ip-1 is being patched. */
bool rewrite_is_patching(uint64_t ip);

struct rewrite_stats {
	uint64_t sites, refused;
};
void rewrite_get_stats(struct rewrite_stats *s);

/* The --stats line about call sites (sys/stats.c's footer). */
void rewrite_print_stats(FILE *f);
