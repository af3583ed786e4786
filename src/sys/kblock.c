/* kblock.c - blocking calls on kernel pipes and sockets that park the uthread, not the vCPU. */
#include "sys/kblock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "sched/kwait.h"
#include "sched/sched.h"

/*
 * A blocking call on a kernel pipe or socket must not block the vCPU's
 * kernel thread: other uthreads run there (a reader of the same vCPU would
 * never run, and the slice tick that cuts the call short hands the program
 * a short count Linux would not). So the call is issued in a form that
 * never sleeps (RWF_NOWAIT, MSG_DONTWAIT), and while it would block the
 * uthread parks on the fd's readiness, until the call completes as
 * Linux's blocking call returns: everything written, MSG_WAITALL's whole
 * count, or what SO_RCVTIMEO/SO_SNDTIMEO allow (then EAGAIN, as Linux).
 * Trying first, rather than waiting for readiness first, also answers
 * calls that can never become ready at once: accept on a socket that does
 * not listen, read on a listening one. Files that cannot say "would
 * block" (regular files, ttys) are left to the plain call.
 */

#define IOV_ON_STACK 64  /* 1 KB of the uthread's 64 KB runtime stack */
#define IOV_LIMIT 1024 /* UIO_MAXIOV: beyond it the kernel answers EINVAL */


static int sockopt_int(int fd, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);
	return raw_syscall6(SYS_getsockopt, fd, SOL_SOCKET, opt, &v, &len, 0) < 0 ? -1 : v;
}

/*
 * A wait of one call: its deadline comes from the socket's SO_RCVTIMEO or
 * SO_SNDTIMEO, read the first time the call has to wait (not a socket, or
 * no timeout: none).
 */
struct waiter {
	int fd;
	uint32_t events;   /* EPOLLIN or EPOLLOUT */
	bool known;        /* deadline is known */
	uint64_t deadline; /* ns, 0: none */
};

/* The fd's writes never wait for a reader: a regular file, a directory, a
 * block device. RWF_NOWAIT's EAGAIN there means "not cached", not "full".
 * The same look tells whether a timeout can apply: only a socket has one
 * (a pipe's wait asked for SO_RCVTIMEO each time: ENOTSOCK). */
static bool never_waits(struct waiter *w)
{
	struct stat st;
	if (raw_syscall3(SYS_fstat, w->fd, &st, 0) < 0)
		return true;
	if (!S_ISSOCK(st.st_mode))
		w->known = true;
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode);
}

/* park - until the fd may be ready again: 0, or -EINTR, or -EAGAIN when
 * the socket's timeout passed. */
static long park(struct waiter *w)
{
	if (!w->known) {
		struct timeval tv = { 0, 0 };
		socklen_t len = sizeof(tv);
		int opt = w->events == EPOLLIN ? SO_RCVTIMEO : SO_SNDTIMEO;
		if (raw_syscall6(SYS_getsockopt, w->fd, SOL_SOCKET, opt, &tv, &len, 0) == 0 &&
		    (tv.tv_sec || tv.tv_usec))
			w->deadline = now_ns() + tv.tv_sec * 1000000000ull + tv.tv_usec * 1000ull;
		w->known = true;
	}
	long r = kwait_fd(w->fd, w->events, w->deadline);
	return r == -ETIMEDOUT ? -EAGAIN : r;
}

/* Drop the first n bytes from iov[*first..cnt). */
static void advance(struct iovec *iov, int cnt, int *first, size_t n)
{
	while (*first < cnt && n >= iov[*first].iov_len)
		n -= iov[(*first)++].iov_len;
	if (*first < cnt) {
		iov[*first].iov_base = (char *)iov[*first].iov_base + n;
		iov[*first].iov_len -= n;
	}
}

/* rw_pieces - read or write the whole iovec as a blocking call would:
 * writes until all is written, reads until something (MSG_WAITALL: all)
 * is read. A count once something moved, else -errno. */
