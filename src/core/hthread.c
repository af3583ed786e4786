/* hthread.c - starting the runtime's host threads with no signal window and no vCPU's %gs. */
#include "core/hthread.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "core/bigdata.h"
#include "core/fsbase.h"
#include "core/rawsys.h"
#include "core/stackmap.h"

/* %gs of a thread that runs no vCPU: its first word (a vCPU's `self`) is
 * NULL, and every other field a handler might read is zero. */
char hthread_no_vcpu[4096] __attribute__((aligned(64))) PG_BIG;

struct start {
	void *(*fn)(void *);
	void *arg;
	int allow;
};

/* The kernel's 64-bit mask, 32 and 33 included: glibc's sigset calls drop
 * them (they are glibc's own), and a program's SIGEV_THREAD timers use 32. */
static long mask_host_signals(uint64_t block, uint64_t *old)
{
	return raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, &block, old, 8, 0, 0);
}

static int starting; /* made, not yet in their fn */

void hthread_wait_started(void)
{
	while (__atomic_load_n(&starting, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* The thread's guard page, where glibc left none (hthread_start): the
 * lowest page of the stack glibc mapped or took from its cache. */
static void guard_own_stack(void)
{
	pthread_attr_t a;
	void *lo;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &lo, &size) == 0)
		stack_guard(lo);
	pthread_attr_destroy(&a);
}

static void *trampoline(void *sv)
{
	struct start s = *(struct start *)sv;
	free(sv);
	__atomic_sub_fetch(&starting, 1, __ATOMIC_RELEASE);
	if (stack_guard_cheap())
		guard_own_stack();
	/* glibc's start_thread opened signal 32 (SIGCANCEL) just before this;
	 * a handler that ran meanwhile found hthread_no_vcpu in %gs (the maker
	 * lent it for the clone) and passed the signal on to the process. */
	mask_host_signals(s.allow ? ~(1ull << (s.allow - 1)) : ~0ull, NULL);
	return s.fn(s.arg);
}

int hthread_start(pthread_t *t, size_t stack, int detached, int allow,
		  void *(*fn)(void *), void *arg)
{
	struct start *s = malloc(sizeof(*s));
	if (!s)
		return ENOMEM;
	s->fn = fn;
	s->arg = arg;
	s->allow = allow;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* No PROT_NONE guard of glibc's, which splits the stack's mapping in
	 * two: the thread installs a guard that does not (trampoline). */
	if (stack_guard_cheap())
		pthread_attr_setguardsize(&attr, 0);
	/* The new thread inherits %gs: for the clone, the maker's is
	 * hthread_no_vcpu, with every host signal blocked so that none runs a
	 * handler on the maker meanwhile. */
	uint64_t old_mask;
	mask_host_signals(~0ull, &old_mask);
	uint64_t gs = gsbase_read();
	gsbase_write((uint64_t)hthread_no_vcpu);
	pthread_t tmp;
	__atomic_add_fetch(&starting, 1, __ATOMIC_ACQ_REL);
	int r = pthread_create(t ? t : &tmp, &attr, trampoline, s);
	pthread_attr_destroy(&attr);
	gsbase_write(gs);
	mask_host_signals(old_mask, NULL);
	if (r) {
		__atomic_sub_fetch(&starting, 1, __ATOMIC_RELEASE);
		free(s);
	}
	return r;
}
