/* sys_file.c - file calls that need more than translation: FIFO opens, lock waits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include <unistd.h>
#include "proc/vproc.h"
#include "mm/uaccess.h"
#include "proc/procfs.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/objcall.h"
#include "sys/systab.h"

/* Opening a FIFO blocks until the other end is opened: only then, and only
 * for a blocking open, the call goes to a worker thread. */
static bool blocking_fifo(struct uthread *ut, int dirfd, const char *path, long flags)
{
	struct stat st;
	/* O_RDWR (its own writer) and O_NONBLOCK never wait for the other end. */
	if ((flags & (O_NONBLOCK | O_PATH)) || (flags & O_ACCMODE) == O_RDWR)
		return false;
	int hdir = dirfd == AT_FDCWD ? ut->proc->cwd_fd : fdt_host(ut->proc->fdt, dirfd);
	return hdir >= 0 && raw_syscall6(SYS_newfstatat, hdir, (long)path, (long)&st, 0, 0, 0) == 0 &&
	       S_ISFIFO(st.st_mode);
}

static long open_call(struct uthread *ut, long nr, const long a[6], int dirfd, uint64_t upath,
		      long flags)
{
	const struct sysent *e = systab_get(nr);
	char path[PATH_MAX];
	long n = strncpy_from_user(path, upath, sizeof(path));
	if (n > 0) {
		struct vfile *obj = NULL;
		long r = procfs_open(ut, dirfd, path, flags, &obj);
		if (r != -ENOSYS) {
			/* FDT_NOHOST: an object alone (a pipe opened again). */
			bool alone = r == FDT_NOHOST;
			if (r < 0 && !alone)
				return r;
			long v = fdt_install_obj(ut->proc->fdt, alone ? -1 : (int)r, obj, 0,
						 alone && (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
			if (v < 0) {
				if (!alone)
					close(r);
				vfile_put(obj);
			}
			return v;
		}
		if (blocking_fifo(ut, dirfd, path, flags))
			return kcall_offload(ut, nr, e, a);
	}
	/* The new description's O_NONBLOCK is the call's own: its first
	 * blocking read (a file server's, once a request) need not ask. A
	 * regular file's calls never wait for readiness either (but an empty
	 * one's: /proc/kmsg, tracefs's trace_pipe wait): noted as
	 * non-blocking, they go to the kernel as they are, on the lean path
	 * (a file server's read and an access log's write, one each a
	 * request, took the full path's two %fs changes without FSGSBASE). */
	uint32_t gen = __atomic_load_n(&fdt_flags_gen, __ATOMIC_ACQUIRE);
	long v = kcall(ut, nr, e, a);
	int host = v >= 0 ? fdt_host(ut->proc->fdt, v) : -1;
	struct stat st;
	bool nonblock = flags & O_NONBLOCK;
	bool file = !nonblock && host >= 0 && !(flags & O_PATH) && raw_syscall3(SYS_fstat, host, (long)&st, 0) == 0 &&
		    fdt_file_never_waits(&st);
	if (host >= 0)
		fdt_note_nonblock(ut->proc->fdt, v, host, gen, nonblock, file);
	return v;
}

long sys_open(struct uthread *ut, const long a[6])
{
	return open_call(ut, SYS_open, a, AT_FDCWD, a[0], a[1]);
}

long sys_openat(struct uthread *ut, const long a[6])
{
	return open_call(ut, SYS_openat, a, (int)a[0], a[1], a[2]);
}

/* openat2: the mode sits in struct open_how, where the umask must reach it. */
long sys_openat2(struct uthread *ut, const long a[6])
{
	struct { uint64_t flags, mode, resolve; } how;
	if ((size_t)a[3] < sizeof(how) || (size_t)a[3] > 4096)
		return a[3] < 24 ? -EINVAL : -E2BIG;
	if (copy_from_user(&how, a[2], sizeof(how)))
		return -EFAULT;
	how.mode &= ~(uint64_t)ut->proc->umask;
	long b[6] = { a[0], a[1], (long)&how, sizeof(how), 0, 0 };
	return open_call(ut, SYS_openat2, b, (int)a[0], a[1], how.flags);
}

static long readlink_call(struct uthread *ut, long nr, const long a[6], int dirfd, uint64_t path,
			  uint64_t buf, long size)
{
	char p[PATH_MAX];
	if (strncpy_from_user(p, path, sizeof(p)) > 0 && size > 0) {
		long r = procfs_readlink(ut, dirfd, p, buf, size);
		if (r != -ENOSYS)
			return r;
	}
	return kcall(ut, nr, systab_get(nr), a);
}

long sys_readlink(struct uthread *ut, const long a[6])
{
	return readlink_call(ut, SYS_readlink, a, AT_FDCWD, a[0], a[1], a[2]);
}

long sys_readlinkat(struct uthread *ut, const long a[6])
{
	return readlink_call(ut, SYS_readlinkat, a, (int)a[0], a[1], a[2], a[3]);
}


/* stat and access with a dirfd: served on the full path, where kcall maps
 * /proc/<vpid>/... and /proc/self/... to the host's names (proc/procfs.c);
 * the lean path would hand them to the kernel as they are (ps stats
 * /proc/<pid> of every program). The price: these calls no longer take the
 * lean path (~0.1-0.2 us each). */
/*
 * fd_alone - the program's fd that upath names through /dev/fd/N or
 * /proc/self/fd/N when it is an object alone (a pipe of the runtime's,
 * which the host's magic link does not know: stat of bash's <(...) path
 * said ENOENT), and in *end the address of the path's final NUL: the
 * empty path with which the call becomes one on that fd (AT_EMPTY_PATH,
 * served by its object). -1 for any other path.
 */
static int fd_alone(struct uthread *ut, int dirfd, uint64_t upath, uint64_t *end)
{
	char path[PATH_MAX];
	/* Or relative to an fd of such a directory (gzip opens <(...) so). */
	if ((copy_from_user(path, upath, 8) || (memcmp(path, "/proc/", 6) && !procfs_may_alias(path))) &&
	    (dirfd == AT_FDCWD || !fdt_has_obj(ut->proc->fdt, dirfd)))
		return -1;
	long n = strncpy_from_user(path, upath, sizeof(path));
	if (n <= 0 || n >= PATH_MAX)
		return -1;
	*end = upath + (uint64_t)n;
	return procfs_fd_alone(ut, dirfd, path);
}

/* link_stat - lstat of the magic link to fd: a symlink whose permissions
 * are the fd's access mode (as Linux's proc_fd_link). */
static long link_stat(struct uthread *ut, int fd, struct stat *st)
{
	struct vfile *f = fdt_obj(ut->proc->fdt, fd);
	if (!f)
		return -ENOENT;
	int acc = f->flags & O_ACCMODE;
	vfile_put(f);
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFLNK | (acc != O_WRONLY ? S_IRUSR | S_IXUSR : 0) |
		      (acc != O_RDONLY ? S_IWUSR | S_IXUSR : 0);
	st->st_nlink = 1;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_size = 64;
	st->st_blksize = 1024;
	st->st_ino = (uint64_t)ut->proc->pid << 16 | (uint64_t)fd;
	return 0;
}

/*
 * stat_call - newfstatat (its flags a[3], buffer a[2]) or statx (flags
 * a[2], buffer a[4]) of a path that may name an object's fd through its
 * magic link (fd_alone): lstat is the link's, stat the object's (the call
 * made on the fd with AT_EMPTY_PATH); any other path is the kernel's.
 */
static long stat_call(struct uthread *ut, long nr, const long a[6])
{
	const struct sysent *e = systab_get(nr);
	bool sx = nr == SYS_statx;
	long flags = sx ? a[2] : a[3];
	uint64_t end, ubuf = sx ? a[4] : a[2];
	int fd = fd_alone(ut, (int)a[0], a[1], &end);
	if (fd < 0)
		return kcall(ut, nr, e, a);
	if (flags & AT_SYMLINK_NOFOLLOW) {
		struct stat st;
		long r = link_stat(ut, fd, &st);
		if (r)
			return r;
		return sx ? objcall_statx_out(&st, ubuf) : copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
	}
	long b[6] = { fd, (long)end, a[2], a[3], a[4], 0 };
	b[sx ? 2 : 3] |= AT_EMPTY_PATH;
	return objcall(ut, nr, e, b);
}

long sys_newfstatat(struct uthread *ut, const long a[6])
{
	return stat_call(ut, SYS_newfstatat, a);
}

long sys_statx(struct uthread *ut, const long a[6])
{
	return stat_call(ut, SYS_statx, a);
}

/* The calls without a dirfd: the same from the cwd. */
long sys_stat(struct uthread *ut, const long a[6])
{
	return sys_newfstatat(ut, (const long[6]){ AT_FDCWD, a[0], a[1], 0, 0, 0 });
}

long sys_lstat(struct uthread *ut, const long a[6])
{
	return sys_newfstatat(ut, (const long[6]){ AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW, 0, 0 });
}

long sys_access(struct uthread *ut, const long a[6])
{
	return sys_faccessat(ut, (const long[6]){ AT_FDCWD, a[0], a[1], 0, 0, 0 });
}

long sys_faccessat(struct uthread *ut, const long a[6])
{
	uint64_t end;
	/* The object behind the link is the program's own: there it is. */
	if (fd_alone(ut, (int)a[0], a[1], &end) >= 0)
		return 0;
	return kcall(ut, SYS_faccessat, systab_get(SYS_faccessat), a);
}

long sys_faccessat2(struct uthread *ut, const long a[6])
{
	uint64_t end;
	if (fd_alone(ut, (int)a[0], a[1], &end) >= 0)
		return 0;
	return kcall(ut, SYS_faccessat2, systab_get(SYS_faccessat2), a);
}
