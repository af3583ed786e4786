/* lean.c - calls served without saving the app's vector state or switching %fs. */
#include "entry/lean.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "core/fsbase.h"
#include "core/rawsys.h"
#include "fs/epoll.h"
#include "fs/fdtable.h"
#include "mm/uaccess.h"
#include "proc/pidspace.h"
#include "proc/procfs.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/futex.h"
#include "sched/vcpu.h"
#include "sys/fsize.h"
#include "sys/mid_io.h"
#include "sys/stats.h"
#include "sys/systab.h"

/* What gate_direct_fd reads (sched/offsets.h). */
_Static_assert(offsetof(struct uthread, proc) == UT_PROC, "UT_PROC");
_Static_assert(offsetof(struct vproc, fdt) == VP_FDT, "VP_FDT");
_Static_assert(offsetof(struct vproc, rlim[RLIMIT_FSIZE].rlim_cur) == VP_FSIZE, "VP_FSIZE");
_Static_assert(offsetof(struct fdtable, page) == FDT_PAGE0, "FDT_PAGE0");
_Static_assert(FDT_DIRECT * FDT_PAGE == 1 << 12, "FD_ENTRY (gate.S) checks fd >> 12");
_Static_assert(offsetof(struct fdent, nb) == FDENT_NB, "FDENT_NB");
_Static_assert(offsetof(struct fdent, obj) == FDENT_OBJ, "FDENT_OBJ");
_Static_assert(sizeof(struct fdent) == 16, "fdent size");
_Static_assert(offsetof(struct vfile, ops) == VF_OPS, "VF_OPS");
_Static_assert(offsetof(struct eventpoll_lean, lean_kfd) == EP_LEAN_KFD, "EP_LEAN_KFD");

/*
 * This file is built with -mgeneral-regs-only and calls no library code:
 * nothing here can touch a vector register or the app's TLS, so gate_fast
 * may run it with the app's %fs and vector state still live, and return
 * without xsave/xrstor or wrfsbase. Anything that needs more (blocking,
 * signals, tracing) answers "not served" and takes the full path.
 */

enum { LEAN_NO, LEAN_KERNEL, LEAN_NBIO, LEAN_PID, LEAN_TID, LEAN_PPID, LEAN_PGRP, LEAN_PROCPATH,
       LEAN_EPOLL, LEAN_OBJ_MID, LEAN_MID = 0x80 };

uint8_t lean_kind[SYS_MAX];
/* Can the mid path serve objects' calls and the few others it knows? On
 * the app's %fs (pg_mid_app_fs), or with the runtime's loaded by
 * wrfsbase; not without FSGSBASE in a sanitizer build (its
 * instrumentation reaches TLS anywhere, and a kernel call each way would
 * make the mid path the full one's price). */
static bool mid_calls;
static uint8_t direct_kind[SYS_MAX];

/* direct_ok - can a lean call go to the kernel as the app made it, but for
 * an fd in arguments [0, from)? Not if another argument is a number or path
 * to map; nor if it is a buffer while page 0 holds the zpoline sled, which
 * the kernel would read where Linux answers EFAULT. */
static bool direct_ok(const struct sysent *e, int from, bool page0_mapped)
{
	for (int i = from; i < 6; i++) {
		int kind = e->args[i];
		if (kind == A_FD || kind == A_DIRFD || kind == A_PATH || kind == A_STR ||
		    (page0_mapped && (ARG_IS_BUFFER(kind) || kind == A_HEX)))
			return false;
	}
	return true;
}

/* direct_for - which direct gate, if any, a lean call of kind k may use. */
static enum direct_kind direct_for(const struct sysent *e, int k, bool page0_mapped)
{
	if (k == LEAN_KERNEL && direct_ok(e, 0, page0_mapped))
		return DIRECT_PLAIN;
	/* gate_direct_fd maps the fd without touching the flags: BMI2 shifts. */
	if ((k == LEAN_KERNEL || k == LEAN_NBIO) && e->args[0] == A_FD &&
	    direct_ok(e, 1, page0_mapped) && __builtin_cpu_supports("bmi2"))
		return k == LEAN_NBIO ? DIRECT_FD_NB : DIRECT_FD;
	return DIRECT_NO;
}

