/* seccomp.c - seccomp strict mode and BPF filters, checked and run in user space for each program's calls. */
#include "proc/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/log.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/seccomp_bpf.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/*
 * The kernel's filters would hold the whole host process, runtime and
 * every fused program alike, so a program's filters are the runtime's to
 * apply: every call of a thread with filters takes the full path (the
 * gates and the lean path's door look at uthread.filter first), and
 * seccomp_enter runs them there on the call as the program made it,
 * before any of it is served. What the runtime itself calls on the
 * program's behalf is not the program's call, as the kernel's own work
 * is not filtered either.
 */

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* siginfo si_code of a seccomp SIGSYS */
#endif

#define MAX_INSNS_PER_PATH 32768 /* Linux's: a chain's instructions, 4 more per filter */

struct seccomp_filter {
	int refs;
	bool strict;                 /* mode strict: no program */
	int count;                   /* filters in the chain from here down */
	unsigned path_insns;         /* as Linux counts them against MAX_INSNS_PER_PATH */
	struct seccomp_filter *prev;
	struct sock_filter insns[];
};

/* ---- a thread's chain ---- */

static void put(struct seccomp_filter *f)
{
	while (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct seccomp_filter *prev = f->prev;
		free(f);
		f = prev;
	}
}

static struct seccomp_filter *get(struct seccomp_filter *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

/* attach - f (a reference the caller gives) becomes t's chain head: under
 * its program's lock, or before t can be seen (a new program's thread). */
static void attach(struct uthread *t, struct seccomp_filter *f)
{
	struct seccomp_filter *old = t->filter;
	__atomic_store_n(&t->filter, f, __ATOMIC_RELEASE);
	put(old);
}

/* Under t's program's lock (vproc_add_thread): a TSYNC sees t, or ran
 * before and ut's chain is the one it left. */
void seccomp_inherit(struct uthread *t, const struct uthread *ut)
{
	struct seccomp_filter *f = __atomic_load_n(&ut->filter, __ATOMIC_ACQUIRE);
	if (f)
		attach(t, get(f));
}

void seccomp_drop(struct uthread *ut)
{
	struct seccomp_filter *f = ut->filter;
	ut->filter = NULL;
	put(f);
}

int seccomp_mode(const struct uthread *ut)
{
	const struct seccomp_filter *f = __atomic_load_n(&ut->filter, __ATOMIC_ACQUIRE);
	return !f ? SECCOMP_MODE_DISABLED : f->strict ? SECCOMP_MODE_STRICT : SECCOMP_MODE_FILTER;
}

int seccomp_count(const struct uthread *ut)
{
	const struct seccomp_filter *f = __atomic_load_n(&ut->filter, __ATOMIC_ACQUIRE);
	return f && !f->strict ? f->count : 0;
}

long seccomp_set_strict(struct uthread *ut)
{
	struct seccomp_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->refs = 1;
	f->strict = true;
	/* Under the lock a TSYNC holds: its chain cannot land after ours. */
	spin_lock(&ut->proc->lock);
	long r = !ut->filter ? 0 : ut->filter->strict ? 1 : -EINVAL;
	if (!r)
		attach(ut, f);
	spin_unlock(&ut->proc->lock);
	if (r)
		free(f);
	return r < 0 ? r : 0; /* strict already: 0 */
}

#define FILTER_FLAGS                                                                                  \
	(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |      \
	 SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |                        \
	 SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)

/* is_ancestor - is chain a part of chain of (or none)? */
static bool is_ancestor(const struct seccomp_filter *a, const struct seccomp_filter *of)
{
	if (!a)
		return true;
	for (; of; of = of->prev)
		if (of == a)
			return true;
	return false;
}

/* sync_blocker - with TSYNC: a thread of ut's program that has filters
 * other than a part of ut's chain (or strict mode), or NULL. */
static struct uthread *sync_blocker(struct uthread *ut)
{
	for (struct uthread *t = ut->proc->threads; t; t = t->proc_next) {
		const struct seccomp_filter *f = t->filter;
		if (t != ut && f && (f->strict || !is_ancestor(f, ut->filter)))
			return t;
	}
	return NULL;
}

long seccomp_set_filter(struct uthread *ut, unsigned flags, uint64_t uprog)
{
	if (flags & ~FILTER_FLAGS)
		return -EINVAL;
	if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
	    !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		return -EINVAL;
	if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return -EINVAL;
	struct sock_fprog prog;
	if (copy_from_user(&prog, uprog, sizeof(prog)))
		return -EFAULT;
	if (prog.len == 0 || prog.len > BPF_MAXINSNS)
		return -EINVAL;
	if (!ut->proc->no_new_privs && !cred_capable(ut, CAP_SYS_ADMIN))
		return -EACCES;
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		/* The notifying fd would need a supervisor's side served here. */
		static bool said;
		if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
			pg_warn("[%s] seccomp user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER) is not served: "
				"returning EINVAL", ut->proc->comm);
		return -EINVAL;
	}
	struct seccomp_filter *f = calloc(1, sizeof(*f) + prog.len * sizeof(struct sock_filter));
	if (!f)
		return -ENOMEM;
	long r = copy_from_user(f->insns, (uint64_t)prog.filter, prog.len * sizeof(struct sock_filter)) ? -EFAULT
													: seccomp_check(f->insns, prog.len);
	if (r) {
		free(f);
		return r;
	}
	f->refs = 1;
	struct vproc *p = ut->proc;
	spin_lock(&p->lock);
	/* Linux's order: the mode, the chain's length (each filter already
	 * there counts 4 more), then the threads TSYNC must reach. */
	struct seccomp_filter *cur = ut->filter;
	struct uthread *blocker = NULL;
	if (cur && cur->strict)
		r = -EINVAL;
	else if ((cur ? cur->path_insns : 0) + prog.len > MAX_INSNS_PER_PATH)
		r = -ENOMEM;
	else if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (blocker = sync_blocker(ut)))
		r = (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) ? -ESRCH : blocker->tid;
	if (r) {
		spin_unlock(&p->lock);
		free(f);
		return r;
	}
	f->path_insns = (cur ? cur->path_insns : 0) + prog.len + 4;
	f->count = (cur ? cur->count : 0) + 1;
	f->prev = get(cur);
	attach(ut, f);
	/* TSYNC: every other thread takes the same chain, as Linux's
	 * seccomp_sync_threads (no_new_privs is the program's here). */
	if (flags & SECCOMP_FILTER_FLAG_TSYNC)
		for (struct uthread *t = p->threads; t; t = t->proc_next)
			if (t != ut)
				attach(t, get(f));
	spin_unlock(&p->lock);
	return 0;
}

