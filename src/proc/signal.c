/* signal.c - virtual signals: queueing, dispositions and Linux-format frames. */
#include "proc/signal.h"
#include "proc/fork.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/sigframe.h"
#include "proc/vproc.h"
#include "proc/wait.h"
#include "sched/vcpu.h"
#include "proc/signalfd.h"
#include "proc/timers.h"
#include "proc/tracelog.h"
#include "sched/preempt.h"
#include "sched/sched.h"
#include "sched/poller.h"
#include "sched/waitq.h"
#include "sched/xstate.h"

enum { ACT_TERM, ACT_CORE, ACT_IGN, ACT_STOP, ACT_CONT };

/* Linux's default action of each signal (signal(7)); real-time: TERM. */
static int default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return ACT_CORE;
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return ACT_IGN;
	case SIGCONT:
		return ACT_CONT;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return ACT_STOP;
	default:
		return ACT_TERM;
	}
}

/* Synchronous signals go first, as in Linux's dequeue order. */
#define SYNC_SIGNALS (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | \
		      SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) | SIGBIT(SIGSYS))

static bool ignored(const struct vproc *p, int sig)
{
	uint64_t h = p->sigaction[sig - 1].handler;
	return h == (uint64_t)SIG_IGN || (h == (uint64_t)SIG_DFL && default_action(sig) == ACT_IGN);
}

/* ---- queueing (async-signal-safe) ---- */

#define SIGRT_FIRST 32

/* mapped - *pp, mapped (zeroed, size bytes) if it is still NULL; NULL if
 * out of memory. Async-signal-safe (a raw mmap, published with a CAS): the
 * memory of signals is made where they are queued, host handlers included.
 * Never unmapped: uthreads are reused and vprocs stay. */
