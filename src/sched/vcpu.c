/* vcpu.c - the kernel thread that runs uthreads, and uthread creation. */
#include "sched/vcpu.h"

#include <immintrin.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/log.h"
#include "proc/signal.h"
#include "proc/vproc.h"

#define RSTACK_SIZE (256u << 10)  /* runtime stack of each uthread */
#define SIGSTACK_SIZE (64u << 10) /* host signal handlers' stack per vCPU */

static void *map_stack(size_t size)
{
	/* One guard page below: a runtime stack overflow faults loudly. */
	char *m = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		pg_die("cannot map a stack: out of memory");
	mprotect(m, 4096, PROT_NONE);
	return m + 4096;
}

/**
 * vcpu_init_current - make the calling kernel thread a vCPU: %gs points at
 * its struct vcpu, its host signal handlers get their own stack.
 */
struct vcpu *vcpu_init_current(int id)
{
	struct vcpu *v = aligned_alloc(64, (sizeof(*v) + 63) & ~63ul);
	if (!v)
		pg_die("out of memory");
	memset(v, 0, sizeof(*v));
	v->self = v;
	v->id = id;
	v->rt_fs = _readfsbase_u64();
	v->selector = 0;
	_writegsbase_u64((uint64_t)v);

	v->sigstack = map_stack(SIGSTACK_SIZE);
	stack_t ss = { .ss_sp = v->sigstack, .ss_size = SIGSTACK_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		pg_die("sigaltstack failed");
	return v;
}

struct uthread *uthread_new(struct vproc *p, int tid)
{
	struct uthread *ut = calloc(1, sizeof(*ut));
	size_t xsz = (xsave_area_size() + 63) & ~63ul;
	ut->xsave = aligned_alloc(64, xsz);
	if (!ut || !ut->xsave)
		pg_die("out of memory");
	xsave_init_state(ut->xsave);
	ut->rstack_size = RSTACK_SIZE;
	ut->rstack_base = map_stack(RSTACK_SIZE);
	ut->rstack_top = (uint64_t)ut->rstack_base + RSTACK_SIZE; /* 16-aligned */
	ut->proc = p;
	ut->tid = tid;
	ut->altstack.flags = SS_DISABLE;
	ut->tf.rflags = 0x202;
	return ut;
}

extern void gate_return(void);

/* vcpu_run - enter app code as ut through the gate's return half. */
void vcpu_run(struct uthread *ut)
{
	struct vcpu *v = vcpu_self();
	v->cur = ut;
	__asm__ volatile("mov %0, %%rsp\n\tjmp gate_return" : : "r"(ut->rstack_top) : "memory");
	__builtin_unreachable();
}
