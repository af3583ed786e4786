/* vfile.c - user-space file objects: lifetime, poll heads, the kernel-visible mirror. */
#include "fs/vfile.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/rawsys.h"

void vfile_init(struct vfile *f, const struct vfile_ops *ops, int flags)
{
	*f = (struct vfile){ .ops = ops, .refs = 1, .flags = flags, .mirror_fd = -1, .mirror_ctl = -1 };
}

void vfile_put(struct vfile *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->mirror_fd >= 0) {
		waitq_remove(&f->mirror);
		raw_syscall3(SYS_close, f->mirror_fd, 0, 0);
		if (f->mirror_ctl >= 0)
			raw_syscall3(SYS_close, f->mirror_ctl, 0, 0);
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

/*
 * The mirror is a host UNIX socketpair: the kernel polls end 0, the
 * runtime drives end 1 so that end 0 reports what the object's poll says:
 *  - POLLIN: one byte waits in end 0 (read back out when not readable);
 *  - no POLLOUT: end 0's small send buffer is filled (drained when
 *    writable again);
 *  - POLLRDHUP (with POLLIN, as on a socket): end 1 shut for writing;
 *    POLLHUP: both ends shut; POLLERR: end 1 closed with bytes unread,
 *    which leaves ECONNRESET on end 0 (unix_release_sock). These last
 *    three do not go away on a socket, nor here.
 */
enum { M_IN = 1, M_FULL = 2, M_RDHUP = 4, M_HUP = 8, M_ERR = 16 };

static void drain(int fd)
{
	char buf[4096];
	while (raw_syscall6(SYS_recvfrom, fd, (long)buf, sizeof(buf), MSG_DONTWAIT, 0, 0) > 0)
		;
}

/* mirror_sync - under the poll head's lock, which orders the syncs of
 * concurrent notifies. */
static void mirror_sync(struct wq_entry *e, uint32_t events)
{
	struct vfile *f = (struct vfile *)((char *)e - offsetof(struct vfile, mirror));
	uint32_t m = f->ops->poll(f);
	int k = f->mirror_fd, c = f->mirror_ctl;
	unsigned st = f->mirror_state;
	char b = 0;
	if (st & M_ERR)
		return;
	if (m & EPOLLERR) {
		raw_syscall6(SYS_sendto, k, (long)&b, 1, MSG_DONTWAIT, 0, 0);
		raw_syscall3(SYS_close, c, 0, 0);
		f->mirror_ctl = -1;
		f->mirror_state = st | M_ERR;
		return;
	}
	if ((m & EPOLLHUP) && !(st & M_HUP)) {
		raw_syscall3(SYS_shutdown, k, SHUT_WR, 0);
		raw_syscall3(SYS_shutdown, c, SHUT_WR, 0);
		st |= M_HUP | M_RDHUP;
	} else if ((m & EPOLLRDHUP) && !(st & M_RDHUP)) {
		raw_syscall3(SYS_shutdown, c, SHUT_WR, 0);
		st |= M_RDHUP;
	}
	if (!(st & M_RDHUP)) {
		if ((m & EPOLLIN) && (!(st & M_IN) || (events & ~VFILE_CHANGED))) {
			/* a byte per event that made it ready: a new edge for EPOLLET */
			raw_syscall6(SYS_sendto, c, (long)&b, 1, MSG_DONTWAIT, 0, 0);
			st |= M_IN;
		} else if (!(m & EPOLLIN) && (st & M_IN)) {
			drain(k);
			st &= ~M_IN;
		}
	}
	if ((m & EPOLLOUT) && (st & M_FULL)) {
		drain(c);
		st &= ~M_FULL;
	} else if (!(m & EPOLLOUT) && !(st & (M_FULL | M_HUP))) {
		static const char fill[4096];
		while (raw_syscall6(SYS_sendto, k, (long)fill, sizeof(fill), MSG_DONTWAIT, 0, 0) > 0)
			;
		st |= M_FULL;
	}
	f->mirror_state = st;
}

int vfile_kernel_fd(struct vfile *f)
{
	/* Synced at every use too: readiness that went away (a read emptied
	 * the queue) notifies nobody. */
	spin_lock(&f->poll_head.lock);
	if (f->mirror_fd >= 0)
		mirror_sync(&f->mirror, 0);
	if (f->mirror_fd < 0) {
		int sv[2];
		long r = raw_syscall6(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
				      (long)sv, 0, 0);
		if (r < 0) {
			spin_unlock(&f->poll_head.lock);
			return (int)r;
		}
		int small = 4096; /* the least the kernel takes: filling it is quick */
		raw_syscall6(SYS_setsockopt, sv[0], SOL_SOCKET, SO_SNDBUF, (long)&small, sizeof(small), 0);
		f->mirror = (struct wq_entry){ .events = WQ_ALL, .func = mirror_sync };
		f->mirror_ctl = sv[1];
		f->mirror_state = 0;
		__atomic_store_n(&f->mirror_fd, sv[0], __ATOMIC_RELEASE);
		/* Hung and synced under the lock notifies take: none slips between. */
		waitq_add_locked(&f->poll_head, &f->mirror);
		mirror_sync(&f->mirror, 0);
	}
	int fd = f->mirror_fd;
	spin_unlock(&f->poll_head.lock);
	return fd;
}
