/* run.c - `pegasus run`: start one program under the runtime. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"
#include "entry/lean.h"
#include "entry/rewrite.h"
#include "entry/sud.h"
#include "sys/stats.h"
#include "loader/exec.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/kwait.h"
#include "sched/offload.h"
#include "sched/sched.h"
#include "sched/vcpu.h"
#include "sys/trace.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f, "usage: pegasus run [options] -- PROGRAM [ARGS...]\n"
		   "  --trace[=FILE]   print every call the runtime serves (to FILE or stderr)\n"
		   "  --rewrite=MODE   pattern (default): rewrite trapped call sites of known\n"
		   "                   shapes; zpoline: every site, needs page 0; off: trap only\n"
		   "  --stats          per-program syscall counts at exit\n"
		   "  --cpus N         vCPU kernel threads running the program's threads\n"
		   "                   (default: the CPUs this process may use)\n"
		   "  --poll USEC      an idle vCPU spins this long before sleeping (default 50)\n"
		   "  --slice MSEC     preempt app code running longer (default 10; 0: never)\n"
		   "  -v, --verbose    more runtime messages (repeat for debug)\n"
		   "  -q, --quiet      errors only\n");
}

/* inherit_signals - what execve keeps: the blocked mask and the signals set
 * to be ignored (nohup, a shell's background job). The runtime itself runs
 * with nothing blocked. */
static void inherit_signals(struct uthread *ut)
{
	sigset_t old, none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, &old);
	for (int sig = 1; sig < 65; sig++) {
		if (sigismember(&old, sig) == 1 && sig != SIGKILL && sig != SIGSTOP)
			ut->sigmask |= SIGBIT(sig);
		struct sigaction sa;
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			ut->proc->sigaction[sig - 1].handler = (uint64_t)SIG_IGN;
	}
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

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
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
	const char *trace_file = NULL;
	bool trace = false;
	long n;
	int c;
	enum rewrite_mode rw = REWRITE_PATTERN;
	sched_cfg.nvcpus = default_cpus();
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
		switch (c) {
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
		case 'S':
			stats_on = true;
			break;
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
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	char **prog = &argv[optind];

	if (trace && trace_open(trace_file) < 0) {
		fprintf(stderr, "pegasus: cannot open trace file %s: %s\n", trace_file, strerror(errno));
		return 2;
	}
	int sud = sud_probe();
	if (sud < 0) {
		fprintf(stderr, "pegasus: this kernel has no Syscall User Dispatch (%s); Linux 5.11 or newer is needed\n",
			strerror(-sud));
		return 125;
	}

	int rr = rewrite_init(rw);
	if (rr < 0) {
		fprintf(stderr, "pegasus: --rewrite=zpoline needs page 0 mapped (%s); "
				"run as root or set vm.mmap_min_addr=0\n", strerror(-rr));
		return 125;
	}

	vproc_init_host();
	char *name = strdup(prog[0]);
	struct vproc *p = vproc_new(basename(name));
	const int stdio[3] = { 0, 1, 2 };
	if (vproc_set_stdio(p, stdio) < 0 || vproc_chdir(p, AT_FDCWD, ".") < 0)
		pg_die("cannot set up the program's fds and working directory");
	struct exec_image img;
	char why[PATH_MAX + 256];
	int err = exec_load(p, prog[0], prog, environ, true, &img, why, sizeof(why));
	if (err) {
		fprintf(stderr, "pegasus: %s\n", why);
		return exec_status(err);
	}

	vcpu_bind_current(vcpu_alloc(0));
	struct uthread *ut = uthread_new(p, p->pid);
	p->main_thread = ut;
	vproc_add_thread(p, ut);
	ut->tf.rip = img.entry;
	ut->tf.rsp = img.sp;
	inherit_signals(ut);

	fflush(stdout);
	fflush(stderr);
	lean_init(!trace && !stats_on);
	kwait_init();
	offload_init();
	signal_install_host_handlers();
	sched_start(ut);
}
