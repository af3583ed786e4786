/* timers.c - what a program's fast POSIX timer costs the CPU it computes on. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "bench.h"

/*
 * The operation is a fixed piece of computation (a chain of dependent
 * multiplies, ~1 us); a case's figure grows with whatever steals the CPU
 * from it. With a 20 us periodic timer whose signal is blocked, Linux does
 * nothing after the first expiration (a timer is re-armed when its signal
 * is taken); a runtime that let the host timer run would take a host
 * signal every period. With a handler, every period runs it: the figure
 * then includes the delivery of 1 us / 20 us of a signal.
 */

#define PERIOD_NS 20000
#define SIG (SIGRTMIN + 5)

static timer_t tm;
static atomic_long handled;

static void compute(uint64_t n)
{
	uint64_t x = n | 1;
	for (uint64_t i = 0; i < n; i++)
		for (int k = 0; k < 300; k++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
	bench_sink(x);
}

static void on_tick(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&handled, 1, memory_order_relaxed);
}

static void arm(void)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIG;
	timer_create(CLOCK_MONOTONIC, &ev, &tm);
	struct itimerspec its = { { 0, PERIOD_NS }, { 0, PERIOD_NS } };
	timer_settime(tm, 0, &its, NULL);
}

static void mask(int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIG);
	sigprocmask(how, &s, NULL);
}

static void blocked_init(void)
{
	mask(SIG_BLOCK);
	arm();
}

static void blocked_fini(void)
{
	timer_delete(tm);
	struct timespec zero = { 0, 0 };
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIG);
	while (sigtimedwait(&s, NULL, &zero) == SIG)
		;
	mask(SIG_UNBLOCK);
}

static void handled_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	sigaction(SIG, &sa, NULL);
	arm();
}

static void handled_fini(void)
{
	timer_delete(tm);
	signal(SIG, SIG_IGN);
}

static const struct bench_case cases[] = {
	{ "compute", "~1 us of computation, no timer (control)", compute },
	{ "compute_timer_blocked", "the same, a 20 us periodic timer's signal blocked",
	  compute, blocked_init, blocked_fini },
	{ "compute_timer_handled", "the same, a 20 us periodic timer's signal handled (empty handler)",
	  compute, handled_init, handled_fini },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
