/* test_epoll.c - unit tests of fs/epoll: the ready list, modes, keys, nesting, waits, release. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_sched.h"
#include "fs/epoll.h"
#include "fs/vfile.h"
#include "sched/kwait.h"
#include "unit.h"

/* A file whose readiness the test sets. */
struct tfile {
	struct vfile vf;
	uint32_t ready;
};

static int released;

static uint32_t t_poll(struct vfile *f)
{
	return ((struct tfile *)f)->ready;
}

static void t_release(struct vfile *f)
{
	released++;
	free(f);
}

static const struct vfile_ops t_ops = { .name = "[test]", .poll = t_poll, .release = t_release };

static struct tfile *tfile(void)
{
	struct tfile *t = calloc(1, sizeof(*t));
	vfile_init(&t->vf, &t_ops, 0);
	return t;
}

static void set_ready(struct tfile *t, uint32_t ev)
{
	t->ready = ev;
	vfile_notify(&t->vf, ev);
}

static struct vfile *set(void)
{
	long err = 0;
	struct vfile *ep = eventpoll_create(&err);
	CHECK(ep);
	return ep;
}

static long ctl(struct vfile *ep, int op, struct vfile *f, int fd, uint32_t events, uint64_t data)
{
	struct ep_target t = { .file = f, .fd = fd, .host = -1 };
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return eventpoll_ctl(ep, op, &t, &ev);
}

static struct epoll_event out[32];

static long look(struct vfile *ep, int max)
{
	memset(out, 0, sizeof(out));
	return eventpoll_wait(ep, (uint64_t)out, max, false, 0, false);
}

static void setup(void)
{
	static bool kw;
	fake_sched_init();
	fake_uthread(0);
	released = 0;
	if (!kw) {
		kwait_init();
		kw = true;
	}
}

UNIT_TEST(level_triggered_until_drained)
{
	setup();
	struct vfile *ep = set();
	struct tfile *a = tfile();
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN, 7), 0);
	CHECK_EQ(look(ep, 4), 0);
	set_ready(a, EPOLLIN | EPOLLOUT);
	CHECK_EQ(look(ep, 4), 1);
	CHECK_EQ(out[0].events, EPOLLIN); /* only what it asked for */
	CHECK_EQ(out[0].data.u64, 7);
	CHECK_EQ(look(ep, 4), 1);
	a->ready = 0; /* drained without a notify: the next look drops it */
	CHECK_EQ(look(ep, 4), 0);
	set_ready(a, EPOLLHUP); /* always reported */
	CHECK_EQ(look(ep, 4), 1);
	CHECK_EQ(out[0].events, EPOLLHUP);
	vfile_put(&a->vf);
	vfile_put(ep);
}

UNIT_TEST(edge_triggered_once_per_change)
{
	setup();
	struct vfile *ep = set();
	struct tfile *a = tfile();
	set_ready(a, EPOLLIN);
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(look(ep, 4), 1); /* ready when added */
	CHECK_EQ(look(ep, 4), 0);
	set_ready(a, EPOLLIN);
	CHECK_EQ(look(ep, 4), 1);
	CHECK_EQ(look(ep, 4), 0);
	set_ready(a, EPOLLOUT); /* a change it does not wait for */
	CHECK_EQ(look(ep, 4), 0);
	vfile_put(&a->vf);
	vfile_put(ep);
}

UNIT_TEST(oneshot_until_mod)
{
	setup();
	struct vfile *ep = set();
	struct tfile *a = tfile();
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN | EPOLLONESHOT, 1), 0);
	set_ready(a, EPOLLIN);
	CHECK_EQ(look(ep, 4), 1);
	set_ready(a, EPOLLIN);
	CHECK_EQ(look(ep, 4), 0); /* disabled */
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, &a->vf, 3, EPOLLIN | EPOLLONESHOT, 2), 0);
	CHECK_EQ(look(ep, 4), 1);
	CHECK_EQ(out[0].data.u64, 2);
	vfile_put(&a->vf);
	vfile_put(ep);
}

UNIT_TEST(fair_round_robin)
{
	setup();
	struct vfile *ep = set();
	struct tfile *f[20];
	int seen[20] = { 0 };
	for (int i = 0; i < 20; i++) {
		f[i] = tfile();
		f[i]->ready = EPOLLIN;
		CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &f[i]->vf, i, EPOLLIN, i), 0);
	}
	for (int k = 0; k < 4; k++) {
		CHECK_EQ(look(ep, 5), 5);
		for (int i = 0; i < 5; i++)
			seen[out[i].data.u64]++;
	}
	for (int i = 0; i < 20; i++)
		CHECK_EQ(seen[i], 1);
	for (int i = 0; i < 20; i++)
		vfile_put(&f[i]->vf);
	vfile_put(ep);
}

