/* pipe.c - pipe(2) as user-space objects: two open file descriptions over one channel. */
#include "net/local/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "net/local/channel.h"

/*
 * Each end is an open file description (dup'ed and inherited fds share it)
 * and a channel end: the read end is the channel's end[0], the write end
 * its end[1]. Closing the last fd of an end closes that channel end (EOF
 * for readers once the writers are gone, EPIPE for writers once the
 * readers are); the pair is freed when both ends are.
 *
 * The bytes are the channel's; what a write may add is Linux's rule, which
 * counts pages, not bytes: a pipe of N pages holds N buffers of up to a
 * page each, a write first tops up the last buffer with the part of its
 * size below a page (if it fits there), then fills new pages, and POLLOUT
 * means a free page. So 5000 bytes in a 2-page pipe leave room for a
 * 10000-byte write to add 1808 (10000 % 4096) and no more, as on Linux.
 * The buffers are kept here as the stream positions where each ends; lock
 * guards them: writers hold it across their copy (a write's room is
 * decided and taken at once), readers take it after theirs to free pages.
 */
#define PAGE 4096u

struct pipe {
	struct channel ch;
	struct vfile end[2];
	int ends;                 /* releases not finished (atomic): the last frees */
	bool open[2];             /* ends not closed yet (under lock) */
	uint64_t ino;
	struct timespec born;
	spinlock_t lock;
	uint64_t *bufend;         /* a ring of slots buffers: where each ends */
	unsigned slots;           /* capacity in pages (a power of two) */
	unsigned first, used;     /* oldest buffer, buffers in use (atomic: poll) */
	unsigned fill;            /* bytes in the newest buffer's page */
	uint64_t wpos, rpos;      /* bytes written and read since the start */
};

/* Two identical tables: which one an end points to tells which end it is. */
static const struct vfile_ops pipe_ops[2];

static int side(const struct vfile *f)
{
	return f->ops == &pipe_ops[1];
}

static struct pipe *pipe_of(struct vfile *f)
{
	return (struct pipe *)((char *)(f - side(f)) - offsetof(struct pipe, end));
}

static struct chan_end *end_of(struct vfile *f)
{
	return &pipe_of(f)->ch.end[side(f)];
}

/* The channel's readiness callback: the end's vfile wakes its waiters. */
static void on_ready(void *arg, uint32_t mask)
{
	vfile_notify(arg, mask);
}

static const struct chan_hooks hooks = { .copy = uaccess_copy_app };

/* consumed - the reader got to rpos: its finished buffers free their pages;
 * a writer waiting for a page is told when the first one frees. */
static void consumed(struct pipe *p, size_t n)
{
	unsigned before = p->used;
	p->rpos += n;
	while (p->used && p->bufend[p->first] <= p->rpos) {
		p->first = (p->first + 1) & (p->slots - 1);
		__atomic_store_n(&p->used, p->used - 1, __ATOMIC_RELEASE);
	}
	if (before == p->slots && p->used < p->slots)
		vfile_notify(&p->end[1], EPOLLOUT | EPOLLWRNORM);
}

static long pipe_read(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct pipe *p = pipe_of(f);
	if (m->off != -1)
		return -ESPIPE;
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	/* The copy runs outside the lock (the channel orders readers), so a
	 * writer is not held up by it; the pages are freed after. */
	long r = vfile_in_kernel(f) ? -EAGAIN : chan_recv(end_of(f), &it, NULL, m->flags & MSG_PEEK, NULL);
	spin_lock(&p->lock);
	if (r > 0 && !(m->flags & MSG_PEEK) && !side(f))
		consumed(p, r);
	else if (r <= 0 && vfile_in_kernel(f))
		r = -EAGAIN; /* drained by pipe_host_file: objcall sends the call there */
	spin_unlock(&p->lock);
	return r;
}

/* room - how much of a write of total bytes (done of them already) may go
 * in now: the top-up of the last page (first step only), then new pages. */
static size_t room(const struct pipe *p, size_t total, size_t done, size_t *topup)
{
	size_t chars = total % PAGE;
	*topup = 0;
	if (!done && chars && p->used && p->fill + chars <= PAGE)
		*topup = chars;
	return *topup + (size_t)(p->slots - p->used) * PAGE;
}

/* produced - n bytes went in: the top-up first, then one buffer a page. */
static void produced(struct pipe *p, size_t n, size_t topup)
{
	size_t t = n < topup ? n : topup;
	p->fill += t;
	p->wpos += t;
	n -= t;
	while (n) {
		size_t b = n < PAGE ? n : PAGE;
		p->wpos += b;
		p->bufend[(p->first + p->used) & (p->slots - 1)] = p->wpos;
		__atomic_store_n(&p->used, p->used + 1, __ATOMIC_RELEASE);
		p->fill = b;
		n -= b;
	}
}

