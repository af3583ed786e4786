/* fsize.c - RLIMIT_FSIZE for the calls that write kernel files, checked in the runtime. */
#include "sys/fsize.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "core/hostcred.h"
#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sys/kcall.h"
#include "sys/systab.h"

/*
 * The limit is the program's own (a value in its vproc), not the host
 * process's: that one binds the runtime too, whose memfds grow past any
 * small limit (DECISIONS.md). So the calls that can make a file longer are
 * checked here, as Linux's generic_write_check_limits and
 * inode_newsize_ok do: a write that starts at or past the limit fails with
 * EFBIG and SIGXFSZ; one that would cross it is shortened to end there; a
 * truncate or fallocate past it fails. Only regular files are limited.
 * A program with a finite limit loses the direct gates for its fd calls
 * (gate.S FD_ENTRY), so every such call comes through here.
 */

/* regular - the host fd behind the program's vfd if it is a kernel regular
 * file (size in *size), else -1: the call goes as it is. */
static int regular(struct uthread *ut, long vfd, uint64_t *size)
{
	if (fdt_has_obj(ut->proc->fdt, vfd))
		return -1;
	int h = fdt_host(ut->proc->fdt, vfd);
	struct stat st;
	if (h < 0 || raw_syscall3(SYS_fstat, h, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return -1;
	*size = st.st_size;
	return h;
}

/* position - where a write through host fd h starts: at off, or at the
 * file position when off is -1; at the end for O_APPEND (or RWF_APPEND),
 * which pwrite honours too on Linux. -1 when unknown (the kernel answers). */
static int64_t position(int h, int64_t off, uint64_t size, bool append)
{
	long fl = raw_syscall3(SYS_fcntl, h, F_GETFL, 0);
	if (append || (fl >= 0 && (fl & O_APPEND)))
		return (int64_t)size;
	if (off != -1)
		return off;
	return raw_syscall3(SYS_lseek, h, 0, SEEK_CUR);
}

static long exceeded(struct uthread *ut)
{
	siginfo_t si = { .si_signo = SIGXFSZ, .si_code = SI_USER };
	si.si_pid = ut->proc->pid;
	si.si_uid = ut->proc->cred->uid;
	signal_queue(ut->proc, ut, &si);
	signal_notify(ut->proc, ut);
	return -EFBIG;
}

/* room - how much of len may be written at pos under limit: len, less, or
 * a negative error (EFBIG, the signal sent). */
static int64_t room(struct uthread *ut, uint64_t limit, int64_t pos, uint64_t len)
{
	if (pos < 0 || !len)
		return (int64_t)len;
	if ((uint64_t)pos >= limit)
		return exceeded(ut);
	return len > limit - (uint64_t)pos ? (int64_t)(limit - (uint64_t)pos) : (int64_t)len;
}

static long issue(struct uthread *ut, long nr, const long a[6])
{
	return kcall_serve(ut, nr, systab_get(nr), a);
}

/* vectored - writev and pwritev(2): an iovec list cut to fit, in runtime
 * memory, if the limit falls inside it. */
static long vectored(struct uthread *ut, long nr, long b[6], uint64_t limit)
{
	uint64_t size;
	int h = regular(ut, b[0], &size);
	int cnt = (int)b[2];
	if (h < 0 || cnt <= 0 || cnt > IOV_MAX)
		return issue(ut, nr, b);
	struct iovec *iov = malloc(cnt * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	long r;
	if (copy_from_user(iov, b[1], cnt * sizeof(*iov))) {
		r = issue(ut, nr, b); /* the kernel's EFAULT */
		goto out;
	}
	uint64_t total = 0;
	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	bool pos_given = nr != SYS_writev && !(nr == SYS_pwritev2 && b[3] == -1);
	bool append = nr == SYS_pwritev2 && (b[5] & RWF_APPEND);
	int64_t n = room(ut, limit, position(h, pos_given ? b[3] : -1, size, append), total);
	if (n < 0 || (uint64_t)n == total) {
		r = n < 0 ? n : issue(ut, nr, b);
		goto out;
	}
	int keep = 0;
	for (uint64_t left = n; keep < cnt && left; keep++) {
		if (iov[keep].iov_len > left)
			iov[keep].iov_len = left;
		left -= iov[keep].iov_len;
	}
	b[1] = (long)iov;
	b[2] = keep;
	r = issue(ut, nr, b);
out:
	free(iov);
	return r;
}

/* sendfile_cut - sendfile shortened to end at the limit. Linux moves it in
 * rounds and the round after the limit fails (SIGXFSZ, the count so far
 * returned): so the signal comes when the input had more to give. */
static long sendfile_cut(struct uthread *ut, const long b[6])
{
	long r = issue(ut, SYS_sendfile, b);
	uint64_t in_size;
	int in = r == b[3] && r > 0 ? regular(ut, b[1], &in_size) : -1;
	if (in < 0)
		return r;
	int64_t pos = -1;
	if (b[2] ? copy_from_user(&pos, b[2], 8) : (pos = raw_syscall3(SYS_lseek, in, 0, SEEK_CUR)) < 0)
		return r;
	if ((uint64_t)pos < in_size)
		exceeded(ut);
	return r;
}

long fsize_serve(struct uthread *ut, long nr, const long a[6])
{
	uint64_t limit = ut->proc->rlim[RLIMIT_FSIZE].rlim_cur, size;
	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	int h;
	int64_t n, end;
	switch (nr) {
	case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
		return vectored(ut, nr, b, limit);
	case SYS_write: case SYS_pwrite64:
		if ((h = regular(ut, b[0], &size)) < 0)
			break;
		n = room(ut, limit, position(h, nr == SYS_pwrite64 ? b[3] : -1, size, false), b[2]);
		if (n < 0)
			return n;
		b[2] = n;
		break;
	case SYS_sendfile: /* (out, in, *offset, count): out at its position */
		if ((h = regular(ut, b[0], &size)) < 0)
			break;
		if ((n = room(ut, limit, position(h, -1, size, false), b[3])) < 0)
			return n;
		if (n == b[3])
			break;
		b[3] = n;
		return sendfile_cut(ut, b);
	case SYS_copy_file_range: { /* (in, *off_in, out, *off_out, len, flags) */
		int64_t off = -1;
		if ((h = regular(ut, b[2], &size)) < 0 || (b[3] && copy_from_user(&off, b[3], 8)))
			break;
		if ((n = room(ut, limit, position(h, off, size, false), b[4])) < 0)
			return n;
		b[4] = n;
		break;
	}
	case SYS_ftruncate: case SYS_truncate:
		/* truncate's path is not looked at: past the limit is EFBIG
		 * whatever it names, where Linux would first say ENOENT. */
		if ((nr == SYS_truncate || regular(ut, b[0], &size) >= 0) && b[1] > 0 &&
		    (uint64_t)b[1] > limit)
			return exceeded(ut);
		break;
	case SYS_fallocate: /* (fd, mode, offset, len): growing past the limit */
		end = b[2] + b[3];
		if (!(b[1] & FALLOC_FL_KEEP_SIZE) && b[2] >= 0 && b[3] > 0 && end > b[2] &&
		    regular(ut, b[0], &size) >= 0 && (uint64_t)end > size && (uint64_t)end > limit)
			return exceeded(ut);
		break;
	}
	return issue(ut, nr, b);
}
