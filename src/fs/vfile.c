/* vfile.c - user-space file objects: lifetime and poll heads. */
#include "fs/vfile.h"

#include <errno.h>
#include <sys/epoll.h>

#include "fs/epoll.h"

void vfile_init(struct vfile *f, const struct vfile_ops *ops, int flags)
{
	*f = (struct vfile){ .ops = ops, .refs = 1, .flags = flags };
}

void vfile_put(struct vfile *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	eventpoll_release_file(f);
	if (f->ops->release)
		f->ops->release(f);
}

void vfile_notify(struct vfile *f, uint32_t events)
{
	waitq_wake(&f->poll_head, -1, events);
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