void lean_init(bool enabled, bool page0_mapped)
{
	mid_calls = pg_mid_app_fs || pg_fsgsbase;
	for (int nr = 0; nr < SYS_MAX; nr++) {
		const struct sysent *e = systab_get(nr);
		uint8_t k = LEAN_NO;
		lean_kind[nr] = LEAN_NO;
		direct_kind[nr] = DIRECT_NO;
		if (!enabled || !e)
			continue;
		if (e->handler == sys_futex || e->handler == sys_sched_yield ||
		    e->handler == sys_rt_sigprocmask || e->handler == sys_set_robust_list ||
		    ((nr == SYS_epoll_ctl || nr == SYS_close || nr == SYS_clock_gettime || nr == SYS_openat ||
		      nr == SYS_rt_sigaction) &&
		     mid_calls))
			k = LEAN_MID;
		else if (e->handler == sys_getpid)
			k = LEAN_PID;
		else if (e->handler == sys_gettid)
			k = LEAN_TID;
		else if (e->handler == sys_getppid)
			k = LEAN_PPID;
		else if (e->handler == sys_getpgrp)
			k = LEAN_PGRP;
		/* A wait on a set of kernel files only: the kernel's (fs/epoll.h). */
		else if (nr == SYS_epoll_wait || nr == SYS_epoll_pwait)
			k = LEAN_EPOLL;
		/* (dirfd, path, ...) calls whose handler only maps /proc paths
		 * (sys/kcall.c's proc_path): any other path goes as it is. */
		else if (e->handler == sys_newfstatat || e->handler == sys_statx ||
			 e->handler == sys_faccessat || e->handler == sys_faccessat2)
			k = LEAN_PROCPATH;
		/* A long getrandom stops at any pending signal, the slice tick's
		 * too: the full path reads on (sys/kcall.c, cut_by_host_signal). */
		else if (nr == SYS_getrandom)
			k = LEAN_NO;
		else if (e->cls == CLS_PASS && !e->handler &&
			 !(e->flags & (SF_WAIT_IN | SF_WAIT_OUT | SF_RETFD)))
			k = LEAN_KERNEL;
		/* Calls that may wait on their fd: lean when it is non-blocking
		 * (and has no object: those take the full path to sys/objcall.c). */
		else if (e->cls == CLS_PASS && !e->handler &&
			 (e->flags & (SF_WAIT_IN | SF_WAIT_OUT)) && !(e->flags & SF_RETFD))
			k = LEAN_NBIO;
		/* Its handler maps what a kernel file needs (sendmsg's control
		 * data, getsockopt's credentials); an object's bytes or option
		 * may still go the mid path. */
		else if (mid_calls && mid_obj_call(nr))
			k = LEAN_OBJ_MID;
		/* A path the kernel would resolve may name a program's /proc
		 * entry (linkat(AT_FDCWD, "/proc/self/fd/N", ...) of an O_TMPFILE
		 * file linked the host's fd N): looked at as above. */
		for (int i = 0; k == LEAN_KERNEL && i < 6; i++)
			if (e->args[i] == A_PATH)
				k = LEAN_PROCPATH;
		bool dirfd = false;
		for (int i = 0; i < 6; i++)
			dirfd |= e->args[i] == A_DIRFD;
		/* Only fd numbers are mapped here; other argument kinds need the
		 * full path (a relative path without dirfd, a umask, a pid...). */
		for (int i = 0; (k == LEAN_KERNEL || k == LEAN_NBIO || k == LEAN_PROCPATH) && i < 6; i++) {
			int kind = e->args[i];
			if (kind == A_PID || kind == A_SIGSET || kind == A_SIGSET6 || kind == A_CMODE ||
			    (kind == A_PATH && !dirfd))
				k = LEAN_NO;
		}
		lean_kind[nr] = k;
		/* --stats counts each call: none bypasses lean_entry_c. */
		direct_kind[nr] = k == LEAN_PROCPATH || stats_on ? DIRECT_NO : direct_for(e, k, page0_mapped);
		/* gate_direct_ep: the set's host epoll fd reached from the gate
		 * (BMI2 as gate_direct_fd; not with page 0 mapped, where the
		 * kernel would write events the program's bad pointer names). */
		if (k == LEAN_EPOLL && !page0_mapped && !stats_on && __builtin_cpu_supports("bmi2"))
			direct_kind[nr] = DIRECT_EPOLL;
	}
}

/*
 * set_wait - a wait with timeout 0 on the set at vfd: its host epoll fd's
 * when every member is a kernel file, else eventpoll_wait_lean; -EAGAIN
 * when vfd is no set (the full path answers). Held as sys/mid_io.h says.
 */
static long set_wait(struct uthread *ut, int vfd, uint64_t out, int max)
{
	bool held;
	struct vfile *f = mid_hold(ut, vfd, &held);
	long r = -EAGAIN;
	if (is_eventpoll(f)) {
		int kfd = eventpoll_lean_fd(f);
		if (kfd >= 0)
			stats_kernel(ut, SYS_epoll_wait);
		r = kfd >= 0 ? raw_syscall6(SYS_epoll_wait, kfd, out, max, 0, 0, 0) : eventpoll_wait_lean(f, out, max);
	}
	if (f)
		mid_release(ut, f, held);
	return r;
}

