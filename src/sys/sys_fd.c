/* sys_fd.c - calls on the fd table itself: close, dup, fd pairs, cwd, umask, rlimits. */
#include <errno.h>
#include <linux/capability.h>
#include <stddef.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/pidfd.h"
#include "proc/posix_locks.h"
#include "proc/procfs.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/fd_owner.h"
#include "sys/kcall.h"
#include "sys/sys_fd.h"
#include "sys/sys_tty.h"
#include "sys/systab.h"

static struct fdtable *fdt(struct uthread *ut)
{
	return ut->proc->fdt;
}

long sys_close(struct uthread *ut, const long a[6])
{
	int host = fdt_remove(fdt(ut), (int)a[0]);
	if (host == FDT_NOHOST)
		return 0;
	if (host < 0)
		return host;
	posix_locks_closed(ut->proc, host);
	/* Linux: the fd is gone even if close reports an error (EINTR, EIO). */
	long r = raw_syscall3(SYS_close, host, 0, 0);
	return r == -EINTR ? 0 : r;
}

long sys_close_range(struct uthread *ut, const long a[6])
{
	unsigned first = a[0], last = a[1], flags = a[2];
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return -EINVAL;
	int max = fdt_max(fdt(ut));
	for (long v = first; v <= (long)last && v <= max; v++) {
		if (flags & CLOSE_RANGE_CLOEXEC) {
			int h = fdt_host(fdt(ut), v);
			if (h >= 0)
				raw_syscall3(SYS_fcntl, h, F_SETFD, FD_CLOEXEC);
			else
				fdt_set_fdflags(fdt(ut), v, FD_CLOEXEC); /* an object alone */
		} else {
			int h = fdt_remove(fdt(ut), v);
			if (h >= 0) {
				posix_locks_closed(ut->proc, h);
				raw_syscall3(SYS_close, h, 0, 0);
			}
		}
	}
	return 0;
}

/* dup_common - a new fd of the caller for the file behind vfd of table
 * from (its own, or another program's for pidfd_getfd), at the lowest
 * number >= minfd (F_DUPFD) or exactly at target (dup2/dup3): a new host
 * fd if it has one, and the same object (one open file description). */
