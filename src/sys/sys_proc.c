/* sys_proc.c - process identity and life: virtual ids, exit, wait, prctl. */
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdbool.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/fork.h"
#include "proc/instance.h"
#include "proc/pidspace.h"
#include "proc/seccomp.h"
#include "proc/tty_pgrp.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/systab.h"
#include "sys/trace.h"

long sys_getpid(struct uthread *ut, const long a[6]) { return ut->proc->pid; }
long sys_gettid(struct uthread *ut, const long a[6]) { return ut->tid; }
long sys_getppid(struct uthread *ut, const long a[6]) { return vproc_ppid(ut->proc); }
/* target - the program a pid argument names (0: the caller; a thread id
 * its thread's, as Linux finds any task), its group and session as they
 * are now. */
static struct vproc *target(struct uthread *ut, long pid)
{
	struct vproc *p = pid == 0 ? ut->proc : pid > 0 ? vproc_by_id((int)pid) : NULL;
	if (p)
		vproc_sync_ids(p);
	return p;
}

long sys_getpgrp(struct uthread *ut, const long a[6]) { return target(ut, 0)->pgid; }

/* other_ids - getpgid or getsid (nr) of a pid with no program here: one
 * of the instance's in another host process, as it published them, or a
 * process outside the instance (the shell that started pegasus), the
 * kernel's. */
static long other_ids(long nr, long pid)
{
	struct prog_info pi;
	if (pid > 0 && pidspace_lookup_live((int)pid, &pi))
		return nr == SYS_getpgid ? pi.pgid : pi.sid;
	return pid > 0 && pidspace_outside((int)pid) ? raw_syscall3(nr, pid, 0, 0) : -ESRCH;
}

long sys_getpgid(struct uthread *ut, const long a[6])
{
	struct vproc *p = target(ut, a[0]);
	return p ? p->pgid : other_ids(SYS_getpgid, a[0]);
}

long sys_getsid(struct uthread *ut, const long a[6])
{
	struct vproc *p = target(ut, a[0]);
	return p ? p->sid : other_ids(SYS_getsid, a[0]);
}

/* group_in_session - a program of the instance, in this process or in
 * another, is in group pgid of session sid (a zombie too, as Linux's). */
static bool group_in_session(int pgid, int sid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q && q->host_pid)
			vproc_sync_ids(q); /* a forked child may have moved */
		if (q && q->pgid == pgid && q->sid == sid)
			return true;
	}
	int pids[512], n = pidspace_forked() ? pidspace_list(pids, 512) : 0;
	for (int i = 0; i < n; i++) {
		struct prog_info pi;
		if (pidspace_lookup(pids[i], &pi) && pi.pgid == pgid && pi.sid == sid)
			return true;
	}
	return false;
}

long sys_setpgid(struct uthread *ut, const long a[6])
{
	if (a[1] < 0)
		return -EINVAL;
	struct vproc *p = target(ut, a[0]);
	/* Only the caller and its own children may be moved. */
	if (!p || (p != ut->proc && p->ppid != ut->proc->pid))
		return -ESRCH;
	if (p->pid == p->sid)
		return -EPERM; /* a session leader cannot move */
	if (p != ut->proc && __atomic_load_n(&p->execd, __ATOMIC_RELAXED))
		return -EACCES; /* a child that has exec'd is its own */
	/* Linux: the same session as the caller, and a group of its own or
	 * one that exists in that session (EPERM; setpgid into a made-up
	 * group succeeded). */
	int pgid = a[1] ? (int)a[1] : p->pid;
	if (p->sid != ut->proc->sid || (pgid != p->pid && !group_in_session(pgid, p->sid)))
		return -EPERM;
	p->pgid = pgid;
	vproc_publish_group(p);
	tty_mirror_pgid(p, p == ut->proc && instance_ends_with(p));
	return 0;
}