static long rw_pieces(struct waiter *w, struct iovec *iov, int cnt, bool waitall)
{
	bool wr = w->events == EPOLLOUT;
	size_t total = 0, done = 0;
	for (int i = 0; i < cnt; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return KBLOCK_PLAIN; /* the kernel answers EINVAL */
		total += iov[i].iov_len;
	}
	/* An empty write still sends an empty datagram: not a piece loop. */
	if (!total)
		return KBLOCK_PLAIN;
	int first = 0;
	bool plain = false;
	for (;;) {
		long r = raw_syscall6(wr ? SYS_pwritev2 : SYS_preadv2, w->fd, (long)(iov + first),
				      cnt - first, -1, -1, plain ? 0 : RWF_NOWAIT);
		if (r == -EAGAIN && !plain) {
			/* A file that never waits: the rest, plainly (its EAGAIN
			 * was "not cached", which waiting won't fix). */
			if ((plain = never_waits(w)))
				continue;
			r = park(w);
			if (r < 0) /* a signal or the timeout: what moved so far, as Linux */
				return done ? (long)done : r;
			continue;
		}
		if (r == -EOPNOTSUPP && !plain) {
			if (!done)
				return KBLOCK_PLAIN;
			plain = true; /* cannot happen midway, but never loop on it */
			continue;
		}
		if (r < 0)
			return done ? (long)done : r;
		done += r;
		if (done >= total || r == 0)
			return done;
		/* A read of a file that never waits came back short with
		 * RWF_NOWAIT: the rest is not cached, and Linux's read returns
		 * it all (pure-ftpd sent whole buffers after such short reads:
		 * corrupt downloads). */
		if (!wr && !waitall && (plain || !(plain = never_waits(w))))
			return done;
		advance(iov, cnt, &first, r);
	}
}

/* rw_call - read/readv/write/writev with host arguments k. */
static long rw_call(long nr, const long k[6], uint32_t events)
{
	struct iovec small[IOV_ON_STACK], *iov = small;
	int cnt = 1;
	if (nr == SYS_read || nr == SYS_write) {
		small[0] = (struct iovec){ (void *)k[1], (size_t)k[2] };
	} else {
		cnt = (int)k[2];
		if (cnt <= 0 || cnt > IOV_LIMIT)
			return KBLOCK_PLAIN;
		if (cnt > IOV_ON_STACK && !(iov = malloc(cnt * sizeof(*iov))))
			return -ENOMEM;
		if (copy_from_user(iov, k[1], cnt * sizeof(*iov))) {
			if (iov != small)
				free(iov);
			return -EFAULT;
		}
	}
	struct waiter w = { .fd = (int)k[0], .events = events };
	long r = rw_pieces(&w, iov, cnt, false);
	if (iov != small)
		free(iov);
	return r;
}

/* recvfrom/sendto: one buffer, so MSG_WAITALL (recv) and a stream's
 * blocking send (all of it) loop over what is left. */
static long buf_call(long nr, const long k[6], uint32_t events)
{
	bool wr = events == EPOLLOUT;
	struct waiter w = { .fd = (int)k[0], .events = events };
	int flags = (int)k[3];
	size_t len = k[2], done = 0;
	bool more = wr || (flags & MSG_WAITALL);
	int type = 0; /* SO_TYPE, asked once something moved and more is wanted */
	for (;;) {
		long r = raw_syscall6(nr, k[0], k[1] + done, len - done,
				      (flags & ~MSG_WAITALL) | MSG_DONTWAIT, k[4], k[5]);
		if (r == -EAGAIN) {
			r = park(&w);
			if (r == 0)
				continue;
		}
		if (r < 0)
			return done ? (long)done : r;
		done += r;
		/* Datagrams go or come whole, in one call. */
		if (!more || done >= len || r == 0)
			return done;
		if (!type)
			type = sockopt_int(w.fd, SO_TYPE);
		if (type != SOCK_STREAM)
			return done;
	}
}

