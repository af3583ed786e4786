/* sys_sched.c - nice, I/O priority, scheduling policy and personality: each program's own. */
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
 * host process's personality. So each program keeps its own (struct
 * prog_sched), checked as Linux checks them, inherited by its children
 * and kept across execve; the runtime's scheduler does not weigh them
 * (uthreads are equals), which DECISIONS.md says. A program of another
 * host process of the instance (a forked child) has its own there: a
 * call naming it from here goes to its process, as before.
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

/* class in bits 13-15, a hint in 3-12, the level in 0-2 (6.5's layout) */
#define IOPRIO_CLASS(v) (((v) >> 13) & 7)
#define IOPRIO_LEVEL(v) ((v) & 7)
enum { IOPRIO_NONE, IOPRIO_RT, IOPRIO_BE, IOPRIO_IDLE };
enum { WHO_PROCESS, WHO_PGRP }; /* setpriority's which; ioprio's is one more */

/* local - the program pid names (0: the caller), when it runs here: 1,
 * and *p. 0 and *host: another process of the instance (or outside). */
static long local(struct uthread *ut, long pid, struct vproc **p, long *host)
{
	if (pid == 0) {
		*p = ut->proc;
		return 1;
	}
	struct uthread *t = uthread_by_tid((int)pid);
	if (t) {
		*p = t->proc;
		return 1;
	}
	long r = kcall_pid(pid, host);
	return r < 0 ? r : 0;
}

/* here - the program a[0] names runs here: true, and *p. Else *ret is
 * the answer: -errno, or the kernel's for the process it names. */
static bool here(struct uthread *ut, long nr, const long a[6], struct vproc **p, long *ret)
{
	long host;
	*ret = a[0] < 0 ? -EINVAL : local(ut, a[0], p, &host);
	if (*ret == 1)
		return true;
	if (*ret == 0)
		*ret = raw_syscall6(nr, host, a[1], a[2], a[3], a[4], a[5]);
	return false;
}

/* may_change - Linux's check_same_owner (set_one_prio_perm), or CAP_SYS_NICE. */
static bool may_change(struct uthread *ut, const struct vproc *p)
{
	const struct hostcred *me = ut->proc->cred, *them = p->cred;
	if (!me || !them || me == them)
		return true;
	return me->euid == them->uid || me->euid == them->euid || cred_capable(ut, CAP_SYS_NICE);
}

/* can_nice - a nice value below the current one needs RLIMIT_NICE (as
 * 20 - nice) or CAP_SYS_NICE. */
static bool can_nice(struct uthread *ut, const struct vproc *p, int nice)
{
	return 20 - nice <= (long)p->rlim[RLIMIT_NICE].rlim_cur || cred_capable(ut, CAP_SYS_NICE);
}

static long set_nice(struct uthread *ut, struct vproc *p, int nice)
{
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	if (!may_change(ut, p))
		return -EPERM;
	if (nice < p->sched.nice && !can_nice(ut, p, nice))
		return -EACCES;
	p->sched.nice = nice;
	return 0;
}

/* each_in_group - fn for every program here of process group pgid (0: the
 * caller's); the count, or fn's first error. */
static long each_in_group(struct uthread *ut, long pgid, long (*fn)(struct uthread *, struct vproc *, long),
			  long arg)
{
	int g = pgid ? (int)pgid : ut->proc->pgid, n = 0;
	long err = 0;
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!p || p->host_pid || p->pgid != g || vproc_seen_as(p) != p)
			continue;
		long r = fn(ut, p, arg);
		n++;
		if (r < 0 && !err)
			err = r;
	}
	return err ? err : n;
}

static long nice_of(struct uthread *ut, struct vproc *p, long unused)
{
	(void)ut, (void)unused;
	return 20 - p->sched.nice; /* the system call's form: 1..40 */
}

static long nice_to(struct uthread *ut, struct vproc *p, long nice)
{
	return set_nice(ut, p, (int)nice);
}

/* by_which - PRIO_PROCESS and PRIO_PGRP of programs here through fn;
 * *pass: the kernel serves it (a user, another process), with who in *who. */
