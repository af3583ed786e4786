/* stub_arena.h - executable memory for rewritten sites' stubs, within rel32 reach of the sites. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARENA_SIZE (256u << 10)
#define STUB_SIZE 64

/* Private anonymous memory, never writable: the runtime writes stubs
 * through /proc/self/mem (rewrite.c mem_write), as it patches sites, so no
 * page is ever writable and executable, and a forked child's copy is the
 * kernel's copy-on-write one (two views of a shared memfd needed a copy of
 * each arena per fork). */
struct arena {
	uint8_t *rx;   /* the stubs, near the code they serve */
	size_t used;
	uint32_t *freed;    /* offsets of retired stubs, given out again first */
	unsigned nfreed, capfreed;
	struct arena *next;
};

/* The callers serialise these (rewrite.c's lock). */

/* arena_near - an arena with room for a stub within rel32 reach of site
 * (made if none), or NULL. */
struct arena *arena_near(uint64_t site);
/* stub_alloc - a STUB_SIZE slot of a (from arena_near): its offset, a
 * retired one first. */
uint32_t stub_alloc(struct arena *a);
/* stub_free - the slot at off may be given out again. */
void stub_free(struct arena *a, uint32_t off);
