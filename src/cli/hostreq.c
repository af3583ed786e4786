/* hostreq.c - what pegasus needs of the host, checked before it runs anything. */
#include "cli/hostreq.h"

#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/fsbase.h"
#include "entry/sud.h"

/* The Seccomp: line of /proc/self/status: 0 none, 1 strict, 2 filter. */
static int seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	if (f)
		fclose(f);
	return mode;
}

const char *host_missing(void)
{
	static char why[320];
	struct utsname u;
	if (uname(&u) == 0 && strcmp(u.machine, "x86_64")) {
		snprintf(why, sizeof(why), "pegasus runs x86-64 programs on an x86-64 Linux kernel; "
			 "this kernel is %s", u.machine);
		return why;
	}
	unsigned a, b, c, d;
	/* OSXSAVE: the kernel enabled XSAVE, which keeps the programs' vector
	 * state at the gate and in signal frames. */
	if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1))
		return "pegasus needs XSAVE enabled by the kernel (CPUID OSXSAVE), which this host lacks";
	int sud = sud_probe();
	if (sud == 0)
		return NULL;
	if (seccomp_mode() == 2)
		snprintf(why, sizeof(why), "a seccomp filter refuses Syscall User Dispatch here (%s): "
			 "run pegasus outside that sandbox, or allow prctl(PR_SET_SYSCALL_USER_DISPATCH)",
			 strerror(-sud));
	else
		snprintf(why, sizeof(why), "this kernel (%s) has no Syscall User Dispatch (%s): "
			 "Linux 5.11 or newer, built with CONFIG_GENERIC_ENTRY, is needed",
			 u.release, strerror(-sud));
	return why;
}

const char *host_fs_path(void)
{
	return pg_fsgsbase ? "wrfsbase/rdfsbase (FSGSBASE)"
			   : "arch_prctl (no FSGSBASE: a kernel call when a uthread's %fs changes)";
}
