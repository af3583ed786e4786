/* hugetext.c - the runtime's text moved onto one anonymous 2 MiB page, so that a fork copies one entry for it. */
#include "core/hugetext.h"

#include <elf.h>
#include <stdbool.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "core/log.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

#define HUGE (2ul << 20)

struct text {
	uintptr_t lo, hi;
};

static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct text *t = arg;
	uintptr_t here = (uintptr_t)&find_text;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && here >= lo && here < lo + ph->p_memsz) {
			t->lo = lo;
			t->hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* alone - nothing but the text is mapped in [lo, lo + HUGE): the text's
 * own mapping ends at hi and the rest of the huge page is free. */
static bool alone(uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	bool ok = true;
	char line[512];
	while (ok && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx", &a, &b) != 2 || b <= lo || a >= lo + HUGE)
			continue;
		ok = a == lo && b == ((hi + 4095) & ~4095ul);
	}
	fclose(f);
	return ok;
}

bool hugetext_move(void)
{
	const char *env = getenv("PEGASUS_HUGETEXT");
	if (env && !strcmp(env, "0"))
		return false;
	struct text t = { 0, 0 };
	if (!dl_iterate_phdr(find_text, &t) || (t.lo & (HUGE - 1)) || t.hi - t.lo > HUGE || !alone(t.lo, t.hi))
		return false;
	char *m = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return false;
	char *a = (char *)(((uintptr_t)m + HUGE - 1) & ~(HUGE - 1));
	if (a > m)
		munmap(m, a - m);
	if (a + HUGE < m + 2 * HUGE)
		munmap(a + HUGE, m + 2 * HUGE - (a + HUGE));
	/* A huge page, or nothing: 4 KiB anonymous pages would be copied at
	 * every fork like the file's (and lose the page cache's sharing). */
	if (madvise(a, HUGE, MADV_HUGEPAGE) != 0) {
		munmap(a, HUGE);
		return false;
	}
	memcpy(a, (void *)t.lo, t.hi - t.lo);
	if (madvise(a, HUGE, MADV_COLLAPSE) != 0 || mprotect(a, HUGE, PROT_READ | PROT_EXEC) != 0) {
		pg_debug("runtime text stays in 4 KiB file pages (no huge page)");
		munmap(a, HUGE);
		return false;
	}
	/* Atomic for the code running here: the same bytes at the same
	 * addresses before and after. */
	if (mremap(a, HUGE, HUGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)t.lo) == MAP_FAILED) {
		munmap(a, HUGE);
		return false;
	}
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, t.lo, HUGE, "pegasus text");
	return true;
}
