/* loopback.c - a real loopback TCP connection per family, whose kernel answers for connections in memory. */
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "net/sock.h"

/*
 * What a TCP connection over loopback reports of itself (its MSS, window
 * clamp, path MTU, TCP_INFO's options, scales and MSS) is the kernel's
 * choice for the host's lo: not worked out here, but asked of one real
 * connection made at the first question, kept for the process's life
 * (its client and its accepted end: two fds a family; none if the host
 * has no loopback, and the connection's own socket answers as before).
 * iperf3 sizes its UDP datagrams by the control connection's MSS: an
 * unconnected socket's 536 made them 60 times more, and lossy.
 */

/* per family (v4, v6): client, accepted; -1 until made, or if none could be */
static int conn[2][2] = { { -1, -1 }, { -1, -1 } };
static pthread_once_t once[2] = { PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT };

static void make(int *fd, int family)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *a = family == AF_INET6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
	socklen_t al = family == AF_INET6 ? sizeof(a6) : sizeof(a4);
	int l = (int)raw_syscall3(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = (int)raw_syscall3(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int s = -1;
	if (l >= 0 && c >= 0 && !raw_syscall3(SYS_bind, l, (long)a, al) && !raw_syscall3(SYS_listen, l, 1, 0) &&
	    !raw_syscall3(SYS_getsockname, l, (long)a, (long)&al) && !raw_syscall3(SYS_connect, c, (long)a, al))
		s = (int)raw_syscall6(SYS_accept4, l, 0, 0, SOCK_CLOEXEC, 0, 0);
	if (l >= 0)
		raw_syscall3(SYS_close, l, 0, 0);
	if (s < 0 && c >= 0)
		raw_syscall3(SYS_close, c, 0, 0);
	if (s >= 0) {
		fd[0] = c;
		__atomic_store_n(&fd[1], s, __ATOMIC_RELEASE);
	}
}

static void make4(void) { make(conn[0], AF_INET); }
static void make6(void) { make(conn[1], AF_INET6); }

int loopback_fd(int family, bool accepted)
{
	int i = family == AF_INET6;
	pthread_once(&once[i], i ? make6 : make4);
	int fd = conn[i][accepted];
	return fd >= 0 ? fd : -ENOTCONN;
}

int loopback_fds(int out[4])
{
	int n = 0;
	for (int i = 0; i < 2; i++)
		if (__atomic_load_n(&conn[i][1], __ATOMIC_ACQUIRE) >= 0) {
			out[n++] = conn[i][0];
			out[n++] = conn[i][1];
		}
	return n;
}
