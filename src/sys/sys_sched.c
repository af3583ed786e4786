/* sys_sched.c - nice, I/O priority and scheduling policy each thread's own, personality each program's. */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/hostcred.h"
#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/pidspace.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/systab.h"

/*
 * The kernel keeps these per thread (personality per process), and a
 * program's threads run on vCPU threads every program of the host process
 * shares: `nice -n 7 true` renice'd whichever vCPU ran it, for every
 * program after it (the shell that ran it read 7), `chrt -f 99` would have
 * put a spinning vCPU at real-time priority, and `setarch -R` changed the
 * host process's personality. So each thread keeps its own (struct
 * thread_sched; its program its personality), checked as Linux checks
 * them, inherited by new threads and children and kept across execve; the
 * runtime's scheduler does not weigh them (uthreads are equals). A
 * thread of another host process of the instance (a forked child) has
 * its own there: a call naming it from here goes to that process's vCPU
 * threads through the kernel, and the program there does not see it.
 */

/* <linux/sched/types.h>, which <sched.h> cannot sit beside. */
struct sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};
#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP 0x60
#define SCHED_FLAG_ALL 0x7f /* reset on fork, reclaim, overrun, keep all, clamps */

/* class in bits 13-15, a hint in 3-12, the level in 0-2 (6.5's layout) */
#define IOPRIO_CLASS(v) (((v) >> 13) & 7)
#define IOPRIO_LEVEL(v) ((v) & 7)
#define IOPRIO_DEFAULT (2 << 13 | 4) /* best effort, level 4 */
enum { IOPRIO_NONE, IOPRIO_RT, IOPRIO_BE, IOPRIO_IDLE };

/* thread_of - the thread pid names (0: the caller), when it runs here; else
 * NULL, and *host the process the kernel knows it as (-errno: none). */
static struct uthread *thread_of(struct uthread *ut, long pid, long *host)
{
	if (pid == 0)
		return ut;
	struct uthread *t = uthread_by_tid((int)pid);
	if (t)
		return t;
	long r = kcall_pid(pid, host);
	if (r < 0)
		*host = r;
	return NULL;
}

/* here - the thread a[0] names runs here: true, and *t. Else *ret is the
 * answer: -errno, or the kernel's for the process it names (a forked
 * child's process: its vCPU threads run that program alone). */
static bool here(struct uthread *ut, long nr, const long a[6], struct uthread **t, long *ret)
{
	long host = 0;
	if (a[0] < 0) {
		*ret = -EINVAL;
		return false;
	}
	*t = thread_of(ut, a[0], &host);
	if (*t)
		return true;
	*ret = host < 0 ? host : raw_syscall6(nr, host, a[1], a[2], a[3], a[4], a[5]);
	return false;
}

/* may_change - Linux's set_one_prio_perm / check_same_owner, or CAP_SYS_NICE. */
static bool may_change(struct uthread *ut, const struct uthread *t)
{
	const struct hostcred *me = ut->proc->cred, *them = t->proc->cred;
	if (!me || !them || me == them)
		return true;
	return me->euid == them->uid || me->euid == them->euid || cred_capable(ut, CAP_SYS_NICE);
}

/* can_nice - a nice value below the current one needs RLIMIT_NICE (as
 * 20 - nice) or CAP_SYS_NICE. */
static bool can_nice(struct uthread *ut, const struct uthread *t, int nice)
{
	return 20 - nice <= (long)t->proc->rlim[RLIMIT_NICE].rlim_cur || cred_capable(ut, CAP_SYS_NICE);
}

/* ---- setpriority, getpriority, ioprio_set, ioprio_get: who names a
 * thread (a process's pid its main thread), a process group or a user ---- */

enum { GET_NICE, SET_NICE, GET_IO, SET_IO };

/* one - op on thread t; folds its answer into *acc (-ESRCH at first), as
 * kernel/sys.c and block/ioprio.c fold theirs. */
