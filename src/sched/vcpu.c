/* vcpu.c - vCPU kernel-thread state and uthread creation. */
#include "sched/vcpu.h"

#include "core/hostcred.h"

#include <cpuid.h>
#include <immintrin.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include "core/fsbase.h"
#include "core/log.h"
#include "core/stackmap.h"
#include "sched/xstate.h"

#define RSTACK_SIZE (64u << 10)   /* runtime stack of each uthread */
#define SIGSTACK_SIZE (64u << 10) /* host signal handlers' stack per vCPU */

/* A guard page below each: a runtime stack overflow faults loudly. */
static void *map_stack(size_t size)
{
	void *m = stack_map(size);
	if (!m)
		pg_die("cannot map a stack: out of memory");
	return m;
}

struct vcpu *vcpu_alloc(int id)
{
	struct vcpu *v = aligned_alloc(64, (sizeof(*v) + 63) & ~63ul);
	if (!v)
		pg_die("out of memory");
	memset(v, 0, sizeof(*v));
	v->self = v;
	v->id = id;
	v->cred = hostcred_initial(); /* what its kernel thread starts with */
	v->probe_epfd = -1;
	v->sigstack = map_stack(SIGSTACK_SIZE);
	v->bounce = map_stack(VCPU_BOUNCE);
	/* What a host signal's frame was written there is no forked child's
	 * business (it runs no handler on it through a fork): the child gets
	 * the range new and empty, and the parent's pages stay writable, where
	 * a fork made them copy-on-write and the next signal (the child's
	 * SIGCHLD, each fork) paid two page faults. */
	madvise(v->sigstack, SIGSTACK_SIZE, MADV_WIPEONFORK);
	return v;
}

/**
 * vcpu_bind_current - make the calling kernel thread run as v: %gs points
 * at v, the runtime TLS is this thread's own, host signal handlers get v's
 * stack. SUD is turned on separately, once the thread is ready for traps.
 */
void vcpu_take_cred(struct vcpu *v, const struct hostcred *c)
{
	if (c == v->cred)
		return;
	__atomic_store_n(&v->cred, c, __ATOMIC_RELEASE);
	hostcred_apply(c);
}