/* More ready items than one batch of the collection: each reported once
 * per wait, the level-triggered ones again at the next, the edge-triggered
 * and the ones no longer ready not, and the order kept round robin. */
UNIT_TEST(batches_once_each)
{
	setup();
	struct vfile *ep = set();
	struct tfile *f[30];
	for (int i = 0; i < 30; i++) {
		f[i] = tfile();
		set_ready(f[i], 0);
		CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &f[i]->vf, i, EPOLLIN | (i % 3 == 0 ? EPOLLET : 0), i), 0);
	}
	for (int i = 0; i < 30; i++)
		set_ready(f[i], EPOLLIN);
	f[29]->ready = 0; /* queued, but not ready by the time it is polled */
	int seen[30] = { 0 };
	CHECK_EQ(look(ep, 32), 29);
	for (int i = 0; i < 29; i++) {
		CHECK_EQ(out[i].data.u64, i);
		seen[out[i].data.u64]++;
	}
	for (int i = 0; i < 30; i++)
		CHECK_EQ(seen[i], i < 29);
	/* Again: the 19 level-triggered ones, in the same order. */
	CHECK_EQ(look(ep, 32), 19);
	for (int i = 0, k = 0; i < 29; i++)
		if (i % 3)
			CHECK_EQ(out[k++].data.u64, i);
	/* A smaller maxevents: the rest wait for the next call, in turn. */
	CHECK_EQ(look(ep, 7), 7);
	CHECK_EQ(out[0].data.u64, 1);
	CHECK_EQ(look(ep, 32), 19);
	CHECK_EQ(out[0].data.u64, 11);
	for (int i = 0; i < 30; i++)
		vfile_put(&f[i]->vf);
	vfile_put(ep);
}

UNIT_TEST(keys_and_last_close)
{
	setup();
	struct vfile *ep = set();
	struct tfile *a = tfile();
	vfile_get(&a->vf); /* a second fd of the same open file */
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN, 3), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN, 3), -EEXIST);
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 4, EPOLLIN, 4), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, &a->vf, 5, EPOLLIN, 5), -ENOENT);
	set_ready(a, EPOLLIN);
	CHECK_EQ(look(ep, 4), 2);
	vfile_put(&a->vf); /* one fd closed: interest stays */
	CHECK_EQ(look(ep, 4), 2);
	vfile_put(&a->vf); /* the last: the items go with it */
	CHECK_EQ(released, 1);
	CHECK_EQ(look(ep, 4), 0);
	vfile_put(ep);
}

UNIT_TEST(nested_and_loops)
{
	setup();
	struct vfile *in = set(), *outer = set();
	struct tfile *a = tfile();
	CHECK_EQ(ctl(in, EPOLL_CTL_ADD, in, 5, EPOLLIN, 0), -EINVAL);
	CHECK_EQ(ctl(in, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN, 1), 0);
	CHECK_EQ(ctl(outer, EPOLL_CTL_ADD, in, 4, EPOLLIN, 2), 0);
	CHECK_EQ(ctl(in, EPOLL_CTL_ADD, outer, 6, EPOLLIN, 0), -ELOOP);
	CHECK_EQ(ctl(outer, EPOLL_CTL_ADD, in, 7, EPOLLIN | EPOLLEXCLUSIVE, 0), -EINVAL);
	CHECK_EQ(in->ops->poll(in), 0);
	CHECK_EQ(look(outer, 4), 0);
	set_ready(a, EPOLLIN);
	CHECK(in->ops->poll(in) & EPOLLIN);
	CHECK_EQ(look(outer, 4), 1);
	CHECK_EQ(out[0].data.u64, 2);
	a->ready = 0;
	CHECK_EQ(look(outer, 4), 0);
	vfile_put(in); /* its last fd: it leaves the outer set */
	CHECK_EQ(look(outer, 4), 0);
	vfile_put(outer);
	vfile_put(&a->vf);
}

UNIT_TEST(depth_limit)
{
	setup();
	struct vfile *e[7];
	for (int i = 0; i < 7; i++)
		e[i] = set();
	for (int i = 1; i < 5; i++)
		CHECK_EQ(ctl(e[i], EPOLL_CTL_ADD, e[i - 1], i, EPOLLIN, 0), 0);
	CHECK_EQ(ctl(e[5], EPOLL_CTL_ADD, e[4], 5, EPOLLIN, 0), -ELOOP);
	/* upwards too: e[6] above e[0]'s chain of 4 is one too many */
	CHECK_EQ(ctl(e[0], EPOLL_CTL_ADD, e[6], 6, EPOLLIN, 0), -ELOOP);
	for (int i = 6; i >= 0; i--)
		vfile_put(e[i]);
}

