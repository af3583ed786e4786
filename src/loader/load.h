/* load.h - mapping an executable's segments and building its first stack. */
#pragma once
#include <stdint.h>

#include "loader/elf.h"

/* A mapped image: bias is what was added to every p_vaddr. */
struct loaded_elf {
	uint64_t bias;
	uint64_t entry;     /* relocated e_entry */
	uint64_t phdr;      /* relocated address of the program headers */
	uint64_t end;       /* relocated end of the highest segment */
};

/* elf_map - map ei's PT_LOAD segments from fd. 0 or -errno (-EEXIST: a
 * fixed-address image overlaps a mapping already present). */
int elf_map(int fd, const struct elf_info *ei, struct loaded_elf *out);

/* the span a mapped image covers, for ownership */
#define LOADED_SPAN(ei) ((ei)->hi - (ei)->lo)

struct stack_spec {
	char *const *argv;
	char *const *envp;
	const char *execfn;
	const struct elf_info *exe;
	const struct loaded_elf *exe_map;
	uint64_t interp_base;   /* 0 without an interpreter */
	uint64_t limit;         /* RLIMIT_STACK (RLIM_INFINITY: none; 0: the host's) */
	/* out: where argv and envp strings lie, for /proc/self/cmdline, environ */
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t stack_lo, stack_len; /* out: the stack mapping */
	uint64_t *auxv;         /* out: the auxiliary vector on it */
};

/* The main stack's lowest page stays PROT_NONE: an overflow faults. */
#define STACK_GUARD 4096ull

/* stack_build - map a stack and lay out argc, argv, envp and auxv on it as
 * the kernel does; returns the initial %rsp, or 0 with errno set. */
uint64_t stack_build(struct stack_spec *s);
