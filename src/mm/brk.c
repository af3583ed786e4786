/* brk.c - the program break, emulated per program in a reserved range. */
#include "mm/brk.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#include "core/log.h"
#include "mm/regions.h"

/* Address space reserved for a program's break. Past it brk fails and
 * malloc falls back to mmap, as it does on Linux when the break meets a
 * mapping. The reservation is PROT_NONE and NORESERVE: it costs no memory. */
#define BRK_RESERVE (1ull << 30)
#define PAGE 4096ull

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

int brk_init(struct brk *b, struct vproc *owner, uint64_t end)
{
	uint64_t start = page_up(end);
	void *m = mmap((void *)start, BRK_RESERVE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED) {
		/* Something sits right after the image: the break goes elsewhere. */
		m = mmap(NULL, BRK_RESERVE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return -errno;
	}
	b->start = b->cur = (uint64_t)m;
	b->limit = (uint64_t)m + BRK_RESERVE;
	regions_add(owner, (uint64_t)m, BRK_RESERVE);
	return 0;
}

uint64_t brk_unused(const struct brk *b)
{
	return b->limit ? b->limit - page_up(b->cur) : 0;
}

uint64_t brk_growth(const struct brk *b, uint64_t addr)
{
	if (addr < b->start || addr > b->limit || page_up(addr) <= page_up(b->cur))
		return 0;
	return page_up(addr) - page_up(b->cur);
}

long brk_set(struct brk *b, uint64_t addr)
{
	if (addr < b->start || addr > b->limit)
		return b->cur;
	uint64_t old_end = page_up(b->cur), new_end = page_up(addr);
	if (new_end > old_end) {
		if (mprotect((void *)old_end, new_end - old_end, PROT_READ | PROT_WRITE) < 0)
			return b->cur;
	} else if (new_end < old_end) {
		/* Released pages read as zero when the break grows again. */
		if (mmap((void *)new_end, old_end - new_end, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
			return b->cur;
	}
	b->cur = addr;
	return addr;
}