static struct tfile *wake_me;

static int notify_hook(struct uthread *ut, int nth)
{
	set_ready(wake_me, EPOLLIN);
	return WAKE_TIMEOUT; /* not what ends it: the notify woke it */
}

UNIT_TEST(blocked_wait_woken)
{
	setup();
	struct uthread *A = fake_uthread(0);
	struct vfile *ep = set();
	wake_me = tfile();
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &wake_me->vf, 3, EPOLLIN, 9), 0);
	fake_on_sleep(A, notify_hook);
	CHECK_EQ(eventpoll_wait(ep, (uint64_t)out, 4, true, 0, false), 1);
	CHECK_EQ(out[0].data.u64, 9);
	CHECK_EQ(fake_sleeps(A), 1);
	fake_on_sleep(A, NULL);
	wake_me->ready = 0;
	CHECK_EQ(eventpoll_wait(ep, (uint64_t)out, 4, true, 1, false), 0); /* the sleep times out */
	A->sig_intr = 1;
	CHECK_EQ(eventpoll_wait(ep, (uint64_t)out, 4, true, 0, false), -EINTR);
	A->sig_intr = 0;
	vfile_put(&wake_me->vf);
	vfile_put(ep);
}

UNIT_TEST(kernel_members)
{
	setup();
	struct vfile *ep = set();
	struct tfile *a = tfile();
	int efd = eventfd(0, EFD_NONBLOCK);
	struct ep_target k = { .file = NULL, .fd = 8, .host = efd };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	CHECK_EQ(eventpoll_ctl(ep, EPOLL_CTL_ADD, &k, &ev), 0);
	CHECK_EQ(eventpoll_ctl(ep, EPOLL_CTL_ADD, &k, &ev), -EEXIST);
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, &a->vf, 3, EPOLLIN, 1), 0);
	CHECK_EQ(look(ep, 4), 0);
	CHECK_EQ(ep->ops->poll(ep), 0);
	uint64_t one = 1;
	CHECK_EQ(write(efd, &one, 8), 8);
	CHECK(ep->ops->poll(ep) & EPOLLIN);
	set_ready(a, EPOLLIN);
	CHECK_EQ(look(ep, 4), 2); /* both kinds in one wait */
	CHECK_EQ(out[0].data.u64 + out[1].data.u64, 43);
	/* maxevents 1: the two kinds take turns */
	CHECK_EQ(look(ep, 1), 1);
	uint64_t first = out[0].data.u64;
	CHECK_EQ(look(ep, 1), 1);
	CHECK(out[0].data.u64 != first);
	close(efd);
	vfile_put(&a->vf);
	vfile_put(ep);
}

/* While the waiter sleeps: its one kernel member fires (harvested: the
 * set's kernel part reports ready), then leaves the set. */
static int kernel_efd;
static struct vfile *kernel_ep;

static int fire_then_remove(struct uthread *ut, int nth)
{
	(void)ut;
	if (nth > 1)
		return WAKE_TIMEOUT; /* a second sleep: the wait parked again */
	uint64_t one = 1;
	CHECK_EQ(write(kernel_efd, &one, 8), 8);
	kwait_drain();
	struct ep_target k = { .file = NULL, .fd = 8, .host = kernel_efd };
	CHECK_EQ(eventpoll_ctl(kernel_ep, EPOLL_CTL_DEL, &k, NULL), 0);
	return WAKE_TIMEOUT;
}

/* The kernel part fired and then lost its last member before the waiter
 * looked: the wait must park again (it spun for ever once, its vCPU
 * taken: Go's netpoller in caddy, fused with nginx). */
UNIT_TEST(kernel_member_gone_after_firing)
{
	setup();
	struct uthread *A = fake_uthread(0);
	kernel_ep = set();
	kernel_efd = eventfd(0, EFD_NONBLOCK);
	struct ep_target k = { .file = NULL, .fd = 8, .host = kernel_efd };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	CHECK_EQ(eventpoll_ctl(kernel_ep, EPOLL_CTL_ADD, &k, &ev), 0);
	fake_on_sleep(A, fire_then_remove);
	CHECK_EQ(eventpoll_wait(kernel_ep, (uint64_t)out, 4, true, 1, false), 0);
	CHECK_EQ(fake_sleeps(A), 2);
	fake_on_sleep(A, NULL);
	close(kernel_efd);
	vfile_put(kernel_ep);
}