long lean_entry_c(struct uthread *ut)
{
	struct trap_frame *tf = &ut->tf;
	long nr = (long)tf->rax, ret;
	switch (lean_kind[nr]) {
	case LEAN_PID: ret = ut->proc->pid; break;
	case LEAN_TID: ret = ut->tid; break;
	case LEAN_PPID:
	case LEAN_PGRP:
		/* With forked processes, another one may have changed them (a
		 * parent's process gone, a parent's setpgid): the full path reads
		 * the program's record (vproc_ppid, target). */
		if (pidspace_forked())
			return 0;
		ret = lean_kind[nr] == LEAN_PPID ? ut->proc->ppid : ut->proc->pgid;
		break;
	case LEAN_EPOLL: {
		/* epoll_wait, or epoll_pwait without a mask. Events ready now
		 * come back at once; nothing ready and a timeout other than 0
		 * take the full path, which parks the uthread, not the vCPU,
		 * and skips the look just made (vcpu.ep_looked): a wait that
		 * blocks makes one kernel look before its wait, not three. */
		struct vcpu *v = vcpu_self();
		int timeout = (int)tf->r10;
		if (timeout != 0 && v->ep_looked)
			return mid_calls ? LEAN_TRY_MID : 0; /* the direct gate looked */
		if ((nr == SYS_epoll_pwait && tf->r8) || eventpoll_wait_args(tf->rsi, (int)tf->rdx) ||
		    (uint64_t)tf->rsi < UACCESS_MIN)
			return 0; /* the full path answers */
		ret = set_wait(ut, (int)tf->rdi, tf->rsi, (int)tf->rdx);
		if (ret == 0 && timeout != 0)
			v->ep_looked = 1;
		if (ret == 0 && timeout != 0 && mid_calls)
			return LEAN_TRY_MID; /* it parks: the mid path, not two %fs changes */
		if (ret == -EINTR || ret == -EBADF || ret == -EAGAIN || (ret == 0 && timeout != 0))
			return 0;
		goto done;
	}
	case LEAN_OBJ_MID: {
		/* sendfile and sendmsg also on kernel files (sys/mid_io.c). */
		struct fdent *fe = fdt_ent(ut->proc->fdt, (int)tf->rdi);
		return fe && (nr == SYS_sendfile || nr == SYS_sendmsg || __atomic_load_n(&fe->host, __ATOMIC_ACQUIRE) < 0)
			       ? LEAN_TRY_MID
			       : 0;
	}
	case LEAN_PROCPATH: {
		/* The full path maps what may name a program's /proc entry:
		 * "/proc/...", /dev/fd/N and /dev/stdin..., or a relative path
		 * from a cwd under /proc (an fd of /proc is an object: the full
		 * path takes it below). Each path argument, with its dirfd. */
		const struct sysent *e = systab_get(nr);
		const uint64_t arg[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
		for (int i = 0; i < 6; i++) {
			char h[8];
			const char *cwd = ut->proc->cwd;
			if (e->args[i] != A_PATH)
				continue;
			if (copy_from_user(h, arg[i], sizeof(h)) || (procfs_under(h) && h[5] == '/') ||
			    procfs_may_alias(h))
				return 0;
			int dirfd = i && e->args[i - 1] == A_DIRFD ? (int)arg[i - 1] : AT_FDCWD;
			if (h[0] && h[0] != '/' && dirfd == AT_FDCWD && cwd && procfs_under(cwd))
				return 0;
		}
		goto kernel;
	}
	case LEAN_NBIO: {
		/* A blocking fd parks on the full path; an object serves itself.
		 * The host fd is read before the flag (installs write them the
		 * other way round), so the flag is never an earlier file's. */
		struct fdent *fe = fdt_ent(ut->proc->fdt, (int)tf->rdi);
		int host = fe ? __atomic_load_n(&fe->host, __ATOMIC_ACQUIRE) : -1;
		/* An object's bytes, or those of one a fork moved into the
		 * kernel (its entry has the host fd too): sys/mid_io.c. */
		if (fe && (host < 0 || __atomic_load_n(&fe->obj, __ATOMIC_ACQUIRE)) && mid_calls && mid_io_call(nr))
			return LEAN_TRY_MID;
		if (!fe || __atomic_load_n(&fe->host, __ATOMIC_ACQUIRE) < 0 ||
		    __atomic_load_n(&fe->obj, __ATOMIC_ACQUIRE) || fdent_nonblock(fe) != 1)
			return 0;
	}
		/* fall through */
	case LEAN_KERNEL:
	kernel: {
		if (fsize_applies(nr) && fsize_limited(ut->proc))
			return 0; /* sys/fsize.c checks it */
		long k[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
		const struct sysent *e = &systab[nr];
		for (int i = 0; i < 6; i++) {
			k[i] = sys_arg(e->args[i], k[i]);
			if (ARG_IS_BUFFER(e->args[i]) && k[i] && (uint64_t)k[i] < UACCESS_MIN)
				return 0; /* the full path answers EFAULT */
			/* An fd with an object: served by it (sys/objcall.c),
			 * or on the mid path (getsockopt). */
			if ((e->args[i] == A_FD || e->args[i] == A_DIRFD) && (int)k[i] >= 0 &&
			    fdt_has_obj(ut->proc->fdt, k[i]))
				return i == 0 && mid_calls && mid_obj_call(nr) ? LEAN_TRY_MID : 0;
			if (e->args[i] == A_FD && (int)k[i] >= 0)
				k[i] = fdt_host(ut->proc->fdt, k[i]);
			else if (e->args[i] == A_DIRFD && (int)k[i] != AT_FDCWD) {
				/* None: -1, which the kernel ignores for an absolute
				 * path, as the program's number (kcall.c). */
				long h = fdt_host(ut->proc->fdt, k[i]);
				k[i] = h < 0 ? -1 : h;
			} else if (e->args[i] == A_DIRFD)
				k[i] = ut->proc->cwd_fd;
			if (k[i] == -EBADF && e->args[i] == A_FD) {
				ret = -EBADF;
				goto done;
			}
		}
		ret = raw_syscall6(nr, k[0], k[1], k[2], k[3], k[4], k[5]);
		/* Interrupted before it did anything: the full path issues it
		 * again and applies the signal rules. */
		if (ret == -EINTR)
			return 0;
		stats_kernel(ut, nr);
		break;
	}
	default:
		return 0;
	}
done:
	stats_lean(ut, nr);
	tf->rax = ret;
	tf->rcx = tf->rip;
	tf->r11 = tf->rflags;
	return 1;
}

/**
 * mid_entry_c - serve a call of the mid path (see gate.S), or answer 0 to
 * send it down the full path. Runs on the runtime's %fs with only xmm0-15
 * saved: what it calls must not touch ymm/zmm state, i.e. no library code.
 */
long mid_entry_c(struct uthread *ut)
{
	struct trap_frame *tf = &ut->tf;
	long nr = (long)tf->rax;
	const long a[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
	if (mid_obj_call(nr) || nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_ctl ||
	    nr == SYS_close || nr == SYS_clock_gettime || nr == SYS_openat || nr == SYS_rt_sigaction) {
		long r = nr == SYS_epoll_ctl ? mid_epoll_ctl(ut, a)
			 : nr == SYS_epoll_wait || nr == SYS_epoll_pwait ? mid_epoll_wait(ut, nr, a)
			 : nr == SYS_close ? mid_close(ut, a)
			 : nr == SYS_getsockopt || nr == SYS_ioctl ? mid_query(ut, nr, a)
			 : nr == SYS_sendfile ? mid_sendfile(ut, a)
			 : nr == SYS_clock_gettime ? mid_clock_gettime(ut, a)
			 : nr == SYS_openat ? mid_openat(ut, a)
			 : nr == SYS_rt_sigaction ? mid_rt_sigaction(ut, a)
			 : mid_io(ut, nr, a);
		if (r == VFILE_MID_PASS)
			return 0;
		stats_lean(ut, nr);
		syscall_result(ut, nr, r);
		return 1;
	}
	if (nr == SYS_futex) {
		int cmd = a[1] & FUTEX_CMD_MASK;
		/* A timeout arms a timer, whose heap may grow with realloc; a
		 * kernel wait is offloaded (pthread calls). */
		if (((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && (a[3] || futex_in_kernel((int)a[1]))) ||
		    cmd > FUTEX_WAKE_BITSET || cmd == FUTEX_FD)
			return 0;
	}
	stats_lean(ut, nr);
	syscall_result(ut, nr, systab[nr].handler(ut, a));
	return 1;
}

enum direct_kind lean_direct(long nr)
{
	return (unsigned long)nr < SYS_MAX ? direct_kind[nr] : DIRECT_NO;
}

long lean_return_check(struct uthread *ut)
{
	return signal_arrivals_pending() || (signal_deliverable_mask(ut) & ~ut->sigmask) ||
	       ut->has_saved_sigmask || ut->exiting || ut->need_resched || ut->lean_put[0];
}