/* written - bytes went in. The channel tells readers when the pipe stops
 * being empty; Linux's pipe_write also wakes on every write once the pipe
 * has been polled (poll_usage), which edge-triggered epoll items see as a
 * new event. */
static void written(struct pipe *p)
{
	if (__atomic_load_n(&p->end[0].poll_head.ncallbacks, __ATOMIC_RELAXED))
		vfile_notify(&p->end[0], EPOLLIN | EPOLLRDNORM);
}

static long pipe_write(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct pipe *p = pipe_of(f);
	if (m->off != -1)
		return -ESPIPE;
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	size_t want = it.left;
	iov_iter_advance(&it, m->done);
	spin_lock(&p->lock);
	size_t topup, fit = room(p, want, m->done, &topup);
	long r;
	if (vfile_in_kernel(f)) {
		r = -EAGAIN; /* objcall sends the call to the kernel */
	} else if (!side(f)) {
		r = -EBADF;
	} else if (!want) {
		r = 0; /* before the reader check, as pipe_write */
	} else if (!fit || (want <= PIPE_BUF && fit < want)) {
		/* Full, or no room for an atomic write: EPIPE comes first. */
		struct iov_iter none = { .left = 0 };
		r = chan_send(end_of(f), &none, NULL, 0);
		r = r < 0 ? r : -EAGAIN;
	} else {
		/* The channel takes a prefix of the iovecs: cut them at fit. */
		struct iov_iter cut = it;
		if (cut.left > fit)
			cut.left = fit;
		r = chan_send(end_of(f), &cut, NULL, 0);
		if (r > 0)
			produced(p, r, topup);
	}
	spin_unlock(&p->lock);
	if (r < 0)
		return r;
	if (r > 0)
		written(p);
	/* Linux's blocking pipe_write goes on until all is written; a
	 * non-blocking one returns what fit. */
	if (m->done + r < want && !vfile_nonblock(f, m)) {
		m->done += r;
		return -EAGAIN;
	}
	return (long)(m->done + r);
}

/* pipe_mid_io - the mid path's share (vfile.h): a read of what is there,
 * a write that fits whole now (atomic, as a short one must be). A read
 * that would wait or finds EOF, a write that would wait or split or finds
 * no reader (EPIPE, SIGPIPE), a pipe moved into the kernel: the full
 * path's, nothing changed. mid_io (sys/mid_io.c) took the access mode. */
static long pipe_mid_io(struct vfile *f, bool wr, const struct iovec *iov, int iovcnt, int flags)
{
	struct pipe *p = pipe_of(f);
	struct chan_end *e = end_of(f);
	if (vfile_in_kernel(f))
		return VFILE_MID_PASS;
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	long r;
	if (!wr) {
		r = chan_mid_recv(e, &it);
		spin_lock(&p->lock);
		if (r > 0)
			consumed(p, r);
		/* Drained meanwhile into a kernel pipe (pipe_host_file, under
		 * the lock): the kernel's answer, not this empty ring's. */
		else if (r != -EAGAIN || !(f->flags & O_NONBLOCK) || !chan_mid_idle(e, false) || vfile_in_kernel(f))
			r = VFILE_MID_PASS;
		spin_unlock(&p->lock);
		return r;
	}
	spin_lock(&p->lock);
	size_t topup, want = it.left, fit = room(p, want, 0, &topup);
	/* In the kernel by now (a fork's drain held the lock): not into the ring. */
	r = fit >= want && !vfile_in_kernel(f) ? chan_mid_send(e, &it, true) : -EAGAIN;
	if (r > 0)
		produced(p, r, topup);
	spin_unlock(&p->lock);
	if (r <= 0)
		return VFILE_MID_PASS;
	written(p);
	return r;
}

/* As pipe_poll: the write end is writable while a page is free. */
static uint32_t pipe_poll(struct vfile *f)
{
	struct pipe *p = pipe_of(f);
	if (vfile_in_kernel(f))
		return vfile_kernel_poll(f);
	uint32_t m = chan_poll(end_of(f));
	if (side(f)) {
		m &= ~(EPOLLOUT | EPOLLWRNORM);
		if (__atomic_load_n(&p->used, __ATOMIC_ACQUIRE) < __atomic_load_n(&p->slots, __ATOMIC_RELAXED))
			m |= EPOLLOUT | EPOLLWRNORM;
	}
	return m;
}