static long dup_common(struct uthread *ut, struct fdtable *from, long vfd, long minfd, long target,
		       bool cloexec)
{
	int h = fdt_host(from, vfd);
	struct vfile *obj = fdt_obj(from, vfd); /* the copy shares it */
	if (h < 0 && !obj)
		return -EBADF;
	if (target >= 0 && target == vfd) {
		vfile_put(obj);
		return vfd;
	}
	long nh = h < 0 ? -1 : raw_syscall3(SYS_fcntl, h, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (h >= 0 && nh < 0) {
		vfile_put(obj);
		return nh;
	}
	int fdflags = cloexec ? FD_CLOEXEC : 0; /* kept in the entry when nh is -1 */
	long r = target < 0 ? fdt_install_obj(fdt(ut), nh, obj, minfd, fdflags)
			    : fdt_install_at(fdt(ut), target, nh, obj, fdflags);
	if (r < 0 && r != FDT_NOHOST) { /* EBADF, EMFILE, EBUSY (an open's number) */
		if (nh >= 0)
			raw_syscall3(SYS_close, nh, 0, 0);
		vfile_put(obj);
		return r;
	}
	if (target < 0)
		return r;
	if (r >= 0) { /* what was at target: closed, as close() would */
		posix_locks_closed(ut->proc, (int)r);
		raw_syscall3(SYS_close, r, 0, 0);
	}
	return target;
}

long sys_dup(struct uthread *ut, const long a[6])
{
	return dup_common(ut, fdt(ut), a[0], 0, -1, false);
}

long sys_dup2(struct uthread *ut, const long a[6])
{
	if (a[1] < 0 || a[1] >= ut->proc->fdt->limit)
		return fdt_host(fdt(ut), a[0]) < 0 ? -EBADF : -EBADF;
	return dup_common(ut, fdt(ut), a[0], 0, a[1], false);
}

long sys_dup3(struct uthread *ut, const long a[6])
{
	if (a[0] == a[1] || (a[2] & ~O_CLOEXEC))
		return -EINVAL;
	if (a[1] < 0 || a[1] >= ut->proc->fdt->limit)
		return -EBADF;
	return dup_common(ut, fdt(ut), a[0], 0, a[1], a[2] & O_CLOEXEC);
}

/* record_lock - F_SETLK, F_SETLKW, F_GETLK: the program owns its locks
 * (proc/posix_locks.h); on other files, the kernel's call. */
static long record_lock(struct uthread *ut, const long a[6])
{
	const struct sysent *e = systab_get(SYS_fcntl);
	int h = fdt_host(fdt(ut), a[0]);
	struct flock lock;
	if (h < 0)
		return -EBADF;
	if (copy_from_user(&lock, a[2], sizeof(lock)))
		return -EFAULT;
	long r;
	for (;;) {
		/* A waiting lock ends for a signal the program does not block;
		 * one whose handler has SA_RESTART (or none runs) waits again,
		 * as the kernel's. */
		signal_arm_wait(ut, ~ut->sigmask);
		r = posix_lock(ut->proc, h, (int)a[1], &lock);
		if (r != -EINTR || a[1] != F_SETLKW)
			break;
		if ((r = signal_interrupted(ut, true)))
			return r;
	}
	if (r == POSIX_LOCK_KERNEL)
		return a[1] == F_SETLKW ? kcall_offload(ut, SYS_fcntl, e, a) : kcall(ut, SYS_fcntl, e, a);
	if (!r && a[1] == F_GETLK && copy_to_user(a[2], &lock, sizeof(lock)))
		return -EFAULT;
	return r;
}

/* fcntl: F_DUPFD* make program fds; record locks are the program's; the
 * waiting lock commands go to a worker; the rest is translated. */
long sys_fcntl(struct uthread *ut, const long a[6])
{
	const struct sysent *e = systab_get(SYS_fcntl);
	switch (a[1]) {
	case F_SETLK:
	case F_SETLKW:
	case F_GETLK:
		return record_lock(ut, a);
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (a[2] < 0 || a[2] >= ut->proc->fdt->limit)
			return -EINVAL;
		return dup_common(ut, fdt(ut), a[0], a[2], -1, a[1] == F_DUPFD_CLOEXEC);
	case F_OFD_SETLKW:
		return kcall_offload(ut, SYS_fcntl, e, a);
	case F_SETFL: {
		long r = kcall(ut, SYS_fcntl, e, a);
		fdt_flags_changed();
		return r;
	}
	case F_SETOWN:
	case F_GETOWN:
	case F_SETOWN_EX:
	case F_GETOWN_EX: {
		/* Owners are virtual ids (objects get here from objcall). */
		int h = fdt_host(fdt(ut), a[0]);
		return h < 0 ? -EBADF : fd_owner_fcntl(ut, NULL, h, (int)a[1], a[2]);
	}
	default:
		return kcall(ut, SYS_fcntl, e, a);
	}
}

/* host_fd_of - the kernel's fd behind the program's vfd, for an fd inside
 * an ioctl's argument: -1 (the kernel's EBADF) if none. */
static long host_fd_of(struct uthread *ut, long vfd)
{
	long h = vfd >= 0 ? fdt_host(fdt(ut), vfd) : -1;
	if (vfd >= 0 && h < 0)
		h = fdt_settle(fdt(ut), vfd); /* a file moved into the kernel */
	return h < 0 ? -1 : h;
}

/* The ioctls whose argument is an fd, or holds one (a loop device's
 * backing file, a reflink's source): the program's number was the
 * kernel's, naming one of the runtime's files (busybox mount looped on
 * LOOP_SET_FD's EINVAL; cp --reflink said EXDEV). */
static long fd_arg_ioctl(struct uthread *ut, const long a[6])
{
	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	const struct sysent *e = systab_get(SYS_ioctl);
	switch ((unsigned)a[1]) {
	case LOOP_SET_FD:
	case LOOP_CHANGE_FD:
	case FICLONE:
		b[2] = host_fd_of(ut, (int)a[2]);
		return kcall(ut, SYS_ioctl, e, b);
	case FICLONERANGE: {
		struct file_clone_range range;
		if (copy_from_user(&range, a[2], sizeof(range)))
			return -EFAULT;
		range.src_fd = host_fd_of(ut, (int)range.src_fd);
		b[2] = (long)&range;
		return kcall(ut, SYS_ioctl, e, b);
	}
	case LOOP_CONFIGURE: {
		struct loop_config conf;
		if (copy_from_user(&conf, a[2], sizeof(conf)))
			return -EFAULT;
		conf.fd = (uint32_t)host_fd_of(ut, (int)conf.fd);
		b[2] = (long)&conf;
		return kcall(ut, SYS_ioctl, e, b);
	}
	default:
		return TTY_NOT_JOB_CONTROL;
	}
}

/* ioctl: FIONBIO sets O_NONBLOCK as F_SETFL does; TIOCGPTPEER (openpty's
 * way to the terminal's other end) makes a new fd; job control on a
 * terminal speaks in program groups (sys_tty.c); an fd in the argument
 * is the kernel's (fd_arg_ioctl). */
long sys_ioctl(struct uthread *ut, const long a[6])
{
	long r = tty_ioctl(ut, a);
	if (r != TTY_NOT_JOB_CONTROL)
		return r;
	if ((r = fd_arg_ioctl(ut, a)) != TTY_NOT_JOB_CONTROL)
		return r;
	r = kcall(ut, SYS_ioctl, systab_get(SYS_ioctl), a);
	if ((unsigned)a[1] == FIONBIO)
		fdt_flags_changed();
	if ((unsigned)a[1] == TIOCGPTPEER)
		r = kcall_new_fd(ut, r);
	return r;
}

long fd_install_pair(struct uthread *ut, const int host[2], struct vfile *const obj[2], int fdflags,
		     uint64_t uaddr)
{
	long r = 0;
	int v[2] = { -1, -1 };
	for (int i = 0; i < 2; i++) {
		if (r) { /* the first failed: the second is dropped too */
			if (obj[i])
				vfile_put(obj[i]);
			else
				raw_syscall3(SYS_close, host[i], 0, 0);
			continue;
		}
		if (obj[i]) {
			v[i] = fdt_install_obj(fdt(ut), -1, obj[i], 0, fdflags);
			if (v[i] < 0)
				vfile_put(obj[i]);
		} else {
			v[i] = kcall_new_fd(ut, host[i]);
		}
		if (v[i] < 0)
			r = -EMFILE;
	}
	if (!r && copy_to_user(uaddr, v, sizeof(v)))
		r = -EFAULT;
	for (int i = 0; r && i < 2; i++) {
		int h = v[i] >= 0 ? fdt_remove(fdt(ut), v[i]) : -1;
		if (h >= 0)
			raw_syscall3(SYS_close, h, 0, 0);
	}
	return r;
}

/* ---- working directory: per program ---- */

/* deep_name - the name of a cwd deeper than PATH_MAX, which the kernel
 * will not give: the old one with rel's components put on (".." takes
 * one off; a symbolic link on the way is taken for a directory). */
static char *deep_name(const char *cwd, const char *rel)
{
	size_t len = strlen(cwd), cap = len + strlen(rel) + 2;
	char *name = malloc(cap);
	if (!name)
		return NULL;
	memcpy(name, cwd, len + 1);
	for (const char *c = rel; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && !memcmp(c, "..", 2)) {
			while (len > 1 && name[--len] != '/')
				;
			name[len ? len : 1] = 0;
			len = len ? len : 1;
		} else if (n && !(n == 1 && *c == '.')) {
			if (name[len - 1] != '/')
				name[len++] = '/';
			memcpy(name + len, c, n);
			name[len += n] = 0;
		}
		c += n + (c[n] == '/');
	}
	return name;
}