long sys_setsid(struct uthread *ut, const long a[6])
{
	struct vproc *p = target(ut, 0);
	if (p->pgid == p->pid)
		return -EPERM; /* already a group leader */
	p->sid = p->pgid = p->pid;
	vproc_publish_group(p);
	/* A program alone in its host process (a forked child, or the first
	 * program by itself) leads that process's session too: it leaves its
	 * terminal as natively, and its TIOCSCTTY then takes one (login_tty,
	 * in forkpty, script, expect). */
	if (vproc_alone(p))
		raw_syscall3(SYS_setsid, 0, 0, 0);
	return p->sid;
}

long sys_set_tid_address(struct uthread *ut, const long a[6])
{
	ut->clear_child_tid = a[0];
	return ut->tid;
}

long sys_set_robust_list(struct uthread *ut, const long a[6])
{
	if (a[1] != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	ut->robust_list = a[0];
	ut->robust_list_len = a[1];
	return 0;
}

long sys_get_robust_list(struct uthread *ut, const long a[6])
{
	struct uthread *t = a[0] ? uthread_by_tid((int)a[0]) : ut;
	if (!t)
		return -ESRCH;
	if (copy_to_user(a[1], &t->robust_list, 8) || copy_to_user(a[2], &t->robust_list_len, 8))
		return -EFAULT;
	return 0;
}

/* glibc falls back cleanly when rseq is absent; registering the app's rseq
 * area with the kernel would let the kernel write into it on every
 * preemption of the vCPU, on behalf of whichever uthread runs. */
long sys_rseq(struct uthread *ut, const long a[6]) { return -ENOSYS; }

long sys_restart_syscall(struct uthread *ut, const long a[6]) { return -EINTR; }

/* The program's own capabilities (proc/cred.c). */
long sys_capget(struct uthread *ut, const long a[6]) { return cred_capget(ut, a[0], a[1]); }
long sys_capset(struct uthread *ut, const long a[6]) { return cred_capset(ut, a[0], a[1]); }

/*
 * unshare - what a program could share with another task is its threads'
 * (fd table, cwd and umask, dispositions, memory; no two programs share
 * them): with one thread there is nothing to leave, and Linux does
 * nothing either (samba's and systemd's unshare(CLONE_FS) then succeed).
 * Private tables for one of several threads, and namespaces, which are
 * the whole host process's, are refused as before: EPERM, said once.
 */
long sys_unshare(struct uthread *ut, const long a[6])
{
	const unsigned long threads_only = CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VM | CLONE_THREAD;
	unsigned long f = (unsigned long)a[0];
	if (!(f & ~(threads_only | CLONE_SYSVSEM)) &&
	    (!(f & threads_only) || __atomic_load_n(&ut->proc->nthreads, __ATOMIC_ACQUIRE) == 1))
		return 0;
	static bool said;
	if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		pg_warn("[%s] unshare(0x%lx): namespaces, or private tables for one of several threads, "
			"are not served: returning EPERM", ut->proc->name, f);
	return -EPERM;
}

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_GET_MDWE 66
#endif

/* seccomp - its filters are the runtime's to run (proc/seccomp.h): the
 * kernel's would hold every program of the host process. */
long sys_seccomp(struct uthread *ut, const long a[6])
{
	unsigned op = (unsigned)a[0], flags = (unsigned)a[1];
	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		return flags || a[2] ? -EINVAL : seccomp_set_strict(ut);
	case SECCOMP_SET_MODE_FILTER:
		return seccomp_set_filter(ut, flags, a[2]);
	case SECCOMP_GET_ACTION_AVAIL:
		return flags ? -EINVAL : seccomp_action_avail(a[2]);
	case SECCOMP_GET_NOTIF_SIZES:
		return flags ? -EINVAL : seccomp_notif_sizes(a[2]);
	default:
		return -EINVAL;
	}
}

/* prctl - most options describe the calling program and pass through; the
 * ones that would reconfigure the runtime itself are refused. */