static long by_which(struct uthread *ut, long which, long who, long *out_who, bool *pass,
		     long (*fn)(struct uthread *, struct vproc *, long), long arg, bool most)
{
	struct vproc *p;
	*pass = false;
	if (which == WHO_PROCESS) {
		long r = local(ut, who, &p, out_who);
		if (r < 0)
			return r;
		if (r)
			return fn(ut, p, arg);
	} else if (which == WHO_PGRP && (who == 0 || who == ut->proc->pgid)) {
		if (!most)
			return each_in_group(ut, who, fn, arg) > 0 ? 0 : -ESRCH;
		/* getpriority of a group: its highest (the least nice), with
		 * the processes outside in it (and pegasus's own threads, which
		 * keep the priority it started with) as the kernel says. */
		long best = raw_syscall3(fn == nice_of ? SYS_getpriority : SYS_ioprio_get,
					 fn == nice_of ? PRIO_PGRP : 2, 0, 0);
		for (int i = 0; i < vproc_count(); i++) {
			struct vproc *q = vproc_at(i);
			if (q && !q->host_pid && q->pgid == ut->proc->pgid && vproc_seen_as(q) == q) {
				long v = fn(ut, q, arg);
				best = v > best ? v : best;
			}
		}
		return best;
	} else {
		*out_who = who;
	}
	*pass = true;
	return 0;
}

long sys_getpriority(struct uthread *ut, const long a[6])
{
	long who;
	bool pass;
	if (a[0] < PRIO_PROCESS || a[0] > PRIO_USER)
		return -EINVAL;
	long r = by_which(ut, a[0], a[1], &who, &pass, nice_of, 0, true);
	return pass ? raw_syscall3(SYS_getpriority, a[0], who, 0) : r;
}

long sys_setpriority(struct uthread *ut, const long a[6])
{
	long who;
	bool pass;
	if (a[0] < PRIO_PROCESS || a[0] > PRIO_USER)
		return -EINVAL;
	long r = by_which(ut, a[0], a[1], &who, &pass, nice_to, (int)a[2], false);
	return pass ? raw_syscall3(SYS_setpriority, a[0], who, a[2]) : r;
}

/* ---- I/O priority: ioprio_set's checks (ioprio_check_cap) ---- */

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

static long ioprio_of(struct uthread *ut, struct vproc *p, long unused)
{
	(void)ut, (void)unused;
	return p->sched.ioprio;
}

static long ioprio_to(struct uthread *ut, struct vproc *p, long v)
{
	if (!may_change(ut, p))
		return -EPERM;
	p->sched.ioprio = (int)v;
	return 0;
}

long sys_ioprio_get(struct uthread *ut, const long a[6])
{
	long who;
	bool pass;
	long r = by_which(ut, a[0] - 1, a[1], &who, &pass, ioprio_of, 0, true);
	return pass ? raw_syscall3(SYS_ioprio_get, a[0], who, 0) : r;
}

long sys_ioprio_set(struct uthread *ut, const long a[6])
{
	long who;
	bool pass;
	long r = ioprio_valid(ut, a[2]);
	if (r)
		return r;
	r = by_which(ut, a[0] - 1, a[1], &who, &pass, ioprio_to, a[2], false);
	return pass ? raw_syscall3(SYS_ioprio_set, a[0], who, a[2]) : r;
}

/* ---- scheduling policy (sched_setscheduler and kin) ---- */

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* set_policy - __sched_setscheduler's checks, then kept: policy (-1: the
 * current one, sched_setparam), prio its real-time priority, nice for
 * sched_setattr (INT32_MIN: unchanged). */
static long set_policy(struct uthread *ut, struct vproc *p, int policy, int prio, bool reset, int nice)
{
	struct prog_sched *s = &p->sched;
	if (policy < 0)
		policy = s->policy;
	if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE && !rt_policy(policy))
		return policy == SCHED_DEADLINE ? -EPERM : -EINVAL; /* no deadline server on a shared vCPU */
	if (rt_policy(policy) ? prio < 1 || prio > 99 : prio != 0)
		return -EINVAL;
	if (!cred_capable(ut, CAP_SYS_NICE)) {
		long rtprio = (long)p->rlim[RLIMIT_RTPRIO].rlim_cur;
		if (rt_policy(policy) && ((policy != s->policy && !rtprio) || (prio > s->rt_prio && prio > rtprio)))
			return -EPERM;
		if (s->policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(ut, p, s->nice))
			return -EPERM;
		if (s->reset_on_fork && !reset)
			return -EPERM;
		if (!may_change(ut, p))
			return -EPERM;
	}
	if (nice != INT32_MIN && !rt_policy(policy)) {
		long r = set_nice(ut, p, nice);
		if (r)
			return r == -EACCES ? -EPERM : r;
	}
	s->policy = policy;
	s->rt_prio = prio;
	s->reset_on_fork = reset;
	return 0;
}