static long pipe_ioctl(struct vfile *f, struct uthread *ut, unsigned cmd, uint64_t arg)
{
	if (cmd != FIONREAD)
		return VFILE_NOOP;
	/* Either end: the bytes in the pipe (pipe_ioctl). */
	int n = (int)ring_used_any(&pipe_of(f)->ch.dir[0].ring);
	return copy_to_user(arg, &n, sizeof(n)) ? -EFAULT : 0;
}

/* /proc/sys/fs/pipe-max-size: how far an unprivileged F_SETPIPE_SZ goes. */
static unsigned long max_size(void)
{
	static unsigned long max;
	if (!max) {
		unsigned long v = 1048576;
		FILE *fp = fopen("/proc/sys/fs/pipe-max-size", "re");
		if (fp) {
			if (fscanf(fp, "%lu", &v) != 1)
				v = 1048576;
			fclose(fp);
		}
		__atomic_store_n(&max, v, __ATOMIC_RELAXED);
	}
	return max;
}

/* F_SETPIPE_SZ as pipe_set_size: whole pages, a power of two of them;
 * above pipe-max-size only for root; EBUSY if the buffers would not fit. */
static long set_size(struct pipe *p, uint64_t arg)
{
	unsigned int req = (unsigned int)arg;
	if (req > 1u << 31)
		return -EINVAL;
	size_t size = PAGE;
	while (size < req)
		size <<= 1;
	unsigned slots = (unsigned)(size / PAGE);
	if (slots > p->slots && size > max_size() && geteuid() != 0)
		return -EPERM;
	uint64_t *ends = malloc(slots * sizeof(*ends));
	if (!ends)
		return -ENOMEM;
	spin_lock(&p->lock);
	long r = slots < p->used ? -EBUSY : chan_set_capacity(&p->ch.dir[0], size);
	if (!r) {
		for (unsigned i = 0; i < p->used; i++)
			ends[i] = p->bufend[(p->first + i) & (p->slots - 1)];
		uint64_t *old = p->bufend;
		p->bufend = ends;
		ends = old;
		p->first = 0;
		__atomic_store_n(&p->slots, slots, __ATOMIC_RELEASE);
	}
	spin_unlock(&p->lock);
	free(ends);
	if (r)
		return r;
	vfile_notify(&p->end[1], EPOLLOUT | EPOLLWRNORM);
	return (long)size;
}

static long pipe_fcntl(struct vfile *f, struct uthread *ut, int cmd, uint64_t arg)
{
	switch (cmd) {
	case F_GETPIPE_SZ:
		return (long)__atomic_load_n(&pipe_of(f)->slots, __ATOMIC_RELAXED) * PAGE;
	case F_SETPIPE_SZ:
		return set_size(pipe_of(f), arg);
	default:
		return VFILE_NOOP;
	}
}

/* The device numbers of the kernel's pipefs, so fstat looks as Linux's. */
static dev_t pipefs_dev(void)
{
	static dev_t dev = (dev_t)-1;
	if (dev == (dev_t)-1) {
		int k[2];
		struct stat st = { .st_dev = 0 };
		if (raw_syscall3(SYS_pipe2, k, O_CLOEXEC, 0) == 0) {
			raw_syscall3(SYS_fstat, k[0], &st, 0);
			raw_syscall3(SYS_close, k[0], 0, 0);
			raw_syscall3(SYS_close, k[1], 0, 0);
		}
		__atomic_store_n(&dev, st.st_dev, __ATOMIC_RELAXED);
	}
	return dev;
}

static long pipe_stat(struct vfile *f, struct stat *st)
{
	struct pipe *p = pipe_of(f);
	*st = (struct stat){
		.st_dev = pipefs_dev(), .st_ino = p->ino, .st_mode = S_IFIFO | S_IRUSR | S_IWUSR,
		.st_nlink = 1, .st_uid = geteuid(), .st_gid = getegid(), .st_blksize = 4096,
		.st_atim = p->born, .st_mtim = p->born, .st_ctim = p->born,
	};
	return 0;
}

/* pipe_host_file - the pipe leaves the instance: a kernel pipe of the same
 * size takes the bytes, and each open end becomes its end (a closed one is
 * closed there too: EOF or EPIPE as now). The kernel end of f, or -errno. */
