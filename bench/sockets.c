/* sockets.c - TCP and UNIX stream sockets between two threads: 64-byte echo round trip, 64 KiB bulk, an epoll server of 100 connections. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

/*
 * One connection made through socket/bind/listen/connect/accept (TCP on
 * 127.0.0.1, UNIX on an abstract name), its two ends used by two threads
 * of one program: under pegasus a local socket (two rings, user-level
 * wake-ups), natively the kernel's loopback. A second thread serves it:
 *   *_rtt64    write 64 bytes, read the 64-byte echo: ns per round trip;
 *   *_bulk64k  64 KiB writes on one stream, read by the other thread in
 *              64 KiB reads: ns per 64 KiB (65536 / ns = GB/s);
 *   *_epoll100 100 connections, their server ends in one level-triggered
 *              epoll set of a server thread that echoes what each sends;
 *              a round is a 64-byte message on each connection, then the
 *              100 echoes read: ns per message (one wait serves many).
 * Where the threads run is the scheduler's (run.sh does not pin this one).
 */

#define RTT 64
#define BULK 65536

static int cli = -1, srv = -1;
static pthread_t peer;
static volatile uint64_t drained; /* bulk: bytes the reader has taken */

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void writen(int fd, const void *p, size_t n)
{
	for (size_t o = 0; o < n;) {
		ssize_t w = write(fd, (const char *)p + o, n - o);
		if (w <= 0)
			die("write");
		o += (size_t)w;
	}
}

/* readn - n bytes, or fewer at EOF; how many. */
static size_t readn(int fd, void *p, size_t n)
{
	size_t o = 0;
	while (o < n) {
		ssize_t r = read(fd, (char *)p + o, n - o);
		if (r <= 0)
			break;
		o += (size_t)r;
	}
	return o;
}

#define NCONN 100
static int clis[NCONN], srvs[NCONN];

static void connect_pair(int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_un *a = (struct sockaddr_un *)&ss;
		a->sun_family = AF_UNIX;
		int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "pegasus-bench-%d", getpid());
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
	int l = socket(family, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1))
		die("listen");
	if (getsockname(l, (struct sockaddr *)&ss, &len))
		die("getsockname");
	cli = socket(family, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&ss, len))
		die("connect");
	srv = accept(l, NULL, NULL);
	if (srv < 0)
		die("accept");
	close(l);
	if (family == AF_INET) {
		int one = 1;
		setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
}

static void *echo(void *arg)
{
	(void)arg;
	char b[RTT];
	while (readn(srv, b, RTT) == RTT)
		writen(srv, b, RTT);
	return NULL;
}

static void *sink(void *arg)
{
	(void)arg;
	char *b = malloc(BULK);
	ssize_t r;
	while ((r = read(srv, b, BULK)) > 0)
		__atomic_add_fetch(&drained, (uint64_t)r, __ATOMIC_RELEASE);
	free(b);
	return NULL;
}

static void start(int family, void *(*fn)(void *))
{
	connect_pair(family);
	drained = 0;
	if (pthread_create(&peer, NULL, fn, NULL))
		die("pthread_create");
}

static void stop(void)
{
	shutdown(cli, SHUT_WR); /* the peer sees EOF and ends */
	pthread_join(peer, NULL);
	close(cli);
	close(srv);
}

static void rtt(uint64_t n)
{
	char b[RTT] = { 1 };
	for (uint64_t i = 0; i < n; i++) {
		writen(cli, b, RTT);
		if (readn(cli, b, RTT) != RTT)
			die("echo");
	}
}

static char *bulk_buf;
static uint64_t sent;

static void bulk(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		writen(cli, bulk_buf, BULK);
	sent += n * BULK;
	/* Until the reader has it all: the figure is the stream's, not the
	 * sender's buffer's. */
	while (__atomic_load_n(&drained, __ATOMIC_ACQUIRE) < sent)
		sched_yield();
}

static void tcp_rtt_init(void) { start(AF_INET, echo); }
static void unix_rtt_init(void) { start(AF_UNIX, echo); }
static void bulk_init(int family)
{
	bulk_buf = calloc(1, BULK);
	sent = 0;
	start(family, sink);
}
static void tcp_bulk_init(void) { bulk_init(AF_INET); }
static void unix_bulk_init(void) { bulk_init(AF_UNIX); }
static void bulk_fini(void)
{
	stop();
	free(bulk_buf);
}

/* The server of the *_epoll100 cases: one epoll set, level-triggered,
 * every ready connection read once and its bytes written back; it ends
 * when every client has closed. */
static void *epoll_echo(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0), open = NCONN;
	for (int i = 0; i < NCONN; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = srvs[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, srvs[i], &ev))
			die("epoll_ctl");
	}
	struct epoll_event evs[NCONN];
	char b[RTT];
	while (open > 0) {
		int n = epoll_wait(ep, evs, NCONN, -1);
		for (int i = 0; i < n; i++) {
			ssize_t r = read(evs[i].data.fd, b, sizeof(b));
			if (r > 0) {
				writen(evs[i].data.fd, b, (size_t)r);
			} else {
				epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
				open--;
			}
		}
	}
	close(ep);
	return NULL;
}

static void epoll100_init(int family)
{
	for (int i = 0; i < NCONN; i++) {
		connect_pair(family);
		clis[i] = cli;
		srvs[i] = srv;
	}
	if (pthread_create(&peer, NULL, epoll_echo, NULL))
		die("pthread_create");
}
static void tcp_epoll100_init(void) { epoll100_init(AF_INET); }
static void unix_epoll100_init(void) { epoll100_init(AF_UNIX); }

static void epoll100(uint64_t n)
{
	char b[RTT] = { 1 };
	for (uint64_t i = 0; i < n; i++) {
		for (int c = 0; c < NCONN; c++)
			writen(clis[c], b, RTT);
		for (int c = 0; c < NCONN; c++)
			if (readn(clis[c], b, RTT) != RTT)
				die("echo");
	}
}

static void epoll100_fini(void)
{
	for (int i = 0; i < NCONN; i++)
		shutdown(clis[i], SHUT_WR);
	pthread_join(peer, NULL);
	for (int i = 0; i < NCONN; i++) {
		close(clis[i]);
		close(srvs[i]);
	}
}

static const struct bench_case cases[] = {
	{ "tcp_rtt64", "TCP 127.0.0.1, 64 B write + 64 B echo read, two threads", rtt, tcp_rtt_init, stop, 0, NULL },
	{ "unix_rtt64", "UNIX stream (abstract name), 64 B echo round trip", rtt, unix_rtt_init, stop, 0, NULL },
	{ "tcp_bulk64k", "TCP 127.0.0.1, one 64 KiB write, read by the other thread", bulk, tcp_bulk_init, bulk_fini,
	  0, NULL },
	{ "unix_bulk64k", "UNIX stream, one 64 KiB write, read by the other thread", bulk, unix_bulk_init,
	  bulk_fini, 0, NULL },
	{ "tcp_epoll100", "TCP 127.0.0.1, 100 connections to an epoll echo thread, ns per 64 B message",
	  epoll100, tcp_epoll100_init, epoll100_fini, NCONN, NULL },
	{ "unix_epoll100", "UNIX stream, 100 connections to an epoll echo thread, ns per 64 B message",
	  epoll100, unix_epoll100_init, epoll100_fini, NCONN, NULL },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