static void *mapped(void **pp, size_t size)
{
	void *cur = __atomic_load_n(pp, __ATOMIC_ACQUIRE);
	if (cur)
		return cur;
	long m = raw_syscall6(SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
	if (m < 0 && m > -4096)
		return NULL;
	if (__atomic_compare_exchange_n(pp, &cur, (void *)m, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return (void *)m;
	raw_syscall3(SYS_munmap, m, size, 0); /* another sender mapped it first */
	return cur;
}

/* The siginfo slots of standard signals (1..31) of a thread or process. */
#define STD_SLOTS_SIZE ((SIGRT_FIRST - 1) * sizeof(siginfo_t))

static siginfo_t *std_slots(siginfo_t **pp)
{
	return mapped((void **)pp, STD_SLOTS_SIZE);
}

/* rtq_push - queue one real-time signal instance; false if the queue is
 * full (Linux then drops it too, past RLIMIT_SIGPENDING) or out of memory. */
static bool rtq_push(struct rtqueue *q, int tid, const siginfo_t *si)
{
	for (int w = 0; w < RTQ_MAX / RTQ_CHUNK; w++) {
		uint64_t used = __atomic_load_n(&q->used[w], __ATOMIC_RELAXED);
		if (!~used)
			continue;
		/* Mapped before a bit is claimed: a set bit always has its node. */
		struct rtq_node *chunk = mapped((void **)&q->chunk[w], RTQ_CHUNK * sizeof(*chunk));
		if (!chunk)
			return false;
		while (~used) {
			int b = __builtin_ctzll(~used);
			if (!__atomic_compare_exchange_n(&q->used[w], &used, used | (1ull << b), false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			struct rtq_node *n = &chunk[b];
			n->seq = __atomic_add_fetch(&q->seq, 1, __ATOMIC_RELAXED);
			n->tid = tid;
			n->info = *si;
			__atomic_store_n(&n->sig, si->si_signo, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

/* rtq_take - the oldest instance of sig for tid (0: the process); also
 * says whether more remain. Host signals are blocked by the caller. */
static void rtq_free(struct rtqueue *q, int w, int b)
{
	__atomic_store_n(&q->chunk[w][b].sig, 0, __ATOMIC_RELAXED);
	__atomic_and_fetch(&q->used[w], ~(1ull << b), __ATOMIC_RELEASE);
}

static bool rtq_take(struct rtqueue *q, int sig, int tid, siginfo_t *info, bool *more)
{
	int bw = -1, bb = 0, count = 0;
	/* The used nodes only: chunk w's node b for each bit b of used[w]. */
	for (int w = 0; w < RTQ_MAX / RTQ_CHUNK; w++) {
		for (uint64_t u = __atomic_load_n(&q->used[w], __ATOMIC_ACQUIRE); u; u &= u - 1) {
			int b = __builtin_ctzll(u);
			struct rtq_node *n = &q->chunk[w][b];
			if (__atomic_load_n(&n->sig, __ATOMIC_ACQUIRE) != sig || n->tid != tid)
				continue;
			count++;
			if (bw < 0 || n->seq < q->chunk[bw][bb].seq) {
				bw = w;
				bb = b;
			}
		}
	}
	*more = count > 1;
	if (bw < 0)
		return false;
	*info = q->chunk[bw][bb].info;
	rtq_free(q, bw, bb);
	return true;
}

/* rtq_discard - drop every instance of sig, whoever it is for; each one's
 * timer (if any) goes on. Host signals are blocked by the caller. */
static void rtq_discard(struct rtqueue *q, int sig)
{
	for (int w = 0; w < RTQ_MAX / RTQ_CHUNK; w++) {
		for (uint64_t u = __atomic_load_n(&q->used[w], __ATOMIC_ACQUIRE); u; u &= u - 1) {
			int b = __builtin_ctzll(u);
			struct rtq_node *n = &q->chunk[w][b];
			if (__atomic_load_n(&n->sig, __ATOMIC_ACQUIRE) != sig)
				continue;
			siginfo_t info = n->info;
			rtq_free(q, w, b);
			timers_not_queued(&info);
		}
	}
}

/*
 * A standard signal has one siginfo slot per thread and per process. The
 * one sender that sets its claim bit fills the slot, then the pending bit;
 * the taker clears the pending bit, reads the slot, then the claim. A
 * sender that finds the claim taken merges into the pending instance: two
 * senders never write one slot, and a taker never reads a slot being
 * written (a timer whose siginfo was lost so would never signal again).
 */
static bool std_put(uint64_t *pend, uint64_t *claim, siginfo_t *slot, const siginfo_t *si)
{
	uint64_t bit = SIGBIT(si->si_signo);
	if (__atomic_fetch_or(claim, bit, __ATOMIC_ACQ_REL) & bit)
		return false;
	*slot = *si;
	/* Release: whoever sees the bit sees the siginfo written above. */
	__atomic_or_fetch(pend, bit, __ATOMIC_RELEASE);
	return true;
}

/* std_take - slots: where the set's slots are (mapped: its bit was set). */
static bool std_take(uint64_t *pend, uint64_t *claim, siginfo_t *const *slots, int sig,
		     siginfo_t *info)
{
	uint64_t bit = SIGBIT(sig);
	if (!(__atomic_fetch_and(pend, ~bit, __ATOMIC_ACQ_REL) & bit))
		return false;
	*info = (*slots)[sig - 1];
	__atomic_and_fetch(claim, ~bit, __ATOMIC_RELEASE);
	return true;
}

/* drop_pending - sig is no longer pending in this set (a thread's or a
 * process's): a standard one's slot is emptied, and a timer whose signal it
 * held goes on. A real-time one's instances are the caller's (rtq_discard).
 * Host signals held. */
static void drop_pending(uint64_t *pend, uint64_t *claim, siginfo_t *const *slots, int sig)
{
	siginfo_t info;
	if (sig >= SIGRT_FIRST)
		__atomic_and_fetch(pend, ~SIGBIT(sig), __ATOMIC_RELEASE);
	else if (std_take(pend, claim, slots, sig, &info))
		timers_not_queued(&info);
}

enum sigq signal_queue(struct vproc *p, struct uthread *tgt, const siginfo_t *si)
{
	int sig = si->si_signo;
	if (sig < 1 || sig > 64)
		return SIGQ_DROPPED;
	if (p->host_pid)
		return fork_signal_send(p, si);
	int host = __atomic_load_n(&p->stand_in_host, __ATOMIC_ACQUIRE);
	if (host > 0 && sig != SIGCHLD) {
		/* Its own SIGCHLD is from the program it stands in for; a
		 * SIGKILL also takes the stand-in. A stop is the program's
		 * alone, whose parent hears it as the stand-in's (wait.c): one
		 * pending here would end the stand-in's wait (exec_elsewhere)
		 * again and again, and it spun on its vCPU. */
		enum sigq r = fork_signal_send_to(host, p->pid, si);
		if (sig != SIGKILL)
			return r;
	}
	uint64_t bit = SIGBIT(sig);
	/* Linux drops an ignored signal at once unless it is blocked. */
	struct uthread *mt = tgt ? tgt : __atomic_load_n(&p->main_thread, __ATOMIC_ACQUIRE);
	uint64_t blocked = mt ? mt->sigmask : 0;
	if (!(blocked & bit) && ignored(p, sig))
		return SIGQ_DROPPED;
	uint64_t *pend = tgt ? &tgt->sigpending : &p->sigpending;
	if (sig >= SIGRT_FIRST) {
		/* Published before the bit: see signal_dequeue(). */
		if (!rtq_push(&p->rtq, tgt ? tgt->tid : 0, si))
			return SIGQ_FULL;
		__atomic_or_fetch(pend, bit, __ATOMIC_RELEASE);
		signalfd_notify(p, sig);
		return SIGQ_QUEUED;
	}
	/* Standard signals coalesce. */
	siginfo_t *slots = std_slots(tgt ? &tgt->siginfo : &p->siginfo);
	if (!slots)
		return SIGQ_FULL;
	if (!std_put(pend, tgt ? &tgt->sigclaimed : &p->sigclaimed, &slots[sig - 1], si))
		return SIGQ_MERGED;
	signalfd_notify(p, sig);
	return SIGQ_QUEUED;
}

/* queue_live - si for every live program that match(q, arg) says. */
static void queue_live(const siginfo_t *si, bool (*match)(const struct vproc *q, const void *arg),
		       const void *arg)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		/* Not the process a stand-in's program went on in: the
		 * stand-in passes its signals on. */
		if (q && __atomic_load_n(&q->state, __ATOMIC_ACQUIRE) != VP_DEAD && vproc_seen_as(q) == q &&
		    match(q, arg))
			signal_queue(q, NULL, si);
	}
}

/* In group *pgid and run here (a forked child's process takes the
 * terminal's signals itself). */
static bool in_group_here(const struct vproc *q, const void *pgid)
{
	return q->pgid == *(const int *)pgid && !q->host_pid;
}

/* Of gone's family: what it spawned or forked, wherever that runs; not a
 * forked child's stand-in for its parent (another root). */
static bool of_family(const struct vproc *q, const void *gone)
{
	const struct vproc *p = gone;
	return q != p && q->root == p->root && q->host_pid >= 0;
}

void signal_queue_group_here(int pgid, const siginfo_t *si)
{
	queue_live(si, in_group_here, &pgid);
}

/* Another command-line program than *first, alive here. */
static bool other_root(const struct vproc *q, const void *first)
{
	return q != first && q->root == q && !q->host_pid;
}

void signal_queue_other_roots(struct vproc *first, const siginfo_t *si)
{
	queue_live(si, other_root, first);
}

bool signal_queue_if_gone(struct vproc *p, const siginfo_t *si)
{
	if (!p || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != VP_DEAD)
		return false;
	queue_live(si, of_family, p);
	return true;
}

static uint64_t pending_of(const struct uthread *ut)
{
	return __atomic_load_n(&ut->sigpending, __ATOMIC_ACQUIRE) |
	       __atomic_load_n(&ut->proc->sigpending, __ATOMIC_ACQUIRE);
}

/* takes - the signals ut may take now: its own, and the process's that the
 * main thread cannot (it blocks them, it is leaving, or it is parked in a
 * wait they do not end); the main thread takes all. As Linux's
 * complete_signal gives a process signal to the main thread when it does
 * not block it, and tells that thread only: the thread that crossed the
 * gate first took it (a worker of a python server, whose handlers run on
 * its main thread only: the main thread stayed in accept()). */
static uint64_t takes(const struct uthread *ut)
{
	uint64_t own = __atomic_load_n(&ut->sigpending, __ATOMIC_ACQUIRE);
	uint64_t proc = __atomic_load_n(&ut->proc->sigpending, __ATOMIC_ACQUIRE);
	const struct uthread *mt = __atomic_load_n(&ut->proc->main_thread, __ATOMIC_ACQUIRE);
	if (proc && mt && mt != ut) {
		uint64_t for_main = __atomic_load_n(&mt->exiting, __ATOMIC_ACQUIRE) ? 0 : ~mt->sigmask;
		if (__atomic_load_n(&mt->state, __ATOMIC_ACQUIRE) == UT_BLOCKED)
			for_main &= __atomic_load_n(&mt->sig_wake, __ATOMIC_ACQUIRE);
		proc &= ~for_main;
	}
	return own | proc;
}

uint64_t signal_deliverable_mask(const struct uthread *ut)
{
	return takes(ut);
}

static int pick(uint64_t set)
{
	if (!set)
		return 0;
	if (set & SYNC_SIGNALS)
		set &= SYNC_SIGNALS;
	return __builtin_ctzll(set) + 1;
}

int signal_next_deliverable(struct uthread *ut)
{
	return pick(takes(ut) & ~ut->sigmask);
}

uint64_t signal_hold_host(void)
{
	uint64_t all = ~0ull, old;
	raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, 8, 0, 0);
	return old;
}

void signal_release_host(uint64_t old)
{
	raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
}

/* signal_dequeue - take signal sig off the thread's or the process's queue. Host
 * signals are held off meanwhile so a handler cannot rewrite the slot that
 * is being read. */
bool signal_dequeue(struct uthread *ut, int sig, siginfo_t *info)
{
	uint64_t bit = SIGBIT(sig), old = signal_hold_host();
	bool got = true;
	if (sig >= SIGRT_FIRST) {
		/* Clear the bit first, then look: an instance queued meanwhile
		 * either is seen here or sets the bit again after this. */
		got = false;
		for (int pass = 0; pass < 2 && !got; pass++) {
			uint64_t *pend = pass ? &ut->proc->sigpending : &ut->sigpending;
			if (!(__atomic_fetch_and(pend, ~bit, __ATOMIC_ACQ_REL) & bit))
				continue;
			bool more = false;
			got = rtq_take(&ut->proc->rtq, sig, pass ? 0 : ut->tid, info, &more);
			if (more)
				__atomic_or_fetch(pend, bit, __ATOMIC_RELEASE);
		}
	} else {
		struct vproc *p = ut->proc;
		got = std_take(&ut->sigpending, &ut->sigclaimed, &ut->siginfo, sig, info) ||
		      std_take(&p->sigpending, &p->sigclaimed, &p->siginfo, sig, info);
		if (got)
			timers_slot_freed(p, sig);
	}
	/* A timer signal re-arms its timer, under a lock handlers take too. */
	got = got && timers_take(info);
	signal_release_host(old);
	return got;
}

void signal_force_fault(struct uthread *ut, const siginfo_t *si)
{
	int sig = si->si_signo;
	PG_ASSERT(sig >= 1 && sig <= 64);
	struct k_sigaction *ka = &ut->proc->sigaction[sig - 1];
	/* Like force_sig_info(): a blocked or ignored fault cannot be survived. */
	if ((ut->sigmask & SIGBIT(sig)) || ka->handler == (uint64_t)SIG_IGN) {
		ka->handler = (uint64_t)SIG_DFL;
		ut->sigmask &= ~SIGBIT(sig);
	}
	uint64_t old = signal_hold_host();
	drop_pending(&ut->sigpending, &ut->sigclaimed, &ut->siginfo, sig);
	signal_queue(ut->proc, ut, si);
	signal_release_host(old);
}

void signal_discard(struct vproc *p, int sig)
{
	uint64_t old = signal_hold_host();
	drop_pending(&p->sigpending, &p->sigclaimed, &p->siginfo, sig);
	spin_lock(&p->lock);
	for (struct uthread *t = p->threads; t; t = t->proc_next)
		drop_pending(&t->sigpending, &t->sigclaimed, &t->siginfo, sig);
	spin_unlock(&p->lock);
	if (sig >= SIGRT_FIRST)
		rtq_discard(&p->rtq, sig);
	else
		timers_discard(p, sig); /* timer signals that waited for the slots */
	signal_release_host(old);
}

/* ---- delivery ---- */

static bool on_altstack(const struct uthread *ut, uint64_t sp)
{
	const struct ualtstack *as = &ut->altstack;
	return as->size && sp > as->sp && sp - as->sp <= as->size;
}

static int altstack_flags(const struct uthread *ut, uint64_t sp)
{
	if (!ut->altstack.size)
		return SS_DISABLE;
	return (on_altstack(ut, sp) ? SS_ONSTACK : 0) | (ut->altstack.flags & SS_AUTODISARM);
}

static void frame_from_tf(struct k_sigcontext *sc, const struct trap_frame *tf)
{
	sc->r8 = tf->r8; sc->r9 = tf->r9; sc->r10 = tf->r10; sc->r11 = tf->r11;
	sc->r12 = tf->r12; sc->r13 = tf->r13; sc->r14 = tf->r14; sc->r15 = tf->r15;
	sc->rdi = tf->rdi; sc->rsi = tf->rsi; sc->rbp = tf->rbp; sc->rbx = tf->rbx;
	sc->rdx = tf->rdx; sc->rax = tf->rax; sc->rcx = tf->rcx; sc->rsp = tf->rsp;
	sc->rip = tf->rip; sc->eflags = tf->rflags;
	sc->cs = 0x33;
	sc->ss = 0x2b;
}

/* setup_frame - build a Linux rt_sigframe on the app stack and point the
 * trap frame at the handler. Returns 0, or -EFAULT if the stack is bad. */
static int setup_frame(struct uthread *ut, int sig, const siginfo_t *info,
		       const struct k_sigaction *ka, bool fault)
{
	struct trap_frame *tf = &ut->tf;
	size_t xsz = xsave_area_size();
	uint64_t sp = tf->rsp;

	if ((ka->flags & SA_ONSTACK) && ut->altstack.size && !on_altstack(ut, sp))
		sp = ut->altstack.sp + ut->altstack.size;
	else
		sp -= 128; /* the red zone */
	uint64_t fpstate = (sp - xsz - 4) & ~63ull;
	uint64_t frame = ((fpstate - sizeof(struct k_rt_sigframe)) & ~15ull) - 8;

	struct k_rt_sigframe f;
	memset(&f, 0, sizeof(f));
	f.pretcode = (ka->flags & SA_RESTORER) ? ka->restorer : 0;
	f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.uc_stack.ss_sp = ut->altstack.sp;
	f.uc.uc_stack.ss_size = ut->altstack.size;
	f.uc.uc_stack.ss_flags = altstack_flags(ut, tf->rsp);
	frame_from_tf(&f.uc.uc_mcontext, tf);
	f.uc.uc_mcontext.fpstate = fpstate;
	if (fault) {
		f.uc.uc_mcontext.err = ut->fault_err;
		f.uc.uc_mcontext.trapno = ut->fault_trapno;
		f.uc.uc_mcontext.cr2 = (uint64_t)info->si_addr;
	}
	f.uc.uc_sigmask = ut->has_saved_sigmask ? ut->saved_sigmask : ut->sigmask;
	f.info = *info;

	/* The vector state goes out in XSAVE format, flagged for readers. */
	vec_make_full(ut);
	char *xs = ut->xsave;
	struct { uint32_t magic1, extended_size; uint64_t xfeatures; uint32_t xstate_size; } sw = {
		FP_XSTATE_MAGIC1, (uint32_t)xsz + 4, xstate_features(), (uint32_t)xsz,
	};
	memcpy(xs + FPX_SW_OFFSET, &sw, sizeof(sw));
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	if (copy_to_user(fpstate, xs, xsz) || copy_to_user(fpstate + xsz, &magic2, 4) ||
	    copy_to_user(frame, &f, sizeof(f)))
		return -EFAULT;

	tf->rip = ka->handler;
	tf->rsp = frame;
	tf->rdi = sig;
	tf->rsi = frame + offsetof(struct k_rt_sigframe, info);
	tf->rdx = frame + offsetof(struct k_rt_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(0x400ull | 0x100ull | 0x10000ull); /* DF, TF, RF */
	xsave_init_state(ut->xsave);
	ut->vec_mode = VEC_FULL;

	ut->has_saved_sigmask = false;
	if (!(ka->flags & SA_NODEFER))
		ut->sigmask |= SIGBIT(sig);
	ut->sigmask = (ut->sigmask | ka->mask) & ~SIG_UNBLOCKABLE;
	if (ka->flags & SA_RESETHAND)
		ut->proc->sigaction[sig - 1].handler = (uint64_t)SIG_DFL;
	if ((ut->altstack.flags & SS_AUTODISARM) && on_altstack(ut, frame)) {
		ut->altstack.sp = 0;
		ut->altstack.size = 0;
		ut->altstack.flags = SS_DISABLE;
	}
	return 0;
}

/* ---- stops ---- */

#define STOP_SIGNALS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))

/* stop_wait - ut parks while its program is stopped (until SIGCONT, or a
 * SIGKILL, which ends it). */
static void stop_wait(struct uthread *ut)
{
	struct vproc *p = ut->proc;
	while (__atomic_load_n(&p->stop_sig, __ATOMIC_ACQUIRE) && !(pending_of(ut) & SIGBIT(SIGKILL)) &&
	       !__atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE)) {
		signal_arm_wait(ut, SIGBIT(SIGKILL));
		struct wq_entry w = { .events = WQ_ALL };
		spin_lock(&p->stopq.lock);
		if (!__atomic_load_n(&p->stop_sig, __ATOMIC_ACQUIRE)) {
			spin_unlock(&p->stopq.lock);
			break;
		}
		waitq_park(&p->stopq, &w, 0, true);
	}
}

/* host_stop - the host process stops as if by sig, which its parent's
 * wait reads (a shell's job reports 128 + sig): sig's default action, for
 * this thread alone, then the runtime's handler back once it goes on. */
static void host_stop(int sig)
{
	struct k_sigaction dfl = { (uint64_t)SIG_DFL, 0, 0, 0 }, was;
	uint64_t bit = 1ull << (sig - 1), mask;
	if (sig == SIGSTOP || raw_syscall6(SYS_rt_sigaction, sig, (long)&dfl, (long)&was, 8, 0, 0) < 0) {
		raw_syscall3(SYS_kill, getpid(), SIGSTOP, 0);
		return;
	}
	raw_syscall6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bit, (long)&mask, 8, 0, 0);
	/* Taken on the way out of this call: the whole process stops there
	 * (or goes on at once where its group is orphaned, as natively). */
	raw_syscall3(SYS_tgkill, getpid(), raw_syscall3(SYS_gettid, 0, 0, 0), sig);
	raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0);
	raw_syscall6(SYS_rt_sigaction, sig, (long)&was, 0, 8, 0, 0);
}

/*
 * stop_program - a stop signal's default action. A program alone in its
 * host process stops that process: the job control of the user's shell
 * sees pegasus stop (the first program), the parent process reaps a forked
 * child's stop (proc/fork.c), and SIGCONT resumes it. Beside other
 * programs it stops alone: its threads park at their next gate crossing,
 * its parent hears (SIGCHLD, WUNTRACED), and SIGCONT or SIGKILL ends it.
 */
static void stop_program(struct uthread *ut, int sig)
{
	struct vproc *p = ut->proc;
	if (vproc_alone(p)) {
		/* Which signal, for a parent in another process (fork.c). */
		p->host_stopsig = sig;
		vproc_publish(p);
		host_stop(sig);
		p->host_stopsig = 0;
		vproc_publish(p);
		return;
	}
	if (!__atomic_exchange_n(&p->stop_sig, sig, __ATOMIC_ACQ_REL)) {
		wait_child_stopped(p, sig);
		spin_lock(&p->lock);
		/* Its other threads park at their next gate return (gate_return.c),
		 * now if they run app code. */
		for (struct uthread *t = p->threads; t; t = t->proc_next) {
			if (t == ut)
				continue;
			__atomic_store_n(&t->need_resched, true, __ATOMIC_RELAXED);
			sched_kick_running(t);
		}
		spin_unlock(&p->lock);
	}
	stop_wait(ut);
}

/* stop_flushes_cont - sig, about to be queued for p, is a stop signal: a
 * pending SIGCONT goes (prepare_signal), which would otherwise undo the
 * stop at once. */
static void stop_flushes_cont(struct vproc *p, int sig)
{
	if (!(STOP_SIGNALS & SIGBIT(sig)))
		return;
	bool pending = __atomic_load_n(&p->sigpending, __ATOMIC_ACQUIRE) & SIGBIT(SIGCONT);
	spin_lock(&p->lock);
	for (struct uthread *t = p->threads; t && !pending; t = t->proc_next)
		pending = __atomic_load_n(&t->sigpending, __ATOMIC_ACQUIRE) & SIGBIT(SIGCONT);
	spin_unlock(&p->lock);
	if (pending)
		signal_discard(p, SIGCONT);
}

enum sigq signal_send(struct vproc *p, struct uthread *tgt, const siginfo_t *si)
{
	stop_flushes_cont(p, si->si_signo);
	enum sigq q = signal_queue(p, tgt, si);
	if (signal_news(q, si->si_signo))
		signal_notify(p, tgt);
	return q;
}

/* continue_program - a SIGCONT is pending for p (normal context): stops
 * still pending are dropped, as Linux's prepare_signal does, and a stopped
 * program goes on. */
static void continue_program(struct vproc *p)
{
	for (int sig = 1; sig < 32; sig++)
		if (STOP_SIGNALS & SIGBIT(sig))
			signal_discard(p, sig);
	if (!__atomic_exchange_n(&p->stop_sig, 0, __ATOMIC_ACQ_REL))
		return;
	waitq_wake(&p->stopq, -1, WQ_ALL);
	wait_child_continued(p);
}

/* The default action of sig: ignore, stop, or end the program. */
static void act_default(struct uthread *ut, int sig)
{
	switch (default_action(sig)) {
	case ACT_IGN:
	case ACT_CONT:
		return;
	case ACT_STOP:
		stop_program(ut, sig);
		return;
	default:
		vproc_kill(ut->proc, sig);
	}
}

void signal_deliver_pending(struct uthread *ut)
{
	/* Its program stopped beside others: no app code until it goes on. */
	if (__atomic_load_n(&ut->proc->stop_sig, __ATOMIC_ACQUIRE))
		stop_wait(ut);
	int sig;
	while ((sig = signal_next_deliverable(ut))) {
		siginfo_t info;
		bool fault = ut->fault_info.si_signo == sig;
		if (!signal_dequeue(ut, sig, &info))
			continue;
		if (fault)
			ut->fault_info.si_signo = 0;
		/* One read of the disposition: another thread may change it
		 * meanwhile (checked as a handler, used as SIG_IGN, it was a
		 * jump to address 1). */
		struct k_sigaction ka = ut->proc->sigaction[sig - 1];
		if (trace_on)
			trace_event(ut, "--- SIG%s {si_signo=%d, si_code=%d} ---", sigabbrev_np(sig),
				    info.si_signo, info.si_code);
		if (ka.handler == (uint64_t)SIG_IGN)
			continue;
		if (ka.handler == (uint64_t)SIG_DFL) {
			act_default(ut, sig);
			continue;
		}
		uint64_t before = ut->sigmask;
		if (setup_frame(ut, sig, &info, &ka, fault) == 0) {
			signal_retarget(ut, before);
		} else {
			/* No room for the frame: Linux kills with SIGSEGV. */
			if (trace_on)
				trace_event(ut, "+++ bad signal stack: killed by SIGSEGV +++");
			vproc_kill(ut->proc, SIGSEGV);
		}
	}
}

long signal_call_mask(struct uthread *ut, uint64_t uset, long size)
{
	uint64_t set;
	if (!uset)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, uset, 8))
		return -EFAULT;
	ut->saved_sigmask = ut->sigmask;
	ut->has_saved_sigmask = true;
	ut->sigmask = set & ~SIG_UNBLOCKABLE;
	return 0;
}

long signal_interrupted(struct uthread *ut, bool restartable)
{
	long r = signal_after_eintr(ut, restartable);
	if (r != 1)
		return r;
	return __atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE) ? -EINTR : 0;
}

bool signal_wait_goes_on(struct uthread *ut, bool restartable)
{
	return signal_interrupted(ut, restartable) == 0;
}

void signal_call_mask_end(struct uthread *ut, long ret)
{
	if (ret == -EINTR || !ut->has_saved_sigmask)
		return;
	ut->sigmask = ut->saved_sigmask;
	ut->has_saved_sigmask = false;
}

long signal_after_eintr(struct uthread *ut, bool restartable)
{
	int sig;
	while ((sig = signal_next_deliverable(ut))) {
		const struct k_sigaction *ka = &ut->proc->sigaction[sig - 1];
		bool handler = ka->handler != (uint64_t)SIG_DFL && ka->handler != (uint64_t)SIG_IGN;
		if (handler)
			return (ka->flags & SA_RESTART) && restartable ? SYS_RESTART : -EINTR;
		int act = ka->handler == (uint64_t)SIG_IGN ? ACT_IGN : default_action(sig);
		/* It ends the program on the way out. */
		if (act <= ACT_CORE)
			return -EINTR;
		/* It stops the program on the way out; after SIGCONT the call
		 * starts over, or fails with EINTR where Linux's does (epoll_wait,
		 * poll: not restartable). */
		if (act == ACT_STOP)
			return restartable ? SYS_RESTART : -EINTR;
		/* Nothing for the program to see (SIGCONT when it is not stopped,
		 * one ignored since it was sent): dropped now, and the call goes
		 * on as if nothing happened. Left pending, it ended every later
		 * wait at once: a busy loop (mosquitto after a SIGCONT). */
		siginfo_t info;
		signal_dequeue(ut, sig, &info);
	}
	return 1;
}

void signal_arm_wait(struct uthread *ut, uint64_t wake)
{
	/* Published all along and not fired: the word is right as it is. */
	if (__atomic_load_n(&ut->sig_wake, __ATOMIC_RELAXED) == wake &&
	    !__atomic_load_n(&ut->sig_intr, __ATOMIC_RELAXED))
		return;
	/* Cleared before the mask is published: a sender that sees the new
	 * mask sets the word after this store, never before it. */
	__atomic_store_n(&ut->sig_intr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ut->sig_wake, wake, __ATOMIC_RELAXED);
	/* Pairs with signal_notify(): it sets a pending bit, then reads the mask. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (takes(ut) & wake)
		__atomic_store_n(&ut->sig_intr, 1, __ATOMIC_RELAXED);
}

/* interrupt - end t's interruptible wait (or the next one it arms for
 * these signals). */
static bool interrupt(struct uthread *t)
{
	__atomic_store_n(&t->sig_intr, 1, __ATOMIC_RELAXED);
	return uthread_wake(t, WAKE_SIGNAL);
}

long signal_wait(struct uthread *ut, uint64_t wake, uint64_t deadline)
{
	signal_arm_wait(ut, wake);
	for (;;) {
		/* A deadline passed wins over a pending signal, as in Linux's
		 * do_nanosleep(): under a signal storm the sleep still ends. */
		if (deadline && now_ns() >= deadline)
			return 0;
		long r = waitq_sleep(deadline);
		if (r == -EINTR)
			return r;
	}
}

uint64_t signal_pending_mask(const struct uthread *ut)
{
	return pending_of(ut);
}

/* ---- waking the threads a signal is for ---- */

static int arrivals; /* host signals were queued from a handler */

bool signal_arrivals_pending(void)
{
	return __atomic_load_n(&arrivals, __ATOMIC_ACQUIRE);
}

void signal_note_arrival(void)
{
	__atomic_store_n(&arrivals, 1, __ATOMIC_RELEASE);
}

/* kick_running - a thread running app code on another vCPU takes a signal
 * at its next gate crossing; make that crossing happen now. */
static void kick_running(struct uthread *t)
{
	sched_kick_running(t);
}

void signal_retarget(struct uthread *ut, uint64_t before)
{
	uint64_t now_blocked = ut->sigmask & ~before;
	if (now_blocked && (__atomic_load_n(&ut->proc->sigpending, __ATOMIC_ACQUIRE) & now_blocked))
		signal_notify(ut->proc, NULL);
}

/* reach_running - t runs: it goes through the gate (and ends the wait it
 * may be on its way into) and takes the signal there. */
static bool reach_running(struct uthread *t, uint64_t pend)
{
	if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != UT_RUNNING)
		return false;
	if (pend & __atomic_load_n(&t->sig_wake, __ATOMIC_RELAXED))
		interrupt(t);
	kick_running(t);
	return true;
}

/* reach_parked - t is parked in a wait that one of pend ends: it is
 * woken to take it. */
static bool reach_parked(struct uthread *t, uint64_t pend)
{
	return (pend & __atomic_load_n(&t->sig_wake, __ATOMIC_RELAXED)) && interrupt(t);
}

void signal_notify(struct vproc *p, struct uthread *tgt)
{
	signalfd_wake(p);
	uint64_t any = __atomic_load_n(&p->sigpending, __ATOMIC_ACQUIRE) |
		       (tgt ? __atomic_load_n(&tgt->sigpending, __ATOMIC_ACQUIRE) : 0);
	if (any & SIGBIT(SIGCONT))
		continue_program(p);
	else if ((any & SIGBIT(SIGKILL)) && __atomic_load_n(&p->stop_sig, __ATOMIC_ACQUIRE))
		waitq_wake(&p->stopq, -1, WQ_ALL);
	if (tgt) {
		uint64_t pend = pending_of(tgt);
		if (pend & __atomic_load_n(&tgt->sig_wake, __ATOMIC_RELAXED))
			interrupt(tgt);
		if (pend & ~tgt->sigmask)
			kick_running(tgt);
		return;
	}
	uint64_t pend = __atomic_load_n(&p->sigpending, __ATOMIC_ACQUIRE);
	if (!pend)
		return;
	/* Like Linux's complete_signal(): the main thread if it does not block
	 * it (a python server's handlers run there only: its main thread in
	 * accept() must take a SIGTERM, not a worker thread in a read); else a
	 * running thread that does not block it; else one sleeper that would. */
	spin_lock(&p->lock);
	struct uthread *mt = __atomic_load_n(&p->main_thread, __ATOMIC_ACQUIRE);
	bool done = mt && (pend & ~mt->sigmask) && (reach_running(mt, pend) || reach_parked(mt, pend));
	for (struct uthread *t = p->threads; !done && t; t = t->proc_next)
		done = (pend & ~t->sigmask) && reach_running(t, pend);
	for (struct uthread *t = p->threads; !done && t; t = t->proc_next)
		done = reach_parked(t, pend);
	spin_unlock(&p->lock);
}

static bool arrivals_poll(struct sched_poller *p)
{
	if (!signal_arrivals_pending())
		return false;
	signal_process_arrivals();
	return true;
}

static bool arrivals_pending(struct sched_poller *p)
{
	return signal_arrivals_pending();
}

static struct sched_poller poller = {
	.poll = arrivals_poll, .pending = arrivals_pending, .tls = true, .vcpu = -1,
};

void signal_init(void)
{
	sched_poller_add(&poller);
}

void signal_process_arrivals(void)
{
	if (!__atomic_exchange_n(&arrivals, 0, __ATOMIC_ACQ_REL))
		return;
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (!p)
			continue; /* reaped */
		signal_notify(p, NULL);
		/* Host signals may be for one thread too (timers, SIGEV_THREAD_ID). */
		spin_lock(&p->lock);
		for (struct uthread *t = p->threads; t; t = t->proc_next)
			if (__atomic_load_n(&t->sigpending, __ATOMIC_ACQUIRE))
				signal_notify(p, t);
		spin_unlock(&p->lock);
	}
}
