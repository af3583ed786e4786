/* host_signals.c - the runtime's own handlers for the host signals it receives. */
#include <errno.h>
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "entry/cpuid.h"
#include "entry/gate.h"
#include "entry/rewrite.h"
#include "mm/uaccess.h"
#include "sys/stats.h"
#include "proc/cputime.h"
#include "proc/fork.h"
#include "proc/instance.h"
#include "proc/timers.h"
#include "proc/tty_pgrp.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/preempt.h"
#include "sched/sched.h"
#include "sched/solo.h"
#include "sched/vcpu.h"

/*
 * These handlers run on the vCPU's sigaltstack with every host signal
 * blocked, possibly on the app's %fs: they touch neither TLS nor errno and
 * call nothing that does. Each starts by opening the SUD selector, so that
 * the handler's own sigreturn is not itself dispatched.
 *
 * An event in app code never continues inside the handler: the handler
 * copies the app's registers into the uthread's trap frame and points the
 * ucontext at gate_from_signal, so it is served by ordinary runtime code on
 * the uthread's runtime stack, where it may block and switch.
 */

#define SEL_ALLOW 0
#define SEL_BLOCK 1
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

#define NOINSTR __attribute__((no_sanitize("address", "undefined")))

extern char gate_text_start[], gate_text_end[], gate_return[], gate_return_end[];
extern char lean_return[], lean_return_end[], lean_restart[];
extern char mid_return[], mid_return_end[], mid_restart[];
extern char gate_direct[], direct_done[], gate_direct_end[];
extern char gate_direct_fd[], direct_fd_saved[], direct_fd_done[], direct_fd_slow[], gate_direct_fd_end[];
extern char gate_direct_ep[], direct_ep_saved[], direct_ep_done[], direct_ep_slow[], gate_direct_ep_end[];
extern char gate_from_signal[];
extern void pg_restorer(void);
void syscall_entry_c(struct uthread *ut);

static void fault_entry_c(struct uthread *ut);
static void async_entry_c(struct uthread *ut);
static void kick_entry_c(struct uthread *ut);
static void leave_for_gate(struct vcpu *v, ucontext_t *uc, uint8_t oldsel,
			   void (*fn)(struct uthread *));

static inline bool in_range(uint64_t ip, const char *lo, const char *hi)
{
	return ip >= (uint64_t)lo && ip < (uint64_t)hi;
}

NOINSTR static void tf_from_uc(struct trap_frame *tf, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	tf->rax = g[REG_RAX]; tf->rbx = g[REG_RBX]; tf->rcx = g[REG_RCX];
	tf->rdx = g[REG_RDX]; tf->rsi = g[REG_RSI]; tf->rdi = g[REG_RDI];
	tf->rbp = g[REG_RBP]; tf->rsp = g[REG_RSP];
	tf->r8 = g[REG_R8]; tf->r9 = g[REG_R9]; tf->r10 = g[REG_R10];
	tf->r11 = g[REG_R11]; tf->r12 = g[REG_R12]; tf->r13 = g[REG_R13];
	tf->r14 = g[REG_R14]; tf->r15 = g[REG_R15];
	tf->rip = g[REG_RIP]; tf->rflags = g[REG_EFL];
}

/* The runtime runs with no host signal blocked. Only the kernel's 8-byte
 * mask is in the frame: glibc's 128-byte sigset_t would run over the
 * siginfo that follows it. */
NOINSTR static void unblock_all(ucontext_t *uc)
{
	uc->uc_sigmask.__val[0] = 0;
}

/* resume_at - leave the handler into runtime code at ip (the gate, or a
 * return half of it starting over). sigreturn puts back the flags the
 * signal found, maybe the app's (popfq ran): runtime code needs DF, TF and
 * AC clear (the trap frame keeps the app's). */
NOINSTR static void resume_at(ucontext_t *uc, const char *ip)
{
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)ip;
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)RFLAGS_ENTRY_CLEAR;
	unblock_all(uc);
}

/* to_gate - leave the handler into gate_from_signal, which saves %fs and the
 * vector state (sigreturn restores both from this frame) and calls fn. */
