/* epoll_fork_share.c - an epoll set and the files in it, shared by a parent and its forked child. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socklib.h"

static int ep, p[2], notify[2];

/* The set, its number and the fd table after the fork: php-fpm's worker
 * dup()s its listener and closes what it takes for the set's fd. */
static void inherited(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p[0] }, out[4];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	if (fork() == 0) {
		write(p[1], "x", 1);
		int n = epoll_wait(ep, out, 4, 2000);
		say("child: epoll_wait=%d fd=%d fcntl=%d dup=%d", n, n > 0 ? out[0].data.fd == p[0] : -1,
		    fcntl(ep, F_GETFD), dup(0) > ep);
		_exit(0);
	}
	wait(NULL);
}

/* One set, two processes: what the child adds, the parent sees. */
static void child_adds(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p[0] }, out[4];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	if (fork() == 0) {
		int n = epoll_wait(ep, out, 4, 3000);
		say("child: epoll_wait=%d ev=0x%x", n, n > 0 ? out[0].events : 0);
		struct epoll_event ev2 = { .events = EPOLLOUT, .data.fd = p[1] };
		say("child: add=%d", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev2));
		_exit(0);
	}
	usleep(100000);
	write(p[1], "x", 1);
	wait(NULL);
	int n = epoll_wait(ep, out, 4, 100);
	say("parent: epoll_wait=%d", n);
	for (int i = 0; i < n; i++)
		say("  %s 0x%x", out[i].data.fd == p[0] ? "r" : "w", out[i].events);
}

/* What the child adds, the parent deletes: the parent's own member is
 * still reported (a sweep found the set's count of kernel members gone to
 * 0 by the DEL, and every later wait blind), and so is one added by the
 * parent to a set that was empty at the fork. */
static void del_across(void)
{
	int q[2], r[2];
	pipe(q);
	pipe(r);
	int empty = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p[0] }, out[4];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	if (fork() == 0) {
		struct epoll_event e2 = { .events = EPOLLIN, .data.fd = q[0] };
		say("child: add=%d", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &e2));
		struct epoll_event e3 = { .events = EPOLLIN, .data.fd = r[0] };
		say("child: add to the set empty at the fork=%d", epoll_ctl(empty, EPOLL_CTL_ADD, r[0], &e3));
		_exit(0);
	}
	wait(NULL);
	say("parent: del of the child's=%d", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
	write(p[1], "x", 1);
	int n = epoll_wait(ep, out, 4, 0);
	say("parent: epoll_wait(0)=%d fd=%s", n, n == 1 && out[0].data.fd == p[0] ? "its own" : "?");
	n = epoll_wait(ep, out, 4, 500);
	say("parent: epoll_wait(500)=%d", n);
	write(r[1], "y", 1);
	n = epoll_wait(empty, out, 4, 500);
	say("parent: the child's member of the set empty at the fork: %d", n);
}

/* A thread waits in the set; the main thread re-arms ONESHOT (or relies on
 * ET) after each event; the writer is a forked child (erlang's ports). */
static void *waiter(void *arg)
{
	for (int i = 0; i < 3; i++) {
		struct epoll_event ev[4];
		int n = epoll_wait(ep, ev, 4, 3000);
		say("waiter: %d 0x%x", n, n > 0 ? ev[0].events & EPOLLIN : 0);
		if (n <= 0)
			break;
		write(notify[1], &ev[0].data.fd, sizeof(int));
	}
	return NULL;
}

static void writes(int fd)
{
	for (int i = 0; i < 3; i++) {
		usleep(150000);
		write(fd, "ab", 2);
	}
	usleep(100000);
	_exit(0);
}

/* The writer: a child forked after the ADD, or (scm) one forked before,
 * which gets the pipe's write end through SCM_RIGHTS after it. */
static void rearm(uint32_t mode, bool scm)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	if (scm && fork() == 0)
		writes(recv_fd(sv[1], NULL, 0, 0));
	pipe(notify);
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	usleep(100000); /* the waiter is parked */
	struct epoll_event e = { .events = EPOLLIN | mode, .data.fd = p[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
	if (scm)
		send_fd(sv[0], p[1], "F");
	else if (fork() == 0)
		writes(p[1]);
	close(p[1]);
	for (int i = 0; i < 3; i++) {
		int fd;
		if (read(notify[0], &fd, sizeof fd) != sizeof fd)
			break;
		usleep(20000); /* the waiter is back in epoll_wait */
		char b[8];
		say("main: read %zd", read(fd, b, sizeof b));
		if (mode & EPOLLONESHOT) {
			struct epoll_event e2 = { .events = EPOLLIN | mode, .data.fd = fd };
			epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e2);
		}
	}
	pthread_join(th, NULL);
	wait(NULL);
}

/* A thread blocked in read() when another forks: the pipe moves under it. */
static void *reader(void *arg)
{
	for (int i = 0; i < 2; i++) {
		char b[8];
		say("reader: %zd", read(p[0], b, sizeof b));
	}
	return NULL;
}

static void read_across(void)
{
	pthread_t th;
	pthread_create(&th, NULL, reader, NULL);
	usleep(100000);
	write(p[1], "A", 1);
	usleep(100000);
	if (fork() == 0)
		_exit(0);
	wait(NULL);
	usleep(100000);
	write(p[1], "B", 1);
	pthread_join(th, NULL);
}

/* A ONESHOT member that fired before the fork stays disarmed in the set
 * the fork shares, though its pipe then reads EOF (HUP), until the child
 * arms it again with data of its own, which the parent then sees. */
static void fired_oneshot(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 1 }, out[4];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	write(p[1], "x", 1);
	say("before: %d", epoll_wait(ep, out, 4, 0));
	close(p[1]);
	say("disarmed, writer gone: %d", epoll_wait(ep, out, 4, 0));
	pid_t c = fork();
	if (c == 0) {
		say("child, disarmed: %d", epoll_wait(ep, out, 4, 100));
		struct epoll_event again = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 2 };
		say("child MOD: %d", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &again));
		_exit(0);
	}
	say("parent, while the child waits: %d", epoll_wait(ep, out, 4, 50));
	waitpid(c, NULL, 0);
	int n = epoll_wait(ep, out, 4, 1000);
	say("parent, armed by the child: %d data %d events %#x", n, n > 0 ? (int)out[0].data.u64 : -1,
	    n > 0 ? out[0].events : 0);
	say("parent, fired again: %d", epoll_wait(ep, out, 4, 0));
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	pipe(p);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!strcmp(what, "inherited"))
		inherited();
	else if (!strcmp(what, "child-adds"))
		child_adds();
	else if (!strcmp(what, "oneshot"))
		rearm(EPOLLONESHOT, false);
	else if (!strcmp(what, "et"))
		rearm(EPOLLET, false);
	else if (!strcmp(what, "oneshot-scm"))
		rearm(EPOLLONESHOT, true);
	else if (!strcmp(what, "et-scm"))
		rearm(EPOLLET, true);
	else if (!strcmp(what, "read-across"))
		read_across();
	else if (!strcmp(what, "del-across"))
		del_across();
	else if (!strcmp(what, "fired-oneshot"))
		fired_oneshot();
	else
		return 2;
	return 0;
}
