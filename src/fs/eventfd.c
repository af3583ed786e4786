/* eventfd.c - eventfd(2) as a user-space object: a counter behind a poll head. */
#include "fs/eventfd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"

/*
 * The counter is guarded by the poll head's lock: a change and the wake
 * it causes happen under one lock, and a waiter re-checks readiness under
 * it (vfile_wait), so no wake is lost. Readers of the counter for poll
 * read it atomically without the lock (poll is called under it).
 */
struct efd {
	struct vfile vf;
	uint64_t count;
	bool sem;
	int id;
};

static struct efd *efd_of(struct vfile *f)
{
	return (struct efd *)f;
}

static uint32_t efd_poll(struct vfile *f)
{
	if (vfile_in_kernel(f))
		return vfile_kernel_poll(f);
	uint64_t c = __atomic_load_n(&efd_of(f)->count, __ATOMIC_ACQUIRE);
	uint32_t m = 0;
	if (c)
		m |= EPOLLIN | EPOLLRDNORM;
	if (c == UINT64_MAX)
		m |= EPOLLERR;
	if (c < UINT64_MAX - 1)
		m |= EPOLLOUT | EPOLLWRNORM;
	return m;
}

/* copy_iov - the 8 bytes of v to or from the start of an iovec array,
 * across segments as copy_to_iter does: 0 or -EFAULT. */
static long copy_iov(const struct vmsg *m, uint64_t *v, bool to_user)
{
	char *p = (char *)v;
	size_t left = sizeof(*v);
	for (int i = 0; i < m->iovcnt && left; i++) {
		size_t n = m->iov[i].iov_len < left ? m->iov[i].iov_len : left;
		uint64_t u = (uint64_t)m->iov[i].iov_base;
		if (n && (to_user ? copy_to_user(u, p, n) : copy_from_user(p, u, n)))
			return -EFAULT;
		p += n;
		left -= n;
	}
	return 0;
}

static size_t iov_len(const struct vmsg *m)
{
	size_t n = 0;
	for (int i = 0; i < m->iovcnt; i++)
		n += m->iov[i].iov_len;
	return n;
}

/* change - set the counter under the poll head's lock and wake those
 * whose events it made ready, and the mirror. */
static void change(struct efd *e, uint64_t v, uint32_t events)
{
	__atomic_store_n(&e->count, v, __ATOMIC_RELEASE);
	waitq_wake_locked(&e->vf.poll_head, -1, events);
}

static long efd_read(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct efd *e = efd_of(f);
	if (m->off != -1)
		return -ESPIPE;
	if (iov_len(m) < sizeof(uint64_t))
		return -EINVAL;
	spin_lock(&f->poll_head.lock);
	uint64_t c = e->count, v = e->sem ? 1 : c;
	if (!c || f->in_kernel) { /* moved: objcall sends the call to the kernel */
		spin_unlock(&f->poll_head.lock);
		return -EAGAIN;
	}
	change(e, c - v, EPOLLOUT | EPOLLWRNORM);
	spin_unlock(&f->poll_head.lock);
	/* Taken even if the copy faults, as Linux's eventfd_read. */
	return copy_iov(m, &v, true) ? -EFAULT : (long)sizeof(v);
}

static long efd_write(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct efd *e = efd_of(f);
	if (m->off != -1)
		return -ESPIPE;
	uint64_t v;
	if (iov_len(m) < sizeof(v))
		return -EINVAL;
	if (copy_iov(m, &v, false))
		return -EFAULT;
	if (v == UINT64_MAX)
		return -EINVAL;
	spin_lock(&f->poll_head.lock);
	/* Room while count + v stays below 2^64-1; else wait (or EAGAIN). */
	if (UINT64_MAX - e->count <= v || f->in_kernel) {
		spin_unlock(&f->poll_head.lock);
		return -EAGAIN;
	}
	change(e, e->count + v, EPOLLIN | EPOLLRDNORM); /* a wake even for 0, as Linux */
	spin_unlock(&f->poll_head.lock);
	return sizeof(v);
}

/* The mid path's share (vfile.h): the ops themselves, which call no
 * library code; a wait, or a file moved into the kernel, goes the full way. */
static long efd_mid_io(struct vfile *f, bool wr, const struct iovec *iov, int iovcnt, int flags)
{
	struct vmsg m = { .iov = iov, .iovcnt = iovcnt, .off = -1 };
	long r = wr ? efd_write(f, NULL, &m) : efd_read(f, NULL, &m);
	if (r == -EAGAIN && (vfile_in_kernel(f) || !(f->flags & O_NONBLOCK)))
		return VFILE_MID_PASS;
	return r;
}

static int efd_fdinfo(struct vfile *f, char *buf, size_t size)
{
	struct efd *e = efd_of(f);
	int n = snprintf(buf, size, "eventfd-count: %16llx\neventfd-id: %d\neventfd-semaphore: %d\n",
			 (unsigned long long)__atomic_load_n(&e->count, __ATOMIC_RELAXED), e->id, e->sem);
	return n < 0 ? 0 : n;
}

/* efd_host_file - the eventfd leaves the instance: a kernel eventfd with
 * the same count and flags takes its place. Its fd, or -errno. */
static int efd_host_file(struct vfile *f)
{
	struct efd *e = efd_of(f);
	spin_lock(&f->poll_head.lock);
	long k = f->in_kernel ? -1 : raw_syscall3(SYS_eventfd2, 0,
			EFD_CLOEXEC | (f->flags & EFD_NONBLOCK) | (e->sem ? EFD_SEMAPHORE : 0), 0);
	if (k >= 0 && e->count)
		raw_syscall3(SYS_write, k, &e->count, sizeof(e->count));
	if (k >= 0)
		vfile_moved_locked(f, (int)k);
	spin_unlock(&f->poll_head.lock);
	return k < -1 ? (int)k : f->kfd;
}

static void efd_release(struct vfile *f)
{
	free(efd_of(f));
}

static const struct vfile_ops efd_ops = {
	.name = "[eventfd]", .read = efd_read, .write = efd_write, .mid_io = efd_mid_io, .poll = efd_poll,
	.fdinfo = efd_fdinfo, .release = efd_release,
	.host_file = efd_host_file, .wait_fd = vfile_kernel_wait_fd,
};

struct vfile *eventfd_new(uint64_t initval, int flags)
{
	static int next_id;
	struct efd *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	vfile_init(&e->vf, &efd_ops, O_RDWR | (flags & EFD_NONBLOCK));
	e->count = initval;
	e->sem = flags & EFD_SEMAPHORE;
	e->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	return &e->vf;
}