static void one(struct uthread *ut, struct uthread *t, int op, long v, long *acc)
{
	long r = 0;
	switch (op) {
	case GET_NICE:
		r = 20 - t->sched.nice; /* the system call's form: 1..40 */
		*acc = *acc == -ESRCH || r > *acc ? r : *acc;
		return;
	case GET_IO: {
		/* ioprio_best: the least of two, a class of none counting as the default */
		int b = t->sched.ioprio, x = IOPRIO_CLASS(*acc) ? (int)*acc : IOPRIO_DEFAULT,
		    y = IOPRIO_CLASS(b) ? b : IOPRIO_DEFAULT;
		*acc = *acc == -ESRCH ? b : x < y ? x : y;
		return;
	}
	case SET_NICE:
		if (!may_change(ut, t))
			r = -EPERM;
		else if (v < t->sched.nice && !can_nice(ut, t, (int)v))
			r = -EACCES;
		else
			t->sched.nice = (int)v;
		break;
	case SET_IO:
		if (!may_change(ut, t))
			r = -EPERM;
		else
			t->sched.ioprio = (int)v;
		break;
	}
	*acc = r ? r : *acc == -ESRCH ? 0 : *acc;
}

/* each - op on every thread here that which (0 process, 1 group, 2 user)
 * and who name; *found: some did. */
static long each(struct uthread *ut, int which, long who, int op, long v, bool *found)
{
	long acc = -ESRCH;
	if (which == 0) {
		long host = 0;
		struct uthread *t = thread_of(ut, who, &host);
		if ((*found = t != NULL))
			one(ut, t, op, v, &acc);
		return acc;
	}
	int g = which == 1 ? (who ? (int)who : ut->proc->pgid) : 0;
	uint32_t uid = which == 2 ? (who ? (uint32_t)who : ut->proc->cred->uid) : 0;
	*found = false;
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!p || p->host_pid || vproc_seen_as(p) != p || p->state == VP_DEAD)
			continue;
		if (which == 1 ? p->pgid != g : !p->cred || p->cred->uid != uid)
			continue;
		spin_lock(&p->lock);
		for (struct uthread *t = p->threads; t; t = t->proc_next) {
			*found = true;
			one(ut, t, op, v, &acc);
		}
		spin_unlock(&p->lock);
	}
	return acc;
}

/* prio_call - the four calls: which as setpriority's (PRIO_PROCESS 0,
 * PRIO_PGRP 1, PRIO_USER 2). Threads here are served here; a pid of
 * another process of the instance, or a group outside it, by the kernel;
 * a user's threads outside the instance are left alone (the kernel would
 * renice the vCPU threads with them). */
static long prio_call(struct uthread *ut, long nr, const long a[6], int which, int op, long v)
{
	if (which < 0 || which > 2)
		return -EINVAL;
	bool found;
	long r = each(ut, which, a[1], op, v, &found);
	if (found || which == 2)
		return r;
	long host = a[1];
	if (which == 0 && kcall_pid(a[1], &host) < 0)
		return -ESRCH;
	if (which == 1 && !pidspace_outside((int)a[1]))
		return -ESRCH; /* a group of the instance with no program here */
	return raw_syscall3(nr, a[0], host, a[2]);
}

long sys_getpriority(struct uthread *ut, const long a[6])
{
	return prio_call(ut, SYS_getpriority, a, (int)a[0], GET_NICE, 0);
}

long sys_setpriority(struct uthread *ut, const long a[6])
{
	int v = (int)a[2]; /* an int: the register's upper half is not the caller's */
	long nice = v < -20 ? -20 : v > 19 ? 19 : v;
	return prio_call(ut, SYS_setpriority, a, (int)a[0], SET_NICE, nice);
}

/* ioprio_set's checks (ioprio_check_cap). */
static long ioprio_valid(struct uthread *ut, long v)
{
	switch (IOPRIO_CLASS(v)) {
	case IOPRIO_RT:
		if (!cred_capable(ut, CAP_SYS_ADMIN) && !cred_capable(ut, CAP_SYS_NICE))
			return -EPERM;
		return 0;
	case IOPRIO_BE:
	case IOPRIO_IDLE:
		return 0;
	case IOPRIO_NONE:
		return IOPRIO_LEVEL(v) ? -EINVAL : 0;
	}
	return -EINVAL;
}

