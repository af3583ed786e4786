/* itimer.c - ITIMER_REAL and alarm(): periods, old values, siginfo, across fork and execve. */
#include <signal.h>
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

int main(int argc, char **argv)
{
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
