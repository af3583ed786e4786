/* kwrite.c - blocking writes to pipes and sockets that park the uthread, not the vCPU. */
#include "sys/kwrite.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "sched/kwait.h"

/*
 * A blocking write of more than the pipe or socket buffer holds waits in
 * the kernel until a reader makes room; with a vCPU blocked there, a
 * reader that is a uthread of the same vCPU never runs (and the slice tick
 * that cuts the write short hands the program a short count Linux would
 * not). So the write goes in pieces that never sleep (pwritev2 with
 * RWF_NOWAIT: what the kernel can take now), the uthread parked on
 * writability in between, until all is written, as Linux's blocking write
 * returns. Files that cannot say "would block" (regular files, ttys) are
 * left to the plain call.
 */

#define IOV_ON_STACK 64  /* 1 KB of the uthread's 64 KB runtime stack */
#define IOV_LIMIT 1024 /* UIO_MAXIOV: beyond it the kernel answers EINVAL */

/* The fd's writes never wait for a reader: a regular file, a directory, a
 * block device. RWF_NOWAIT's EAGAIN there means "not cached", not "full". */
static bool never_waits(int fd)
{
	struct stat st;
	if (raw_syscall3(SYS_fstat, fd, &st, 0) < 0)
		return true;
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode);
}

/* Drop the first n written bytes from iov[*first..cnt). */
static void advance(struct iovec *iov, int cnt, int *first, size_t n)
{
	while (*first < cnt && n >= iov[*first].iov_len)
		n -= iov[(*first)++].iov_len;
	if (*first < cnt) {
		iov[*first].iov_base = (char *)iov[*first].iov_base + n;
		iov[*first].iov_len -= n;
	}
}

static long write_pieces(int fd, struct iovec *iov, int cnt)
{
	size_t total = 0, done = 0;
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return KWRITE_PLAIN; /* the kernel answers EINVAL */
		total += iov[i].iov_len;
	}
	int first = 0;
	bool plain = false;
	for (;;) {
		long r = raw_syscall6(SYS_pwritev2, fd, (long)(iov + first), cnt - first, -1, -1,
				      plain ? 0 : RWF_NOWAIT);
		if (r == -EAGAIN && !plain) {
			/* A file that never waits for a reader: the rest, plainly
			 * (its EAGAIN was "not cached", which waiting won't fix). */
			if ((plain = never_waits(fd)))
				continue;
			r = kwait_fd(fd, EPOLLOUT, 0);
			if (r < 0) /* a signal: what was written so far, as Linux */
				return done ? (long)done : r;
			continue;
		}
		if (r == -EOPNOTSUPP && !plain) {
			if (!done)
				return KWRITE_PLAIN;
			plain = true; /* cannot happen midway, but never loop on it */
			continue;
		}
		if (r < 0)
			return done ? (long)done : r;
		done += r;
		if (done >= total || r == 0)
			return done;
		advance(iov, cnt, &first, r);
	}
}

long kwrite_blocking(long nr, const long k[6])
{
	struct iovec small[IOV_ON_STACK], *iov = small;
	int cnt = 1;
	if (nr == SYS_write) {
		small[0] = (struct iovec){ (void *)k[1], (size_t)k[2] };
	} else {
		cnt = (int)k[2];
		if (cnt <= 0 || cnt > IOV_LIMIT)
			return KWRITE_PLAIN;
		if (cnt > IOV_ON_STACK && !(iov = malloc(cnt * sizeof(*iov))))
			return -ENOMEM;
		if (copy_from_user(iov, k[1], cnt * sizeof(*iov))) {
			if (iov != small)
				free(iov);
			return -EFAULT;
		}
	}
	long r = write_pieces((int)k[0], iov, cnt);
	if (iov != small)
		free(iov);
	return r;
}