NOINSTR static void to_gate(ucontext_t *uc, struct uthread *ut, void (*fn)(struct uthread *))
{
	tf_from_uc(&ut->tf, uc);
	resume_at(uc, gate_from_signal);
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)ut->rstack_top;
	uc->uc_mcontext.gregs[REG_RDI] = (greg_t)fn;
}

/* in_direct - is ip in one of the direct gates (gate.S)? */
NOINSTR static bool in_direct(uint64_t ip)
{
	return in_range(ip, gate_direct, gate_direct_end) ||
	       in_range(ip, gate_direct_fd, gate_direct_fd_end) ||
	       in_range(ip, gate_direct_ep, gate_direct_ep_end);
}

/* direct_to_gate - a host signal landed in a direct gate, where every app
 * register is live but %rcx (and %r11 once the call is done), and, in
 * gate_direct_fd and gate_direct_ep, %rdi (and there %r10), kept in the
 * vCPU: go through the gate as the app just after its call, or, if the
 * call was not issued (or was cut short: EINTR; for epoll, anything but
 * events, which a second look would not find again), as the app about to
 * enter its stub again. */
NOINSTR static void direct_to_gate(struct vcpu *v, ucontext_t *uc, void (*fn)(struct uthread *))
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t ip = g[REG_RIP];
	bool fd = in_range(ip, gate_direct_fd, gate_direct_fd_end);
	bool ep = in_range(ip, gate_direct_ep, gate_direct_ep_end);
	uint64_t entry = fd ? (uint64_t)gate_direct_fd : ep ? (uint64_t)gate_direct_ep : (uint64_t)gate_direct;
	uint64_t rec = ip == entry ? (uint64_t)g[REG_RCX] : v->direct_rec;
	bool issued = fd ? in_range(ip, direct_fd_done, direct_fd_slow)
		      : ep ? in_range(ip, direct_ep_done, direct_ep_slow) && (long)g[REG_RAX] > 0
			   : ip >= (uint64_t)direct_done;
	issued = issued && g[REG_RAX] != -EINTR;
	struct trap_frame *tf = &v->cur->tf;
	to_gate(uc, v->cur, fn);
	if ((fd && ip >= (uint64_t)direct_fd_saved) || (ep && ip >= (uint64_t)direct_ep_saved))
		tf->rdi = v->direct_arg0;
	if (ep && ip >= (uint64_t)direct_ep_saved)
		tf->r10 = v->direct_arg3;
	if (issued) {
		tf->rip = *(const uint64_t *)rec;
		tf->rcx = tf->rip;
		tf->r11 = tf->rflags;
	} else {
		tf->rip = rec - STUB_REC_OFF;
	}
}

/* Where an asynchronous signal comes from. */
enum origin {
	FROM_CALL,     /* raised for a call or timer of this process (SIGPIPE of
			* a write: SI_USER with its own pid; alarm: SI_KERNEL) */
	FROM_PROCESS,  /* sent by another process: kill, sigqueue */
	FROM_TERMINAL, /* Ctrl-C, Ctrl-\, a hangup, a resize: to a process group */
};

NOINSTR static enum origin origin_of(const siginfo_t *si)
{
	int sig = si->si_signo;
	if (si->si_code == SI_KERNEL)
		return sig == SIGINT || sig == SIGQUIT || sig == SIGHUP || sig == SIGWINCH ||
		       sig == SIGTSTP || sig == SIGCONT || sig == SIGTTIN || sig == SIGTTOU
			       ? FROM_TERMINAL : FROM_CALL;
	return si->si_code <= 0 && si->si_pid != (pid_t)raw_syscall3(SYS_getpid, 0, 0, 0)
		       ? FROM_PROCESS : FROM_CALL;
}

/* look_now - v's uthread looks at what came for it (a signal, its
 * pollers' news): through the gate at once from app code (true: the
 * handler's return goes there), else on its way back to app code. */
NOINSTR static bool look_now(struct vcpu *v, ucontext_t *uc, uint8_t oldsel)
{
	if (oldsel == SEL_BLOCK) {
		leave_for_gate(v, uc, oldsel, kick_entry_c);
		return true;
	}
	__atomic_store_n(&v->cur->need_resched, true, __ATOMIC_RELAXED);
	return false;
}

