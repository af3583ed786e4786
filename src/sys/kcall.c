/* kcall.c - calls the kernel serves, issued so that none stalls a vCPU. */
#include "sys/kcall.h"
#include "sys/stats.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/pidspace.h"
#include "proc/procfs.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/kwait.h"
#include "sched/offload.h"
#include "sched/sched.h"
#include "sys/kblock.h"
#include "sys/systab.h"

long kcall_pid(long pid, long *out)
{
	long h = vproc_host_of((int)pid);
	if (h == -ESRCH && pid > 0 && pidspace_outside((int)pid))
		h = pid; /* none of the instance's (init, pegasus's parent): the kernel's, as kill's */
	*out = h > 0 ? h : 0;
	return h < 0 ? h : 0;
}

long kcall_outside(long nr, const long a[6])
{
	return a[0] > 0 && pidspace_outside((int)a[0]) ? raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]) : -ESRCH;
}

static bool has_dirfd(const struct sysent *e)
{
	for (int i = 0; i < 6; i++)
		if (e->args[i] == A_DIRFD)
			return true;
	return false;
}

/* abs_path - a relative path of a call without a dirfd resolves against
 * the program's own working directory, not the host process's. */
static long abs_path(struct uthread *ut, long upath, char *buf, size_t size, long *out)
{
	char rel[PATH_MAX];
	long n = strncpy_from_user(rel, upath, sizeof(rel));
	if (n < 0)
		return n;
	if (rel[0] == '/' || n == 0)
		return 0; /* absolute (or empty: the kernel says ENOENT) */
	/* A cwd deeper than PATH_MAX (Linux has no such limit on it, only on
	 * the name given): through the magic link of its fd. */
	if ((size_t)snprintf(buf, size, "%s/%s", ut->proc->cwd, rel) >= size &&
	    (size_t)snprintf(buf, size, "/proc/self/fd/%d/%s", ut->proc->cwd_fd, rel) >= size)
		return -ENAMETOOLONG;
	*out = (long)buf;
	return 0;
}

/* proc_path - /proc/<vpid>/... and /proc/self/... name a program of the
 * instance, which the host knows by other numbers (proc/procfs.c): 0 with
 * the host's path in buf, or -ENOSYS for any other path. Only the first
 * bytes are read to tell (nothing for a relative path of a kernel dirfd). */
static long proc_path(struct uthread *ut, int dirfd, uint64_t upath, bool nofollow, char *buf, long *out)
{
	char path[PATH_MAX];
	/* Or relative to an fd of /proc itself (an object), or to a cwd in
	 * /proc (pidof's chdir("/proc")). */
	if ((copy_from_user(path, upath, 8) || (memcmp(path, "/proc/", 6) && !procfs_may_alias(path))) &&
	    (dirfd == AT_FDCWD ? !procfs_under_proc(ut->proc->cwd) : !fdt_has_obj(ut->proc->fdt, dirfd)))
		return -ENOSYS;
	long n = strncpy_from_user(path, upath, sizeof(path));
	if (n < 0)
		return n;
	long r = procfs_path(ut, dirfd, path, nofollow, buf, PATH_MAX);
	if (r == 0)
		*out = (long)buf; /* absolute: the call's dirfd does not matter */
	return r;
}

/* stat_nofollow - a stat of a link itself (lstat: newfstatat and statx
 * with AT_SYMLINK_NOFOLLOW)? */
static bool stat_nofollow(const struct sysent *e, const long a[6])
{
	return (e == systab_get(SYS_newfstatat) && (a[3] & AT_SYMLINK_NOFOLLOW)) ||
	       (e == systab_get(SYS_statx) && (a[2] & AT_SYMLINK_NOFOLLOW));
}

/* dirfd_of - the call's dirfd argument, or AT_FDCWD. */
static int dirfd_of(const struct sysent *e, const long a[6])
{
	for (int i = 0; i < 6; i++)
		if (e->args[i] == A_DIRFD)
			return (int)a[i];
	return AT_FDCWD;
}

/* map_args - the arguments as the kernel must see them: host fds, the
 * program's cwd for AT_FDCWD, its umask on created files, host pids. */
