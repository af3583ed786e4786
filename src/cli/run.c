/* run.c - `pegasus run`: start programs, fused in one process, under the runtime. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/hostreq.h"
#include "cli/pod.h"
#include "core/log.h"
#include "entry/cpuid.h"
#include "entry/gate.h"
#include "entry/lean.h"
#include "entry/rewrite.h"
#include "entry/sud.h"
#include "proc/fork.h"
#include "proc/instance.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/kwait.h"
#include "sched/offload.h"
#include "sched/sched.h"
#include "sched/vcpu.h"
#include "sched/xstate.h"
#include "sys/fd_owner.h"
#include "sys/stats.h"
#include "sys/sys_socket.h"
#include "sys/systab.h"
#include "sys/trace.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f, "usage: pegasus run [options] -- PROGRAM [ARGS...] [::: PROGRAM [ARGS...]]...\n"
		   "       pegasus run [options] -f POD.yaml\n"
		   "Several programs separated by ::: run fused in one process, each with\n"
		   "its own pid, fds, working directory, signals and memory.\n"
		   "  -f, --file FILE  the programs from a pod file (YAML or JSON)\n"
		   "  --exit=WHICH     first (default): the first program's end ends the\n"
		   "                   instance; all: wait for every program; or a name\n"
		   "  --grace SEC      then the others get SIGTERM, and SIGKILL after SEC (5)\n"
		   "  --prefix         prefix each output line with the program's name\n"
		   "  --trace[=FILE]   print every call the runtime serves (to FILE or stderr)\n"
		   "  --stats          per-program syscall counts at exit\n"
		   "  --rewrite=MODE   pattern (default): rewrite trapped call sites of known\n"
		   "                   shapes; zpoline: every site, needs page 0; off: trap only\n"
		   "  --cpus N         vCPU kernel threads running the programs' threads\n"
		   "                   (default: the CPUs this process may use)\n"
		   "  --poll USEC      an idle vCPU spins this long before sleeping (default 50)\n"
		   "  --slice MSEC     preempt app code running longer (default 10; 0: never)\n"
		   "  -v, --verbose    more runtime messages (repeat for debug)\n"
		   "  -q, --quiet      errors only\n");
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int bad_option(const char *opt, const char *val)
{
	fprintf(stderr, "pegasus: bad value for %s: '%s'\n", opt, val);
	return 2;
}

static int default_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return 1;
}

/* unique_name - programs are told apart by name: a second "cat" is "cat-2". */
static char *unique_name(const char *base, struct prog_spec *done, int n)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", base);
	for (int k = 2;; k++) {
		bool clash = false;
		for (int i = 0; i < n; i++)
			clash |= !strcmp(done[i].name, buf);
		if (!clash)
			return strdup(buf);
		snprintf(buf, sizeof(buf), "%s-%d", base, k);
	}
}

