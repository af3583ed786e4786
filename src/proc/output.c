/* output.c - program output prefixed with its name, like docker compose. */
#include "proc/output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/bigdata.h"
#include "core/forkhot.h"
#include "core/hthread.h"

#define MAX_STREAMS 128

struct stream {
	int rfd, out;
	char prefix[40];
	char line[4096];
	size_t len;
};

static struct stream streams[MAX_STREAMS] PG_BIG;
static int nstreams;
static pthread_t thread;
FORK_HOT static bool started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int busy;
static bool drained; /* every stream at its end: the pump is gone */

static void write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= w;
	}
}

static void emit_line(struct stream *s, bool partial)
{
	char buf[sizeof(s->prefix) + sizeof(s->line) + 1];
	size_t pl = strlen(s->prefix);
	memcpy(buf, s->prefix, pl);
	memcpy(buf + pl, s->line, s->len);
	size_t n = pl + s->len;
	if (partial)
		buf[n++] = '\n';
	write_all(s->out, buf, n);
	s->len = 0;
}

static void consume(struct stream *s, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		s->line[s->len++] = b[i];
		if (b[i] == '\n' || s->len == sizeof(s->line))
			emit_line(s, b[i] != '\n');
	}
}

static void *pump(void *arg)
{
	struct pollfd pfd[MAX_STREAMS];
	for (;;) {
		pthread_mutex_lock(&mu);
		int m = nstreams;
		pthread_mutex_unlock(&mu);
		int live = 0;
		for (int i = 0; i < m; i++) {
			pfd[i] = (struct pollfd){ streams[i].rfd, POLLIN, 0 };
			live += streams[i].rfd >= 0;
		}
		if (!live) {
			/* Nothing more can come (unless a stream was added
			 * meanwhile): a flush waits no longer (it waited for an
			 * idle moment that never came, 1 s). */
			pthread_mutex_lock(&mu);
			bool more = nstreams != m;
			if (!more) {
				drained = true;
				pthread_cond_broadcast(&idle_cv);
			}
			pthread_mutex_unlock(&mu);
			if (more)
				continue;
			break;
		}
		if (poll(pfd, m, 100) <= 0) {
			pthread_mutex_lock(&mu);
			busy = 0;
			pthread_cond_broadcast(&idle_cv);
			pthread_mutex_unlock(&mu);
			continue;
		}
		for (int i = 0; i < m; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char b[4096];
			ssize_t r = read(streams[i].rfd, b, sizeof(b));
			if (r > 0) {
				consume(&streams[i], b, r);
			} else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
				if (streams[i].len)
					emit_line(&streams[i], true);
				close(streams[i].rfd);
				streams[i].rfd = -1;
			}
		}
	}
	return NULL;
}

int output_pipe(const char *name, int fd)
{
	int p[2];
	if (nstreams == MAX_STREAMS || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	struct stream *s = &streams[nstreams];
	s->rfd = p[0];
	s->out = fd;
	s->len = 0;
	snprintf(s->prefix, sizeof(s->prefix), "%s | ", name);
	pthread_mutex_lock(&mu);
	nstreams++;
	/* A pump that found every earlier stream ended is gone: a new one. */
	bool start = !started || drained;
	started = true;
	drained = false;
	pthread_mutex_unlock(&mu);
	if (start)
		hthread_start(&thread, 0, 0, 0, pump, NULL); /* host signals go to vCPUs */
	/* The program's fd is a dup of the write end, not close-on-exec. */
	int w = fcntl(p[1], F_DUPFD, 3);
	close(p[1]);
	return w;
}

void output_after_fork(void)
{
	/* The pump is the parent's: the child's lines reach it through the
	 * inherited pipes, and there is nothing here to flush. */
	started = false;
}

void output_flush(void)
{
	if (!started)
		return;
	/* Wait until the pump finds nothing more to read for a moment. */
	pthread_mutex_lock(&mu);
	busy = 1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	while (busy && !drained && pthread_cond_timedwait(&idle_cv, &mu, &ts) == 0)
		;
	pthread_mutex_unlock(&mu);
}
