/* vfile.c - user-space file objects: lifetime and poll heads. */
#include "fs/vfile.h"

#include <string.h>
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "core/rawsys.h"

#include "fs/epoll.h"

uint64_t vfile_new_ino(void)
{
	/* Above the kernel's get_next_ino() counter for pipes and sockets. */
	static uint64_t next = 1ull << 32;
	return __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
}

void vfile_init(struct vfile *f, const struct vfile_ops *ops, int flags)
{
	*f = (struct vfile){ .ops = ops, .refs = 1, .flags = flags, .kfd = -1, .async_fd = -1 };
}

void vfile_put(struct vfile *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->kfd >= 0) {
		raw_syscall3(SYS_close, f->kfd, 0, 0);
		f->kfd = -1; /* release may look (a pipe's other end moving) */
	}
	eventpoll_release_file(f);
	if (f->ops->release)
		f->ops->release(f);
}

const struct vfile_owner_ops *vfile_owner;

void vfile_notify(struct vfile *f, uint32_t events)
{
	waitq_wake(&f->poll_head, -1, events);
	/* F_SETFL keeps O_ASYNC only for a kind that has fasync. */
	if (__builtin_expect(__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ASYNC, 0) && events && vfile_owner)
		vfile_owner->sigio(f, events);
}

void vfile_urgent(struct vfile *f)
{
	if (__atomic_load_n(&f->owner, __ATOMIC_RELAXED) && vfile_owner)
		vfile_owner->urgent(f);
}

bool vfile_ready_for(void *arg)
{
	struct vfile_wait_for *w = arg;
	/* Moved into the kernel (a fork, SCM_RIGHTS): nothing notifies the
	 * head any more; the caller finds out and asks the kernel. */
	return vfile_in_kernel(w->f) || (w->f->ops->poll(w->f) & w->events);
}

long vfile_wait(struct vfile *f, uint32_t events, uint64_t deadline)
{
	struct vfile_wait_for w = { f, events };
	return waitq_wait_until(&f->poll_head, events, vfile_ready_for, &w, deadline);
}

void vfile_moved_locked(struct vfile *f, int kfd)
{
	__atomic_store_n(&f->kfd, kfd, __ATOMIC_RELEASE);
	if (((f->flags & O_ASYNC) || f->owner) && vfile_owner)
		vfile_owner->moved(f, kfd);
	__atomic_store_n(&f->in_kernel, true, __ATOMIC_RELEASE);
	waitq_wake_locked(&f->poll_head, -1, WQ_ALL);
}

uint32_t vfile_kernel_poll(struct vfile *f)
{
	/* The kernel reports only what is asked (and errors): every event a
	 * waiter may want, RDNORM and WRNORM included (varnish's connect
	 * waits for POLLWRNORM alone). */
	struct pollfd p = { .fd = f->kfd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDNORM | POLLWRNORM |
						 POLLRDBAND | POLLWRBAND | POLLRDHUP };
	return raw_syscall3(SYS_poll, &p, 1, 0) == 1 ? (uint16_t)p.revents : 0;
}

void vfile_after_fork(struct vfile *f)
{
	/* Its waiters were other threads of the parent: none here. */
	memset(&f->poll_head, 0, sizeof(f->poll_head));
	if (f->ops->after_fork)
		f->ops->after_fork(f);
}