/* An asynchronous host signal (kill from outside, SIGPIPE, SIGALRM...) for
 * the program. In app code: go through the gate at once. In the return
 * half of the gate: start the return over, so it delivers the signal. In
 * runtime code: it is delivered on the next return to app code. */
NOINSTR static void on_async(int sig, siginfo_t *si, ucontext_t *uc, uint8_t oldsel)
{
	struct vcpu *v = vcpu_self();
	struct uthread *ut = v->cur;
	/* The kernel's SIGCHLD is about a forked child's host process, whose
	 * end proc/fork.c turns into the program's own SIGCHLD. */
	if (sig == SIGCHLD && si->si_code > 0) {
		/* Reaped by this vCPU's pollers, as on a slice tick: at once
		 * from app code, on its way back to it from runtime code, on
		 * waking from its loop (asleep, mostly: a parent's wait left
		 * it idle). */
		fork_host_child_note();
		if (!ut)
			vcpu_kick(v);
		else if (look_now(v, uc, oldsel))
			return;
		v->selector = oldsel;
		return;
	}
	/* A forked child's program ended, its process goes on (fork.h). */
	if (fork_end_arrived(si))
		fork_end_note(si);
	/* That, or a parent-death signal that came already: nothing more. */
	if (fork_end_arrived(si) || fork_pdeath_repeat(si)) {
		v->selector = oldsel;
		return;
	}
	int target = fork_signal_arrived(si);
	/* A timer's signal is for the program (or thread) that made it; one
	 * from another process of the instance names its program; any other
	 * signal sent to pegasus is for the instance's first program. */
	struct vproc *p = target ? vproc_by_pid(target) : NULL;
	if (target && !p) {
		/* For a program that ended here meanwhile: for no other. */
		v->selector = oldsel;
		return;
	}
	enum origin from = p ? FROM_PROCESS : origin_of(si);
	if (!p)
		p = vproc_outside_target();
	struct uthread *tgt = NULL;
	enum timer_route route = timers_route(si, &p, &tgt);
	if (route == TIMER_NOT_OURS && ut && from == FROM_CALL)
		p = ut->proc; /* raised for the running program's call */
	/* The terminal signals the first program's process group, as it would
	 * the foreground job (Ctrl-C stops a shell and the command it waits
	 * for); a process's signal for the first program goes to its family
	 * once it is gone (else a kill or `timeout` could never end the
	 * instance). */
	bool queued = false;
	bool stop = from == FROM_PROCESS && (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT);
	if (route == TIMER_NOT_OURS && p && !target && from != FROM_CALL)
		instance_outside_signal(sig, stop);
	if (route == TIMER_NOT_OURS && p && !target && from == FROM_TERMINAL) {
		signal_queue_group_here(tty_signal_group(p->pgid), si);
		queued = true;
	} else if (route == TIMER_NOT_OURS && p && !target && from == FROM_PROCESS) {
		/* A stop from outside is the instance's: every command-line
		 * program takes it at once, as a service manager's stop reaches
		 * each (a database waiting for a fused pooler's connections
		 * waited for the grace time's SIGKILL). Other signals (HUP: a
		 * reload) are the first program's. */
		if (stop)
			signal_queue_other_roots(p, si);
		queued = signal_queue_if_gone(p, si);
	}
	if (queued) {
		signal_note_arrival();
		leave_for_gate(v, uc, oldsel, async_entry_c);
		return;
	}
	if (route == TIMER_STALE || !p) {
		/* Nothing new for any program: resume as the signal found things. */
		v->selector = oldsel;
		return;
	}
	if (route == TIMER_QUEUE)
		timers_queue(p, tgt, si);
	else
		signal_queue(p, tgt, si);
	signal_note_arrival();
	leave_for_gate(v, uc, oldsel, async_entry_c);
}

/* leave_for_gate - after a host signal: app code goes through the gate at
 * once (fn runs there); the return half of the gate starts over; the
 * scheduler loop is kicked out of its idle sleep; other runtime code
 * notices at its next gate crossing. */