long seccomp_action_avail(uint64_t uaction)
{
	uint32_t action;
	if (copy_from_user(&action, uaction, sizeof(action)))
		return -EFAULT;
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
	case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_USER_NOTIF:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ALLOW:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

long seccomp_notif_sizes(uint64_t usizes)
{
	struct seccomp_notif_sizes s = { sizeof(struct seccomp_notif), sizeof(struct seccomp_notif_resp),
					 sizeof(struct seccomp_data) };
	return copy_to_user(usizes, &s, sizeof(s)) ? -EFAULT : 0;
}

/* ---- at each call ---- */

/* die - a KILL action (or strict mode's SIGKILL): the program ends of sig,
 * or, for a thread's kill with other threads left, the thread alone. */
_Noreturn static void die(struct uthread *ut, int sig, bool thread_only)
{
	if (thread_only && __atomic_load_n(&ut->proc->nthreads, __ATOMIC_ACQUIRE) > 1)
		vproc_thread_exit(ut, 0);
	vproc_kill(ut->proc, sig);
}

bool seccomp_enter(struct uthread *ut, uint64_t ip, long *ret)
{
	const struct seccomp_filter *f = __atomic_load_n(&ut->filter, __ATOMIC_ACQUIRE);
	const struct trap_frame *tf = &ut->tf;
	long nr = (long)tf->rax;
	if (f->strict) {
		if (nr == SYS_read || nr == SYS_write || nr == SYS_exit || nr == SYS_rt_sigreturn)
			return true;
		die(ut, SIGKILL, true);
	}
	struct seccomp_data d = {
		.nr = (int)nr,
		.arch = AUDIT_ARCH_X86_64,
		.instruction_pointer = ip,
		.args = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 },
	};
	/* The most severe action of all the filters wins: the lowest,
	 * compared as Linux's ACTION_ONLY (signed). */
	uint32_t act = SECCOMP_RET_ALLOW;
	for (; f; f = f->prev) {
		uint32_t r = seccomp_run_prog(f->insns, &d);
		if ((int32_t)(r & SECCOMP_RET_ACTION_FULL) < (int32_t)(act & SECCOMP_RET_ACTION_FULL))
			act = r;
	}
	uint32_t data = act & SECCOMP_RET_DATA;
	switch (act & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return true;
	case SECCOMP_RET_ERRNO:
		*ret = -(long)(data > 4095 ? 4095 : data);
		return false;
	case SECCOMP_RET_TRAP: {
		/* The handler sees the call's registers as made: %rax its number. */
		siginfo_t si = { .si_signo = SIGSYS, .si_code = SYS_SECCOMP, .si_errno = (int)data };
		si.si_call_addr = (void *)ip;
		si.si_syscall = (int)nr;
		si.si_arch = AUDIT_ARCH_X86_64;
		signal_force_fault(ut, &si);
		*ret = nr;
		return false;
	}
	case SECCOMP_RET_TRACE:      /* no tracer: as Linux without one */
	case SECCOMP_RET_USER_NOTIF: /* no listener (none is made here) */
		*ret = -ENOSYS;
		return false;
	case SECCOMP_RET_KILL_THREAD:
		die(ut, SIGSYS, true);
	default: /* KILL_PROCESS, and any action Linux does not know */
		die(ut, SIGSYS, false);
	}
}