long sys_sched_setscheduler(struct uthread *ut, const long a[6])
{
	struct vproc *p;
	long r;
	int policy = (int)a[1];
	if (!a[2] || policy < 0)
		return -EINVAL;
	if (!here(ut, SYS_sched_setscheduler, a, &p, &r))
		return r;
	struct sched_param sp;
	if (copy_from_user(&sp, a[2], sizeof(sp)))
		return -EFAULT;
	return set_policy(ut, p, policy & ~SCHED_RESET_ON_FORK, sp.sched_priority, policy & SCHED_RESET_ON_FORK,
			  INT32_MIN);
}

long sys_sched_setparam(struct uthread *ut, const long a[6])
{
	struct vproc *p;
	long r;
	if (!a[1])
		return -EINVAL;
	if (!here(ut, SYS_sched_setparam, a, &p, &r))
		return r;
	struct sched_param sp;
	if (copy_from_user(&sp, a[1], sizeof(sp)))
		return -EFAULT;
	return set_policy(ut, p, -1, sp.sched_priority, p->sched.reset_on_fork, INT32_MIN);
}

long sys_sched_getscheduler(struct uthread *ut, const long a[6])
{
	struct vproc *p;
	long r;
	if (!here(ut, SYS_sched_getscheduler, a, &p, &r))
		return r;
	return p->sched.policy | (p->sched.reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

long sys_sched_getparam(struct uthread *ut, const long a[6])
{
	struct vproc *p;
	long r;
	if (!a[1])
		return -EINVAL;
	if (!here(ut, SYS_sched_getparam, a, &p, &r))
		return r;
	struct sched_param sp = { .sched_priority = p->sched.rt_prio };
	return copy_to_user(a[1], &sp, sizeof(sp)) ? -EFAULT : 0;
}

/* sched_setattr/sched_getattr: the same, in struct sched_attr (the size
 * rules are the kernel's: it is asked about the vCPU thread first). */
long sys_sched_setattr(struct uthread *ut, const long a[6])
{
	struct vproc *p;
	long r;
	if (!a[1] || a[2])
		return -EINVAL;
	if (!here(ut, SYS_sched_setattr, a, &p, &r))
		return r;
	struct sched_attr sa;
	uint32_t size;
	if (copy_from_user(&size, a[1], sizeof(size)))
		return -EFAULT;
	memset(&sa, 0, sizeof(sa));
	if (size < SCHED_ATTR_SIZE_VER0 || copy_from_user(&sa, a[1], size < sizeof(sa) ? size : sizeof(sa)))
		return size < SCHED_ATTR_SIZE_VER0 ? -E2BIG : -EFAULT;
	if (sa.sched_flags & ~(uint64_t)(SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS))
		return -EINVAL;
	int policy = (sa.sched_flags & SCHED_FLAG_KEEP_POLICY) ? p->sched.policy : (int)sa.sched_policy;
	int prio = (sa.sched_flags & SCHED_FLAG_KEEP_PARAMS) ? p->sched.rt_prio : (int)sa.sched_priority;
	return set_policy(ut, p, policy, prio, sa.sched_flags & SCHED_FLAG_RESET_ON_FORK, sa.sched_nice);
}

long sys_sched_getattr(struct uthread *ut, const long a[6])
{
	struct vproc *p;
	long r;
	if (!here(ut, SYS_sched_getattr, a, &p, &r))
		return r;
	/* The kernel's checks and its other fields (the slice), for the vCPU
	 * thread; the program's policy, flags, nice and priority. */
	struct sched_attr sa;
	uint32_t size = (uint32_t)a[2] < sizeof(sa) ? (uint32_t)a[2] : sizeof(sa);
	if (!a[1] || a[3] || (uint32_t)a[2] < SCHED_ATTR_SIZE_VER0 || (uint32_t)a[2] > 4096)
		return -EINVAL;
	r = raw_syscall6(SYS_sched_getattr, 0, (long)&sa, size, 0, 0, 0);
	if (r)
		return r;
	sa.sched_policy = (uint32_t)p->sched.policy;
	sa.sched_flags = p->sched.reset_on_fork ? SCHED_FLAG_RESET_ON_FORK : 0;
	sa.sched_nice = rt_policy(p->sched.policy) ? 0 : p->sched.nice;
	sa.sched_priority = (uint32_t)p->sched.rt_prio;
	return copy_to_user(a[1], &sa, sa.size < size ? sa.size : size) ? -EFAULT : 0;
}

/* ---- personality: the program's, never the host process's ---- */

long sys_personality(struct uthread *ut, const long a[6])
{
	unsigned old = ut->proc->sched.personality;
	if ((unsigned)a[0] != 0xffffffffu)
		ut->proc->sched.personality = (unsigned)a[0];
	return old;
}
