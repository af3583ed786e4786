/* stub_arena.c - executable memory for rewritten sites' stubs, within rel32 reach of the sites. */
#include "entry/stub_arena.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static struct arena *arenas;

static bool stub_room(const struct arena *a)
{
	return a->nfreed || a->used + STUB_SIZE <= ARENA_SIZE;
}

uint32_t stub_alloc(struct arena *a)
{
	if (a->nfreed)
		return a->freed[--a->nfreed];
	uint32_t off = (uint32_t)a->used;
	a->used += STUB_SIZE;
	return off;
}

void stub_free(struct arena *a, uint32_t off)
{
	if (a->nfreed == a->capfreed) {
		unsigned cap = a->capfreed ? 2 * a->capfreed : 16;
		uint32_t *f = realloc(a->freed, cap * sizeof(*f));
		if (!f)
			return; /* the slot stays unused */
		a->freed = f;
		a->capfreed = cap;
	}
	a->freed[a->nfreed++] = off;
}

/* An arena is made within 1 GiB of the site it is for, so that the
 * instructions a stub moves keep their %rip-relative targets in reach
 * (rewrite.c move_disp); an existing one serves as far as a jump reaches,
 * with room for the arena itself and a margin. */
#define NEAR (1ll << 30)
#define FAR ((2ll << 30) - (256ll << 20))

static bool within(uint64_t from, uint64_t to, int64_t r)
{
	int64_t d = (int64_t)(to - from);
	return d > -r && d < r;
}

static bool reach(uint64_t from, uint64_t to)
{
	return within(from, to, NEAR);
}

/* existing - an arena with room for site within r of it, or NULL. */
static struct arena *existing(uint64_t site, int64_t r)
{
	for (struct arena *a = arenas; a; a = a->next)
		if (stub_room(a) && within(site, (uint64_t)a->rx, r) && within(site, (uint64_t)a->rx + ARENA_SIZE, r))
			return a;
	return NULL;
}

/* try_rx - map the arena at exactly want, or fail. */
static uint8_t *try_rx(uint64_t want, uint64_t site)
{
	uint8_t *rx = mmap((void *)want, ARENA_SIZE, PROT_READ | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (rx != MAP_FAILED && !reach(site, (uint64_t)rx)) {
		munmap(rx, ARENA_SIZE);
		rx = MAP_FAILED;
	}
	return rx;
}

/* gap_near - the free address range closest to site that holds an arena,
 * from /proc/self/maps, or 0. For when the 16 MiB steps around site find
 * nothing: a non-PIE program at 0x400000 whose break region (reserved by
 * the loader, 1 GiB) covers everything above its image within reach, while
 * the few MiB below its image are free. */
static uint64_t gap_near(uint64_t site)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return 0;
	uint64_t prev_end = 0x10000, best = 0, best_d = UINT64_MAX, lo, hi;
	char line[512];
	for (bool last = false; !last;) {
		if (!fgets(line, sizeof(line), f) || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			lo = hi = 1ull << 47, last = true;
		if (lo > prev_end && lo - prev_end >= ARENA_SIZE) {
			/* The end of the gap nearest the site. */
			uint64_t at = site < prev_end ? prev_end : (lo - ARENA_SIZE) & ~4095ull;
			if (site > prev_end && site < lo)
				at = site & ~4095ull;
			uint64_t d = at > site ? at - site : site - at;
			if (d < best_d && reach(site, at) && reach(site, at + ARENA_SIZE))
				best = at, best_d = d;
		}
		if (hi > prev_end)
			prev_end = hi;
	}
	fclose(f);
	return best;
}

/* gap_below - for a site of a non-PIE image (below 4 GiB), the top of the
 * nearest free range below it that an arena fits in, in reach, or 0.
 * Above the image (16 MiB on), an arena took addresses a later, larger
 * non-PIE image at the same base needed: its exec failed (ENOMEM), a
 * vfork child's after its parent's memory had gone (SIGSEGV). Below
 * 0x400000 no such image goes. */
static uint64_t gap_below(uint64_t site)
{
	if (site >= (1ull << 32))
		return 0;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return 0;
	uint64_t prev_end = 0x10000, top = 0, lo, hi;
	char line[512];
	while (fgets(line, sizeof(line), f) && sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= site) {
		if (lo > prev_end && lo - prev_end >= ARENA_SIZE)
			top = lo; /* the top of the last gap below site with room */
		if (hi > prev_end)
			prev_end = hi;
	}
	fclose(f);
	return top && reach(site, top - ARENA_SIZE) ? top - ARENA_SIZE : 0;
}

/* One near the site, else one in a jump's reach (a program's libraries
 * between two 1 GiB break reservations have no room near them: the search
 * below, ~30 failed mmaps and a read of /proc/self/maps, was made again
 * for every site of every spawn, and failed); else a new one below a
 * non-PIE image, at 16 MiB steps around the site, else in the nearest gap. */
struct arena *arena_near(uint64_t site)
{
	struct arena *a = existing(site, NEAR);
	if (!a)
		a = existing(site, FAR);
	if (a)
		return a;
	uint64_t below = gap_below(site);
	uint8_t *rx = below ? try_rx(below, site) : MAP_FAILED;
	uint64_t base = site & ~((1ull << 24) - 1);
	for (int i = 1; i < 64 && rx == MAP_FAILED; i++) {
		uint64_t off = (uint64_t)((i + 1) / 2) << 24;
		if ((i & 1) && off > base)
			continue;
		rx = try_rx((i & 1) ? base - off : base + off, site);
	}
	uint64_t gap = rx == MAP_FAILED ? gap_near(site) : 0;
	if (gap)
		rx = try_rx(gap, site);
	if (rx == MAP_FAILED)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		munmap(rx, ARENA_SIZE);
		return NULL;
	}
	a->rx = rx;
	a->next = arenas;
	arenas = a;
	return a;
}
