/* main.c - the pegasus command: dispatch to a subcommand. */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fsbase.h"
#include "core/hugetext.h"
#include "core/hthread.h"
#include "proc/instance.h"
#include "proc/vproc.h"

/* host_args_take - copies of argv, its strings' area lent to proc/vproc.c
 * (vproc_host_args) when they lie in one piece, as the kernel puts them. */
static char **host_args_take(int argc, char **argv)
{
	char **copy = calloc(argc + 1, sizeof(char *));
	if (!copy)
		return argv;
	char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	bool one_piece = true;
	for (int i = 0; i < argc; i++) {
		copy[i] = strdup(argv[i]);
		if (!copy[i])
			return argv;
		one_piece &= argv[i] >= argv[0] && argv[i] < end;
	}
	if (one_piece)
		vproc_host_args(argv[0], (size_t)(end - argv[0]));
	return copy;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pegasus COMMAND [ARGS...]\n"
		   "  run [options] -- PROGRAM [ARGS...]   run a program under the runtime\n"
		   "  check                                what this host supports\n"
		   "  stats PID                            a running instance (--stats) prints\n"
		   "                                       its per-program syscall counts\n"
		   "  help                                 this text\n"
		   "Run `pegasus run --help` for the options of run.\n");
}

int main(int argc, char **argv)
{
	/* First of all: it may start this process again (environment as given). */
	if (argc > 1 && !strcmp(argv[1], "run")) {
		reexec_sse_only(argv);
		instance_note_inherited_fds();
		instance_note_host_signals();
	}
	/* Before any thread: how %fs/%gs are written, and this thread's %gs
	 * (no vCPU yet) for any host signal handler that reads it. */
	fsbase_init();
	/* One malloc arena for all the runtime's threads: each further arena
	 * is two mappings and a page table of its own that every fork copies
	 * and every child's exit frees, and the runtime's hot paths do not
	 * allocate (tcache serves the rest without the arena's lock). */
	mallopt(M_ARENA_MAX, 1);
	/* Before any program maps anything: where the first fork's huge
	 * page of text goes (core/hugetext.h). */
	hugetext_reserve();
	gsbase_write((uint64_t)hthread_no_vcpu);
	/* The runtime's own settings, not the programs' environment. */
	unsetenv("PEGASUS_FSGSBASE");
	unsetenv("PEGASUS_HUGETEXT");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run")) {
		/* The strings the kernel shows as this process's command line
		 * (/proc/PID/cmdline) become the first program's: run reads
		 * copies of them. */
		char **args = host_args_take(argc, argv);
		return cmd_run(argc - 1, args + 1);
	}
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pegasus %s\n", PEGASUS_VERSION);
		return 0;
	}
	fprintf(stderr, "pegasus: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
