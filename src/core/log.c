/* log.c - runtime diagnostics written straight to the real stderr. */
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/forkhot.h"

int pg_log_level = 1;

FORK_HOT static int (*log_where)(void);
static int broken_fd = -1; /* a pipe whose reader went away */

int pg_log_fd(void)
{
	int (*where)(void) = __atomic_load_n(&log_where, __ATOMIC_ACQUIRE);
	return where ? where() : 2;
}

void pg_log_set_fd(int (*where)(void))
{
	__atomic_store_n(&log_where, where, __ATOMIC_RELEASE);
}

/* The runtime's stderr is fd 2 of the host process; programs write to it
 * through their own fd tables, so a plain write(2) never interleaves with a
 * half-flushed stdio buffer of theirs. */
void pg_log_write(const char *buf, size_t n)
{
	int fd = pg_log_fd();
	for (size_t off = 0; fd >= 0 && off < n && fd != broken_fd;) {
		ssize_t w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EPIPE)
			broken_fd = fd; /* no reader: each try would raise a SIGPIPE for the program */
		if (w <= 0)
			break;
		off += w;
	}
}

static void log_write(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "pegasus: ");
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	pg_log_write(buf, n);
}

void pg_log(int level, const char *fmt, ...)
{
	if (level > pg_log_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_write(fmt, ap);
	va_end(ap);
}

void pg_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_write(fmt, ap);
	va_end(ap);
	_exit(125);
}
