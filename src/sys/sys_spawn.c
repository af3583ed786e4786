/* sys_spawn.c - vfork, waiting for children (wait4, waitid) and pidfd_open. */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/pidfd.h"
#include "proc/pidspace.h"
#include "proc/fork.h"
#include "proc/signal.h"
#include "proc/spawn.h"
#include "proc/vproc.h"
#include "proc/wait.h"
#include "sys/sys_fd.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

long sys_fork(struct uthread *ut, const long a[6])
{
	struct clone_req c = { .exit_signal = SIGCHLD };
	return fork_program(ut, &c);
}

long sys_vfork(struct uthread *ut, const long a[6])
{
	struct clone_req c = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
	return spawn_vm_child(ut, &c);
}

/* wait_restartable - wait_child, with a signal that cut it short handled
 * as Linux's ERESTARTSYS: resumed if no handler runs, restarted after an
 * SA_RESTART one, EINTR otherwise. */
static long wait_restartable(struct uthread *ut, long nr, int idtype, int id, int options,
			     struct wait_result *res)
{
	for (;;) {
		long r = wait_child(ut, idtype, id, options, res);
		if (r != -EINTR)
			return r;
		if ((r = signal_interrupted(ut, !(systab_get(nr)->flags & SF_NORESTART))))
			return r;
	}
}

/* put_usage - the waited child's usage, where the call asked for it. */
static long put_usage(uint64_t uptr, const struct wait_result *res)
{
	return uptr && copy_to_user(uptr, &res->usage, sizeof(res->usage)) ? -EFAULT : 0;
}

long sys_wait4(struct uthread *ut, const long a[6])
{
	int pid = (int)a[0], options = (int)a[2];
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	/* As kernel_wait4 reads pid: < -1 a group, -1 any, 0 the caller's group. */
	int idtype = pid < -1 ? P_PGID : pid == -1 ? P_ALL : pid == 0 ? P_PGID : P_PID;
	int id = pid < -1 ? -pid : pid == 0 ? ut->proc->pgid : pid;
	struct wait_result res;
	long r = wait_restartable(ut, SYS_wait4, idtype, id, options | WEXITED, &res);
	if (r < 0 || !res.pid)
		return r;
	int status = res.code == CLD_EXITED    ? (res.status & 0xff) << 8
		     : res.code == CLD_STOPPED   ? (res.status & 0xff) << 8 | 0x7f
		     : res.code == CLD_CONTINUED ? 0xffff
						 : res.status & 0x7f;
	if ((a[1] && copy_to_user(a[1], &status, 4)) || put_usage(a[3], &res))
		return -EFAULT;
	return res.pid;
}

long sys_waitid(struct uthread *ut, const long a[6])
{
	int idtype = (int)a[0], id = (int)a[1], options = (int)a[3];
	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	bool nonblock = false;
	if (idtype == P_PIDFD) {
		struct vfile *f = fdt_obj(ut->proc->fdt, id);
		nonblock = f && (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK);
		id = pidfd_pid(f);
		vfile_put(f);
		if (id < 0)
			return id;
		idtype = P_PID;
	}
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
		return -EINVAL;
	if (idtype == P_PGID && id == 0)
		id = ut->proc->pgid;
	if (idtype != P_ALL && id <= 0)
		return -EINVAL;
	struct wait_result res = { 0 };
	long r = 0;
	r = wait_restartable(ut, SYS_waitid, idtype, id, options | (nonblock ? WNOHANG : 0), &res);
	if (r < 0)
		return r;
	/* A non-blocking pidfd's child that has not ended: EAGAIN, as Linux. */
	if (nonblock && !(options & WNOHANG) && !res.pid)
		return -EAGAIN;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (res.pid) {
		si.si_signo = SIGCHLD;
		si.si_code = res.code;
		si.si_pid = res.pid;
		si.si_uid = getuid();
		si.si_status = res.status;
	}
	if ((a[2] && copy_to_user(a[2], &si, sizeof(si))) || put_usage(a[4], &res))
		return -EFAULT;
	return 0;
}

/* pidfd_open - a program of this host process, or a forked child (whose
 * end is heard here). A thread that leads no program is ENOENT, as Linux
 * since its PIDFD_THREAD (6.9; EINVAL before), which is not offered. A
 * process outside the instance (the first program's parent: a supervisor
 * watching for its own parent's end) is the kernel's pidfd. */
long sys_pidfd_open(struct uthread *ut, const long a[6])
{
	int pid = (int)a[0];
	if ((a[1] & ~(long)O_NONBLOCK) || pid <= 0)
		return -EINVAL;
	struct vproc *p = vproc_by_pid(pid);
	if (!p && !uthread_by_tid(pid) && pidspace_outside(pid)) {
		long h = raw_syscall3(SYS_pidfd_open, pid, a[1], 0);
		if (h < 0)
			return h;
		long fd = fdt_install_obj(ut->proc->fdt, (int)h, NULL, 0, FD_CLOEXEC);
		if (fd < 0)
			raw_syscall3(SYS_close, h, 0, 0);
		return fd;
	}
	if (!p)
		return uthread_by_tid(pid) ? -ENOENT : -ESRCH;
	return pidfd_new_fd(ut, p, pid, a[1] & O_NONBLOCK);
}

/* getrusage, times: the host's counts, and RUSAGE_CHILDREN (cutime) with
 * the children of this process the program waited for, which the kernel
 * never saw end (vfork, posix_spawn: python's subprocess). RUSAGE_SELF
 * stays the host process's, every program's of it. */
long sys_getrusage(struct uthread *ut, const long a[6])
{
	struct rusage ru;
	long r = raw_syscall3(SYS_getrusage, a[0], (long)&ru, 0);
	if (r)
		return r;
	if ((int)a[0] == RUSAGE_CHILDREN) {
		uint64_t us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
			      __atomic_load_n(&ut->proc->children_ns, __ATOMIC_RELAXED) / 1000;
		ru.ru_utime = (struct timeval){ (time_t)(us / 1000000), (long)(us % 1000000) };
	}
	return copy_to_user(a[1], &ru, sizeof(ru)) ? -EFAULT : 0;
}

long sys_times(struct uthread *ut, const long a[6])
{
	struct tms t;
	long r = raw_syscall3(SYS_times, (long)&t, 0, 0);
	if (r < 0 || !a[0])
		return r;
	t.tms_cutime += (clock_t)(__atomic_load_n(&ut->proc->children_ns, __ATOMIC_RELAXED) /
				  (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK)));
	return copy_to_user(a[0], &t, sizeof(t)) ? -EFAULT : r;
}
