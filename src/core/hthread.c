/* hthread.c - starting the runtime's host threads with no signal window and no inherited %gs. */
#include "core/hthread.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <x86gprintrin.h>

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

struct start {
	void *(*fn)(void *);
	void *arg;
};

static void *trampoline(void *sv)
{
	struct start s = *(struct start *)sv;
	free(sv);
	/* %gs names the vCPU a thread runs; this one runs none (yet). Without
	 * FSGSBASE pegasus does not run programs (`pegasus check` says so):
	 * its probes still start threads. */
	if (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)
		_writegsbase_u64(0);
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
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t mask;
	sigfillset(&mask);
	if (allow)
		sigdelset(&mask, allow);
	pthread_attr_setsigmask_np(&attr, &mask);
	pthread_t tmp;
	int r = pthread_create(t ? t : &tmp, &attr, trampoline, s);
	pthread_attr_destroy(&attr);
	if (r)
		free(s);
	return r;
}