long sys_ioprio_get(struct uthread *ut, const long a[6])
{
	return prio_call(ut, SYS_ioprio_get, a, (int)a[0] - 1, GET_IO, 0);
}

long sys_ioprio_set(struct uthread *ut, const long a[6])
{
	long r = ioprio_valid(ut, (int)a[2]);
	return r ? r : prio_call(ut, SYS_ioprio_set, a, (int)a[0] - 1, SET_IO, (int)a[2]);
}

/* ---- scheduling policy (sched_setscheduler and kin) ---- */

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* set_policy - __sched_setscheduler's checks, then kept: prio is the
 * real-time priority; keep_params (sched_setattr's SCHED_FLAG_KEEP_PARAMS)
 * leaves it and the nice value; nice is sched_setattr's (INT32_MIN:
 * sched_setscheduler, which leaves it), for the fair policies. */
static long set_policy(struct uthread *ut, struct uthread *t, int policy, int prio, bool reset, bool keep_params,
		       int nice)
{
	struct thread_sched *s = &t->sched;
	if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE && !rt_policy(policy))
		return policy == SCHED_DEADLINE ? -EPERM : -EINVAL; /* no deadline server on a shared vCPU */
	if (rt_policy(policy) ? prio < 1 || prio > 99 : prio != 0)
		return -EINVAL;
	if (!cred_capable(ut, CAP_SYS_NICE)) {
		long rtprio = (long)t->proc->rlim[RLIMIT_RTPRIO].rlim_cur;
		if (rt_policy(policy) && ((policy != s->policy && !rtprio) || (prio > s->rt_prio && prio > rtprio)))
			return -EPERM;
		if (s->policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(ut, t, s->nice))
			return -EPERM;
		if (s->reset_on_fork && !reset)
			return -EPERM;
		if (!may_change(ut, t))
			return -EPERM;
		if (nice != INT32_MIN && !keep_params && nice < s->nice && !can_nice(ut, t, nice))
			return -EPERM;
	}
	s->policy = policy;
	s->reset_on_fork = reset;
	if (keep_params)
		return 0;
	s->rt_prio = prio;
	if (nice != INT32_MIN && (policy == SCHED_OTHER || policy == SCHED_BATCH))
		s->nice = nice;
	return 0;
}

long sys_sched_setscheduler(struct uthread *ut, const long a[6])
{
	struct uthread *t;
	long r;
	int policy = (int)a[1];
	if (!a[2] || policy < 0)
		return -EINVAL;
	if (!here(ut, SYS_sched_setscheduler, a, &t, &r))
		return r;
	struct sched_param sp;
	if (copy_from_user(&sp, a[2], sizeof(sp)))
		return -EFAULT;
	return set_policy(ut, t, policy & ~SCHED_RESET_ON_FORK, sp.sched_priority, policy & SCHED_RESET_ON_FORK,
			  false, INT32_MIN);
}

long sys_sched_setparam(struct uthread *ut, const long a[6])
{
	struct uthread *t;
	long r;
	if (!a[1])
		return -EINVAL;
	if (!here(ut, SYS_sched_setparam, a, &t, &r))
		return r;
	struct sched_param sp;
	if (copy_from_user(&sp, a[1], sizeof(sp)))
		return -EFAULT;
	return set_policy(ut, t, t->sched.policy, sp.sched_priority, t->sched.reset_on_fork, false, INT32_MIN);
}

