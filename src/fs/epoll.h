/* epoll.h - epoll sets as user-space files (Linux's fs/eventpoll.c). */
#pragma once
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "fs/vfile.h"

struct vfile;

/*
 * A set has two kinds of members. A user-space file (an fd with an object)
 * gets an item hung on its poll head, whose callback feeds the set's ready
 * list, as Linux's ep_poll_callback. A kernel file (an fd without one) goes
 * into the set's private host epoll fd (made with the first one), keyed by
 * the host fd, so the kernel
 * keeps Linux's semantics for it (dup, last close, ET, ONESHOT); a wait
 * looks there only when the set has kernel members: at most one
 * non-blocking check per wait, or, to block, watched through kwait.
 * Interest belongs to the open file description: an item goes away when
 * its file's last fd is closed (eventpoll_release_file), not with one fd.
 */

/* What epoll_ctl names: a user-space file (file set) or a kernel file. */
struct ep_target {
	struct vfile *file;  /* its object, or NULL */
	int fd;              /* the program's number: part of an item's key */
	int host;            /* the host fd when file is NULL */
};

/* eventpoll_create - a new set (one reference), or NULL with -errno in *err. */
struct vfile *eventpoll_create(long *err);


/*
 * For the lean gate (entry/lean.c: no lock, no library code): while every
 * member of a set is a kernel file, a wait on it is a wait on its private
 * host epoll fd, whose events carry the program's data as they are. The
 * set begins like this; lean_kfd is that fd then, else -1.
 */
extern const struct vfile_ops eventpoll_ops;
struct eventpoll_lean {
	struct vfile vf;
	int lean_kfd;
};

static inline bool is_eventpoll(const struct vfile *f)
{
	return f && f->ops == &eventpoll_ops;
}

static inline int eventpoll_lean_fd(const struct vfile *f)
{
	return f->ops == &eventpoll_ops ? __atomic_load_n(&((const struct eventpoll_lean *)f)->lean_kfd, __ATOMIC_ACQUIRE)
					: -1;
}

/**
 * eventpoll_wait_lean - for the lean gate: a wait with timeout 0, writing
 * up to max events straight into the program's buffer at out. Makes no
 * library call and needs no vector register; a set with kernel members
 * costs one non-blocking epoll_wait on its host epoll fd, as the full
 * path's look. Returns events (0: none ready), -EFAULT, or -EAGAIN when
 * the set needs the full path (a nested set with kernel members, a member
 * that moved into the kernel).
 */
long eventpoll_wait_lean(struct vfile *ep, uint64_t out, int max);

/* eventpoll_ctl - EPOLL_CTL_ADD/MOD/DEL of t in set ep (is_eventpoll),
 * with Linux's checks after the fd lookups; ev is ignored for DEL. */
long eventpoll_ctl(struct vfile *ep, int op, const struct ep_target *t, struct epoll_event *ev);

/* eventpoll_ctl_mid - EPOLL_CTL_ADD/DEL/MOD (op) of an object, for the
 * gate's mid path (no library code; ev NULL for DEL): -EAGAIN, having
 * changed nothing, where the full eventpoll_ctl must serve it (an add
 * that allocates, errors, sets in sets, kernel files...). */
long eventpoll_ctl_mid(struct vfile *ep, int op, struct vfile *file, int fd, const struct epoll_event *ev);
/* eventpoll_ctl_kernel_mid - the same for a kernel file (host fd) that
 * has no object: an add or a change through the set's host epoll fd. */
long eventpoll_ctl_kernel_mid(struct vfile *ep, int op, int host, struct epoll_event *ev);

/* eventpoll_wait_args - Linux's checks of a wait's arguments, after the
 * fd's (EBADF) and before what it is (EINVAL): maxevents (EINVAL), then
 * the buffer's end (access_ok: EFAULT; a bad start faults only when an
 * event is written there). */
static inline long eventpoll_wait_args(uint64_t events, int max)
{
	if (max <= 0 || max > INT_MAX / (int)sizeof(struct epoll_event))
		return -EINVAL;
	uint64_t top = events + (uint64_t)max * sizeof(struct epoll_event);
	return top < events || top > 0x7ffffffff000ull ? -EFAULT : 0; /* TASK_SIZE_MAX */
}

/**
 * eventpoll_wait - up to max ready events into the program's buffer at
 * out: how many, or -EFAULT (none lost: Linux's). @looked: the caller
 * found nothing a moment ago; a blocking wait starts without a look.
 * @block: park until one is ready, the deadline (CLOCK_MONOTONIC ns, 0:
 * none) passes (0 events), or the uthread's interrupt word is set
 * (signal_arm_wait, by the caller): -EINTR.
 */
long eventpoll_wait(struct vfile *ep, uint64_t out, int max, bool block,
		    uint64_t deadline, bool looked);

/* eventpoll_wait_mid - a blocking eventpoll_wait after a look, for the
 * gate's mid path (sys/mid_io.c): -EAGAIN, having changed nothing, where
 * the wait needs kwait (a kernel member...), which calls library code. */
long eventpoll_wait_mid(struct vfile *ep, uint64_t out, int max, uint64_t deadline);

/* eventpoll_release_file - f's last fd is gone: it leaves every set. */
void eventpoll_release_file(struct vfile *f);
