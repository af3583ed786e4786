/* sys_timer.c - POSIX timers whose signals reach the program (and thread) that made them. */
#include <errno.h>
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
 */

#define NTIMERS 512
#define TAG 0x7e9a5000000000ull

struct ktimer {
	int used;            /* atomic: 0 free, 1 being set up, 2 live */
	int host_id;
	struct vproc *p;
	int tid;             /* thread-directed (SIGEV_THREAD_ID), or 0 */
	union sigval value;  /* what the program asked si_value to be */
};

static struct ktimer timers[NTIMERS];

bool timers_route(siginfo_t *si, struct vproc **p, struct uthread **tgt)
{
	uint64_t tag = (uint64_t)si->si_ptr;
	if (si->si_code != SI_TIMER || (tag & ~0xffffull) != TAG || (tag & 0xffff) >= NTIMERS)
		return false;
	struct ktimer *t = &timers[tag & 0xffff];
	if (__atomic_load_n(&t->used, __ATOMIC_ACQUIRE) != 2)
		return false;
	si->si_value = t->value;
	*p = t->p;
	*tgt = t->tid ? uthread_by_tid_nolock(t->tid) : NULL;
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
	host.sigev_value.sival_ptr = (void *)(TAG | slot);
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
	struct ktimer *t = &timers[slot];
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

long sys_timer_delete(struct uthread *ut, const long a[6])
{
	long r = raw_syscall3(SYS_timer_delete, a[0], 0, 0);
	if (r == 0)
		for (int i = 0; i < NTIMERS; i++)
			if (timers[i].used == 2 && timers[i].host_id == (int)a[0] && timers[i].p == ut->proc)
				__atomic_store_n(&timers[i].used, 0, __ATOMIC_RELEASE);
	return r;
}