long sys_prctl(struct uthread *ut, const long a[6])
{
	switch (a[0]) {
	case PR_SET_SYSCALL_USER_DISPATCH:
	case PR_SET_MM:
		return -EINVAL;
	case PR_SET_SECCOMP: /* the runtime's filters (proc/seccomp.h), not the kernel's */
		return a[1] == SECCOMP_MODE_STRICT ? seccomp_set_strict(ut)
		       : a[1] == SECCOMP_MODE_FILTER ? seccomp_set_filter(ut, 0, a[2])
						     : -EINVAL;
	case PR_GET_SECCOMP:
		return seccomp_mode(ut);
	case PR_SET_PDEATHSIG:
		if (a[1] < 0 || a[1] > 64)
			return -EINVAL;
		ut->proc->pdeathsig = (int)a[1];
		vproc_publish(ut->proc); /* a forked child's parent process reads it */
		fork_pdeath_arm(ut->proc);
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_to_user(a[1], &ut->proc->pdeathsig, sizeof(int)) ? -EFAULT : 0;
	/* The program's (proc/wait.c reaper_for), and its host process's
	 * while a program there asks: forked children's orphans come to it
	 * (fork.c adopt). */
	case PR_SET_CHILD_SUBREAPER:
		ut->proc->child_subreaper = a[1] != 0;
		fork_subreaper_host();
		vproc_publish(ut->proc);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int on = ut->proc->child_subreaper;
		return copy_to_user(a[1], &on, sizeof(on)) ? -EFAULT : 0;
	}
	case PR_SET_NAME: {
		char name[16];
		long n = pg_uaccess_strnlen((const char *)a[1], 15);
		if (n < 0 || copy_from_user(name, a[1], n))
			return -EFAULT;
		name[n] = 0;
		uthread_rename(ut, name);
		return 0;
	}
	case PR_GET_NAME: { /* its program's until it is renamed, as Linux's */
		char name[16] = { 0 };
		strncpy(name, uthread_name(ut), 15);
		return copy_to_user(a[1], name, 16) ? -EFAULT : 0;
	}
	case PR_SET_NO_NEW_PRIVS: /* the program's: its execs, not the runtime's threads */
		if (a[1] != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		ut->proc->no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return a[1] || a[2] || a[3] || a[4] ? -EINVAL : ut->proc->no_new_privs;
	/* Each program's (or thread's), as its nice value (sys_sched.c): the
	 * host process's would be every program's and the runtime's (a
	 * spawned agent's PR_SET_DUMPABLE 0 or THP_DISABLE reached its parent). */
	case PR_SET_DUMPABLE:
		if ((unsigned long)a[1] > 1)
			return -EINVAL;
		ut->proc->attrs.dumpable = (uint8_t)a[1];
		return 0;
	case PR_GET_DUMPABLE:
		return ut->proc->attrs.dumpable;
	case PR_SET_THP_DISABLE:
		if (a[2] || a[3] || a[4])
			return -EINVAL;
		ut->proc->attrs.thp_disable = a[1] != 0;
		return 0;
	case PR_GET_THP_DISABLE:
		return a[1] || a[2] || a[3] || a[4] ? -EINVAL : ut->proc->attrs.thp_disable;
	case PR_SET_TIMERSLACK:
		if (a[1] < 0)
			return -EINVAL;
		ut->sched.timerslack = a[1] ? (uint64_t)a[1] : ut->sched.default_slack; /* the thread's */
		return 0;
	case PR_GET_TIMERSLACK:
		return (long)ut->sched.timerslack;
	case PR_SET_MDWE:
	case PR_GET_MDWE:
		return -EINVAL; /* the runtime writes code (its rewriting): as a kernel before 6.3 */
	default: {
		/* Capabilities are the program's; the rest describes the calling
		 * thread, which is the kernel's view of it. */
		long r = cred_prctl(ut, a[0], a[1], a[2], a[3], a[4]);
		return r != CRED_NOT_MINE ? r : raw_syscall6(SYS_prctl, a[0], a[1], a[2], a[3], a[4], 0);
	}
	}
}
