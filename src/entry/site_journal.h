/* site_journal.h - call sites one host process of an instance learned, told to the others. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/*
 * A forked child learns which of the sites it inherited it runs (its
 * traps), and then exits: the next child, a copy of its parent again,
 * traps at the same sites (glibc's fork child path, _exit, the ld.so of
 * the program it execs: ~2 traps per fork, ~12 per fork+exec). So every
 * process appends what it learns to a journal in memory they all share,
 * and a process reads what the others wrote before it forks (rewrite.c):
 * its children then inherit the sites patched. Sites are named by file
 * (rewrite.c's file id) and offset, as known sites are.
 */
struct site_note {
	uint64_t file;
	uint32_t off;
	int16_t nr;
	uint8_t pre, post; /* a CPUID site's (cpuid_found) */
};

/* Before the instance's first fork: the shared journal (none if it cannot
 * be mapped: then nothing is told). */
void site_journal_init(void);
/* n, from this process (self: its host pid). Lock-free; any number of
 * processes append. */
void site_journal_add(const struct site_note *n, int self);
/* The next note another process than self appended since this one last
 * looked: false when there is none. Never waits: a note still being
 * written when it is reached is lost to this reader. One reader per
 * process (the caller serialises); a forked child reads on from where its
 * parent was. */
bool site_journal_next(struct site_note *n, int self);
