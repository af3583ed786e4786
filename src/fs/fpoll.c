/* fpoll.c - waiting on many files at once: the engine of poll and select. */
#include "fs/fpoll.h"

#include <errno.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/vfile.h"
#include "sched/kwait.h"

/* A file without a poll op is always ready, as Linux's vfs_poll says. */
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

/* One call's wait: the callbacks of its files set `fired` and wake it. */
struct fpoll {
	struct waitq wq;
	bool fired;
};

/* A file's readiness changed (its head or kwait entry locked). The
 * callback's key holds its call's struct fpoll. */
static void fired(struct wq_entry *e, uint32_t events)
{
	struct fpoll *pt = (struct fpoll *)e->key;
	spin_lock(&pt->wq.lock);
	pt->fired = true;
	waitq_wake_locked(&pt->wq, -1, WQ_ALL);
	spin_unlock(&pt->wq.lock);
}

/* scan - every file's revents now; how many have some. */
static int scan(struct fpoll_ent *ents, int n, struct pollfd *kfds)
{
	int count = 0, nk = 0;
	for (int i = 0; i < n; i++) {
		struct fpoll_ent *x = &ents[i];
		if (x->file)
			x->revents = (x->file->ops->poll ? x->file->ops->poll(x->file) : DEFAULT_POLLMASK) &
				     (x->events | POLLERR | POLLHUP);
		else if (x->host < 0)
			x->revents = POLLNVAL;
		else
			kfds[nk++] = (struct pollfd){ .fd = x->host, .events = (short)x->events };
		count += x->revents != 0;
	}
	if (!nk || raw_syscall3(SYS_poll, (long)kfds, nk, 0) < 0)
		return count;
	for (int i = 0, j = 0; i < n; i++) {
		if (!ents[i].file && ents[i].host >= 0) {
			ents[i].revents = (uint16_t)kfds[j++].revents;
			count += ents[i].revents != 0;
		}
	}
	return count;
}

/* kernel_fd - what kwait watches for x: its host fd, or its file's wait_fd. */
static int kernel_fd(const struct fpoll_ent *x)
{
	if (!x->file)
		return x->host;
	return x->file->ops->wait_fd ? x->file->ops->wait_fd(x->file) : -1;
}

/* kernel_events - what that fd is watched for: a host fd's and a file's
 * that moved into the kernel (its wait_fd is itself) are the events asked
 * for, errors and hangups too (a poll for none, on a pipe's write end
 * whose reader another process closed, never woke: `tail -f | head -1`
 * hung); any other wait_fd (an epoll set's kernel part) is ready when
 * readable. (POLLIN alone for all once: a pipe's write end, moved into the
 * kernel by a fork, never woke a poll for POLLOUT.) */
static uint32_t kernel_events(const struct fpoll_ent *x)
{
	return !x->file || vfile_in_kernel(x->file) ? x->events | POLLERR | POLLHUP : POLLIN;
}

long fpoll_wait(struct fpoll_ent *ents, int n, struct pollfd *kfds, bool block, uint64_t deadline)
{
	struct fpoll pt = { 0 };
	for (int i = 0; i < n && block; i++) {
		struct fpoll_ent *x = &ents[i];
		x->kw = (struct wq_entry){ .func = fired, .key = (uint64_t)&pt };
		/* Hung before the first look: a change after it wakes us. */
		if (x->file) {
			x->w = (struct wq_entry){ .events = x->events | POLLERR | POLLHUP, .func = fired,
						  .key = (uint64_t)&pt };
			waitq_add(&x->file->poll_head, &x->w);
		}
	}
	long r;
	for (;;) {
		spin_lock(&pt.wq.lock);
		pt.fired = false;
		spin_unlock(&pt.wq.lock);
		r = scan(ents, n, kfds);
		if (r || !block)
			break;
		/* Arming a kernel fd that is ready already fires at once. */
		for (int i = 0; i < n; i++) {
			int k = kernel_fd(&ents[i]);
			if (!__atomic_load_n(&ents[i].kw.q, __ATOMIC_RELAXED)) /* not hung yet */
				ents[i].kw.events = kernel_events(&ents[i]);
			long w = k >= 0 ? kwait_watch(k, &ents[i].kw) : 0;
			if (w < 0 && w != -EPERM) /* cannot watch it: look again */
				pt.fired = true;
		}
		spin_lock(&pt.wq.lock);
		if (pt.fired) {
			spin_unlock(&pt.wq.lock);
			continue;
		}
		struct wq_entry w = { .events = WQ_ALL };
		r = waitq_park(&pt.wq, &w, deadline, true);
		if (r == -EINTR)
			break;
		if (r == -ETIMEDOUT) { /* one last look, as Linux's do_poll */
			r = scan(ents, n, kfds);
			break;
		}
	}
	if (block)
		fpoll_unhook(ents, n);
	return r;
}

void fpoll_unhook(struct fpoll_ent *ents, int n)
{
	for (int i = 0; i < n; i++) {
		if (ents[i].file)
			waitq_remove(&ents[i].w);
		kwait_unwatch(&ents[i].kw);
	}
}