NOINSTR static void leave_for_gate(struct vcpu *v, ucontext_t *uc, uint8_t oldsel,
			   void (*fn)(struct uthread *))
{
	solo_signal(v, (unsigned long long *)&uc->uc_mcontext.gregs[REG_RIP]);
	uint64_t ip = uc->uc_mcontext.gregs[REG_RIP];
	if (in_range(ip, gate_return, gate_return_end)) {
		resume_at(uc, gate_return);
	} else if (in_range(ip, lean_return, lean_return_end)) {
		resume_at(uc, lean_restart);
	} else if (in_range(ip, mid_return, mid_return_end)) {
		resume_at(uc, mid_restart);
	} else if (in_direct(ip)) {
		direct_to_gate(v, uc, fn);
	} else if (oldsel == SEL_BLOCK && !in_range(ip, gate_text_start, gate_text_end)) {
		to_gate(uc, v->cur, fn);
	} else if (!v->cur) {
		vcpu_kick(v);
	}
}

/* pass_on - a host signal caught by a runtime thread that runs no vCPU
 * (%gs: hthread_no_vcpu). Such threads block every host signal but in the
 * instant after glibc's clone opens 32 (SIGCANCEL) for them, where a
 * program's SIGEV_THREAD timer or a kill of 32 can land. It is sent again
 * to the process, siginfo and all, with this thread keeping it blocked:
 * the kernel then gives it to a vCPU. */
NOINSTR static void pass_on(int sig, siginfo_t *si, ucontext_t *uc)
{
	uc->uc_sigmask.__val[0] |= 1ull << (sig - 1);
	long pid = raw_syscall3(SYS_getpid, 0, 0, 0);
	raw_syscall3(SYS_rt_sigqueueinfo, pid, sig, si);
}

NOINSTR static void on_async_entry(int sig, siginfo_t *si, void *ucv);

/* SIG_VCPU_KICK: a slice tick or another vCPU asking this one to look at
 * its current uthread (a signal for it, or work waiting). Anything else
 * of that number is a program's SIGRTMAX (sched/preempt.h). */
NOINSTR static void on_kick(int sig, siginfo_t *si, void *ucv)
{
	struct vcpu *v = vcpu_self();
	if (!v) {
		pass_on(sig, si, ucv);
		return;
	}
	if (si->si_code != SI_TKILL && (si->si_code != SI_TIMER || si->si_timerid != v->tick_timer)) {
		on_async_entry(sig, si, ucv);
		return;
	}
	uint8_t old = v->selector;
	v->selector = SEL_ALLOW;
	/* Its slice tick, asleep in the kernel with nothing to preempt: no
	 * more ticks until it runs a uthread again (sched/preempt.h). */
	if (si->si_code == SI_TIMER && (__atomic_load_n(&v->idle, __ATOMIC_RELAXED) == VCPU_ASLEEP ||
					__atomic_load_n(&v->solo, __ATOMIC_RELAXED))) {
		preempt_tick_set(v, false);
		v->selector = old;
		return;
	}
	solo_signal(v, (unsigned long long *)&((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP]);
	/* In the runtime (a thread that loops on syscalls): it yields on its
	 * way back to app code. */
	if (v->cur)
		look_now(v, ucv, old);
}

/* SIG_STATS: noted here, printed by a vCPU loop in normal context. Its
 * number also carries the standard signals other processes of the
 * instance forward (proc/fork.h). */
_Static_assert(FORK_SIG_CARRIER == SIG_STATS, "the carrier is SIG_STATS's number");
NOINSTR static void on_stats(int sig, siginfo_t *si, void *ucv)
{
	struct vcpu *v = vcpu_self();
	if (fork_signal_uncarry(si)) {
		/* Another process's signal for a program here (passed on as
		 * itself if a thread with no vCPU took it). */
		on_async_entry(si->si_signo, si, ucv);
		return;
	}
	if (!v) {
		pass_on(sig, si, ucv);
		return;
	}
	if (si->si_code != SI_QUEUE || si->si_value.sival_int != SIG_STATS_VALUE) {
		on_async_entry(sig, si, ucv); /* a program's SIGRTMAX-2 */
		return;
	}
	uint8_t old = v->selector;
	v->selector = SEL_ALLOW;
	stats_request();
	leave_for_gate(v, ucv, old, async_entry_c);
}

/* SIG_WORKER_INTR only cuts an offload worker's blocking call short (EINTR);
 * workers have no %gs, so this touches nothing. Of that number, anything
 * but a tgkill is a program's SIGRTMAX-1: to a vCPU with it (a worker, the
 * one thread that lets the number in besides them, would keep it). */
NOINSTR static void on_worker_intr(int sig, siginfo_t *si, void *ucv)
{
	if (si->si_code == SI_TKILL)
		return;
	if (vcpu_self()) {
		on_async_entry(sig, si, ucv);
		return;
	}
	raw_syscall6(SYS_rt_tgsigqueueinfo, raw_syscall3(SYS_getpid, 0, 0, 0), vcpus[0]->host_tid, sig,
		     si, 0, 0);
}

NOINSTR static void on_async_entry(int sig, siginfo_t *si, void *ucv)
{
	struct vcpu *v = vcpu_self();
	if (!v) {
		pass_on(sig, si, ucv);
		return;
	}
	uint8_t old = v->selector;
	v->selector = SEL_ALLOW;
	on_async(sig, si, ucv, old);
}

NOINSTR static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	struct vcpu *v = vcpu_self();
	if (!v) {
		pass_on(sig, si, ucv);
		return;
	}
	uint8_t old = v->selector;
	v->selector = SEL_ALLOW;
	if (si->si_code == SYS_USER_DISPATCH && old == SEL_BLOCK) {
		struct uthread *ut = v->cur;
		to_gate(ucv, ut, syscall_entry_c);
		ut->tf.rax = si->si_syscall;
		return;
	}
	on_async(sig, si, ucv, old);
}

