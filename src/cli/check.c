/* check.c - `pegasus check`: what this host supports. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/hostreq.h"
#include "entry/cpuid.h"
#include "entry/sud.h"
#include "proc/signal.h"
#include "sched/preempt.h"
#include "sched/xstate.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void line(const char *what, int ok, const char *detail)
{
	printf("%-28s %-4s %s\n", what, ok ? "yes" : "no", detail);
}

/* `pegasus stats PID`: the instance prints its counters on its stderr. */
int cmd_stats(int argc, char **argv)
{
	char *end;
	long pid = argc == 2 ? strtol(argv[1], &end, 10) : 0;
	if (argc != 2 || *end || pid <= 0) {
		fprintf(stderr, "usage: pegasus stats PID   (of a pegasus run --stats)\n");
		return 2;
	}
	if (sigqueue(pid, SIG_STATS, (union sigval){ .sival_int = SIG_STATS_VALUE }) < 0) {
		fprintf(stderr, "pegasus: %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct utsname u;
	uname(&u);
	printf("kernel %s, %s\n", u.release, u.machine);
	int sud = sud_probe();
	line("syscall user dispatch", sud == 0, sud == 0 ? "(required)" : "(required: Linux >= 5.11)");
	char fs[160];
	snprintf(fs, sizeof(fs), "(optional; %%fs path: %s)", host_fs_path());
	line("fsgsbase", !!(getauxval(AT_HWCAP2) & 2), fs);
	unsigned a, b, c, d;
	__cpuid_count(7, 0, a, b, c, d);
	line("memory protection keys", (c >> 4) & 1, "(optional: MPK isolation)");
	char xs[64];
	snprintf(xs, sizeof(xs), "(%zu-byte XSAVE area, features %#lx)", xsave_area_size(),
		 (unsigned long)xstate_features());
	line("xsave", 1, xs);
	/* As started: without GLIBC_TUNABLES, `run` restarts itself (cli/reexec.c). */
	line("runtime libraries SSE-only as started", xstate_libs_sse_only(),
	     "(optional: if not, `pegasus run` restarts itself with glibc's AVX masked, so the gate saves xmm0-15 alone)");
	char cf[192];
	unsigned long cns = (unsigned long)cpuid_cost_ns();
	snprintf(cf, sizeof(cf), "(optional: a CPUID costs %lu ns here; above %d ld.so's sites are rewritten, "
		 "with faulting the program's too)", cns, CPUID_REWRITE_ABOVE_NS);
	line("cpuid faulting", cpuid_can_fault(), cf);
	int huge = read_int("/proc/sys/vm/nr_hugepages");
	char hp[64];
	snprintf(hp, sizeof(hp), "(%d reserved; optional for DPDK)", huge);
	line("hugepages", huge > 0, hp);
	int minaddr = read_int("/proc/sys/vm/mmap_min_addr");
	char z[64];
	snprintf(z, sizeof(z), "(vm.mmap_min_addr=%d; zpoline rewriting)", minaddr);
	line("page 0 mappable", minaddr == 0 || geteuid() == 0, z);
	const char *missing = host_missing();
	if (missing)
		printf("pegasus cannot run here: %s\n", missing);
	return missing ? 1 : 0;
}
