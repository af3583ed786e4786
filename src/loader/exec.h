/* exec.h - from a command name to a loaded program ready to run. */
#pragma once
#include <stdint.h>

struct vproc;

struct exec_image {
	uint64_t entry;   /* first instruction: the interpreter's, or the program's */
	uint64_t sp;      /* initial stack pointer */
};

/**
 * exec_load - resolve @file (PATH for bare names, #! scripts), map it and its
 * ELF interpreter, build the initial stack and reserve the break.
 *
 * Returns 0, or the exit status a shell would give (127 not found, 126
 * cannot execute) after one line on stderr saying why.
 */
int exec_load(struct vproc *p, const char *file, char *const argv[], char *const envp[],
	      struct exec_image *img);
