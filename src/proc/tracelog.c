/* tracelog.c - where --trace lines go, and the lines about events other than calls. */
#include "proc/tracelog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "core/log.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

bool trace_on;
static int trace_fd = 2;

void trace_put(struct trace_line *l, const char *fmt, ...)
{
	if (l->n >= sizeof(l->buf))
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		l->n = l->n + w < sizeof(l->buf) ? l->n + w : sizeof(l->buf) - 1;
}

void trace_emit(struct trace_line *l)
{
	if (l->n > sizeof(l->buf) - 2)
		l->n = sizeof(l->buf) - 2;
	l->buf[l->n++] = '\n';
	int fd = trace_fd == 2 ? pg_log_fd() : trace_fd; /* to stderr: as the log */
	for (size_t off = 0; fd >= 0 && off < l->n;) {
		ssize_t w = write(fd, l->buf + off, l->n - off);
		if (w < 0 && errno == EPIPE) {
			/* Its reader is gone (`--trace 2>&1 | head`): tracing ends, as
			 * strace would. Else the SIGPIPE each line raised, for the
			 * program, made a line of its own, endlessly. */
			trace_on = false;
			break;
		}
		if (w <= 0)
			break;
		off += w;
	}
}

int trace_open(const char *file)
{
	if (file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		/* Out of the way of the host fds the programs get; programs never
		 * see it: their fd numbers are virtual. */
		trace_fd = fcntl(fd, F_DUPFD_CLOEXEC, 900);
		close(fd);
		if (trace_fd < 0)
			return -errno;
	}
	trace_on = true;
	return 0;
}


void trace_put_head(struct trace_line *l, struct uthread *ut)
{
	trace_put(l, "[%s %d] ", ut->proc->name, ut->tid);
}

void trace_event(struct uthread *ut, const char *fmt, ...)
{
	struct trace_line l = { .n = 0 };
	trace_put_head(&l, ut);
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(l.buf + l.n, sizeof(l.buf) - l.n, fmt, ap);
	va_end(ap);
	if (w > 0)
		l.n += (size_t)w < sizeof(l.buf) - l.n ? (size_t)w : sizeof(l.buf) - l.n - 1;
	trace_emit(&l);
}