/* msg_call - recvmsg/sendmsg/recvmmsg/sendmmsg: tried with MSG_DONTWAIT,
 * parked while it would block. (MSG_WAITALL on recvmsg gets what one
 * call returns once data is there.) */
static long msg_call(long nr, const long k[6], uint32_t events, int flags_arg)
{
	struct waiter w = { .fd = (int)k[0], .events = events };
	long a[6] = { k[0], k[1], k[2], k[3], k[4], k[5] };
	a[flags_arg] |= MSG_DONTWAIT;
	for (;;) {
		long r = raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (r != -EAGAIN)
			return r;
		if ((r = park(&w)) < 0)
			return r;
	}
}

/* accept/accept4: no form of the call that does not wait, so readiness
 * first; a socket that does not listen is never ready, and its call
 * answers at once (EINVAL, EOPNOTSUPP). */
static long accept_call(long nr, const long k[6])
{
	struct waiter w = { .fd = (int)k[0], .events = EPOLLIN };
	for (;;) {
		struct pollfd pfd = { .fd = w.fd, .events = POLLIN };
		if (raw_syscall3(SYS_poll, &pfd, 1, 0) != 0 || sockopt_int(w.fd, SO_ACCEPTCONN) != 1)
			return raw_syscall6(nr, k[0], k[1], k[2], k[3], 0, 0);
		long r = park(&w);
		if (r < 0)
			return r;
	}
}

long kblock_call(long nr, const long k[6])
{
	switch (nr) {
	case SYS_read: case SYS_readv: return rw_call(nr, k, EPOLLIN);
	case SYS_write: case SYS_writev: return rw_call(nr, k, EPOLLOUT);
	case SYS_recvfrom: return buf_call(nr, k, EPOLLIN);
	case SYS_sendto: return buf_call(nr, k, EPOLLOUT);
	case SYS_recvmsg: return msg_call(nr, k, EPOLLIN, 2);
	case SYS_sendmsg: return msg_call(nr, k, EPOLLOUT, 2);
	case SYS_recvmmsg: return msg_call(nr, k, EPOLLIN, 3);
	case SYS_sendmmsg: return msg_call(nr, k, EPOLLOUT, 3);
	case SYS_accept: case SYS_accept4: return accept_call(nr, k);
	default: return KBLOCK_PLAIN;
	}
}

long kblock_connect(const long k[6], bool may_wait)
{
	int fd = (int)k[0];
	if (sockopt_int(fd, SO_PROTOCOL) != IPPROTO_TCP)
		return KBLOCK_PLAIN;
	if (!may_wait)
		return raw_syscall3(SYS_connect, fd, k[1], k[2]);
	/* The flag is the open file's, set only around each try (a blocking
	 * connect's socket is rarely used elsewhere before it connects). The
	 * try after the handshake ends gives its result as Linux's blocking
	 * call would, and leaves the socket connected (a later connect:
	 * EISCONN) or free to connect again. EALREADY: a connect cut short
	 * by a signal and restarted, which Linux waits for again. */
	long fl = raw_syscall3(SYS_fcntl, fd, F_GETFL, 0);
	if (fl < 0)
		return KBLOCK_PLAIN;
	struct waiter w = { .fd = fd, .events = EPOLLOUT };
	for (;;) {
		if (raw_syscall3(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return KBLOCK_PLAIN;
		long r = raw_syscall3(SYS_connect, fd, k[1], k[2]);
		raw_syscall3(SYS_fcntl, fd, F_SETFL, fl);
		if (r != -EINPROGRESS && r != -EALREADY)
			return r;
		long pr = park(&w);
		if (pr == -EAGAIN)
			return -EINPROGRESS; /* SO_SNDTIMEO passed: it goes on */
		if (pr < 0)
			return pr; /* -EINTR: it goes on too */
	}
}
