/* brk.h - the program break, emulated per program in a reserved range. */
#pragma once
#include <stdint.h>

struct vproc;

/* A program's break: its reserved range and where the break is now. */
struct brk {
	uint64_t start, cur, limit;
};

/* Reserve the break area right after the image ending at `end`, as a
 * region of owner's (mm/regions.h). */
int brk_init(struct brk *b, struct vproc *owner, uint64_t end);
/* The part of the reserved range above the break: not memory the program
 * has (RLIMIT_AS counts the break as far as it is set). */
uint64_t brk_unused(const struct brk *b);
/* How many bytes of memory brk(addr) would add (0: none, or it fails). */
uint64_t brk_growth(const struct brk *b, uint64_t addr);
/* brk(2): the new break, or the unchanged one if the request fails. */
long brk_set(struct brk *b, uint64_t addr);
