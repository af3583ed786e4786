/* stack.c - the initial stack of a program: argc, argv, envp, auxv, as Linux builds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/stackmap.h"
#include "loader/load.h"

#define STACK_MIN (128ull << 10)
/* An unlimited stack grows on Linux until it meets a mapping: a reserve
 * this large (address space only, MAP_NORESERVE) stands for that. */
#define STACK_MAX (1ull << 30)
#define GUARD STACK_GUARD

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* stack_size - the main stack as RLIMIT_STACK lets it grow (`ulimit -s`
 * before an exec: a deep recursion needs it, a small one must fault). */
static size_t stack_size(uint64_t limit)
{
	struct rlimit rl;
	if (!limit)
		limit = getrlimit(RLIMIT_STACK, &rl) < 0 ? 8ull << 20 : rl.rlim_cur;
	if (limit == RLIM_INFINITY || limit > STACK_MAX)
		return STACK_MAX;
	return limit < STACK_MIN ? STACK_MIN : (limit + 4095) & ~4095ull;
}

/* push_str - copy a string below *top; returns its address. */
static uint64_t push_str(uint64_t *top, const char *s)
{
	size_t n = strlen(s) + 1;
	*top -= n;
	memcpy((void *)*top, s, n);
	return *top;
}

static size_t count(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Does the executable ask for an executable stack (PT_GNU_STACK with
 * PF_X: GCC's trampolines for nested functions)? Without the header it
 * does not, on x86-64 since Linux 5.8. */
static bool exec_stack(const struct elf_info *exe)
{
	for (int i = 0; exe && i < exe->phnum; i++)
		if (exe->phdr[i].p_type == PT_GNU_STACK)
			return exe->phdr[i].p_flags & PF_X;
	return false;
}

uint64_t stack_build(struct stack_spec *s)
{
	size_t size = stack_size(s->limit);
	int prot = PROT_READ | PROT_WRITE | (exec_stack(s->exe) ? PROT_EXEC : 0);
	char *lo = mmap(NULL, size + GUARD, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (lo == MAP_FAILED)
		return 0;
	stack_guard(lo); /* overflow faults instead of scribbling; one mapping where the kernel can */
	s->stack_lo = (uint64_t)lo;
	s->stack_len = size + GUARD;

	size_t argc = count(s->argv), envc = count(s->envp);
	uint64_t top = (uint64_t)lo + size + GUARD - 16; /* ends with a null word */
	size_t strings = strlen(s->execfn) + 32 + 16;
	for (size_t i = 0; i < argc; i++)
		strings += strlen(s->argv[i]) + 1;
	for (size_t i = 0; i < envc; i++)
		strings += strlen(s->envp[i]) + 1;
	if (strings + (argc + envc + 64) * 16 > size / 4) {
		munmap(lo, size + GUARD);
		errno = E2BIG;
		return 0;
	}

	/* Strings at the top, as the kernel places them; their addresses on
	 * the heap for now (not the caller's stack: a runtime stack of 64 KiB
	 * does not hold 5,000 of them, `xargs` passes more). */
	uint64_t *envs = malloc((envc + argc + 2) * sizeof(uint64_t)), *args = envs + envc + 1;
	if (!envs) {
		munmap(lo, size + GUARD);
		errno = ENOMEM;
		return 0;
	}
	uint64_t execfn = push_str(&top, s->execfn);
	s->env_end = top;
	for (size_t i = envc; i-- > 0;)
		envs[i] = push_str(&top, s->envp[i]);
	s->env_start = s->arg_end = top;
	for (size_t i = argc; i-- > 0;)
		args[i] = push_str(&top, s->argv[i]);
	s->arg_start = top;
	uint64_t platform = push_str(&top, "x86_64");
	top &= ~15ull;
	top -= 16;
	uint64_t random = top;
	if (getrandom((void *)random, 16, 0) != 16)
		memset((void *)random, 0x5a, 16);

	uint64_t aux[][2] = {
		{ AT_SYSINFO_EHDR, getauxval(AT_SYSINFO_EHDR) },
		{ AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) },
		{ AT_HWCAP, getauxval(AT_HWCAP) },
		{ AT_PAGESZ, 4096 },
		{ AT_CLKTCK, sysconf(_SC_CLK_TCK) },
		{ AT_PHDR, s->exe_map->phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, s->exe->phnum },
		{ AT_BASE, s->interp_base },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, s->exe_map->entry },
		{ AT_UID, getuid() },
		{ AT_EUID, geteuid() },
		{ AT_GID, getgid() },
		{ AT_EGID, getegid() },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, random },
		{ AT_HWCAP2, getauxval(AT_HWCAP2) },
		{ AT_EXECFN, execfn },
		{ AT_PLATFORM, platform },
		{ AT_NULL, 0 },
	};
	size_t nwords = 1 + argc + 1 + envc + 1 + 2 * (sizeof(aux) / sizeof(aux[0]));
	top -= nwords * 8;
	top &= ~15ull; /* %rsp is 16-byte aligned at the entry point */

	uint64_t *w = (uint64_t *)top;
	*w++ = argc;
	for (size_t i = 0; i < argc; i++)
		*w++ = args[i];
	*w++ = 0;
	for (size_t i = 0; i < envc; i++)
		*w++ = envs[i];
	*w++ = 0;
	free(envs);
	memcpy(w, aux, sizeof(aux));
	s->auxv = w;
	return top;
}
