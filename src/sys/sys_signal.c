/* sys_signal.c - signal system calls, served on the virtual dispositions. */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "core/hostcred.h"
#include "proc/cred.h"
#include "proc/fork.h"
#include "proc/pidfd.h"
#include "proc/pidspace.h"
#include "proc/procdir.h"
#include "proc/sigframe.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/mid_io.h"
#include "sys/systab.h"
#include "core/timeutil.h"
#include "sched/xstate.h"

#define KSIGSET 8 /* the kernel's sigset_t size on x86-64 */
#define MINSIGSTKSZ_K 2048

static bool sig_valid(long sig)
{
	return sig >= 1 && sig <= 64;
}

/* sigaction_call - rt_sigaction; with may_discard false (the mid path),
 * VFILE_MID_PASS for a change that discards pending signals, whose
 * signal_discard locks and frees, and for what EFAULT's rules decide. */
static long sigaction_call(struct uthread *ut, const long a[6], bool may_discard)
{
	int sig = a[0];
	if (a[3] != KSIGSET || !sig_valid(a[0]) ||
	    ((sig == SIGKILL || sig == SIGSTOP) && a[1]))
		return -EINVAL;
	if (!may_discard && ((a[1] && (uint64_t)a[1] < UACCESS_MIN) || (a[2] && (uint64_t)a[2] < UACCESS_MIN)))
		return VFILE_MID_PASS;
	struct vproc *p = ut->proc;
	struct k_sigaction *cur = &p->sigaction[sig - 1], old = *cur, nsa;
	if (a[1]) {
		if (copy_from_user(&nsa, a[1], sizeof(nsa)))
			return may_discard ? -EFAULT : VFILE_MID_PASS;
		/* POSIX: setting a signal to be ignored discards its pending
		 * instances, blocked or not. */
		uint64_t h = nsa.handler;
		bool discard = h == (uint64_t)SIG_IGN ||
			       (h == (uint64_t)SIG_DFL && (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH));
		if (discard && !may_discard)
			return VFILE_MID_PASS;
		nsa.mask &= ~SIG_UNBLOCKABLE;
		*cur = nsa;
		if (discard)
			signal_discard(p, sig);
	}
	if (a[2] && copy_to_user(a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigaction(struct uthread *ut, const long a[6])
{
	return sigaction_call(ut, a, true);
}

long mid_rt_sigaction(struct uthread *ut, const long a[6])
{
	return sigaction_call(ut, a, false);
}

long sys_rt_sigprocmask(struct uthread *ut, const long a[6])
{
	if (a[3] != KSIGSET)
		return -EINVAL;
	uint64_t old = ut->sigmask, set;
	if (a[1]) {
		if (copy_from_user(&set, a[1], sizeof(set)))
			return -EFAULT;
		set &= ~SIG_UNBLOCKABLE;
		switch (a[0]) {
		case SIG_BLOCK: ut->sigmask |= set; break;
		case SIG_UNBLOCK: ut->sigmask &= ~set; break;
		case SIG_SETMASK: ut->sigmask = set; break;
		default: return -EINVAL;
		}
		signal_retarget(ut, old);
	}
	if (a[2] && copy_to_user(a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(struct uthread *ut, const long a[6])
{
	if ((unsigned long)a[1] > KSIGSET)
		return -EINVAL;
	uint64_t set = (ut->sigpending | ut->proc->sigpending) & ut->sigmask;
	return copy_to_user(a[0], &set, a[1]) ? -EFAULT : 0;
}

/* An app-supplied XSAVE image, made safe before it is ever loaded. */
static void restore_fpstate(struct uthread *ut, uint64_t fpstate)
{
	size_t xsz = xsave_area_size();
	char *xs = ut->xsave;
	struct { uint32_t magic1, extended_size; uint64_t xfeatures; uint32_t xstate_size; } sw;
	if (!fpstate || copy_from_user(xs, fpstate, 512)) {
		xsave_init_state(xs);
		return;
	}
	memcpy(&sw, xs + FPX_SW_OFFSET, sizeof(sw));
	memset(xs + XSAVE_HDR_OFFSET, 0, xsz - XSAVE_HDR_OFFSET);
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size <= xsz && sw.xstate_size > 576) {
		if (copy_from_user(xs + 512, fpstate + 512, sw.xstate_size - 512))
			xsave_init_state(xs);
	} else {
		/* A bare FXSAVE image: x87 and SSE only. */
		uint64_t bv = 3;
		memcpy(xs + XSAVE_HDR_OFFSET, &bv, 8);
	}
	memset(xs + FPX_SW_OFFSET, 0, 48);
	xsave_sanitize(xs);
}

long sys_rt_sigreturn(struct uthread *ut, const long a[6])
{
	struct trap_frame *tf = &ut->tf;
	struct k_ucontext uc;
	/* The handler's `ret` popped pretcode: %rsp points at the ucontext. */
	if (copy_from_user(&uc, tf->rsp, sizeof(uc))) {
		vproc_kill(ut->proc, SIGSEGV);
	}
	const struct k_sigcontext *sc = &uc.uc_mcontext;
	tf->r8 = sc->r8; tf->r9 = sc->r9; tf->r10 = sc->r10; tf->r11 = sc->r11;
	tf->r12 = sc->r12; tf->r13 = sc->r13; tf->r14 = sc->r14; tf->r15 = sc->r15;
	tf->rdi = sc->rdi; tf->rsi = sc->rsi; tf->rbp = sc->rbp; tf->rbx = sc->rbx;
	tf->rdx = sc->rdx; tf->rax = sc->rax; tf->rcx = sc->rcx; tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	/* Only the flags a program may set (the kernel's FIX_EFLAGS). */
	const uint64_t fix = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;
	tf->rflags = (tf->rflags & ~fix) | (sc->eflags & fix);
	ut->sigmask = uc.uc_sigmask & ~SIG_UNBLOCKABLE;
	restore_fpstate(ut, sc->fpstate);
	ut->vec_mode = VEC_FULL; /* the frame's image is the whole state now */

	/* restore_altstack(): silently keep the old one if the saved is bad. */
	const struct k_stack *ss = &uc.uc_stack;
	if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size >= MINSIGSTKSZ_K) {
		ut->altstack.sp = ss->ss_sp;
		ut->altstack.size = ss->ss_size;
		ut->altstack.flags = ss->ss_flags & SS_AUTODISARM;
	} else if (ss->ss_flags & SS_DISABLE) {
		ut->altstack.sp = 0;
		ut->altstack.size = 0;
		ut->altstack.flags = SS_DISABLE;
	}
	return SYS_FRAME_REPLACED;
}

long sys_sigaltstack(struct uthread *ut, const long a[6])
{
	struct ualtstack *as = &ut->altstack;
	uint64_t sp = ut->tf.rsp;
	bool onstack = as->size && sp > as->sp && sp - as->sp <= as->size;
	struct k_stack old = {
		.ss_sp = as->sp, .ss_size = as->size,
		.ss_flags = !as->size ? SS_DISABLE : (onstack ? SS_ONSTACK : 0) | (as->flags & SS_AUTODISARM),
	};
	if (a[0]) {
		struct k_stack ns;
		if (copy_from_user(&ns, a[0], sizeof(ns)))
			return -EFAULT;
		if (onstack)
			return -EPERM;
		int mode = ns.ss_flags & ~SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			as->sp = 0;
			as->size = 0;
			as->flags = SS_DISABLE;
		} else {
			if (ns.ss_size < MINSIGSTKSZ_K)
				return -ENOMEM;
			as->sp = ns.ss_sp;
			as->size = ns.ss_size;
			as->flags = ns.ss_flags & SS_AUTODISARM;
		}
	}
	if (a[1] && copy_to_user(a[1], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* wait_for_handler - pause and sigsuspend: until a signal runs a handler
 * or ends the program. One with nothing to do (SIGCONT after a stop of the
 * host process, an ignored one) does not end the wait: pause() returned
 * when a forked child was stopped and continued. */
static long wait_for_handler(struct uthread *ut)
{
	for (;;) {
		long r = signal_wait(ut, ~ut->sigmask, 0);
		if (r != -EINTR || !signal_wait_goes_on(ut, false))
			return r;
	}
}

long sys_rt_sigsuspend(struct uthread *ut, const long a[6])
{
	uint64_t set;
	if (a[1] != KSIGSET)
		return -EINVAL;
	if (copy_from_user(&set, a[0], sizeof(set)))
		return -EFAULT;
	ut->saved_sigmask = ut->sigmask;
	ut->has_saved_sigmask = true;
	ut->sigmask = set & ~SIG_UNBLOCKABLE;
	return wait_for_handler(ut);
}

long sys_pause(struct uthread *ut, const long a[6])
{
	return wait_for_handler(ut);
}

long sys_rt_sigtimedwait(struct uthread *ut, const long a[6])
{
	uint64_t set;
	uint64_t dl = 0;
	if (a[3] != KSIGSET)
		return -EINVAL;
	if (copy_from_user(&set, a[0], sizeof(set)))
		return -EFAULT;
	set &= ~SIG_UNBLOCKABLE;
	if (a[2]) {
		struct timespec rel;
		if (copy_from_user(&rel, a[2], sizeof(rel)))
			return -EFAULT;
		if (!timespec_valid(&rel))
			return -EINVAL;
		dl = deadline_after(&rel);
		if (!dl)
			dl = 1;
	}
	for (;;) {
		uint64_t pend = (ut->sigpending | ut->proc->sigpending) & set;
		if (pend) {
			int sig = __builtin_ctzll(pend) + 1;
			siginfo_t info;
			if (!signal_dequeue(ut, sig, &info))
				continue;
			if (a[1] && copy_to_user(a[1], &info, sizeof(info)))
				return -EFAULT;
			return sig;
		}
		long r = signal_wait(ut, set | ~ut->sigmask, dl);
		if (r == 0)
			return -EAGAIN;
		if (!((ut->sigpending | ut->proc->sigpending) & set))
			return -EINTR;
	}
}

/* ---- sending ---- */

static void fill_info(siginfo_t *si, struct uthread *from, int sig, int code)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = code;
	si->si_pid = from->proc->pid;
	si->si_uid = getuid();
}

/* may_signal_ids - Linux's kill_ok_by_cred: the sender's real or
 * effective uid is the target's real or saved one (uid, suid), or it has
 * CAP_KILL; SIGCONT within the session (sid) too (a signal to another
 * user's program said 0 and was dropped). */
static bool may_signal_ids(struct uthread *ut, uint32_t uid, uint32_t suid, int sid, int sig)
{
	const struct hostcred *me = ut->proc->cred;
	if (!me || (sig == SIGCONT && sid == ut->proc->sid))
		return true;
	if (me->uid == uid || me->uid == suid || me->euid == uid || me->euid == suid)
		return true;
	return cred_capable(ut, CAP_KILL);
}

/* kill_elsewhere - programs that other host processes of the instance run
 * and this one does not know (a forked child's siblings, its grandparent),
 * as they published themselves: the signal goes to their host process,
 * tagged with their pid (proc/fork.c). How many matched; those the kernel
 * would not let the sender signal are counted in *denied. */
static int kill_elsewhere(struct uthread *ut, long pid, const siginfo_t *si, int *denied)
{
	if (!pidspace_forked())
		return 0;
	int pids[512], n = pid > 0 ? 1 : pidspace_list(pids, 512), sent = 0;
	int pgid = pid == 0 ? ut->proc->pgid : (int)-pid;
	if (pid > 0)
		pids[0] = (int)pid;
	for (int i = 0; i < n; i++) {
		struct prog_info pi;
		if (!pidspace_lookup(pids[i], &pi) || pi.host_pid == getpid() || vproc_by_pid(pi.pid))
			continue;
		if (pid <= 0 && pid != -1 && pi.pgid != pgid)
			continue;
		/* The program's ids, as published (the kernel would check its
		 * host process's: pegasus's own, root for a program that
		 * dropped it). */
		if (!may_signal_ids(ut, pi.uid, pi.suid, pi.sid, si->si_signo)) {
			(*denied)++;
			continue;
		}
		/* Its host process gone (reaped by the host's init): kill -0
		 * of a dead daemon said "alive". Asked only when the send fails
		 * (a signal 0 is a plain check). */
		if (fork_signal_send_to(pi.host_pid, pi.pid, si) == SIGQ_DROPPED) {
			long k = pidspace_check_host(&pi);
			if (k == -ESRCH)
				continue;
			if (k == -EPERM) { /* another user's program */
				(*denied)++;
				continue;
			}
		}
		sent++;
	}
	return sent;
}

/* may_signal - the same for program p. */
static bool may_signal(struct uthread *ut, const struct vproc *p, int sig)
{
	/* A program of another host process: its ids as it published them
	 * (a forked child's setuid changed them there). */
	struct prog_info pi;
	int host = __atomic_load_n(&p->host_pid, __ATOMIC_ACQUIRE);
	if (host > 0 && pidspace_lookup(p->pid, &pi) && pi.host_pid == host)
		return may_signal_ids(ut, pi.uid, pi.suid, p->sid, sig);
	const struct hostcred *them = p->cred;
	return !them || them == ut->proc->cred || may_signal_ids(ut, them->uid, them->suid, p->sid, sig);
}

/* Signal every program whose pid or group matches, as kill(2) reads pid. */
static long kill_matching(struct uthread *ut, long pid, const siginfo_t *si)
{
	int sent = 0, denied = 0;
	/* A thread's id names its process, as kill_pid_info finds it. */
	struct vproc *of = pid > 0 && !vproc_by_pid((int)pid) ? vproc_by_id((int)pid) : NULL;
	if (of)
		pid = of->pid;
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!p || vproc_seen_as(p) != p)
			continue; /* its stand-in passes signals on */
		if (pid <= 0 && (p->host_pid || p->stand_in_host))
			vproc_sync_ids(p); /* a forked child may have changed groups */
		bool match = pid > 0 ? p->pid == pid :
			     pid == 0 ? p->pgid == ut->proc->pgid :
			     pid == -1 ? true : p->pgid == -pid;
		if (!match)
			continue;
		/* -1 skips those it may not signal, as Linux; else EPERM. */
		if (!may_signal(ut, p, si->si_signo)) {
			denied++;
			continue;
		}
		sent++;
		/* A zombie exists but takes no more signals. */
		if (si->si_signo && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != VP_DEAD) {
			if (signal_send(p, NULL, si) == SIGQ_FULL)
				return -EAGAIN;
		}
	}
	sent += kill_elsewhere(ut, pid, si, &denied);
	if (sent)
		return 0;
	if (denied)
		return -EPERM;
	/* No id of the instance: a process (group) outside it, the kernel's
	 * to find and to check, with the program's ids (a supervisor's kill
	 * of a service it did not start, `kill $(cat x.pid)`). Never -1: that
	 * is every process the user may signal. */
	if ((pid > 0 || pid < -1) && pidspace_outside(pid > 0 ? (int)pid : (int)-pid))
		return raw_syscall3(SYS_kill, pid, si->si_signo, 0);
	return -ESRCH;
}

long sys_kill(struct uthread *ut, const long a[6])
{
	if (a[1] < 0 || a[1] > 64)
		return -EINVAL;
	if ((int)a[0] == INT32_MIN)
		return -ESRCH;
	siginfo_t si;
	fill_info(&si, ut, a[1], SI_USER);
	return kill_matching(ut, (int)a[0], &si);
}

static long thread_kill(struct uthread *ut, long tgid, long tid, long sig, const siginfo_t *given)
{
	if (tid <= 0 || (tgid != -1 && tgid <= 0) || sig < 0 || sig > 64)
		return -EINVAL;
	struct uthread *t = uthread_by_tid(tid);
	if (!t || (tgid != -1 && t->proc->pid != tgid))
		return -ESRCH;
	if (!sig)
		return 0;
	siginfo_t si;
	if (given)
		si = *given;
	else
		fill_info(&si, ut, sig, SI_TKILL);
	return signal_send(t->proc, t, &si) == SIGQ_FULL ? -EAGAIN : 0;
}

long sys_tgkill(struct uthread *ut, const long a[6])
{
	return thread_kill(ut, (int)a[0], (int)a[1], a[2], NULL);
}

long sys_tkill(struct uthread *ut, const long a[6])
{
	return thread_kill(ut, -1, (int)a[0], a[1], NULL);
}

/* The caller's siginfo, refused when it would pose as the kernel or kill(2)
 * towards another program (the kernel's EPERM rule). */
static long user_info(struct uthread *ut, long pid, long sig, long uinfo, siginfo_t *si)
{
	if (copy_from_user(si, uinfo, sizeof(*si)))
		return -EFAULT;
	if ((si->si_code >= 0 || si->si_code == SI_TKILL) && pid != ut->proc->pid)
		return -EPERM;
	si->si_signo = sig;
	return 0;
}

long sys_rt_sigqueueinfo(struct uthread *ut, const long a[6])
{
	siginfo_t si;
	if (!sig_valid(a[1]) && a[1])
		return -EINVAL;
	long r = user_info(ut, (int)a[0], a[1], a[2], &si);
	if (r)
		return r;
	if ((int)a[0] <= 0)
		return -ESRCH;
	return kill_matching(ut, (int)a[0], &si);
}

/* pidfd_send_signal - kill(2) to the program a pidfd names (or, as Linux
 * 6.9's flags ask, to its main thread or its group); ESRCH once it has
 * been reaped, even if its pid names another since. */
long sys_pidfd_send_signal(struct uthread *ut, const long a[6])
{
	enum { THREAD = 1, THREAD_GROUP = 2, PROCESS_GROUP = 4 }; /* PIDFD_SIGNAL_* */
	long scope = a[3];
	if ((scope & ~(long)(THREAD | THREAD_GROUP | PROCESS_GROUP)) || (scope & (scope - 1)))
		return -EINVAL;
	if (!sig_valid(a[1]) && a[1])
		return -EINVAL;
	struct vfile *f = fdt_obj(ut->proc->fdt, a[0]);
	int h = f ? -1 : fdt_host(ut->proc->fdt, a[0]);
	if (h >= 0) /* the kernel's pidfd of a process outside (sys_pidfd_open) */
		return raw_syscall6(SYS_pidfd_send_signal, h, a[1], a[2], a[3], 0, 0);
	int pid = pidfd_pid(f);
	struct vproc *p = pidfd_program(f);
	/* A /proc/<pid> directory names its process too (psmisc's killall). */
	const char *dir = procdir_path(f);
	bool by_dir = dir && !strncmp(dir, "/proc/", 6);
	if (by_dir) {
		pid = atoi(dir + 6);
		p = vproc_by_pid(pid);
	}
	vfile_put(f);
	if (pid < 0)
		return pid;
	if (!p && !(by_dir && scope != PROCESS_GROUP && scope != THREAD))
		return -ESRCH;
	siginfo_t si;
	if (a[2]) {
		int signo;
		if (copy_from_user(&signo, a[2], sizeof(signo)))
			return -EFAULT;
		long r = signo != a[1] ? -EINVAL : user_info(ut, pid, a[1], a[2], &si);
		if (r)
			return r;
	} else {
		fill_info(&si, ut, a[1], scope == THREAD ? SI_TKILL : SI_USER);
	}
	if (scope == THREAD)
		return thread_kill(ut, pid, pid, a[1], &si);
	return kill_matching(ut, scope == PROCESS_GROUP ? -p->pgid : pid, &si);
}

long sys_rt_tgsigqueueinfo(struct uthread *ut, const long a[6])
{
	siginfo_t si;
	if (!sig_valid(a[2]) && a[2])
		return -EINVAL;
	long r = user_info(ut, (int)a[0], a[2], a[3], &si);
	if (r)
		return r;
	return thread_kill(ut, (int)a[0], (int)a[1], a[2], &si);
}
