/* stub_arena.c - executable memory for rewritten sites' stubs, within rel32 reach of the sites. */
#include "entry/stub_arena.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct arena *arenas;

static bool stub_room(const struct arena *a)
{
	return a->free_head || a->used + STUB_SIZE <= ARENA_SIZE;
}

uint32_t stub_alloc(struct arena *a)
{
	uint32_t off;
	if (a->free_head) {
		off = a->free_head - 1;
		memcpy(&a->free_head, a->rw + off, sizeof(a->free_head));
	} else {
		off = (uint32_t)a->used;
		a->used += STUB_SIZE;
	}
	return off;
}

void stub_free(struct arena *a, uint32_t off)
{
	memcpy(a->rw + off, &a->free_head, sizeof(a->free_head));
	a->free_head = off + 1;
}

static bool reach(uint64_t from, uint64_t to)
{
	int64_t d = (int64_t)(to - from);
	return d > INT32_MIN / 2 && d < INT32_MAX / 2;
}

/* try_rx - map the arena's executable view at exactly want, or fail. */
static uint8_t *try_rx(int fd, uint64_t want, uint64_t site)
{
	uint8_t *rx = mmap((void *)want, ARENA_SIZE, PROT_READ | PROT_EXEC,
			   MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
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

/* The RX view at 16 MiB steps around the site, else in the nearest gap. */
struct arena *arena_near(uint64_t site)
{
	for (struct arena *a = arenas; a; a = a->next)
		if (stub_room(a) && reach(site, (uint64_t)a->rx) &&
		    reach(site, (uint64_t)a->rx + ARENA_SIZE))
			return a;
	int fd = memfd_create("pegasus-stubs", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, ARENA_SIZE) < 0)
		goto fail;
	uint8_t *rw = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rw == MAP_FAILED)
		goto fail;
	uint8_t *rx = MAP_FAILED;
	uint64_t base = site & ~((1ull << 24) - 1);
	for (int i = 1; i < 64 && rx == MAP_FAILED; i++) {
		uint64_t off = (uint64_t)((i + 1) / 2) << 24;
		if ((i & 1) && off > base)
			continue;
		rx = try_rx(fd, (i & 1) ? base - off : base + off, site);
	}
	uint64_t gap = rx == MAP_FAILED ? gap_near(site) : 0;
	if (gap)
		rx = try_rx(fd, gap, site);
	close(fd);
	if (rx == MAP_FAILED) {
		munmap(rw, ARENA_SIZE);
		return NULL;
	}
	struct arena *a = calloc(1, sizeof(*a));
	a->fork_fd = -1;
	a->rx = rx;
	a->rw = rw;
	a->next = arenas;
	arenas = a;
	return a;
fail:
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * A forked child needs its own arenas: parent and child would otherwise
 * write stubs into the same shared pages. The copies are made by the
 * parent before the fork, with the rewriter's lock held, so that they hold
 * the stubs and free list as they are at the fork: once the parent goes on
 * it writes new stubs into the pages the child still shares, and a copy
 * the child made itself could hold a stub where its free list expects a
 * free slot's link (its next stub_alloc read code as an offset).
 */
static int copy_for_fork(struct arena *a)
{
	int fd = memfd_create("pegasus-stubs", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Only the stubs made so far: the rest is zeroes, and copying it
	 * would cost each fork 256 KiB of page-cache writes per arena. */
	size_t used = (a->used + 4095) & ~(size_t)4095;
	if (ftruncate(fd, ARENA_SIZE) < 0 || pwrite(fd, a->rw, used, 0) != (ssize_t)used) {
		close(fd);
		return -ENOMEM;
	}
	a->fork_fd = fd;
	return 0;
}

int stub_arenas_fork_prepare(void)
{
	for (struct arena *a = arenas; a; a = a->next)
		if (copy_for_fork(a) < 0) {
			stub_arenas_fork_done();
			return -ENOMEM;
		}
	return 0;
}

void stub_arenas_fork_done(void)
{
	for (struct arena *a = arenas; a; a = a->next)
		if (a->fork_fd >= 0) {
			close(a->fork_fd);
			a->fork_fd = -1;
		}
}

int stub_arenas_after_fork(void)
{
	int r = 0;
	for (struct arena *a = arenas; a; a = a->next) {
		if (a->fork_fd < 0 ||
		    mmap(a->rw, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, a->fork_fd, 0) == MAP_FAILED ||
		    mmap(a->rx, ARENA_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, a->fork_fd, 0) == MAP_FAILED)
			r = -ENOMEM;
	}
	stub_arenas_fork_done();
	return r;
}