/* set_cwd - make the directory open as host O_PATH fd the program's cwd,
 * reached by path (rel: from the old one). A program whose host process's
 * cwd is its own moves that too, and asks the kernel its name (no /proc in
 * a chroot). */
static long set_cwd(struct vproc *p, long host, const char *path_given, bool rel, const char *name)
{
	char link[64], path[PATH_MAX];
	ssize_t n;
	if (p->cwd_synced) {
		n = raw_syscall3(SYS_fchdir, host, 0, 0);
		if (!n && (n = raw_syscall3(SYS_getcwd, (long)path, sizeof(path), 0)) > 0)
			n--; /* it counts the NUL */
	} else if (name) {
		n = 0;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%ld", host);
		n = readlink(link, path, sizeof(path) - 1);
		n = n < 0 ? -errno : n;
	}
	if (n == -ENAMETOOLONG && rel && p->cwd) {
		n = 0; /* deeper than PATH_MAX: Linux's chdir goes there */
		path[0] = 0;
	}
	if (n < 0) {
		raw_syscall3(SYS_close, host, 0, 0);
		return n;
	}
	path[n] = 0;
	char *dup = name ? strdup(name) : n ? strdup(path) : deep_name(p->cwd, path_given);
	if (!dup) {
		raw_syscall3(SYS_close, host, 0, 0);
		return -ENOMEM;
	}
	int old = p->cwd_fd;
	free(p->cwd);
	p->cwd = dup;
	p->cwd_fd = host;
	if (old >= 0)
		raw_syscall3(SYS_close, old, 0, 0);
	vproc_publish(p); /* the others' /proc/<pid>/cwd */
	return 0;
}

