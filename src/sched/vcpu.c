/* vcpu.c - vCPU kernel-thread state and uthread creation. */
#include "sched/vcpu.h"

#include <immintrin.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "proc/signal.h"
#include "proc/vproc.h"

#define RSTACK_SIZE (64u << 10)   /* runtime stack of each uthread */
#define SIGSTACK_SIZE (64u << 10) /* host signal handlers' stack per vCPU */
#define GUARD 4096u

static void *map_stack(size_t size)
{
	/* One guard page below: a runtime stack overflow faults loudly. */
	char *m = mmap(NULL, size + GUARD, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		pg_die("cannot map a stack: out of memory");
	mprotect(m, GUARD, PROT_NONE);
	return m + GUARD;
}

struct vcpu *vcpu_alloc(int id)
{
	struct vcpu *v = aligned_alloc(64, (sizeof(*v) + 63) & ~63ul);
	if (!v)
		pg_die("out of memory");
	memset(v, 0, sizeof(*v));
	v->self = v;
	v->id = id;
	v->sigstack = map_stack(SIGSTACK_SIZE);
	return v;
}

/**
 * vcpu_bind_current - make the calling kernel thread run as v: %gs points
 * at v, the runtime TLS is this thread's own, host signal handlers get v's
 * stack. SUD is turned on separately, once the thread is ready for traps.
 */
void vcpu_bind_current(struct vcpu *v)
{
	v->rt_fs = _readfsbase_u64();
	v->host_tid = syscall(SYS_gettid);
	_writegsbase_u64((uint64_t)v);
	stack_t ss = { .ss_sp = v->sigstack, .ss_size = SIGSTACK_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		pg_die("sigaltstack failed");
}

extern void gate_return(void);

struct uthread *uthread_new(struct vproc *p, int tid)
{
	struct uthread *ut = calloc(1, sizeof(*ut));
	size_t xsz = (xsave_area_size() + 63) & ~63ul;
	void *xs = aligned_alloc(64, xsz);
	if (!ut || !xs)
		pg_die("out of memory");
	ut->xsave = xs;
	xsave_init_state(ut->xsave);
	ut->sse_area = aligned_alloc(64, 320);
	if (!ut->sse_area)
		pg_die("out of memory");
	ut->rstack_size = RSTACK_SIZE;
	ut->rstack_base = map_stack(RSTACK_SIZE);
	ut->rstack_top = (uint64_t)ut->rstack_base + RSTACK_SIZE; /* 16-aligned */
	ut->proc = p;
	ut->tid = tid;
	ut->altstack.flags = SS_DISABLE;
	ut->tf.rflags = 0x202;
	ut->timer.heap_idx = -1;
	ut->timer.ut = ut;
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

void vec_make_full(struct uthread *ut)
{
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
	munmap((char *)ut->rstack_base - GUARD, ut->rstack_size + GUARD);
	free(ut->xsave);
	free(ut->sse_area);
	free(ut);
}