/* from_argv - the programs of "A args ::: B args ::: ...". */
static int from_argv(char **argv, int argc, struct instance_spec *s)
{
	s->progs = calloc(argc, sizeof(*s->progs));
	for (int i = 0; i < argc;) {
		int j = i;
		while (j < argc && strcmp(argv[j], ":::"))
			j++;
		if (j == i) {
			fprintf(stderr, "pegasus: an empty program between ':::'\n");
			return 2;
		}
		struct prog_spec *ps = &s->progs[s->nprogs];
		ps->argv = calloc(j - i + 1, sizeof(char *));
		memcpy(ps->argv, &argv[i], (j - i) * sizeof(char *));
		char *b = strdup(argv[i]);
		ps->name = unique_name(basename(b), s->progs, s->nprogs);
		free(b);
		ps->env = environ;
		s->nprogs++;
		i = j + 1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, 0, 'f' },
		{ "exit", required_argument, 0, 'e' },
		{ "grace", required_argument, 0, 'g' },
		{ "prefix", no_argument, 0, 'P' },
		{ "trace", optional_argument, 0, 't' },
		{ "cpus", required_argument, 0, 'c' },
		{ "rewrite", required_argument, 0, 'r' },
		{ "stats", no_argument, 0, 'S' },
		{ "poll", required_argument, 0, 'p' },
		{ "slice", required_argument, 0, 's' },
		{ "verbose", no_argument, 0, 'v' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *trace_file = NULL, *pod = NULL;
	bool trace = false;
	long n;
	int c;
	enum rewrite_mode rw = REWRITE_PATTERN;
	struct instance_spec spec = { .grace_ms = 5000 };
	sched_cfg.nvcpus = default_cpus();
	sched_cfg.vcpu_enter = sud_enable;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': pod = optarg; break;
		case 'e':
			if (!strcmp(optarg, "first"))
				spec.exit_policy = EXIT_FIRST;
			else if (!strcmp(optarg, "all"))
				spec.exit_policy = EXIT_ALL;
			else
				spec.exit_policy = EXIT_NAMED, spec.exit_name = optarg;
			break;
		case 'g':
			if (parse_num(optarg, 0, 3600, &n) < 0)
				return bad_option("--grace", optarg);
			spec.grace_ms = n * 1000;
			break;
		case 'P': spec.prefix = true; break;
		case 't': trace = true; trace_file = optarg; break;
		case 'r':
			if (!strcmp(optarg, "pattern"))
				rw = REWRITE_PATTERN;
			else if (!strcmp(optarg, "zpoline"))
				rw = REWRITE_ZPOLINE;
			else if (!strcmp(optarg, "off"))
				rw = REWRITE_OFF;
			else
				return bad_option("--rewrite", optarg);
			break;
		case 'S': stats_on = true; break;
		case 'c':
			if (parse_num(optarg, 1, 256, &n) < 0)
				return bad_option("--cpus", optarg);
			sched_cfg.nvcpus = n;
			break;
		case 'p':
			if (parse_num(optarg, 0, 10000000, &n) < 0)
				return bad_option("--poll", optarg);
			sched_cfg.poll_ns = n * 1000;
			break;
		case 's':
			if (parse_num(optarg, 0, 100000, &n) < 0)
				return bad_option("--slice", optarg);
			sched_cfg.slice_ns = n * 1000000;
			break;
		case 'v': pg_log_level++; break;
		case 'q': pg_log_level = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (pod) {
		if (optind < argc) {
			fprintf(stderr, "pegasus: give the programs either with -f or after --, not both\n");
			return 2;
		}
		int r = pod_load(pod, &spec);
		if (r)
			return r;
	} else {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		int r = from_argv(&argv[optind], argc - optind, &spec);
		if (r)
			return r;
	}
	if (spec.exit_policy == EXIT_NAMED) {
		bool found = false;
		for (int i = 0; i < spec.nprogs; i++)
			found |= !strcmp(spec.progs[i].name, spec.exit_name);
		if (!found) {
			fprintf(stderr, "pegasus: --exit=%s: no program has that name\n", spec.exit_name);
			return 2;
		}
	}

	if (trace && trace_open(trace_file) < 0) {
		fprintf(stderr, "pegasus: cannot open trace file %s: %s\n", trace_file, strerror(errno));
		return 2;
	}
	const char *missing = host_missing();
	if (missing) {
		fprintf(stderr, "pegasus: %s\n", missing);
		return 125;
	}
	int rr = rewrite_init(rw);
	if (rr < 0) {
		fprintf(stderr, "pegasus: --rewrite=zpoline needs page 0 mapped (%s); "
				"run as root or set vm.mmap_min_addr=0\n", strerror(-rr));
		return 125;
	}
	systab_check();
	fork_prepare_hook = rewrite_fork_prepare;
	fork_parent_hook = rewrite_fork_parent;
	fork_child_hook = rewrite_after_fork;
	vproc_init_host();
	vcpu_bind_current(vcpu_alloc(0));
	lean_init(!trace, rewrite_mode == REWRITE_ZPOLINE);
	gate_flags_init();
	vec_init();
	pg_info("the gate saves %s of the programs' vector state", pg_vec_lazy ? "xmm0-15 and MXCSR (the rest stays live: the runtime's libraries are SSE-only)" : "all (XSAVE)");
	kwait_init();
	signal_init();
	stats_footer = rewrite_print_stats;
	stats_init();
	fd_owner_init();
	offload_init();
	sys_socket_init();
	fflush(stdout);
	fflush(stderr);
	signal_install_host_handlers();
	cpuid_init();
	return instance_run(&spec);
}