/* zpoline_stray - did a zpoline `call *%rax` with an out-of-range number
 * end here (int3 past the sled, or a fault at the number itself)? */
NOINSTR static bool zpoline_stray(const ucontext_t *uc, uint64_t ip)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rax = g[REG_RAX], ret;
	bool in_page0 = ip > 512 && ip < 4096 && ip - 1 >= (uint64_t)rax; /* int3 reports ip+1 */
	if (!(in_page0 || ip == rax))
		return false;
	if (pg_uaccess_copy(&ret, (void *)g[REG_RSP], 8) < 0)
		return false;
	return rewrite_zpoline_return(ret);
}

/* A raw message for a runtime crash: no stdio, no TLS. */
NOINSTR static void crash_note(int sig, uint64_t ip, uint64_t addr)
{
	char msg[] = "pegasus: internal error: signal 00 at ip 0x0000000000000000 addr 0x0000000000000000\n";
	static const char hex[] = "0123456789abcdef";
	char *p = strstr(msg, "signal ") + 7;
	p[0] = '0' + sig / 10;
	p[1] = '0' + sig % 10;
	p = strstr(msg, "ip 0x") + 5;
	for (int i = 15; i >= 0; i--, ip >>= 4)
		p[i] = hex[ip & 15];
	p = strstr(msg, "addr 0x") + 7;
	for (int i = 15; i >= 0; i--, addr >>= 4)
		p[i] = hex[addr & 15];
	raw_syscall3(SYS_write, 2, msg, sizeof(msg) - 1);
}

