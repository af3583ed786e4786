/* sys_file.c - file calls that need more than translation: FIFO opens, lock waits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/procfs.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/systab.h"

/* Opening a FIFO blocks until the other end is opened: only then, and only
 * for a blocking open, the call goes to a worker thread. */
static bool blocking_fifo(int dirfd, uint64_t upath, long flags)
{
	char path[PATH_MAX];
	struct stat st;
	if (flags & (O_NONBLOCK | O_PATH))
		return false;
	if (strncpy_from_user(path, upath, sizeof(path)) < 0)
		return false; /* the kernel reports the bad path itself */
	return raw_syscall6(SYS_newfstatat, dirfd, (long)path, (long)&st, 0, 0, 0) == 0 &&
	       S_ISFIFO(st.st_mode);
}

static long open_call(struct uthread *ut, long nr, const long a[6], int dirfd, uint64_t path,
		      long flags)
{
	const struct sysent *e = systab_get(nr);
	char p[PATH_MAX];
	if (strncpy_from_user(p, path, sizeof(p)) > 0) {
		long r = procfs_open(ut, dirfd, p, flags);
		if (r != -ENOSYS)
			return r;
	}
	if (blocking_fifo(dirfd, path, flags))
		return kcall_offload(ut, nr, e, a);
	return kcall(ut, nr, e, a);
}

long sys_open(struct uthread *ut, const long a[6])
{
	return open_call(ut, SYS_open, a, AT_FDCWD, a[0], a[1]);
}

long sys_openat(struct uthread *ut, const long a[6])
{
	return open_call(ut, SYS_openat, a, (int)a[0], a[1], a[2]);
}

long sys_openat2(struct uthread *ut, const long a[6])
{
	struct { uint64_t flags, mode, resolve; } how = { 0, 0, 0 };
	if (a[3] >= 8)
		copy_from_user(&how, a[2], 8);
	return open_call(ut, SYS_openat2, a, (int)a[0], a[1], how.flags);
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

/* fcntl: the waiting lock commands go to a worker; the rest is translated. */
long sys_fcntl(struct uthread *ut, const long a[6])
{
	const struct sysent *e = systab_get(SYS_fcntl);
	if (a[1] == F_SETLKW || a[1] == F_OFD_SETLKW)
		return kcall_offload(ut, SYS_fcntl, e, a);
	return kcall(ut, SYS_fcntl, e, a);
}
