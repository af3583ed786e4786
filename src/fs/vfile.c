/* vfile.c - user-space file objects: lifetime, poll heads, the kernel-visible mirror. */
#include "fs/vfile.h"

#include <string.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "core/rawsys.h"

void vfile_init(struct vfile *f, const struct vfile_ops *ops, int flags)
{
	*f = (struct vfile){ .ops = ops, .refs = 1, .flags = flags, .mirror_fd = -1 };
}

void vfile_put(struct vfile *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->mirror_fd >= 0) {
		waitq_remove(&f->mirror);
		raw_syscall3(SYS_close, f->mirror_fd, 0, 0);
	}
	if (f->ops->release)
		f->ops->release(f);
}

void vfile_notify(struct vfile *f, uint32_t events)
{
	waitq_wake(&f->poll_head, -1, events | VFILE_CHANGED);
}

long vfile_wait(struct vfile *f, uint32_t events, uint64_t deadline)
{
	for (;;) {
		spin_lock(&f->poll_head.lock);
		/* Checked under the lock the notifier wakes under: no lost wake. */
		if (f->ops->poll(f) & events) {
			spin_unlock(&f->poll_head.lock);
			return 0;
		}
		struct wq_entry w = { .events = events };
		long r = waitq_park(&f->poll_head, &w, deadline, true);
		if (r < 0)
			return r;
	}
}

/* mirror_sync - the eventfd is readable exactly while f is (POLLIN): its
 * counter is set or emptied. Under the poll head's lock, which orders the
 * syncs of concurrent notifies. */
static void mirror_sync(struct wq_entry *e, uint32_t events)
{
	struct vfile *f = (struct vfile *)((char *)e - offsetof(struct vfile, mirror));
	uint64_t v = 1;
	if (f->ops->poll(f) & EPOLLIN)
		raw_syscall3(SYS_write, f->mirror_fd, &v, 8);
	else
		raw_syscall3(SYS_read, f->mirror_fd, &v, 8);
}

int vfile_kernel_fd(struct vfile *f)
{
	int fd = __atomic_load_n(&f->mirror_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	spin_lock(&f->poll_head.lock);
	if (f->mirror_fd < 0) {
		long r = raw_syscall3(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC, 0);
		if (r < 0) {
			spin_unlock(&f->poll_head.lock);
			return (int)r;
		}
		f->mirror = (struct wq_entry){ .events = WQ_ALL, .func = mirror_sync };
		__atomic_store_n(&f->mirror_fd, (int)r, __ATOMIC_RELEASE);
		/* Hung and synced under the lock notifies take: none slips between. */
		waitq_add_locked(&f->poll_head, &f->mirror);
		mirror_sync(&f->mirror, 0);
	}
	fd = f->mirror_fd;
	spin_unlock(&f->poll_head.lock);
	return fd;
}

void vfile_after_fork(struct vfile *f)
{
	/* Its waiters were other threads; its mirror eventfd is the parent's
	 * too (a wait on it would see the parent's object): both start anew. */
	memset(&f->poll_head, 0, sizeof(f->poll_head));
	if (f->mirror_fd >= 0)
		raw_syscall3(SYS_close, f->mirror_fd, 0, 0);
	f->mirror_fd = -1;
}