void vcpu_bind_current(struct vcpu *v)
{
	v->rt_fs = fsbase_read();
	v->kfs = v->rt_fs;
	v->host_tid = syscall(SYS_gettid);
	gsbase_write((uint64_t)v);
	stack_t ss = { .ss_sp = v->sigstack, .ss_size = SIGSTACK_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		pg_die("sigaltstack failed");
}

extern void gate_return(void);

/*
 * uthreads are type-stable: a gone one goes on a free list, with its
 * runtime stack and vector areas, and is reused as a uthread. A signal or a
 * lookup that races with a thread's end thus touches a dead (or new)
 * uthread, never freed memory; and creating a thread costs no mmap.
 */
static spinlock_t free_lock = SPINLOCK_INIT;
static struct uthread *free_list;

static struct uthread *uthread_alloc(void)
{
	spin_lock(&free_lock);
	struct uthread *ut = free_list;
	if (ut)
		free_list = ut->rq_next;
	spin_unlock(&free_lock);
	if (ut) {
#ifdef __SANITIZE_ADDRESS__
		/* A thread that ended left its frames' redzones poisoned on a
		 * stack it never returned through: the new one starts clean. */
		__asan_unpoison_memory_region(ut->rstack_base, ut->rstack_size);
#endif
		/* Everything but its memory starts afresh. */
		void *xs = ut->xsave, *sse = ut->sse_area, *fast = ut->vec_fast, *base = ut->rstack_base;
		siginfo_t *slots = ut->siginfo;
		size_t size = ut->rstack_size;
		memset(ut, 0, sizeof(*ut));
		ut->siginfo = slots;
		ut->xsave = xs;
		ut->sse_area = sse;
		ut->vec_fast = fast;
		ut->rstack_base = base;
		ut->rstack_size = size;
		return ut;
	}
	ut = calloc(1, sizeof(*ut));
	size_t xsz = (xsave_area_size() + 63) & ~63ul;
	if (ut) {
		ut->xsave = aligned_alloc(64, xsz);
		ut->sse_area = aligned_alloc(64, 320);
		ut->vec_fast = aligned_alloc(64, 2112);
		ut->rstack_size = RSTACK_SIZE;
		ut->rstack_base = map_stack(RSTACK_SIZE);
	}
	if (!ut || !ut->xsave || !ut->sse_area || !ut->vec_fast)
		pg_die("out of memory");
	return ut;
}

struct uthread *uthread_new(struct vproc *p, int tid)
{
	struct uthread *ut = uthread_alloc();
	xsave_init_state(ut->xsave);
	ut->rstack_top = (uint64_t)ut->rstack_base + ut->rstack_size; /* 16-aligned */
	ut->proc = p;
	ut->tid = tid;
	ut->altstack.flags = SS_DISABLE;
	ut->tf.rflags = 0x202;
	ut->timer.heap_idx = -1;
	ut->state = UT_BLOCKED;
	/* Its first switch-in "returns" into gate_return, which enters app
	 * code from the trap frame: six zeroed callee-saved slots, then the
	 * return address, as uctx_switch pops them. */
	uint64_t *sp = (uint64_t *)(ut->rstack_top - 64);
	memset(sp, 0, 64);
	sp[6] = (uint64_t)gate_return;
	ut->ctx_rsp = (uint64_t)sp;
	return ut;
}

/* 0: XSAVE only; 1: x87/SSE/AVX enabled (ymm moves); 2: AVX-512 too. */
static int vec_kind;

void vec_fast_save_zmm(void *area), vec_fast_restore_zmm(const void *area);
void vec_fast_save_ymm(void *area), vec_fast_restore_ymm(const void *area);

static uint64_t xinuse(void)
{
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
	return ((uint64_t)hi << 32) | lo;
}

void vec_init(void)
{
	unsigned a, b, c, d;
	__cpuid_count(0xd, 1, a, b, c, d);
	uint64_t xcr0 = xstate_features();
	if (!((a >> 2) & 1)) /* XGETBV with ECX=1 (XINUSE) */
		vec_kind = 0;
	else if (xcr0 == 0xe7)
		vec_kind = 2;
	else if (xcr0 == 0x7)
		vec_kind = 1;
}

void vec_switch_out(struct uthread *ut)
{
	if (ut->vec_mode != VEC_SSE)
		return;
	/* x87 registers in use (long double code): only XSAVE keeps them. */
	if (vec_kind && !(xinuse() & 1)) {
		if (vec_kind == 2)
			vec_fast_save_zmm(ut->vec_fast);
		else
			vec_fast_save_ymm(ut->vec_fast);
		ut->vec_mode = VEC_FAST;
		return;
	}
	vec_make_full(ut);
}

void vec_switch_in(struct uthread *ut)
{
	if (ut->vec_mode != VEC_FAST)
		return;
	/* Its x87 state was initial; the last uthread here may have left it
	 * otherwise. (SSE code only below: ymm/zmm stay as loaded.) */
	if (xinuse() & 1)
		__asm__ volatile("fninit");
	ut->vec_mode = VEC_SSE;
	if (vec_kind == 2)
		vec_fast_restore_zmm(ut->vec_fast);
	else
		vec_fast_restore_ymm(ut->vec_fast);
}

void vec_make_full(struct uthread *ut)
{
	vec_switch_in(ut);
	if (ut->vec_mode != VEC_SSE)
		return;
	/* The live xmm registers are the runtime's by now; everything else
	 * (ymm/zmm upper parts, opmasks, x87) is still the app's: legacy SSE
	 * code leaves the upper halves alone. Save all, then put back the
	 * app's xmm0-15 and MXCSR, and mark the SSE component in use. */
	__asm__ volatile("xsaveopt64 (%0)" : : "r"(ut->xsave), "a"(-1), "d"(-1) : "memory");
	char *xs = ut->xsave, *sse = ut->sse_area;
	memcpy(xs + 160, sse, 256);
	memcpy(xs + 24, sse + 256, 4);
	uint64_t bv;
	memcpy(&bv, xs + 512, 8);
	bv |= 2;
	memcpy(xs + 512, &bv, 8);
	ut->vec_mode = VEC_FULL;
}

void uthread_free(struct uthread *ut)
{
	ut->tid = 0; /* no lookup finds it any more */
	spin_lock(&free_lock);
	ut->rq_next = free_list;
	free_list = ut;
	spin_unlock(&free_lock);
}