/* chdir_at - the cwd becomes path of dirfd, named name (NULL: as the
 * kernel names it). */
static long chdir_at(struct vproc *p, int dirfd, const char *path, const char *name)
{
	long h = raw_syscall6(SYS_openat, dirfd, (long)path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (h < 0)
		return h;
	/* Search permission is what chdir checks, O_PATH does not. */
	long r = raw_syscall6(SYS_faccessat, h, (long)"", X_OK, 0, 0, 0);
	if (r == -ENOENT || r == -EINVAL)
		r = raw_syscall6(SYS_faccessat, h, (long)".", X_OK, 0, 0, 0);
	if (r < 0) {
		raw_syscall3(SYS_close, h, 0, 0);
		return r;
	}
	return set_cwd(p, h, path, path[0] != '/' && dirfd == p->cwd_fd, name);
}

long vproc_chdir(struct vproc *p, int dirfd, const char *path)
{
	return chdir_at(p, dirfd, path, NULL);
}

/* proc_name - the name of the /proc directory virt (made absolute and
 * plain) as a program with pid sees it: /proc/self and /dev/fd are links
 * to its own. A new string, or NULL. */
static char *proc_name(char *virt, int pid)
{
	static const char *const links[] = { "/proc/self", "/dev/fd" };
	for (int i = 0; virt && i < 2; i++) {
		size_t n = strlen(links[i]);
		if (strncmp(virt, links[i], n) || (virt[n] && virt[n] != '/'))
			continue;
		char *named = malloc(strlen(virt) + 32);
		if (named)
			snprintf(named, strlen(virt) + 32, "/proc/%d%s%s", pid, i ? "/fd" : "", virt + n);
		free(virt);
		return named;
	}
	return virt;
}

long sys_chdir(struct uthread *ut, const long a[6])
{
	char path[PATH_MAX], host[PATH_MAX];
	struct vproc *p = ut->proc;
	long r = strncpy_from_user(path, a[0], sizeof(path));
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	/* A program's /proc directory (/proc/<pid>, /proc/self, /dev/fd):
	 * the host's that serves it, named as the program's, so that what
	 * is opened from there is the program's (a shell's cd /proc/$$/fd). */
	if ((procfs_under_proc(path) || procfs_may_alias(path) || (path[0] != '/' && procfs_under_proc(p->cwd))) &&
	    procfs_path(ut, AT_FDCWD, path, false, host, sizeof(host)) == 0) {
		char *name = proc_name(path[0] == '/' ? deep_name("/", path) : deep_name(p->cwd, path), p->pid);
		r = name ? chdir_at(p, AT_FDCWD, host, name) : -ENOMEM;
		free(name);
		return r;
	}
	return vproc_chdir(p, p->cwd_fd, path);
}

/*
 * chroot - the root is the host process's, which the runtime shares: it
 * is served for a program alone in its host process (a forked child:
 * sshd's privilege-separated child, dovecot's login, vsftpd's session),
 * whose cwd is the process's own there, and refused beside others, whose
 * files it would move. Linux's order: the path, search permission, then
 * CAP_SYS_CHROOT.
 */
long sys_chroot(struct uthread *ut, const long a[6])
{
	char path[PATH_MAX], link[64];
	long r = strncpy_from_user(path, a[0], sizeof(path));
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	long h = raw_syscall6(SYS_openat, ut->proc->cwd_fd, (long)path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (h < 0)
		return h;
	r = raw_syscall6(SYS_faccessat, h, (long)".", X_OK, 0, 0, 0);
	if (!r && !cred_capable(ut, CAP_SYS_CHROOT))
		r = -EPERM;
	if (!r && (!ut->proc->cwd_synced || !vproc_alone(ut->proc))) {
		static bool said;
		if (!__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
			pg_warn("[%s] chroot is served only for a program alone in its host process "
				"(a forked child): returning EPERM", ut->proc->name);
		r = -EPERM;
	}
	if (!r) {
		snprintf(link, sizeof(link), "/proc/self/fd/%ld", h);
		r = raw_syscall3(SYS_chroot, (long)link, 0, 0);
	}
	raw_syscall3(SYS_close, h, 0, 0);
	return r;
}

long sys_fchdir(struct uthread *ut, const long a[6])
{
	int h = fdt_host(fdt(ut), a[0]);
	if (h < 0)
		return h;
	return vproc_chdir(ut->proc, h, ".");
}

long sys_getcwd(struct uthread *ut, const long a[6])
{
	size_t n = strlen(ut->proc->cwd) + 1;
	if (n > 4096)
		return -ENAMETOOLONG; /* more than the kernel's page for it */
	if ((size_t)a[1] < n)
		return -ERANGE;
	return copy_to_user(a[0], ut->proc->cwd, n) ? -EFAULT : (long)n;
}

long sys_umask(struct uthread *ut, const long a[6])
{
	unsigned old = ut->proc->umask;
	ut->proc->umask = a[0] & 0777;
	return old;
}

/* ---- resource limits: per program ---- */

static long rlimit_get(struct vproc *p, int res, uint64_t uold)
{
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	return uold && copy_to_user(uold, &p->rlim[res], sizeof(struct rlimit)) ? -EFAULT : 0;
}

/* Limits are the program's own; the runtime enforces RLIMIT_NOFILE (its fd
 * table) and RLIMIT_STACK (at exec), and keeps the others as values.
 * Raising a hard limit asks the caller (ut) for CAP_SYS_RESOURCE. */
static long rlimit_set(struct uthread *ut, struct vproc *p, int res, uint64_t unew)
{
	struct rlimit nl;
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	if (copy_from_user(&nl, unew, sizeof(nl)))
		return -EFAULT;
	if (nl.rlim_cur > nl.rlim_max)
		return -EINVAL;
	if (nl.rlim_max > p->rlim[res].rlim_max && !cred_capable(ut, CAP_SYS_RESOURCE))
		return -EPERM;
	if (res == RLIMIT_NOFILE && nl.rlim_max > FDT_PAGE * FDT_PAGES)
		return -EPERM;
	p->rlim[res] = nl;
	if (res == RLIMIT_NOFILE)
		p->fdt->limit = nl.rlim_cur > FDT_PAGE * FDT_PAGES ? FDT_PAGE * FDT_PAGES : nl.rlim_cur;
	return 0;
}

long sys_getrlimit(struct uthread *ut, const long a[6])
{
	return rlimit_get(ut->proc, a[0], a[1]);
}

long sys_setrlimit(struct uthread *ut, const long a[6])
{
	return rlimit_set(ut, ut->proc, a[0], a[1]);
}

long sys_prlimit64(struct uthread *ut, const long a[6])
{
	struct vproc *p = a[0] == 0 ? ut->proc : vproc_by_id((int)a[0]);
	if (!p)
		return kcall_outside(SYS_prlimit64, a);
	struct rlimit old = p->rlim[(unsigned)a[1] < RLIM_NLIMITS ? a[1] : 0];
	if (a[2]) {
		long r = rlimit_set(ut, p, a[1], a[2]);
		if (r)
			return r;
	} else if ((unsigned long)a[1] >= RLIM_NLIMITS) {
		return -EINVAL;
	}
	return a[3] && copy_to_user(a[3], &old, sizeof(old)) ? -EFAULT : 0;
}

long pidfd_new_fd(struct uthread *ut, struct vproc *p, int pid, bool nonblock)
{
	struct vfile *f = pidfd_new(p, pid, nonblock);
	if (!f)
		return -ENOMEM;
	long fd = fdt_install_obj(fdt(ut), -1, f, 0, FD_CLOEXEC);
	if (fd < 0)
		vfile_put(f);
	return fd;
}

/* pidfd_getfd - a copy of another program's fd, close-on-exec. Only
 * programs of this host process have a table here; a forked child's is
 * in its own (EPERM, as if ptrace were refused). */
long sys_pidfd_getfd(struct uthread *ut, const long a[6])
{
	if (a[2])
		return -EINVAL;
	struct vfile *f = fdt_obj(fdt(ut), a[0]);
	struct vproc *p = pidfd_program(f);
	long r = pidfd_pid(f) < 0 ? -EBADF :
		 !p || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_DEAD ? -ESRCH : 0;
	if (!r && (p->host_pid || p->stand_in_host || !p->fdt))
		r = -EPERM;
	if (!r)
		r = dup_common(ut, p->fdt, (int)a[1], 0, -1, true);
	vfile_put(f);
	return r;
}
