/* mid_io.h - calls on fds and clocks served on the gate's mid path: reads, writes, epoll, close, getsockopt, clock_gettime. */
#pragma once
#include <stdbool.h>
#include <sys/syscall.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/* mid_hold - the object alone (no host fd) at the program's vfd, held as
 * fdt_obj holds it, or NULL. A program with one thread cannot close it
 * meanwhile (as Linux's fdget of an unshared table): not held then.
 * Inline: the lean path (built without vector registers) uses it too. */
static inline struct vfile *mid_hold_any(struct uthread *ut, int vfd, bool *held);
static inline struct vfile *mid_hold(struct uthread *ut, int vfd, bool *held)
{
	struct fdent *fe = fdt_ent(ut->proc->fdt, vfd);
	*held = false;
	if (!fe || __atomic_load_n(&fe->host, __ATOMIC_ACQUIRE) >= 0)
		return NULL;
	return mid_hold_any(ut, vfd, held);
}

/* mid_hold_any - the same for an object with a host fd too. */
static inline struct vfile *mid_hold_any(struct uthread *ut, int vfd, bool *held)
{
	struct fdtable *t = ut->proc->fdt;
	struct fdent *fe = fdt_ent(t, vfd);
	*held = false;
	if (!fe)
		return NULL;
	if (__atomic_load_n(&ut->proc->nthreads, __ATOMIC_ACQUIRE) == 1)
		return __atomic_load_n(&fe->obj, __ATOMIC_ACQUIRE);
	spin_lock(&t->lock);
	struct vfile *f = vfile_get(fe->obj);
	spin_unlock(&t->lock);
	*held = f != NULL;
	return f;
}

/* mid_release - let go of mid_hold's object; a last reference, whose
 * release calls library code, is left to the full return (ut->lean_put). */
static inline void mid_release(struct uthread *ut, struct vfile *f, bool held)
{
	if (!held)
		return;
	int refs = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
	while (refs > 1 && !__atomic_compare_exchange_n(&f->refs, &refs, refs - 1, false, __ATOMIC_ACQ_REL,
							  __ATOMIC_RELAXED))
		;
	if (refs <= 1)
		ut->lean_put[ut->lean_put[0] != NULL] = f;
}

/* mid_io_call - a call mid_io may serve. */
static inline bool mid_io_call(long nr)
{
	return nr == SYS_read || nr == SYS_write || nr == SYS_readv || nr == SYS_writev || nr == SYS_recvfrom ||
	       nr == SYS_sendto || nr == SYS_sendmsg;
}

/*
 * mid_io - read, write, their vectored forms, recvfrom, sendto or sendmsg
 * (nr) on an object whose
 * mid_io op moves the bytes at once; mid_epoll_wait - epoll_wait, or
 * epoll_pwait without a mask, that must park on a set of user-space
 * members. The call's result, or VFILE_MID_PASS, having changed nothing:
 * the full path serves it.
 */
long mid_io(struct uthread *ut, long nr, const long a[6]);
long mid_epoll_wait(struct uthread *ut, long nr, const long a[6]);
/* mid_epoll_ctl - epoll_ctl of an object in a set, a kernel file's add
 * or change in a set of the runtime's, or a kernel file in a kernel set;
 * else as above. */
long mid_epoll_ctl(struct uthread *ut, const long a[6]);
/* mid_close - close of a kernel file without object or POSIX locks. */
long mid_close(struct uthread *ut, const long a[6]);
/* mid_query - getsockopt or ioctl (nr): what an object's mid_call keeps
 * at hand. */
long mid_query(struct uthread *ut, long nr, const long a[6]);
/* mid_sendfile - from a kernel file at an offset into a non-blocking
 * object, through the vCPU's bounce buffer. */
long mid_sendfile(struct uthread *ut, const long a[6]);
/* mid_openat - an open (no O_CREAT) of a regular file or a directory. */
long mid_openat(struct uthread *ut, const long a[6]);
/* mid_rt_sigaction - rt_sigaction (sys/sys_signal.c) but for a change that
 * discards pending signals: glibc's posix_spawn child asks for each of the
 * 64 dispositions, two %fs changes each on the full path without FSGSBASE. */
long mid_rt_sigaction(struct uthread *ut, const long a[6]);
/* mid_clock_gettime - a host clock, or the caller's counted thread clock. */
long mid_clock_gettime(struct uthread *ut, const long a[6]);

/* mid_obj_call - a call on an fd that only an object may serve on the mid
 * path (a kernel file's is the full path's or the lean one's). */
static inline bool mid_obj_call(long nr)
{
	return mid_io_call(nr) || nr == SYS_getsockopt || nr == SYS_ioctl || nr == SYS_sendfile;
}