static int pipe_host_file(struct vfile *f)
{
	struct pipe *p = pipe_of(f);
	int k[2];
	spin_lock(&p->lock);
	long r = vfile_in_kernel(f) ? 1 : raw_syscall3(SYS_pipe2, k, O_CLOEXEC | O_NONBLOCK, 0);
	size_t n = ring_used_any(&p->ch.dir[0].ring);
	char *buf = r ? NULL : malloc(n ? n : 1);
	if (!r && !buf)
		r = -ENOMEM;
	if (!r) {
		raw_syscall3(SYS_fcntl, k[1], F_SETPIPE_SZ, p->slots * PAGE);
		struct iovec v = { buf, n };
		struct iov_iter it;
		iov_iter_init(&it, &v, 1);
		long got = n ? chan_recv(&p->ch.end[0], &it, NULL, 0, NULL) : 0;
		if (got > 0 && raw_syscall3(SYS_write, k[1], buf, got) != got)
			r = -EIO; /* cannot happen: the kernel pipe is as large */
	}
	for (int i = 0; !r && i < 2; i++) {
		if (!p->open[i]) {
			raw_syscall3(SYS_close, k[i], 0, 0);
			continue;
		}
		raw_syscall3(SYS_fcntl, k[i], F_SETFL, p->end[i].flags & O_NONBLOCK);
		spin_lock(&p->end[i].poll_head.lock);
		vfile_moved_locked(&p->end[i], k[i]);
		spin_unlock(&p->end[i].poll_head.lock);
	}
	spin_unlock(&p->lock);
	free(buf);
	return r == 1 || !r ? f->kfd : (int)r;
}

static void pipe_release(struct vfile *f)
{
	struct pipe *p = pipe_of(f);
	spin_lock(&p->lock);
	p->open[side(f)] = false;
	/* The other end moved the pipe into the kernel after vfile_put
	 * looked: this end's kernel fd is ours to close. */
	int k = vfile_in_kernel(f) ? f->kfd : -1;
	f->kfd = -1;
	spin_unlock(&p->lock);
	if (k >= 0)
		raw_syscall3(SYS_close, k, 0, 0);
	chan_close(end_of(f));
	if (__atomic_sub_fetch(&p->ends, 1, __ATOMIC_ACQ_REL) == 0) {
		chan_fini(&p->ch);
		free(p->bufend);
		free(p);
	}
}

/* pipe_reopen - an open of /proc/self/fd/N of a pipe opens the pipe, as a
 * FIFO's open does (bash's process substitution: diff <(a) <(b) opens
 * /dev/fd/63): the end its access mode names, which must still be open
 * (either end for O_RDWR: this one). The pipe's two open file
 * descriptions are the only ones: the new fd shares its end's. */
static struct vfile *pipe_reopen(struct vfile *f, int flags)
{
	int want = (flags & O_ACCMODE) == O_RDONLY ? 0 : (flags & O_ACCMODE) == O_WRONLY ? 1 : side(f);
	struct pipe *p = pipe_of(f);
	struct vfile *e = &p->end[want];
	/* Another end's last reference may be going: take one only if some
	 * is left (its release runs after the count reached 0). */
	int refs = __atomic_load_n(&e->refs, __ATOMIC_ACQUIRE);
	while (refs > 0 && !__atomic_compare_exchange_n(&e->refs, &refs, refs + 1, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	return refs > 0 ? e : NULL;
}

#define PIPE_OPS                                                                           \
	.read = pipe_read, .write = pipe_write, .mid_io = pipe_mid_io, .poll = pipe_poll,   \
	.ioctl = pipe_ioctl,                                                                \
	.fcntl = pipe_fcntl, .stat = pipe_stat, .release = pipe_release,            \
	.host_file = pipe_host_file, .wait_fd = vfile_kernel_wait_fd, .reopen = pipe_reopen
static const struct vfile_ops pipe_ops[2] = { { PIPE_OPS, .fasync = FASYNC_IN }, { PIPE_OPS, .fasync = FASYNC_OUT } };

int pipe_new(int flags, struct vfile *ends[2])
{
	struct pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->slots = 16; /* Linux's default: 16 pages */
	p->bufend = malloc(p->slots * sizeof(*p->bufend));
	int r = p->bufend ? chan_init(&p->ch, CHAN_PIPE, p->slots * PAGE, &hooks) : -ENOMEM;
	if (r) {
		free(p->bufend);
		free(p);
		return r;
	}
	p->ends = 2;
	p->open[0] = p->open[1] = true;
	p->ino = vfile_new_ino();
	clock_gettime(CLOCK_REALTIME, &p->born);
	for (int i = 0; i < 2; i++) {
		vfile_init(&p->end[i], &pipe_ops[i], (i ? O_WRONLY : O_RDONLY) | (flags & O_NONBLOCK));
		chan_set_notify(&p->ch.end[i], on_ready, &p->end[i]);
		ends[i] = &p->end[i];
	}
	return 0;
}

size_t pipe_room(struct vfile *f)
{
	if (f->ops != &pipe_ops[0] && f->ops != &pipe_ops[1])
		return 0;
	struct pipe *p = pipe_of(f);
	return (size_t)(__atomic_load_n(&p->slots, __ATOMIC_RELAXED) -
			__atomic_load_n(&p->used, __ATOMIC_ACQUIRE)) * PAGE;
}
