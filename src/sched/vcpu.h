/* vcpu.h - per-vCPU kernel-thread state, reached through %gs, and uthreads. */
#pragma once
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "sched/offsets.h"

struct vfile;
struct vproc;
struct seccomp_filter;
struct vcpu;
struct timer_heap;

/* The user register state of a uthread while the runtime serves it: written
 * at the gate (or from a signal's ucontext), read back on return to app code. */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags, fs_base;
};

/* Kernel layout of sigaltstack/stack_t, kept per uthread. */
struct ualtstack {
	uint64_t sp;
	int32_t flags;
	uint64_t size;
};

enum ut_state {
	UT_RUNNABLE,   /* on a run queue */
	UT_RUNNING,    /* a vCPU runs it (app code or runtime code) */
	UT_BLOCKED,    /* parked on a wait queue or a timer */
	UT_EXITED,     /* gone; its vCPU frees it after switching away */
};

/* Why a blocked uthread was woken. */
enum wake_reason { WAKE_EVENT = 1, WAKE_TIMEOUT, WAKE_SIGNAL };

/* A one-shot timer (sched/timer.h): at its deadline fn runs on a vCPU. */
struct utimer {
	uint64_t deadline;   /* CLOCK_MONOTONIC ns */
	int heap_idx;        /* -1 when not armed */
	void (*fn)(struct utimer *t);
	struct timer_heap *heap; /* the heap it is, or was last, armed on */
	bool running;        /* fn runs now: a cancel waits for it */
};

/* A thread of an application program. */
struct uthread {
	struct trap_frame tf;
	void *xsave;            /* 64-aligned XSAVE area: the app's vector state */
	uint64_t rstack_top;    /* top of this uthread's runtime stack */
	uint8_t vec_mode;       /* VEC_FULL or VEC_SSE (offsets.h) */
	void *sse_area;         /* xmm0-15, then MXCSR: the mid path's save */
	uint64_t fast_rec;      /* the stub record it entered through, 0: trapped/zpoline */
	/* Its seccomp filters, newest first (proc/seccomp.c), or NULL: with
	 * some, every call takes the full path, where they run (the gates
	 * test this word). */
	struct seccomp_filter *filter;
	void *vec_fast;         /* zmm0-31 and k0-7 when switched out as VEC_FAST */
	struct vproc *proc;
	int tid;                /* virtual tid */
	char comm[16];          /* thread name (PR_SET_NAME) */
	uint64_t sigmask;       /* blocked signals, bit (sig-1) */
	uint64_t sigpending;    /* thread-directed pending signals */
	uint64_t sigclaimed;    /* standard ones whose siginfo slot is taken */
	siginfo_t *siginfo;     /* info of thread-directed pending standard signals,
	                         * mapped on first use (proc/signal.c), kept on reuse */
	struct ualtstack altstack;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_list_len;
	uint64_t saved_sigmask; /* mask to restore after rt_sigsuspend's handler */
	bool has_saved_sigmask;
	siginfo_t fault_info;   /* the fault being delivered, and its trap data */
	uint64_t fault_err, fault_trapno;
	void *rstack_base;
	size_t rstack_size;

	/* Scheduling. */
	uint64_t ctx_rsp;       /* runtime %rsp while switched out */
	int state;              /* enum ut_state, atomic */
	bool on_cpu;            /* its context is still live on some vCPU */
	int wake_reason;
	uint64_t sig_wake;      /* signals that end its current wait (signal layer) */
	int sig_intr;           /* the interrupt word: one of them is pending */
	struct utimer timer;
	struct uthread *rq_next;
	struct vcpu *last_vcpu;
	struct uthread *proc_next; /* the program's thread list */
	/* Where its program's ids are (proc/cred.c): the vCPU that runs it
	 * takes them first if it holds others (core/hostcred.h). */
	const struct hostcred *const *credp;
	bool exiting;           /* its program is ending: leave at the next gate */
	bool need_resched;      /* a slice tick came while it was in the runtime */
	/* CPU time (proc/cputime.c): counted only once its program used a
	 * CPU-time clock (two kernel calls a switch); cpu_start is its vCPU
	 * thread's CPU time when it was switched in, 0 when not counted. */
	bool cpu_acct;
	uint64_t cpu_ns, cpu_start;
	/* How long it ran, always counted but only estimated: TSC cycles
	 * from switch in to switch out, a solo wait's excepted (one rdtsc
	 * each, no kernel call). A first CPU-time clock starts from this
	 * (sched_ran_ns). */
	uint64_t ran_tsc, ran_tsc_start;
	/* sched_setaffinity's CPUs, of those programs see (0: all of them):
	 * kept and inherited as Linux's mask, though uthreads are not pinned. */
	uint64_t affinity;
	/* Its nice value, I/O priority, scheduling policy and real-time
	 * priority, timer slack: per thread, as Linux's, kept and inherited
	 * but never applied to the vCPU threads every program shares, and
	 * not weighed by the runtime's scheduler (sys/sys_sched.c). */
	struct thread_sched {
		int nice, ioprio, policy, rt_prio;
		bool reset_on_fork;
		uint64_t timerslack, default_slack; /* ns; a new thread's default is its creator's */
	} sched;
	/* Objects' last references, which the lean or mid path could not
	 * drop (their release calls library code): the full return drops
	 * them. Two: epoll_ctl holds a set and a file. */
	void *lean_put[2];
	/* The files its call holds a reference to while it may park (the
	 * object of a read or accept, an epoll set, a poll set's files): a
	 * fork's child lets go of them for the threads it does not have,
	 * whose calls never return there (proc/vproc.c). */
	struct uthread_held {
		struct vfile *file;
		void *set;                   /* put_set(set) drops a poll set's */
		void (*put_set)(void *set);
	} held;
};