static long map_args(struct uthread *ut, const struct sysent *e, const long a[6], long k[6],
		     char (*paths)[PATH_MAX])
{
	struct vproc *p = ut->proc;
	int npath = 0;
	for (int i = 0; i < 6; i++)
		k[i] = a[i];
	for (int i = 0; i < 6; i++) {
		long r = 0;
		/* Page 0 holds the zpoline sled: the kernel would read it. */
		if (ARG_IS_BUFFER(e->args[i]) && a[i] && (uint64_t)a[i] < UACCESS_MIN)
			return -EFAULT;
		switch (e->args[i]) {
		case A_FD:
			/* A negative fd stays as it is: the kernel answers EBADF
			 * where it matters (and mmap ignores it for anonymous maps). */
			if ((int)a[i] >= 0 && (k[i] = fdt_host(p->fdt, a[i])) < 0)
				k[i] = fdt_settle(p->fdt, a[i]); /* a file moved into the kernel */
			if ((int)a[i] >= 0 && k[i] < 0)
				r = k[i];
			break;
		case A_DIRFD:
			/* One that names no host fd goes as -1: the kernel then
			 * answers EBADF for a relative path and ignores it for an
			 * absolute one, as Linux does (mariadb's Aria passes a
			 * closed dirfd with absolute paths); the number itself
			 * could name one of pegasus's own fds. */
			if ((int)a[i] == AT_FDCWD)
				k[i] = p->cwd_fd;
			else if ((k[i] = fdt_host(p->fdt, a[i])) < 0)
				k[i] = -1;
			break;
		case A_PATH:
			r = proc_path(ut, dirfd_of(e, a), a[i], stat_nofollow(e, a), paths[npath], &k[i]);
			if (r == 0 && k[i] != a[i])
				npath++;
			else if (r == -ENOSYS && !has_dirfd(e))
				r = abs_path(ut, a[i], paths[npath++], PATH_MAX, &k[i]);
			else if (r == -ENOSYS)
				r = 0;
			break;
		case A_CMODE:
			k[i] = a[i] & ~(long)p->umask;
			break;
		case A_PID:
			r = kcall_pid(a[i], &k[i]);
			break;
		}
		if (r)
			return r;
	}
	return 0;
}

/* new_fd - a call made a host fd: it becomes the program's lowest free. */
long kcall_new_fd(struct uthread *ut, long host)
{
	if (host < 0)
		return host;
	int vfd = fdt_install(ut->proc->fdt, host, 0);
	if (vfd < 0)
		raw_syscall3(SYS_close, host, 0, 0);
	return vfd;
}

/* may_wait - may the call wait on its fd (vfd, host k[0])? Not if the fd is
 * non-blocking or the call says MSG_DONTWAIT: the kernel answers EAGAIN;
 * nor a read of the error queue, which never waits (socat after a
 * refused connect). */
static bool may_wait(struct uthread *ut, const struct sysent *e, long vfd, const long k[6])
{
	for (int i = 0; i < 6; i++)
		if (e->args[i] == A_MSGFLAGS && (k[i] & (MSG_DONTWAIT | MSG_ERRQUEUE)))
			return false;
	return !fdt_query_nonblock(ut->proc->fdt, vfd, (int)k[0]);
}

/*
 * tty_read - a blocking read of a terminal (not a pty master), whose rules
 * only the kernel's read applies: VMIN/VTIME (a read may end empty, with
 * no input ever: `stty min 0 time 5`), EIO once the other side hangs up,
 * and job control. It waits on a worker, so the vCPU runs on. A read by a
 * background group of its controlling terminal (only the controlling one
 * answers TIOCGPGRP, and a master answers for its slave) is made at once
 * here: Linux's raises SIGTTIN without waiting for input, or fails with
 * EIO where SIGTTIN is ignored or blocked; the program's own disposition
 * decides (the host's is the runtime's catch, and a worker blocks it).
 * KBLOCK_PLAIN for a pty master, which waits for readiness as a pipe.
 */
static long tty_read(struct uthread *ut, long nr, const long k[6])
{
	struct termios t;
	int ptn, fg;
	if (raw_syscall3(SYS_ioctl, k[0], TCGETS, (long)&t) < 0 || raw_syscall3(SYS_ioctl, k[0], TIOCGPTN, (long)&ptn) == 0)
		return KBLOCK_PLAIN;
	if (raw_syscall3(SYS_ioctl, k[0], TIOCGPGRP, (long)&fg) == 0 && fg > 0 &&
	    fg != raw_syscall3(SYS_getpgid, 0, 0, 0)) {
		if ((ut->sigmask & SIGBIT(SIGTTIN)) || ut->proc->sigaction[SIGTTIN - 1].handler == (uint64_t)SIG_IGN)
			return -EIO;
		return raw_syscall6(nr, k[0], k[1], k[2], k[3], k[4], k[5]);
	}
	return offload_syscall(nr, k);
}

/* wait_ready - park until fd is ready for the call (or in error). */
static long wait_ready(struct uthread *ut, const struct sysent *e, int fd)
{
	short want = (e->flags & SF_WAIT_IN) ? POLLIN : POLLOUT;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = want };
		/* Ready, error, hangup or a bad fd: the call itself tells. */
		if (raw_syscall3(SYS_poll, &pfd, 1, 0) != 0)
			return 0;
		long r = kwait_fd(fd, want == POLLIN ? EPOLLIN : EPOLLOUT, 0);
		if (r < 0)
			return r;
	}
}

/* really_nonblock - host fd's own O_NONBLOCK: the cached flag also says 1
 * for a regular file (it never waits for readiness), whose sendfile into
 * it may still take long (shutil.copyfile's 1 GiB rounds): a worker's. */
