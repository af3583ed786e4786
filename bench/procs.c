/* procs.c - making a process: fork, vfork, posix_spawn, each with exit and wait. */
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static void wait_for(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		abort();
}

static void fork_exit(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		wait_for(pid);
	}
}

static char *const true_argv[] = { "/bin/true", NULL };

static void fork_exec(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execve(true_argv[0], true_argv, environ);
			_exit(127);
		}
		wait_for(pid);
	}
}

static void vfork_exec(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			execve(true_argv[0], true_argv, environ);
			_exit(127);
		}
		wait_for(pid);
	}
}

static void spawn(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pid_t pid;
		if (posix_spawn(&pid, true_argv[0], NULL, NULL, true_argv, environ))
			abort();
		wait_for(pid);
	}
}

static const struct bench_case cases[] = {
	{ "fork_exit_wait", "fork, the child _exits at once, the parent waits", fork_exit },
	{ "fork_exec_true_wait", "fork, the child execs /bin/true, the parent waits", fork_exec },
	{ "vfork_exec_true_wait", "vfork, the child execs /bin/true, the parent waits", vfork_exec },
	{ "posix_spawn_true_wait", "posix_spawn of /bin/true, then wait", spawn },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