/* vcpu.idle: a vCPU asleep in its idle wait holds no lock and runs no
 * uthread, so a fork's stopper may claim it there instead of waking it; it
 * waits, on its way out of the sleep, until the stop is over. */
enum { VCPU_AWAKE, VCPU_ASLEEP, VCPU_CLAIMED };

/* A kernel thread that runs uthreads; %gs points at it. */
struct hostcred;

#define VCPU_BOUNCE (64u << 10)

struct vcpu {
	struct vcpu *self;
	struct uthread *cur;
	uint64_t rt_fs;         /* the runtime's own TLS base (glibc of pegasus) */
	uint64_t ret_rip;       /* where the gate jumps back into app code */
	uint64_t direct_rec;    /* the stub record of a call in gate_direct */
	uint64_t direct_arg0;   /* the app's %rdi while gate_direct_fd maps it */
	uint64_t direct_host1;  /* gate_direct_fd's host fd + 1, while it checks */
	uint64_t direct_arg3;   /* the app's %r10 while gate_direct_ep zeroes it */
	uint64_t kfs;           /* the %fs base this kernel thread holds (fsbase.h) */
	volatile uint8_t selector; /* Syscall User Dispatch selector byte */
	/* The epoll_wait on its way to the full path, which would wait, had
	 * its set looked at just now by a gate and found nothing: the next
	 * look may be skipped (fs/epoll.h eventpoll_wait). A hint only: a
	 * skipped look costs nothing but a wait that starts at once. */
	uint8_t ep_looked;
	int id;
	void *sigstack;         /* sigaltstack for the runtime's signal handlers */
	/* VCPU_BOUNCE bytes for a mid-path copy between two files (sys/mid_io.c
	 * sendfile), which cannot allocate; its pages come when first used. */
	void *bounce;
	uint64_t sched_rsp;     /* the scheduler loop's saved %rsp */

	spinlock_t rq_lock;
	struct uthread *rq_head, *rq_tail;
	int rq_len;
	unsigned rq_pops;       /* heads taken so far: a thief's "same head?" */

	int epfd;               /* idle sleep: kick eventfd alone */
	int epfd_kw;            /* idle sleep as the kernel-fd watcher: kick eventfd + shared set */
	int kick_fd;
	int idle;               /* VCPU_AWAKE, _ASLEEP (in the kernel: needs a kick) or _CLAIMED */
	int parked_gen;         /* the stop (sched_stopping) it last parked for */
	bool claimed;           /* asleep, and held so by a stopper (quiesce.c) */
	pthread_t thread;
	int host_tid;
	const struct hostcred *cred; /* the ids this kernel thread holds */
	/* Its idle spin (sched.c spin_ns): while the host lets it run. */
	uint64_t spin_checked;  /* when its preemptions were last counted */
	long spin_nivcsw;       /* how many there were then */
	bool host_busy;         /* the host preempted it lately: no spin */
	/* Its uthread waits in a host call (sched/solo.h): a kick is a host
	 * signal then, which marks solo_cut and cuts the call short. */
	int solo;
	volatile int solo_cut;
	int tick_timer;         /* its slice timer's kernel id, or -1 */
	bool tick_paused;       /* stopped while it sleeps (sched/preempt.h) */
	int probe_epfd;         /* an epoll fd of its own that asks the kernel whether a file polls, or -1 */
};

