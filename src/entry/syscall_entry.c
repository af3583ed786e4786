/* syscall_entry.c - the one C entry for every system call a program makes. */
#include <errno.h>
#include <stdatomic.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "proc/seccomp.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "entry/rewrite.h"
#include "fs/fdtable.h"
#include "sys/fsize.h"
#include "sys/kcall.h"
#include "sys/objcall.h"
#include "sys/stats.h"
#include "sys/systab.h"
#include "sys/trace.h"

/* One bit per syscall number: refusals are logged once per instance. */
static _Atomic uint64_t refused_logged[SYS_MAX / 64 + 1];

static long refuse(struct uthread *ut, long nr, const struct sysent *e, long err)
{
	/* Numbers outside the table (negative too) share the last word. */
	unsigned long u = (unsigned long)nr < SYS_MAX ? (unsigned long)nr : SYS_MAX;
	uint64_t bit = 1ull << (u % 64);
	unsigned idx = u / 64;
	if (!(atomic_fetch_or(&refused_logged[idx], bit) & bit))
		pg_warn("[%s] %s (syscall %ld) is not supported: returning %s", ut->proc->comm,
			e ? e->name : "unknown", nr, err == -EPERM ? "EPERM" : "ENOSYS");
	return err;
}

static long dispatch(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	if (!e)
		return refuse(ut, nr, e, -ENOSYS);
	switch (e->cls) {
	case CLS_EMU:
	case CLS_PASS:
	case CLS_OFFL:
		/* A call on an fd with a user-space object goes to the object. */
		if ((e->args[0] == A_FD || e->args[0] == A_DIRFD) && fdt_has_obj(ut->proc->fdt, a[0])) {
			long r = objcall(ut, nr, e, a);
			if (r != OBJCALL_PASS)
				return r;
		}
		if (fsize_limited(ut->proc) && fsize_applies(nr))
			return fsize_serve(ut, nr, a);
		return kcall_serve(ut, nr, e, a);
	case CLS_DENY:
		return refuse(ut, nr, e, -EPERM);
	default:
		return refuse(ut, nr, e, -ENOSYS);
	}
}

/* serve - dispatch the call in ut's trap frame; the result goes back into
 * %rax with %rcx/%r11 as the syscall instruction leaves them. */
static void serve(struct uthread *ut)
{
	struct trap_frame *tf = &ut->tf;
	long nr = (long)tf->rax;
	const struct sysent *e = systab_get(nr);
	long a[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
	for (int i = 0; e && i < 6; i++)
		a[i] = sys_arg(e->args[i], a[i]);

	if (trace_on)
		trace_enter(ut, nr, e, a);
	long ret;
	if (!ut->filter || seccomp_enter(ut, rewrite_app_ip(ut->fast_rec, tf->rip), &ret))
		ret = dispatch(ut, nr, e, a);
	if (trace_on)
		trace_exit(ut, nr, e, a, ret);

	syscall_result(ut, nr, ret);
}

/**
 * syscall_entry_c - serve the system call that trapped in @ut.
 * @ut: the calling uthread, whose registers the SIGSYS handler saved.
 *
 * Slow path: the site is rewritten first (if it fits a pattern), so the
 * next call from it takes the fast path. Runs on the uthread's runtime
 * stack with the runtime's %fs and the selector at ALLOW; it may block.
 */
void syscall_entry_c(struct uthread *ut)
{
	PG_ASSERT(ut == uthread_self());
	ut->fast_rec = 0;
	stats_trapped(ut, (long)ut->tf.rax);
	if (rewrite_mode != REWRITE_OFF)
		rewrite_site(ut, ut->tf.rip - 2, (long)ut->tf.rax);
	serve(ut);
}

/**
 * fast_entry_c - serve a system call from a rewritten site.
 * @ut: the calling uthread, saved by gate_fast or gate_zpoline.
 */
void fast_entry_c(struct uthread *ut)
{
	stats_fast(ut, (long)ut->tf.rax);
	serve(ut);
}
