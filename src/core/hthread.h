/* hthread.h - the runtime's own host threads: vCPUs and helpers (offload workers, output, monitor). */
#pragma once
#include <pthread.h>
#include <stddef.h>

/**
 * hthread_start - start a host thread that runs fn(arg) with every host
 * signal blocked but `allow` (0: none), 32 and 33 included, and with
 * %gs at hthread_no_vcpu (a handler finds no vCPU there) from its first
 * instruction. A thread made by another inherits its maker's %gs and
 * signal mask: a host signal caught before the new thread blocked it would
 * run a runtime handler as if on the maker's vCPU, on that vCPU's uthread.
 * vCPU threads start the same way and open their mask once bound.
 * @stack: stack size (0: the default); @detached: no join.
 * Returns 0 or a positive error number, as pthread_create.
 */
int hthread_start(pthread_t *t, size_t stack, int detached, int allow,
		  void *(*fn)(void *), void *arg);

/* %gs of the runtime's threads that run no vCPU: all zero (no `self`). */
extern char hthread_no_vcpu[4096];

/*
 * hthread_wait_started - until every thread hthread_start made has begun
 * its fn. A host fork waits here: a thread still starting may be in the
 * allocator (its start record freed, the sanitizers' thread set-up), whose
 * lock the child would inherit held. The caller keeps new ones from being
 * made meanwhile.
 */
void hthread_wait_started(void);