static bool really_nonblock(int host)
{
	long fl = raw_syscall3(SYS_fcntl, host, F_GETFL, 0);
	return fl >= 0 && (fl & O_NONBLOCK);
}

static long issue(struct uthread *ut, long nr, const struct sysent *e, long vfd, const long k[6],
		  bool offload)
{
	/* In place where no one waits for the worker's hand-off (systab.h):
	 * a postgres backend's commit, nginx's sendfile to a non-blocking
	 * socket (a file page not cached is read in place, as the program's
	 * own thread waits for it natively). */
	if (offload && (((e->flags & SF_OFFL_ALONE) && vproc_sole_thread(ut)) ||
			((e->flags & SF_OFFL_NB) && !may_wait(ut, e, vfd, k) && really_nonblock((int)k[0]))))
		offload = false;
	/* What waits below ends for a signal the program does not block. */
	signal_arm_wait(ut, ~ut->sigmask);
	if (nr == SYS_connect) {
		long r = kblock_connect(k, may_wait(ut, e, vfd, k));
		if (r != KBLOCK_PLAIN)
			return r;
	}
	if (offload)
		return offload_syscall(nr, k);
	if ((e->flags & (SF_WAIT_IN | SF_WAIT_OUT)) && may_wait(ut, e, vfd, k)) {
		long r = kblock_call(nr, k);
		if (r == KBLOCK_PLAIN && (e->flags & SF_WAIT_IN))
			r = tty_read(ut, nr, k);
		if (r != KBLOCK_PLAIN)
			return r;
		r = wait_ready(ut, e, (int)k[0]);
		if (r < 0)
			return r;
	}
	return raw_syscall6(nr, k[0], k[1], k[2], k[3], k[4], k[5]);
}

/* cut_by_host_signal - did a call that returned r end early only because
 * a host signal was pending (the slice tick, a wake-up)? Then *buf and
 * *len are the indexes of its buffer and length arguments. The memory
 * devices (/dev/zero, /dev/full, /dev/random, /dev/urandom) and getrandom
 * stop between pages for any pending signal; natively, with no signal of
 * the program's, the call returns the whole count. */
static bool cut_by_host_signal(struct uthread *ut, long nr, const long k[6], long r, int *buf, int *len)
{
	struct stat st;
	if (nr == SYS_getrandom)
		*buf = 0, *len = 1;
	else if (nr == SYS_read || nr == SYS_pread64)
		*buf = 1, *len = 2;
	else
		return false;
	/* They stop at a page's end: a short read of a pipe or socket, which
	 * ends anywhere, is not looked at further (an fstat each was 13% of
	 * nginx's throughput with clients outside). */
	return r > 0 && r < k[*len] && r % 4096 == 0 && !signal_deliverable_mask(ut) &&
	       (nr == SYS_getrandom || (raw_syscall3(SYS_fstat, k[0], &st, 0) == 0 && S_ISCHR(st.st_mode) &&
					major(st.st_rdev) == 1));
}

/* kcall_mapped - issue a call whose arguments are the kernel's already
 * (vfd: the program's fd behind k[0], for calls that wait on it). */
static long kcall_mapped(struct uthread *ut, long nr, const struct sysent *e, long vfd,
			 const long k[6], bool offload)
{
	long r, done = 0, rest[6];
	for (;;) {
		r = issue(ut, nr, e, vfd, k, offload);
		int buf, len;
		if (cut_by_host_signal(ut, nr, k, r, &buf, &len)) { /* the rest, as Linux gives it */
			done += r;
			memmove(rest, k, sizeof(rest));
			rest[buf] += r;
			rest[len] -= r;
			if (nr == SYS_pread64)
				rest[3] += r;
			k = rest;
			continue;
		}
		if (done)
			return r > 0 ? done + r : done; /* a count once something moved */
		if (r != -EINTR)
			return r;
		/* A host signal, or one of the program's, cut the call short:
		 * Linux would restart it unless a handler of the program runs. */
		if ((r = signal_interrupted(ut, !(e->flags & SF_NORESTART))))
			return r;
	}
}

static long serve(struct uthread *ut, long nr, const struct sysent *e, const long a[6], bool offload)
{
	long k[6];
	char paths[2][PATH_MAX];
	long r = map_args(ut, e, a, k, paths);
	if (r)
		return r;
	stats_kernel(ut, nr);
	r = kcall_mapped(ut, nr, e, a[0], k, offload);
	return (e->flags & SF_RETFD) ? kcall_new_fd(ut, r) : r;
}

long kcall(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	return serve(ut, nr, e, a, e->cls == CLS_OFFL);
}

long kcall_serve(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	return e->handler ? e->handler(ut, a) : kcall(ut, nr, e, a);
}

long kcall_offload(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	return serve(ut, nr, e, a, true);
}
