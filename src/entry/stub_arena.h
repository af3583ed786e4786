/* stub_arena.h - executable memory for rewritten sites' stubs, within rel32 reach of the sites. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARENA_SIZE (256u << 10)
#define STUB_SIZE 64

/* Two views of one memfd: app code jumps into the RX one, the runtime
 * writes through the RW one, and no page is ever writable and executable. */
struct arena {
	uint8_t *rx;   /* executable view, near the code it serves */
	uint8_t *rw;   /* writable view of the same memfd pages */
	size_t used;
	uint32_t free_head; /* offset + 1 of a retired stub, linked through its first bytes */
	int fork_fd;        /* its copy for a forked child while a fork is made, else -1 */
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
/* stub_arenas_fork_prepare - before a fork (no stub written until it is
 * made): each arena's bytes into a memfd of its own for the child. 0 or
 * -ENOMEM; stub_arenas_fork_done closes them in the parent after it. */
int stub_arenas_fork_prepare(void);
void stub_arenas_fork_done(void);
/* stub_arenas_after_fork - in the forked child: each arena onto its copy.
 * 0 or -ENOMEM. */
int stub_arenas_after_fork(void);
