/* epoll.c - epoll_wait with 1, 100 and 10,000 registered fds, one of them ready. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "bench.h"

/*
 * The operation is one epoll_wait(timeout 0) that returns the one ready
 * member (level-triggered, so it stays ready). Two kinds of sets:
 *   eventfd_N  N eventfds, one with a count: kernel files wherever
 *              eventfd is one (under pegasus, members of the set's
 *              private host epoll: one kernel epoll_wait per call);
 *   local_N    one signalfd with a pending blocked signal and N-1 empty
 *              epoll sets, all user-space files under pegasus (a wait
 *              makes no kernel call); natively all kernel files;
 *   kernel_N   N inotify fds, the first with an event queued: kernel files
 *              under pegasus too (the set's private host epoll: a wait
 *              is that epoll's, issued from the lean gate).
 * What the members are in each run is printed as a '#' line.
 */

static int ep = -1;
static int *fds;
static int nfds;

static void wait_once(uint64_t n)
{
	struct epoll_event ev[8];
	for (uint64_t i = 0; i < n; i++) {
		int r = epoll_wait(ep, ev, 8, 0);
		bench_sink(r);
	}
}

static void add(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("epoll_ctl");
		exit(1);
	}
	fds[nfds++] = fd;
}

/* The first member is the ready one. */
static int eventfd_member(int i)
{
	return eventfd(i == 0, EFD_NONBLOCK);
}

static int kernel_member(int i)
{
	int fd = inotify_init1(IN_NONBLOCK);
	if (i == 0 && fd >= 0) {
		/* One event queued for good: the watch's own removal. */
		char dir[] = "/tmp/pegasus-epoll-bench-XXXXXX";
		if (!mkdtemp(dir) || inotify_add_watch(fd, dir, IN_DELETE_SELF) < 0 || rmdir(dir) < 0)
			return -1;
	}
	return fd;
}

static int local_member(int i)
{
	if (i)
		return epoll_create1(0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	raise(SIGUSR1); /* pending, blocked: the signalfd stays readable */
	return signalfd(-1, &s, SFD_NONBLOCK);
}

/* What the first member is here: an object of the runtime's shows as an
 * anonymous inode of its own kind, or the kernel's. */
static void describe(const char *set, int fd)
{
	char path[64], link[128];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t k = readlink(path, link, sizeof(link) - 1);
	link[k > 0 ? k : 0] = 0;
	printf("# %s: ready member %s\n", set, link);
}

static void setup(int n, int (*make)(int i), const char *name)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < n + 64u && rl.rlim_max >= n + 64u) {
		rl.rlim_cur = n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ep = epoll_create1(0);
	fds = calloc(n, sizeof(int));
	nfds = 0;
	for (int i = 0; i < n; i++) {
		int fd = make(i);
		if (fd < 0) {
			perror("epoll bench: member");
			exit(1);
		}
		add(fd);
	}
	struct epoll_event ev[8];
	if (epoll_wait(ep, ev, 8, 0) != 1) {
		fprintf(stderr, "epoll bench: %d members, not exactly one ready\n", n);
		exit(1);
	}
	describe(name, fds[0]);
}

static void teardown(void)
{
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	close(ep);
	free(fds);
	sigset_t s;
	struct timespec zero = { 0, 0 };
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigtimedwait(&s, NULL, &zero); /* the local sets' pending signal */
}

static const char *too_few_fds(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_max < 10000 + 64 ? "RLIMIT_NOFILE hard limit below 10,064" : NULL;
}

#define SET(kind, n)                                                          \
	static void kind##_##n##_init(void) { setup(n, kind##_member, #kind "_" #n); }

SET(eventfd, 1)
SET(eventfd, 100)
SET(eventfd, 10000)
SET(local, 1)
SET(local, 100)
SET(local, 10000)
SET(kernel, 1)
SET(kernel, 100)

#define CASE(kind, n, what, unavail)                                                       \
	{ #kind "_" #n, what, wait_once, kind##_##n##_init, teardown, 0, unavail }

static const struct bench_case cases[] = {
	CASE(eventfd, 1, "epoll_wait(0), 1 eventfd, ready", NULL),
	CASE(eventfd, 100, "epoll_wait(0), 100 eventfds, one ready", NULL),
	CASE(eventfd, 10000, "epoll_wait(0), 10,000 eventfds, one ready", too_few_fds),
	CASE(local, 1, "epoll_wait(0), a ready signalfd", NULL),
	CASE(local, 100, "epoll_wait(0), a ready signalfd and 99 empty epoll sets", NULL),
	CASE(local, 10000, "epoll_wait(0), a ready signalfd and 9,999 empty epoll sets", too_few_fds),
	CASE(kernel, 1, "epoll_wait(0), 1 inotify fd, ready", NULL),
	CASE(kernel, 100, "epoll_wait(0), 100 inotify fds, one ready", NULL),
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
