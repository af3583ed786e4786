/* test_fpoll.c - unit tests of fs/fpoll: poll and select's wait over user-space and kernel files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_sched.h"
#include "fs/fpoll.h"
#include "fs/vfile.h"
#include "sched/kwait.h"
#include "unit.h"

struct tfile {
	struct vfile vf;
	uint32_t ready;
};

static uint32_t t_poll(struct vfile *f)
{
	return ((struct tfile *)f)->ready;
}

static const struct vfile_ops t_ops = { .name = "[test]", .poll = t_poll };
static const struct vfile_ops nopoll_ops = { .name = "[nopoll]" };

static struct tfile a, b;
static struct pollfd kfds[4];

static void setup(void)
{
	static bool kw;
	fake_sched_init();
	fake_uthread(0);
	vfile_init(&a.vf, &t_ops, 0);
	vfile_init(&b.vf, &t_ops, 0);
	a.ready = b.ready = 0;
	if (!kw) {
		kwait_init();
		kw = true;
	}
}

UNIT_TEST(masks_and_nval)
{
	setup();
	struct vfile np;
	vfile_init(&np, &nopoll_ops, 0);
	a.ready = POLLIN | POLLOUT | POLLHUP;
	struct fpoll_ent e[3] = {
		{ .file = &a.vf, .events = POLLIN },
		{ .file = NULL, .host = -1, .events = POLLIN },
		{ .file = &np, .events = POLLOUT | POLLPRI },
	};
	CHECK_EQ(fpoll_wait(e, 3, kfds, false, 0), 3);
	CHECK_EQ(e[0].revents, POLLIN | POLLHUP); /* asked, plus HUP always */
	CHECK_EQ(e[1].revents, POLLNVAL);
	CHECK_EQ(e[2].revents, POLLOUT); /* no poll op: always ready */
}

UNIT_TEST(kernel_and_user)
{
	setup();
	int efd = eventfd(0, EFD_NONBLOCK);
	struct fpoll_ent e[2] = {
		{ .file = NULL, .host = efd, .events = POLLIN },
		{ .file = &a.vf, .events = POLLIN },
	};
	CHECK_EQ(fpoll_wait(e, 2, kfds, false, 0), 0);
	uint64_t one = 1;
	CHECK_EQ(write(efd, &one, 8), 8);
	CHECK_EQ(fpoll_wait(e, 2, kfds, false, 0), 1);
	CHECK_EQ(e[0].revents, POLLIN);
	CHECK_EQ(e[1].revents, 0);
	close(efd);
}

static int notify_hook(struct uthread *ut, int nth)
{
	b.ready = POLLOUT;
	vfile_notify(&b.vf, POLLOUT);
	return WAKE_TIMEOUT; /* not what ends it: the notify woke it */
}

UNIT_TEST(blocked_until_notified)
{
	setup();
	struct uthread *A = fake_uthread(0);
	struct fpoll_ent e[2] = {
		{ .file = &a.vf, .events = POLLIN },
		{ .file = &b.vf, .events = POLLOUT },
	};
	fake_on_sleep(A, notify_hook);
	CHECK_EQ(fpoll_wait(e, 2, kfds, true, 0), 1);
	CHECK_EQ(e[1].revents, POLLOUT);
	CHECK_EQ(fake_sleeps(A), 1);
	CHECK(waitq_empty(&a.vf.poll_head)); /* its callbacks are gone */
	CHECK(waitq_empty(&b.vf.poll_head));
	fake_on_sleep(A, NULL);
	b.ready = 0;
	CHECK_EQ(fpoll_wait(e, 2, kfds, true, 1), 0); /* the sleep times out */
	A->sig_intr = 1;
	CHECK_EQ(fpoll_wait(e, 2, kfds, true, 0), -EINTR);
	A->sig_intr = 0;
}
