/* sys_thread.c - threads of a program as uthreads: clone, exit, futex, affinity. */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <linux/sched.h>
#include <string.h>

#include "core/log.h"
#include "mm/uaccess.h"
#include "proc/fork.h"
#include "proc/signal.h"
#include "proc/spawn.h"
#include "proc/vproc.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "sched/xstate.h"
#include "sys/kcall.h"
#include "sys/sys_fd.h"
#include "sys/systab.h"
#include "sys/trace.h"

/* What a new thread of the same program must share with its creator. */
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
/* Flags a thread clone may add; anything else is not supported yet. */
#define THREAD_OK (THREAD_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
		   CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_IO)

/* new_process - a child program; with CLONE_PIDFD, the parent's pidfd of
 * it (made once it exists: a vfork child may even have been reaped). */
static long new_process(struct uthread *ut, const struct clone_req *req)
{
	struct clone_req c = *req;
	c.flags &= ~(uint64_t)CLONE_PIDFD;
	long pid = (c.flags & CLONE_VM) ? spawn_vm_child(ut, &c) : fork_program(ut, &c);
	if (pid <= 0 || !(req->flags & CLONE_PIDFD))
		return pid;
	int fd = (int)pidfd_new_fd(ut, vproc_by_pid((int)pid), (int)pid, false);
	/* The child exists: a fd that could not be made reads as -1. */
	if (copy_to_user(req->pidfd, &fd, sizeof(fd)))
		return -EFAULT;
	return pid;
}

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

/* new_thread - a uthread that starts where its creator returns from clone,
 * with %rax = 0, on its own stack and TLS. */
static long new_thread(struct uthread *ut, const struct clone_req *c)
{
	if ((c->flags & CLONE_PIDFD) && (c->flags & (CLONE_THREAD | CLONE_DETACHED)))
		return -EINVAL;
	/* New namespaces: refused as Linux refuses an unprivileged caller
	 * (vsftpd's isolate falls back to a plain fork on EPERM or EINVAL;
	 * ENOSYS ended every session). */
	if (c->flags & NS_FLAGS)
		return -EPERM;
	/* posix_spawn's clone(CLONE_VM|CLONE_VFORK): a new program; fork: a
	 * copy of the memory, in a host process of its own. */
	if (!(c->flags & CLONE_THREAD))
		return new_process(ut, c);
	if ((c->flags & THREAD_FLAGS) != THREAD_FLAGS || (c->flags & ~(uint64_t)THREAD_OK))
		return -ENOSYS;
	struct vproc *p = ut->proc;
	int tid = vproc_alloc_id();
	if ((c->flags & CLONE_PARENT_SETTID) && copy_to_user(c->parent_tid, &tid, 4))
		return -EFAULT;
	if ((c->flags & CLONE_CHILD_SETTID) && copy_to_user(c->child_tid, &tid, 4))
		return -EFAULT;

	struct uthread *t = clone_thread(ut, p, tid, c);
	memcpy(t->comm, uthread_name(ut), sizeof(t->comm)); /* a new thread has its creator's name */
	vproc_add_thread(p, t, ut);
	sched_enqueue(t, NULL);
	return tid;
}

long sys_clone(struct uthread *ut, const long a[6])
{
	/* x86-64 order: flags, stack, parent_tid, child_tid, tls. */
	struct clone_req c = { a[0], a[1], a[2], a[3], a[4], a[0] & CSIGNAL, a[2] };
	/* clone's CLONE_PIDFD uses parent_tid: both at once cannot be. */
	if ((c.flags & CLONE_PIDFD) && (c.flags & CLONE_PARENT_SETTID))
		return -EINVAL;
	return new_thread(ut, &c);
}

long sys_clone3(struct uthread *ut, const long a[6])
{
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	if (a[1] < 64 || a[1] > 4096)
		return -EINVAL;
	if (copy_from_user(&ca, a[0], (size_t)a[1] < sizeof(ca) ? (size_t)a[1] : sizeof(ca)))
		return -EFAULT;
	if (ca.exit_signal > 64 || (ca.flags & CSIGNAL))
		return -EINVAL;
	if (ca.set_tid)
		return -ENOSYS;
	struct clone_req c = {
		ca.flags, ca.stack ? ca.stack + ca.stack_size : 0, ca.parent_tid, ca.child_tid, ca.tls,
		(int)ca.exit_signal, ca.pidfd,
	};
	return new_thread(ut, &c);
}