NOINSTR static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct vcpu *v = vcpu_self();
	uint64_t ip = uc->uc_mcontext.gregs[REG_RIP];
	/* A CPUID made to fault (entry/cpuid.h): a program's is served through
	 * the gate, which rewrites its site; the runtime's (and the miss of a
	 * rewritten site's lookup) here. */
	if (sig == SIGSEGV && si->si_code == SI_KERNEL && cpuid_at(ip)) {
		if (v && v->cur && v->selector == SEL_BLOCK && !in_range(ip, cpuid_cached, cpuid_cached_end)) {
			v->selector = SEL_ALLOW;
			to_gate(uc, v->cur, cpuid_site_entry);
		} else {
			cpuid_emulate(uc);
		}
		return;
	}
	/* A CPUID rewritten by another thread between its fault and now
	 * (1 JVM run in 30 died of it: OrderAccess's CPUID on two threads). */
	uint64_t resume = sig == SIGSEGV && si->si_code == SI_KERNEL ? rewrite_cpuid_resume(ip) : 0;
	if (resume) {
		uc->uc_mcontext.gregs[REG_RIP] = resume;
		return;
	}
	if (!v) {
		if (si->si_code <= 0) {
			pass_on(sig, si, uc);
			return;
		}
		goto crash; /* a runtime thread's own fault */
	}
	uint8_t old = v->selector;
	v->selector = SEL_ALLOW;

	if (si->si_code <= 0) { /* sent by someone, not raised by an instruction */
		on_async(sig, si, uc, old);
		return;
	}
	if (in_range(ip, uaccess_start, uaccess_end)) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)uaccess_fixup;
		return;
	}
	struct uthread *ut = v->cur;
	if (ut && old == SEL_BLOCK && sig == SIGILL && rewrite_is_old_syscall(ip)) {
		/* The ud2 left where a rewritten syscall was: reached by a thread
		 * stopped between its mov and its syscall, or by a jump. It is
		 * that syscall, with %eax as loaded. */
		to_gate(uc, ut, syscall_entry_c);
		ut->tf.rip = ip + 2;
		return;
	}
	if (ut && old == SEL_BLOCK && rewrite_mode == REWRITE_ZPOLINE && zpoline_stray(uc, ip)) {
		/* A zpoline site called with a number past the sled: %rip is in
		 * page 0's int3s or at the (unmapped) number itself. It is that
		 * syscall; the return address goes off the stack, as the gate's
		 * pop would have done. */
		uint64_t ret;
		pg_uaccess_copy(&ret, (void *)uc->uc_mcontext.gregs[REG_RSP], 8);
		to_gate(uc, ut, syscall_entry_c);
		ut->tf.rip = ret;
		ut->tf.rsp += 8;
		return;
	}
	if (sig == SIGTRAP && rewrite_is_patching(ip)) {
		/* The site is being rewritten under us: run it again once done. */
		uc->uc_mcontext.gregs[REG_RIP] = ip - 1;
		v->selector = old;
		return;
	}
	if (ut && old == SEL_BLOCK && !in_range(ip, gate_text_start, gate_text_end)) {
		ut->fault_info = *si;
		ut->fault_err = uc->uc_mcontext.gregs[REG_ERR];
		ut->fault_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
		to_gate(uc, ut, fault_entry_c);
		return;
	}
	/* The runtime itself faulted: say where, then die of the signal. */
crash:
	crash_note(sig, ip, (uint64_t)si->si_addr);
	struct { long h, f, r, m; } dfl = { 0, 0, 0, 0 };
	raw_syscall6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
}

static void fault_entry_c(struct uthread *ut)
{
	pg_debug("[%s] signal %d at %#lx (address %p, code %d)", ut->proc->name, ut->fault_info.si_signo,
		 (unsigned long)ut->tf.rip, ut->fault_info.si_addr, ut->fault_info.si_code);
	signal_force_fault(ut, &ut->fault_info);
}

/* Nothing to do here: gate_return delivers what on_async queued. */
static void async_entry_c(struct uthread *ut)
{
}

/* App code was stopped by a kick: give the vCPU away if others wait. The
 * gate delivers any signal on the way back. */
static void kick_entry_c(struct uthread *ut)
{
	cputime_enforce(ut);
	sched_poll_events();
	sched_balance();
	uthread_yield();
}

/* host_handler_for - which runtime handler owns host signal sig. */
static void *host_handler_for(int sig)
{
	switch (sig) {
	case SIGSYS: return on_sigsys;
	case SIG_VCPU_KICK: return on_kick;
	case SIG_STATS: return on_stats;
	case SIG_WORKER_INTR: return on_worker_intr;
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP:
		return on_fault;
	default: return on_async_entry;
	}
}

/**
 * signal_install_host_handlers - route every catchable host signal to the
 * runtime. Programs never own a host signal: their dispositions are virtual.
 */
void signal_install_host_handlers(void)
{
	for (int sig = 1; sig < 65; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc keeps 32 and 33 for itself (the runtime uses neither):
		 * programs may use them (glibc's SIGEV_THREAD timers do), so
		 * they are taken with the raw call. */
		struct { void *h; unsigned long flags; void *restorer; uint64_t mask; } k = {
			host_handler_for(sig), SA_SIGINFO | SA_ONSTACK | SA_RESTORER, pg_restorer, ~0ull,
		};
		long r = raw_syscall6(SYS_rt_sigaction, sig, (long)&k, 0, 8, 0, 0);
		if (r < 0)
			pg_warn("cannot catch signal %d: %s", sig, strerror(-r));
	}
}
