/* vcpu.h - per-vCPU kernel-thread state, reached through %gs, and uthreads. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/offsets.h"

struct vproc;

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

/* A thread of an application program. */
struct uthread {
	struct trap_frame tf;
	void *xsave;            /* 64-aligned XSAVE area: the app's vector state */
	uint64_t rstack_top;    /* top of this uthread's runtime stack */
	struct vproc *proc;
	int tid;                /* virtual tid */
	char comm[16];          /* thread name (PR_SET_NAME) */
	uint64_t sigmask;       /* blocked signals, bit (sig-1) */
	uint64_t sigpending;    /* thread-directed pending signals */
	siginfo_t siginfo[64];  /* info of each thread-directed pending signal */
	struct ualtstack altstack;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_list_len;
	uint64_t saved_sigmask; /* mask to restore after rt_sigsuspend's handler */
	bool has_saved_sigmask;
	siginfo_t fault_info;   /* the fault being delivered, and its trap data */
	uint64_t fault_err, fault_trapno;
	void *rstack_base;
	size_t rstack_size;
};

/* A kernel thread that runs uthreads; %gs points at it. */
struct vcpu {
	struct vcpu *self;
	struct uthread *cur;
	uint64_t rt_fs;         /* the runtime's own TLS base (glibc of pegasus) */
	uint64_t ret_rip;       /* where the gate jumps back into app code */
	volatile uint8_t selector; /* Syscall User Dispatch selector byte */
	int id;
	void *sigstack;         /* sigaltstack for the runtime's signal handlers */
};

_Static_assert(offsetof(struct trap_frame, rip) == TF_RIP, "TF_RIP");
_Static_assert(offsetof(struct trap_frame, r15) == TF_R15, "TF_R15");
_Static_assert(offsetof(struct trap_frame, fs_base) == TF_FS, "TF_FS");
_Static_assert(offsetof(struct uthread, xsave) == UT_XSAVE, "UT_XSAVE");
_Static_assert(offsetof(struct uthread, rstack_top) == UT_RSTACK, "UT_RSTACK");
_Static_assert(offsetof(struct vcpu, cur) == VCPU_CUR, "VCPU_CUR");
_Static_assert(offsetof(struct vcpu, rt_fs) == VCPU_RT_FS, "VCPU_RT_FS");
_Static_assert(offsetof(struct vcpu, ret_rip) == VCPU_RET_RIP, "VCPU_RET_RIP");
_Static_assert(offsetof(struct vcpu, selector) == VCPU_SELECTOR, "VCPU_SELECTOR");

/* vcpu_self - the vCPU this code runs on; valid in app-context handlers too,
 * because programs on x86-64 Linux never touch %gs. */
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

/* Size of the XSAVE area for the features the kernel enabled (XCR0). */
size_t xsave_area_size(void);

struct vcpu *vcpu_init_current(int id);
struct uthread *uthread_new(struct vproc *p, int tid);
/* Leave the runtime for app code: never returns. */
_Noreturn void vcpu_run(struct uthread *ut);
