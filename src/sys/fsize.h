/* fsize.h - RLIMIT_FSIZE checked by the runtime for the calls that write kernel files. */
#pragma once
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "proc/vproc.h"

struct uthread;

/* Is p's file size limited? Then the calls below take fsize_serve. */
static inline bool fsize_limited(const struct vproc *p)
{
	return p->rlim[RLIMIT_FSIZE].rlim_cur != RLIM_INFINITY;
}

/* The calls that can make a file longer. Inline: lean.c calls no other code. */
static inline bool fsize_applies(long nr)
{
	switch (nr) {
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2:
	case SYS_ftruncate: case SYS_truncate: case SYS_fallocate: case SYS_sendfile:
	case SYS_copy_file_range:
		return true;
	}
	return false;
}

/* fsize_serve - a call of fsize_applies by a limited program, on a kernel
 * fd (objects serve themselves first): checked, maybe shortened, issued. */
long fsize_serve(struct uthread *ut, long nr, const long a[6]);
