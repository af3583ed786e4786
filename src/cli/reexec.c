/* reexec.c - `pegasus run` starts itself again once, with its own glibc told to leave AVX alone. */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/log.h"
#include "sched/xstate.h"

/*
 * Why: the gate saves the app's vector state before runtime code runs. If
 * that code (glibc's AVX2/EVEX string functions above all) writes only
 * xmm0-15, saving those 16 registers is enough, ~50 ns a call less than
 * XSAVE/XRSTOR here (sched/xstate.h, pg_vec_lazy). glibc chooses its
 * functions once, at start, from the CPU and GLIBC_TUNABLES; so a runtime
 * whose libraries are not SSE-only as started execs itself once with the
 * AVX features masked, and the programs get the environment back as it was.
 */
#define SAVED "PEGASUS_PROGRAMS_TUNABLES" /* "=value", or "-": was unset */
#define MASK "glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX_Fast_Unaligned_Load"

void reexec_sse_only(char **argv)
{
	const char *saved = getenv(SAVED);
	bool clean = false;
	if (saved) {
		/* The second start: the programs' own value back. */
		if (saved[0] == '=')
			setenv("GLIBC_TUNABLES", saved + 1, 1);
		else
			unsetenv("GLIBC_TUNABLES");
		unsetenv(SAVED);
		/* Its name as started, not "exe" (ps, pgrep, pidof). */
		const char *base = strrchr(argv[0], '/');
		prctl(PR_SET_NAME, base ? base + 1 : argv[0], 0, 0, 0);
	} else if (!(clean = xstate_libs_sse_only()) && !getenv("PEGASUS_VEC_FULL")) {
		const char *cur = getenv("GLIBC_TUNABLES");
		size_t n = (cur ? strlen(cur) + 2 : 1) + sizeof(MASK);
		char *mark = malloc(n), *tun = malloc(n);
		if (mark && tun) {
			snprintf(mark, n, "%s%s", cur ? "=" : "-", cur ? cur : "");
			snprintf(tun, n, "%s%s%s", cur ? cur : "", cur ? ":" : "", MASK);
			setenv(SAVED, mark, 1);
			setenv("GLIBC_TUNABLES", tun, 1);
			execv("/proc/self/exe", argv);
			/* Not possible (no /proc?): on with XSAVE at every gate. */
			if (cur)
				setenv("GLIBC_TUNABLES", cur, 1);
			else
				unsetenv("GLIBC_TUNABLES");
			unsetenv(SAVED);
		}
		free(mark);
		free(tun);
	}
	/* As started (clean), or as started again: checked once either way. */
	pg_vec_lazy = !getenv("PEGASUS_VEC_FULL") && (clean || xstate_libs_sse_only());
	unsetenv("PEGASUS_VEC_FULL");
}
