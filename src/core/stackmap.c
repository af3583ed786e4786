/* stackmap.c - the runtime's own stacks: anonymous memory with a guard page below, one mapping each where the kernel can. */
#include "core/stackmap.h"

#include <errno.h>
#include <sys/mman.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define GUARD 4096ul

static int cheap; /* 0: not probed, 1: yes, -1: no */

bool stack_guard_cheap(void)
{
	int c = __atomic_load_n(&cheap, __ATOMIC_RELAXED);
	if (!c) {
		void *m = mmap(NULL, GUARD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		c = m != MAP_FAILED && madvise(m, GUARD, MADV_GUARD_INSTALL) == 0 ? 1 : -1;
		if (m != MAP_FAILED)
			munmap(m, GUARD);
		__atomic_store_n(&cheap, c, __ATOMIC_RELAXED);
	}
	return c > 0;
}

void stack_guard(void *lo)
{
	if (!stack_guard_cheap() || madvise(lo, GUARD, MADV_GUARD_INSTALL) != 0)
		mprotect(lo, GUARD, PROT_NONE);
}

void *stack_map(size_t size)
{
	char *m = mmap(NULL, size + GUARD, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	stack_guard(m);
	return m + GUARD;
}
