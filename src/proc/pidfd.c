/* pidfd.c - pidfd_open's file: a program's end as readiness, a target for signals and waits. */
#include "proc/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "core/spinlock.h"
#include "fs/vfile.h"
#include "proc/vproc.h"

/*
 * A pidfd names one program, not a pid: it keeps the pid and the
 * program's serial, so a pid given out again after a reap is not taken
 * for it. It is readable once the program has ended (a zombie or reaped),
 * as Linux's pidfd_poll. The live pidfds are on one list that a program's
 * end walks: few programs have any, and an end is rare next to a poll.
 */
struct pidfd {
	struct vfile vf;
	int pid;
	uint64_t serial;
	struct pidfd *next, **pprev;
	struct pidfd *woken;  /* pidfd_ended's chain */
};

static spinlock_t list_lock = SPINLOCK_INIT;
static struct pidfd *list;

static struct pidfd *pidfd_of(struct vfile *f);

struct vproc *pidfd_program(struct vfile *f)
{
	struct pidfd *d = pidfd_of(f);
	struct vproc *p = d ? vproc_by_pid(d->pid) : NULL;
	return p && p->serial == d->serial ? p : NULL;
}

static uint32_t pidfd_poll(struct vfile *f)
{
	struct vproc *p = pidfd_program(f);
	bool ended = !p || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == VP_DEAD;
	return ended ? EPOLLIN | EPOLLRDNORM : 0;
}

/* As Linux: "Pid: -1" once the program has been reaped. */
static int pidfd_fdinfo(struct vfile *f, char *buf, size_t size)
{
	int pid = pidfd_program(f) ? pidfd_of(f)->pid : -1;
	return snprintf(buf, size, "Pid:\t%d\nNSpid:\t%d\n", pid, pid);
}

static void pidfd_release(struct vfile *f)
{
	struct pidfd *d = pidfd_of(f);
	spin_lock(&list_lock);
	if (d->next)
		d->next->pprev = d->pprev;
	*d->pprev = d->next;
	spin_unlock(&list_lock);
	free(d);
}

static const struct vfile_ops pidfd_ops = {
	.name = "[pidfd]",
	.poll = pidfd_poll,
	.fdinfo = pidfd_fdinfo,
	.release = pidfd_release,
	/* No host_file: a forked child, another host process, does not see the
	 * program's end; its copy is closed there (proc/fork.c). */
};

static struct pidfd *pidfd_of(struct vfile *f)
{
	return f && f->ops == &pidfd_ops ? (struct pidfd *)f : NULL;
}

int pidfd_pid(struct vfile *f)
{
	struct pidfd *d = pidfd_of(f);
	return d ? d->pid : -EBADF;
}

struct vfile *pidfd_new(struct vproc *p, int pid, bool nonblock)
{
	struct pidfd *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	vfile_init(&d->vf, &pidfd_ops, O_RDWR | (nonblock ? O_NONBLOCK : 0));
	d->pid = pid;
	d->serial = p ? p->serial : 0; /* serials start at 1: never matched */
	spin_lock(&list_lock);
	d->next = list;
	d->pprev = &list;
	if (list)
		list->pprev = &d->next;
	list = d;
	spin_unlock(&list_lock);
	return &d->vf;
}

/* get_unless_released - a reference, unless the last one is gone (its
 * release waits for the list lock that the caller holds). */
static bool get_unless_released(struct vfile *f)
{
	int r = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
	while (r > 0)
		if (__atomic_compare_exchange_n(&f->refs, &r, r + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

void pidfd_ended(struct vproc *p)
{
	if (!__atomic_load_n(&list, __ATOMIC_ACQUIRE))
		return;
	/* Woken outside the list lock: a wake runs epoll's callbacks, and a
	 * pidfd may be released under epoll's lock. */
	struct pidfd *woken = NULL;
	spin_lock(&list_lock);
	for (struct pidfd *d = list; d; d = d->next)
		if (d->pid == p->pid && d->serial == p->serial && get_unless_released(&d->vf)) {
			d->woken = woken;
			woken = d;
		}
	spin_unlock(&list_lock);
	while (woken) {
		struct pidfd *d = woken;
		woken = d->woken;
		vfile_notify(&d->vf, EPOLLIN | EPOLLRDNORM);
		vfile_put(&d->vf);
	}
}
