/* itimer.c - setitimer and alarm(): periods, old values, siginfo, across fork, execve and a spawned program's end. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms, code;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	alarms++;
	code = si->si_code;
}

static int armed(void)
{
	struct itimerval cur;
	getitimer(ITIMER_REAL, &cur);
	return cur.it_value.tv_sec || cur.it_value.tv_usec;
}

/* ---- ITIMER_VIRTUAL and ITIMER_PROF ---- */

static volatile int cpu_signals[65], cpu_code;

static void on_cpu(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	cpu_signals[sig]++;
	cpu_code = si->si_code;
}

/* burn - spin for ms of this process's CPU time, or until *until >= n. */
static void burn(long ms, volatile int *until, int n)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (volatile int i = 0; i < 100000; i++)
			;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms && (!until || *until < n));
}

static int cpu_timers(char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_cpu, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGVTALRM, &sa, NULL);
	static const struct { int which, sig; const char *name; } kind[] = {
		{ ITIMER_PROF, SIGPROF, "ITIMER_PROF" }, { ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL" } };
	for (int k = 0; k < 2; k++) {
		struct itimerval it = { { 0, 10000 }, { 0, 10000 } }, cur, old;
		setitimer(kind[k].which, &it, NULL);
		getitimer(kind[k].which, &cur);
		printf("%s: armed %d, interval %ld us\n", kind[k].name, cur.it_value.tv_sec || cur.it_value.tv_usec,
		       (long)cur.it_interval.tv_usec);
		burn(3000, &cpu_signals[kind[k].sig], 3);
		printf("%s: 3 signals in CPU time: %d, si_code SI_KERNEL: %d\n", kind[k].name,
		       cpu_signals[kind[k].sig] >= 3, cpu_code == SI_KERNEL);
		struct itimerval off = { { 0, 0 }, { 0, 0 } };
		setitimer(kind[k].which, &off, &old);
		printf("%s: old interval %ld us\n", kind[k].name, (long)old.it_interval.tv_usec);
		getitimer(kind[k].which, &cur);
		printf("%s: disarmed %d\n", kind[k].name, !cur.it_value.tv_sec && !cur.it_value.tv_usec);
	}
	/* A forked child has none of them. */
	struct itimerval it = { { 0, 0 }, { 5, 0 } };
	setitimer(ITIMER_PROF, &it, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct itimerval cur;
		getitimer(ITIMER_PROF, &cur);
		_exit(cur.it_value.tv_sec || cur.it_value.tv_usec ? 1 : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("forked child without ITIMER_PROF: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	setitimer(ITIMER_PROF, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	/* A spawned program arms both with their default actions (they kill)
	 * and ends: they end with it, and this process burns CPU unharmed. */
	signal(SIGPROF, SIG_DFL);
	signal(SIGVTALRM, SIG_DFL);
	char *args[] = { argv[0], "arm-cpu-and-exit", NULL };
	extern char **environ;
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) == 0) {
		waitpid(pid, &st, 0);
		printf("spawned program: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	burn(300, NULL, 0);
	printf("survived its timers\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "cpu"))
		return cpu_timers(argv);
	if (argc > 1 && !strcmp(argv[1], "prof-asleep")) {
		/* ITIMER_PROF of a program that sleeps: no signal, whatever
		 * other programs of the instance burn. */
		struct sigaction sa = { .sa_sigaction = on_cpu, .sa_flags = SA_SIGINFO | SA_RESTART };
		sigaction(SIGPROF, &sa, NULL);
		struct itimerval it = { { 0, 0 }, { 0, 50000 } };
		setitimer(ITIMER_PROF, &it, NULL);
		for (int i = 0; i < 10; i++)
			usleep(50000);
		printf("asleep with ITIMER_PROF: %d signals\n", cpu_signals[SIGPROF]);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "arm-cpu-and-exit")) {
		struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
		setitimer(ITIMER_PROF, &it, NULL);
		setitimer(ITIMER_VIRTUAL, &it, NULL);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "after-exec")) {
		/* Linux keeps ITIMER_REAL across execve. */
		struct itimerval cur;
		getitimer(ITIMER_REAL, &cur);
		printf("after exec: armed %d, interval %ld us\n", armed(), (long)cur.it_interval.tv_usec);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "periodic")) {
		/* One program's periodic timer (run beside another by the tests). */
		int ms = atoi(argv[2]);
		struct sigaction sa = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO | SA_RESTART };
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { { 0, ms * 1000 }, { 0, ms * 1000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		struct timespec end, now;
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec++;
		do {
			pause();
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
		int expect = 1000 / ms;
		printf("%d ms: %s\n", ms, alarms >= expect / 2 && alarms <= expect + 2 ? "ok" : "wrong count");
		return 0;
	}
	struct sigaction sa = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO };
	sigaction(SIGALRM, &sa, NULL);

	printf("alarm(5) = %u\n", alarm(5));
	printf("alarm(0) = %u (4.5 s or more left: 5)\n", alarm(0));
	printf("alarm(0) again = %u\n", alarm(0));
	struct itimerval it = { { 0, 0 }, { 0, 300000 } }, old;
	setitimer(ITIMER_REAL, &it, NULL);
	printf("alarm(0) with 0.3 s left = %u\n", alarm(0));

	it = (struct itimerval){ { 0, 20000 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (alarms < 5)
		pause();
	setitimer(ITIMER_REAL, NULL, &old);
	printf("periodic: 5 alarms, si_code SI_KERNEL %d, old interval %ld us, armed after NULL %d\n",
	       code == SI_KERNEL, (long)old.it_interval.tv_usec, armed());

	it = (struct itimerval){ { 0, 0 }, { 0, 1000000 } };
	printf("bad usec: %d\n", setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 1000000 } }, NULL));
	printf("bad which: %d\n", getitimer(7, &old));

	it = (struct itimerval){ { 0, 250000 }, { 10, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		/* A forked child starts without timers. */
		printf("child: armed %d\n", armed());
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("parent: armed %d\n", armed());
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "after-exec", (char *)NULL);
	perror("execl");
	return 1;
}
