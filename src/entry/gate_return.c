/* gate_return.c - the last runtime step before a uthread goes back to app code. */
#include <cpuid.h>
#include <stdbool.h>

#include "entry/gate.h"
#include "entry/rewrite.h"
#include "fs/vfile.h"
#include "proc/cputime.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/preempt.h"
#include "sched/sched.h"
#include "sched/vcpu.h"

void gate_prepare_return(struct uthread *ut);

uint64_t pg_rflags_slow = ~0ull;

void gate_flags_init(void)
{
	/* CPUID 0x80000001 ECX bit 0: LAHF/SAHF in 64-bit mode (missing on
	 * the first x86-64 CPUs). */
	unsigned a, b, c, d;
	if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & 1))
		pg_rflags_slow = ~(uint64_t)RFLAGS_PLAIN;
}

/**
 * gate_prepare_return - called by gate_return (gate.S) with the runtime's
 * %fs on the uthread's runtime stack: the program's end, a rewritten
 * site's fix-up, a slice that ended in the runtime, signals to deliver.
 * Fast path: nothing pending and no mask to put back.
 */
void gate_prepare_return(struct uthread *ut)
{
	/* Its program is ending: this thread does not go back to app code. */
	for (int i = 0; i < 2 && ut->lean_put[i]; i++) {
		vfile_put(ut->lean_put[i]);
		ut->lean_put[i] = NULL;
	}
	if (__atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE))
		vproc_thread_exit(ut, 0);
	if (__atomic_load_n(&ut->need_resched, __ATOMIC_RELAXED)) {
		/* Its slice ended while it was in the runtime. */
		ut->need_resched = false;
		cputime_enforce(ut);
		sched_poll_events();
		uthread_yield();
		/* Its program stopped (proc/signal.c stop_program): it parks. */
		if (__atomic_load_n(&ut->proc->stop_sig, __ATOMIC_RELAXED))
			signal_deliver_pending(ut);
	}
	if (signal_arrivals_pending())
		signal_process_arrivals();
	if (signal_deliverable_mask(ut) & ~ut->sigmask)
		signal_deliver_pending(ut);
	sched_balance();
	/* rt_sigsuspend's mask lasts until a handler frame saves the old one;
	 * if none was built, it ends here. */
	if (ut->has_saved_sigmask) {
		ut->sigmask = ut->saved_sigmask;
		ut->has_saved_sigmask = false;
	}
	/* Stopped right after a syscall whose site was rewritten meanwhile:
	 * those bytes are now a jmp's; resume at the same point in the stub.
	 * Last, after any yield or stop above: a site may be patched while
	 * this thread waits there (another process's notes, imported before
	 * a fork: entry/site_journal.h), and a restart set its %rip back. */
	if (__atomic_load_n(&rewrite_have_interiors, __ATOMIC_ACQUIRE))
		ut->tf.rip = rewrite_fixup_rip(ut->tf.rip);
	/* Its vCPU's ticks, stopped while it waited in the kernel (a solo
	 * wait that outlasted a slice): app code is preemptible again. */
	preempt_tick_resume(vcpu_self());
	/* Switched out with plain moves (VEC_FAST) meanwhile: back to VEC_SSE,
	 * the one gate_return restores without XSAVE. */
	vec_switch_in(ut);
}