long sys_sched_getscheduler(struct uthread *ut, const long a[6])
{
	struct uthread *t;
	long r;
	if (!here(ut, SYS_sched_getscheduler, a, &t, &r))
		return r;
	return t->sched.policy | (t->sched.reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

long sys_sched_getparam(struct uthread *ut, const long a[6])
{
	struct uthread *t;
	long r;
	if (!a[1])
		return -EINVAL;
	if (!here(ut, SYS_sched_getparam, a, &t, &r))
		return r;
	struct sched_param sp = { .sched_priority = t->sched.rt_prio };
	return copy_to_user(a[1], &sp, sizeof(sp)) ? -EFAULT : 0;
}

/* sched_copy_attr: the size rules (0 is the first version's; a larger
 * one must be zeros past what is known; E2BIG writes the size known). */
static long copy_attr(uint64_t uattr, struct sched_attr *sa)
{
	uint32_t size;
	if (copy_from_user(&size, uattr, sizeof(size)))
		return -EFAULT;
	if (!size)
		size = SCHED_ATTR_SIZE_VER0;
	bool big = size > 4096 || size < SCHED_ATTR_SIZE_VER0;
	memset(sa, 0, sizeof(*sa));
	if (!big && copy_from_user(sa, uattr, size < sizeof(*sa) ? size : sizeof(*sa)))
		return -EFAULT;
	for (uint32_t o = sizeof(*sa); !big && o < size; o++) {
		unsigned char c;
		if (copy_from_user(&c, uattr + o, 1))
			return -EFAULT;
		big = c != 0;
	}
	if (big) {
		uint32_t known = sizeof(*sa);
		return copy_to_user(uattr, &known, sizeof(known)) ? -EFAULT : -E2BIG;
	}
	sa->sched_nice = sa->sched_nice < -20 ? -20 : sa->sched_nice > 19 ? 19 : sa->sched_nice;
	return 0;
}

long sys_sched_setattr(struct uthread *ut, const long a[6])
{
	struct uthread *t;
	struct sched_attr sa;
	long r;
	if (!a[1] || a[0] < 0 || a[2])
		return -EINVAL;
	if ((r = copy_attr(a[1], &sa)))
		return r;
	if ((int)sa.sched_policy < 0)
		return -EINVAL;
	if (!here(ut, SYS_sched_setattr, a, &t, &r))
		return r;
	if (sa.sched_flags & ~(uint64_t)(SCHED_FLAG_ALL))
		return -EINVAL;
	if (sa.sched_flags & SCHED_FLAG_UTIL_CLAMP)
		return -EOPNOTSUPP; /* as a kernel without uclamp */
	int policy = (sa.sched_flags & SCHED_FLAG_KEEP_POLICY) ? t->sched.policy : (int)sa.sched_policy;
	return set_policy(ut, t, policy, (int)sa.sched_priority, sa.sched_flags & SCHED_FLAG_RESET_ON_FORK,
			  sa.sched_flags & SCHED_FLAG_KEEP_PARAMS, sa.sched_nice);
}

long sys_sched_getattr(struct uthread *ut, const long a[6])
{
	struct uthread *t;
	long r;
	uint32_t usize = (uint32_t)a[2];
	if (!a[1] || a[0] < 0 || usize > 4096 || usize < SCHED_ATTR_SIZE_VER0 || a[3])
		return -EINVAL;
	if (!here(ut, SYS_sched_getattr, a, &t, &r))
		return r;
	/* The kernel's other fields (the slice), for the vCPU thread; the
	 * thread's policy, flags, nice and priority. */
	struct sched_attr sa;
	uint32_t size = usize < sizeof(sa) ? usize : sizeof(sa);
	memset(&sa, 0, sizeof(sa));
	r = raw_syscall6(SYS_sched_getattr, 0, (long)&sa, sizeof(sa), 0, 0, 0);
	if (r)
		return r;
	sa.size = size;
	sa.sched_policy = (uint32_t)t->sched.policy;
	sa.sched_flags = t->sched.reset_on_fork ? SCHED_FLAG_RESET_ON_FORK : 0;
	sa.sched_nice = rt_policy(t->sched.policy) ? 0 : t->sched.nice;
	sa.sched_priority = (uint32_t)t->sched.rt_prio;
	return copy_to_user(a[1], &sa, size) ? -EFAULT : 0;
}

/* ---- personality: the program's, never the host process's. Kept and
 * inherited only: the loader applies none of it (ADDR_NO_RANDOMIZE,
 * READ_IMPLIES_EXEC), and a set-uid execve does not clear it. ---- */

long sys_personality(struct uthread *ut, const long a[6])
{
	unsigned old = ut->proc->attrs.personality;
	if ((unsigned)a[0] != 0xffffffffu)
		ut->proc->attrs.personality = (unsigned)a[0];
	return old;
}
