/* sys_timer.c - POSIX timers whose signals reach the program (and thread) that made them. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/systab.h"
#include "sys/timers.h"

/*
 * The kernel timer signals the host process; its sigev_value carries a
 * tag naming a slot here, which says which program and thread the signal
 * is for and what value that program asked for. The host signal handler
 * routes it (timers_route). SIGEV_THREAD_ID with a virtual tid, and timer
 * signals of one fused program reaching another, both need this.
 *
 * As on Linux, a timer has at most one signal queued: expirations while
 * it waits are counted as its overrun, not queued. The host signal is
 * taken at once, so the host kernel would queue one per expiration; a
 * program whose handler is slower than its timer's period would then
 * never catch up (and the 4096-entry queue would fill).
 */

#define NTIMERS 512
#define TAG 0x7e9a500000000000ull
#define TAG_MASK 0xffffffff00000000ull

struct ktimer {
	int used;            /* atomic: 0 free, 1 being set up, 2 live */
	int host_id;
	struct vproc *p;
	int tid;             /* thread-directed (SIGEV_THREAD_ID), or 0 */
	uint16_t gen;        /* bumped per timer_create: a deleted timer's signal is dropped */
	union sigval value;  /* what the program asked si_value to be */
	int queued;          /* atomic: a signal of it waits in the program's queue */
	int overrun;         /* atomic: expirations folded into that signal */
	int last_overrun;    /* of the last signal taken: timer_getoverrun */
};

static struct ktimer timers[NTIMERS];

/* timer_of - the live timer a tag names (si_value of a host timer signal). */
static struct ktimer *timer_of(const siginfo_t *si)
{
	uint64_t tag = (uint64_t)si->si_ptr;
	if (si->si_code != SI_TIMER || (tag & TAG_MASK) != TAG || (tag & 0xffff) >= NTIMERS)
		return NULL;
	struct ktimer *t = &timers[tag & 0xffff];
	if (__atomic_load_n(&t->used, __ATOMIC_ACQUIRE) != 2 || t->gen != (uint16_t)(tag >> 16))
		return NULL;
	return t;
}

