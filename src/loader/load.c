/* load.c - mapping an executable's PT_LOAD segments into the address space. */
#include "loader/load.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096ull
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))

static int prot_of(uint32_t flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

/* map_segment - the file part, then the zero-filled part (bss). */
static int map_segment(int fd, const Elf64_Phdr *ph, uint64_t bias)
{
	uint64_t start = PAGE_DOWN(ph->p_vaddr + bias);
	uint64_t file_end = ph->p_vaddr + bias + ph->p_filesz;
	uint64_t mem_end = PAGE_UP(ph->p_vaddr + bias + ph->p_memsz);
	int prot = prot_of(ph->p_flags);

	if (ph->p_filesz) {
		/* The rest of the last file page belongs to the bss: it must read
		 * 0. Cleared through a writable mapping; one not writable itself
		 * (rare: the bss is the data segment's) is protected after. */
		bool clear = ph->p_memsz > ph->p_filesz && (file_end & (PAGE - 1));
		bool reprotect = clear && !(prot & PROT_WRITE);
		if (mmap((void *)start, PAGE_UP(file_end) - start, reprotect ? prot | PROT_WRITE : prot,
			 MAP_PRIVATE | MAP_FIXED, fd, PAGE_DOWN(ph->p_offset)) == MAP_FAILED)
			return -errno;
		if (clear)
			memset((void *)file_end, 0, PAGE - (file_end & (PAGE - 1)));
		if (reprotect && mprotect((void *)start, PAGE_UP(file_end) - start, prot) < 0)
			return -errno;
		start = PAGE_UP(file_end);
	}
	if (mem_end > start &&
	    mmap((void *)start, mem_end - start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED)
		return -errno;
	return 0;
}

int elf_map(int fd, const struct elf_info *ei, struct loaded_elf *out)
{
	uint64_t span = ei->hi - ei->lo;
	/* Reserve the whole span first: the kernel chooses where a PIE goes,
	 * and a fixed-address image must not land on something already there. */
	void *want = ei->type == ET_EXEC ? (void *)ei->lo : NULL;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		    (ei->type == ET_EXEC ? MAP_FIXED_NOREPLACE : 0);
	void *base = mmap(want, span, PROT_NONE, flags, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (want && base != want) { /* kernels before 4.17 ignore NOREPLACE */
		munmap(base, span);
		return -EEXIST;
	}
	uint64_t bias = (uint64_t)base - ei->lo;
	for (int i = 0; i < ei->phnum; i++) {
		const Elf64_Phdr *ph = &ei->phdr[i];
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		int r = map_segment(fd, ph, bias);
		if (r < 0) {
			munmap(base, span);
			return r;
		}
	}
	out->bias = bias;
	out->entry = ei->entry + bias;
	out->phdr = ei->phdr_vaddr + bias;
	out->end = ei->hi + bias;
	return 0;
}