_Static_assert(offsetof(struct trap_frame, rip) == TF_RIP, "TF_RIP");
_Static_assert(offsetof(struct trap_frame, r15) == TF_R15, "TF_R15");
_Static_assert(offsetof(struct trap_frame, fs_base) == TF_FS, "TF_FS");
_Static_assert(offsetof(struct uthread, xsave) == UT_XSAVE, "UT_XSAVE");
_Static_assert(offsetof(struct uthread, rstack_top) == UT_RSTACK, "UT_RSTACK");
_Static_assert(offsetof(struct uthread, vec_mode) == UT_VECMODE, "UT_VECMODE");
_Static_assert(offsetof(struct uthread, filter) == UT_FILTER, "UT_FILTER");
_Static_assert(offsetof(struct uthread, sse_area) == UT_SSE, "UT_SSE");
_Static_assert(offsetof(struct uthread, fast_rec) == UT_FASTREC, "UT_FASTREC");
_Static_assert(offsetof(struct vcpu, cur) == VCPU_CUR, "VCPU_CUR");
_Static_assert(offsetof(struct vcpu, rt_fs) == VCPU_RT_FS, "VCPU_RT_FS");
_Static_assert(offsetof(struct vcpu, ret_rip) == VCPU_RET_RIP, "VCPU_RET_RIP");
_Static_assert(offsetof(struct vcpu, direct_rec) == VCPU_DIRECT_REC, "VCPU_DIRECT_REC");
_Static_assert(offsetof(struct vcpu, direct_arg0) == VCPU_DIRECT_ARG0, "VCPU_DIRECT_ARG0");
_Static_assert(offsetof(struct vcpu, direct_host1) == VCPU_DIRECT_HOST1, "VCPU_DIRECT_HOST1");
_Static_assert(offsetof(struct vcpu, direct_arg3) == VCPU_DIRECT_ARG3, "VCPU_DIRECT_ARG3");
_Static_assert(offsetof(struct vcpu, kfs) == VCPU_KFS, "VCPU_KFS");
_Static_assert(offsetof(struct vcpu, selector) == VCPU_SELECTOR, "VCPU_SELECTOR");
_Static_assert(offsetof(struct vcpu, ep_looked) == VCPU_EP_LOOKED, "VCPU_EP_LOOKED");

/* vcpu_self - the vCPU this code runs on; valid in app-context handlers too,
 * because programs on x86-64 Linux never touch %gs. After a uthread blocks
 * it may resume on another vCPU: read it again, never cache it across.
 * NULL on the runtime's other threads (their %gs: hthread_no_vcpu). */
static inline struct vcpu *vcpu_self(void)
{
	struct vcpu *v;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	return v;
}

static inline struct uthread *uthread_self(void)
{
	return vcpu_self()->cur;
}

struct vcpu *vcpu_alloc(int id);
void vcpu_bind_current(struct vcpu *v);
/* vcpu_take_cred - v's kernel thread (the caller) takes ids c, if it holds
 * others. v->cred is noted first: a host signal's handler that sends with
 * pegasus's ids (proc/fork.c send_tagged) puts back v->cred, which must
 * be the set being applied. */
void vcpu_take_cred(struct vcpu *v, const struct hostcred *c);

/* A new uthread of program p with the given virtual tid, not yet runnable. */
struct uthread *uthread_new(struct vproc *p, int tid);

/* Returned by a handler that rewrote the uthread's whole trap frame. */
#define SYS_FRAME_REPLACED (-4096 - 1)
/* Returned by a handler whose call must be issued again from app code once
 * a signal handler has run (SA_RESTART semantics). See syscall_result(). */
#define SYS_RESTART (-4096 - 2)

/**
 * syscall_result - put a handler's result in the trap frame as the syscall
 * instruction would leave it (%rax, %rcx, %r11), or set up a restart: the
 * call is issued again after the signal handler, from the stub when the
 * uthread came through one (it redoes what the rewrite moved there), else
 * from the 2-byte syscall (or zpoline call) instruction itself.
 */
static inline void syscall_result(struct uthread *ut, long nr, long ret)
{
	struct trap_frame *tf = &ut->tf;
	if (ret == SYS_FRAME_REPLACED)
		return;
	if (ret == SYS_RESTART) {
		tf->rip = ut->fast_rec ? ut->fast_rec - STUB_REC_OFF : tf->rip - 2;
		tf->rax = nr;
		return;
	}
	tf->rax = ret;
	tf->rcx = tf->rip;
	tf->r11 = tf->rflags;
}

/* vec_make_full - after the mid path's partial save, make the XSAVE area
 * hold the whole app state (before a signal frame, a full return). */
void vec_make_full(struct uthread *ut);
/* vec_switch_out - before the uthread is switched out: save what the next
 * one would clobber, with plain moves if possible (VEC_FAST), else XSAVE. */
void vec_switch_out(struct uthread *ut);
/* vec_switch_in - back from VEC_FAST to VEC_SSE: its registers reloaded. */
void vec_switch_in(struct uthread *ut);
/* Decide once whether the plain-move switch can be used on this CPU. */
void vec_init(void);
void uthread_free(struct uthread *ut);