long sys_exit(struct uthread *ut, const long a[6])
{
	futex_robust_exit(&ut->robust_list, ut->tid);
	if (ut->clear_child_tid) {
		uint32_t zero = 0;
		if (!copy_to_user(ut->clear_child_tid, &zero, 4))
			futex_wake(ut->clear_child_tid, true, 1, FUTEX_BITSET_MATCH_ANY);
	}
	/* The last thread's exit is the program's. */
	vproc_thread_exit(ut, a[0] & 0xff);
}

long sys_exit_group(struct uthread *ut, const long a[6])
{
	vproc_exit(ut->proc, a[0] & 0xff);
}

/* sched_yield: other uthreads first, not other kernel threads. */
long sys_sched_yield(struct uthread *ut, const long a[6])
{
	uthread_yield();
	return 0;
}

long sys_futex(struct uthread *ut, const long a[6])
{
	int cmd = a[1] & FUTEX_CMD_MASK;
	for (;;) {
		if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)
			signal_arm_wait(ut, ~ut->sigmask);
		long r = futex_op(a[0], (int)a[1], (uint32_t)a[2], a[3], a[4], (uint32_t)a[5], ut->tid);
		/* An untimed wait cut short by a signal is ERESTARTSYS on Linux:
		 * restarted after an SA_RESTART handler, resumed if no handler
		 * runs. (A timed one is EINTR once a handler runs.) */
		if (r != -EINTR || a[3] || (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET))
			return r;
		if ((r = signal_interrupted(ut, true)))
			return r;
	}
}

/* ---- affinity: in terms of vCPUs ---- */

static long vcpu_mask(uint64_t *mask)
{
	int n = sched_cfg.shown_cpus < 64 ? sched_cfg.shown_cpus : 64;
	*mask = n == 64 ? ~0ull : (1ull << n) - 1;
	return 8;
}

/* Any program of the instance sees the same vCPUs. */
static bool self_or_thread(struct uthread *ut, long pid)
{
	return pid == 0 || pid == ut->tid || vproc_host_of((int)pid) >= 0;
}

/* affinity - the mask kept for thread tid (0: the caller) of the caller's
 * program, set to *set first if set; found under the program's lock, so
 * a thread that ends meanwhile is not touched. Another program's thread
 * keeps none (its call is accepted): 0. */
static uint64_t affinity(struct uthread *ut, long tid, const uint64_t *set)
{
	if (tid == 0 || tid == ut->tid) { /* its own: no walk, no lock */
		if (set)
			ut->affinity = *set;
		return ut->affinity;
	}
	struct vproc *p = ut->proc;
	uint64_t v = 0;
	spin_lock(&p->lock);
	for (struct uthread *t = p->threads; t; t = t->proc_next) {
		if (t->tid != tid)
			continue;
		if (set)
			t->affinity = *set;
		v = t->affinity;
	}
	spin_unlock(&p->lock);
	return v;
}

long sys_sched_getaffinity(struct uthread *ut, const long a[6])
{
	uint64_t mask;
	if (!self_or_thread(ut, (int)a[0]))
		return kcall_outside(SYS_sched_getaffinity, a);
	if ((unsigned long)a[1] < 8 || (a[1] & 7))
		return -EINVAL;
	long n = vcpu_mask(&mask);
	uint64_t kept = affinity(ut, a[0], NULL);
	if (kept & mask)
		mask &= kept;
	return copy_to_user(a[2], &mask, n) ? -EFAULT : n;
}

/* Accepted when it names at least one vCPU, and kept (`taskset -c 0 nproc`
 * says 1); uthreads are not pinned. */
long sys_sched_setaffinity(struct uthread *ut, const long a[6])
{
	uint64_t want = 0, have;
	if (!self_or_thread(ut, (int)a[0]))
		return kcall_outside(SYS_sched_setaffinity, a);
	if (copy_from_user(&want, a[2], (size_t)a[1] < 8 ? (size_t)a[1] : 8))
		return -EFAULT;
	vcpu_mask(&have);
	if (!(want & have))
		return -EINVAL;
	want &= have;
	affinity(ut, a[0], &want);
	return 0;
}

long sys_getcpu(struct uthread *ut, const long a[6])
{
	unsigned cpu = vcpu_self()->id, node = 0;
	if ((a[0] && copy_to_user(a[0], &cpu, 4)) || (a[1] && copy_to_user(a[1], &node, 4)))
		return -EFAULT;
	return 0;
}
