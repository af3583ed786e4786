/* hugetext.c - the runtime's text moved onto one anonymous 2 MiB page, so that a fork copies one entry for it. */
#include "core/hugetext.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

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
	uintptr_t lo, hi, rest; /* the segment; its mapping's end (page-rounded) */
	off_t off;              /* where it is in the file */
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
			t->rest = (t->hi + 4095) & ~4095ul;
			t->off = (off_t)ph->p_offset;
			return 1;
		}
	}
	return 0;
}

static struct text text; /* the runtime's text, when it may move */
static bool claimed;       /* its huge page's range is ours */

/* claim_rest - the rest of the huge page past the text's mapping, taken
 * (PROT_NONE) if nothing is there: a program's mmap would otherwise land
 * there, and the move (or the wait for a huge page while other vCPUs
 * run) either fail or replace it. */
static bool claim_rest(uintptr_t from, uintptr_t to)
{
	if (from == to)
		return true;
	void *m = mmap((void *)from, to - from, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED)
		return false;
	if ((uintptr_t)m != from) { /* a kernel older than 4.17 took it as a hint */
		munmap(m, to - from);
		return false;
	}
	return true;
}

/* from_file - the text's bytes read from the runtime's file into to, and
 * the same as in memory: a debugger's breakpoint or a uprobe in the text
 * (perf, bpftrace) would otherwise be copied where the kernel no longer
 * knows it, a SIGTRAP in the runtime at its next hit. */
static bool from_file(char *to)
{
	size_t len = text.hi - text.lo;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, to + got, len - got, text.off + (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return got == len && !memcmp(to, (void *)text.lo, len);
}

void hugetext_reserve(void)
{
	const char *env = getenv("PEGASUS_HUGETEXT");
	if ((env && !strcmp(env, "0")) || !dl_iterate_phdr(find_text, &text) || (text.lo & (HUGE - 1)) ||
	    text.hi - text.lo > HUGE)
		return;
	claimed = claim_rest(text.rest, text.lo + HUGE);
}

bool hugetext_move(void)
{
	/* Once: two first forks at once would each give the range back. */
	if (!__atomic_exchange_n(&claimed, false, __ATOMIC_ACQ_REL))
		return false;
	char *m = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		munmap((void *)text.rest, text.lo + HUGE - text.rest);
		return false;
	}
	char *a = (char *)(((uintptr_t)m + HUGE - 1) & ~(HUGE - 1));
	if (a > m)
		munmap(m, a - m);
	if (a + HUGE < m + 2 * HUGE)
		munmap(a + HUGE, m + 2 * HUGE - (a + HUGE));
	/* A huge page, or nothing: 4 KiB anonymous pages would be copied at
	 * every fork like the file's (and lose the page cache's sharing). */
	if (madvise(a, HUGE, MADV_HUGEPAGE) != 0 || !from_file(a))
		goto fail;
	if (madvise(a, HUGE, MADV_COLLAPSE) != 0 || mprotect(a, HUGE, PROT_READ | PROT_EXEC) != 0) {
		pg_debug("runtime text stays in 4 KiB file pages (no huge page)");
		goto fail;
	}
	/* Atomic for the code running here: the same bytes at the same
	 * addresses before and after. (The kernel unmaps the target before it
	 * moves; only a failure to allocate in between would leave no text,
	 * which nothing here can undo.) */
	if (mremap(a, HUGE, HUGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)text.lo) == MAP_FAILED)
		goto fail;
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, text.lo, HUGE, "pegasus text");
	pg_debug("runtime text %#lx-%#lx moved onto a huge page", (unsigned long)text.lo, (unsigned long)text.hi);
	return true;
fail:
	munmap(a, HUGE);
	munmap((void *)text.rest, text.lo + HUGE - text.rest);
	return false;
}