static int add_overrun(int *ov, int n)
{
	/* Linux caps the count at DELAYTIMER_MAX (INT_MAX). */
	int old = __atomic_load_n(ov, __ATOMIC_RELAXED), sum;
	do
		sum = n > INT_MAX - old ? INT_MAX : old + n;
	while (!__atomic_compare_exchange_n(ov, &old, sum, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return sum;
}

enum timer_route timers_route(siginfo_t *si, struct vproc **p, struct uthread **tgt)
{
	struct ktimer *t = timer_of(si);
	if (!t)
		return TIMER_NOT_OURS;
	/* The host's own overrun: expirations while its signal waited for us. */
	add_overrun(&t->overrun, si->si_overrun);
	if (__atomic_exchange_n(&t->queued, 1, __ATOMIC_ACQ_REL)) {
		add_overrun(&t->overrun, 1);
		return TIMER_FOLDED;
	}
	*p = t->p;
	*tgt = t->tid ? uthread_by_tid_nolock(t->tid) : NULL;
	return TIMER_QUEUE;
}

void timers_not_queued(const siginfo_t *si)
{
	struct ktimer *t = timer_of(si);
	if (t)
		__atomic_store_n(&t->queued, 0, __ATOMIC_RELEASE);
}

bool timers_take(siginfo_t *si)
{
	uint64_t tag = (uint64_t)si->si_ptr;
	if (si->si_code != SI_TIMER || (tag & TAG_MASK) != TAG)
		return true; /* not one of ours (a program may forge SI_TIMER) */
	struct ktimer *t = timer_of(si);
	if (!t)
		return false; /* deleted (or deleted and made again) since: Linux drops it */
	/* Overrun first, then the flag: an expiration in between is folded
	 * into the next signal rather than lost. */
	int ov = __atomic_exchange_n(&t->overrun, 0, __ATOMIC_ACQ_REL);
	__atomic_store_n(&t->last_overrun, ov, __ATOMIC_RELAXED);
	__atomic_store_n(&t->queued, 0, __ATOMIC_RELEASE);
	si->si_overrun = ov;
	si->si_value = t->value;
	return true;
}

long sys_timer_create(struct uthread *ut, const long a[6])
{
	struct sigevent sev, host;
	if (a[1]) {
		if (copy_from_user(&sev, a[1], sizeof(sev)))
			return -EFAULT;
	} else {
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGALRM;
	}
	if (sev.sigev_notify == SIGEV_NONE)
		return raw_syscall3(SYS_timer_create, a[0], &sev, a[2]);
	int tid = 0;
	if (sev.sigev_notify == SIGEV_THREAD_ID) {
		struct uthread *t = uthread_by_tid(sev._sigev_un._tid);
		if (!t || t->proc != ut->proc)
			return -EINVAL;
		tid = t->tid;
	} else if (sev.sigev_notify != SIGEV_SIGNAL) {
		return -EINVAL;
	}
	if (sev.sigev_signo < 1 || sev.sigev_signo > 64)
		return -EINVAL;
	int slot = -1;
	for (int i = 0; i < NTIMERS && slot < 0; i++) {
		int expect = 0;
		if (__atomic_compare_exchange_n(&timers[i].used, &expect, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			slot = i;
	}
	if (slot < 0)
		return -EAGAIN;
	memset(&host, 0, sizeof(host));
	host.sigev_notify = SIGEV_SIGNAL;
	host.sigev_signo = sev.sigev_signo;
	struct ktimer *t = &timers[slot];
	t->gen++;
	t->queued = 0;
	t->overrun = 0;
	t->last_overrun = 0;
	host.sigev_value.sival_ptr = (void *)(TAG | (uint64_t)t->gen << 16 | slot);
	int id;
	long r = raw_syscall3(SYS_timer_create, a[0], &host, &id);
	if (r == 0 && copy_to_user(a[2], &id, sizeof(id))) {
		raw_syscall3(SYS_timer_delete, id, 0, 0);
		r = -EFAULT;
	}
	if (r < 0) {
		__atomic_store_n(&timers[slot].used, 0, __ATOMIC_RELEASE);
		return r;
	}
	t->host_id = id;
	t->p = ut->proc;
	t->tid = tid;
	/* Without a sigevent, Linux puts the timer id in si_value. */
	if (a[1])
		t->value = sev.sigev_value;
	else
		t->value.sival_int = id;
	__atomic_store_n(&t->used, 2, __ATOMIC_RELEASE);
	return 0;
}

/* find - the live timer of the program with this (host) id. */
static struct ktimer *find(struct uthread *ut, long id)
{
	for (int i = 0; i < NTIMERS; i++)
		if (__atomic_load_n(&timers[i].used, __ATOMIC_ACQUIRE) == 2 &&
		    timers[i].host_id == (int)id && timers[i].p == ut->proc)
			return &timers[i];
	return NULL;
}

long sys_timer_delete(struct uthread *ut, const long a[6])
{
	long r = raw_syscall3(SYS_timer_delete, a[0], 0, 0);
	struct ktimer *t = r == 0 ? find(ut, a[0]) : NULL;
	if (t)
		__atomic_store_n(&t->used, 0, __ATOMIC_RELEASE);
	return r;
}

/* timer_getoverrun - the host counts nothing (its signals are taken at
 * once): the count is the one folded into the last signal taken. */
long sys_timer_getoverrun(struct uthread *ut, const long a[6])
{
	long r = raw_syscall3(SYS_timer_getoverrun, a[0], 0, 0);
	struct ktimer *t = r >= 0 ? find(ut, a[0]) : NULL;
	return t ? __atomic_load_n(&t->last_overrun, __ATOMIC_RELAXED) : r;
}
