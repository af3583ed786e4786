/* log.h - runtime diagnostics written straight to the real stderr. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

/* Verbosity: 0 errors only, 1 warnings (default), 2 info, 3 debug. */
extern int pg_log_level;

void pg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* pg_log_fd - where diagnostics go: the host's fd 2, or what the hook set
 * by pg_log_set_fd says (a forked child: its program's stderr; < 0: none). */
int pg_log_fd(void);
void pg_log_set_fd(int (*where)(void));
/* pg_log_write - n bytes as they are, where diagnostics go (a table). */
void pg_log_write(const char *buf, size_t n);
noreturn void pg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define pg_err(...)   pg_log(0, __VA_ARGS__)
#define pg_warn(...)  pg_log(1, __VA_ARGS__)
#define pg_info(...)  pg_log(2, __VA_ARGS__)
#define pg_debug(...) pg_log(3, __VA_ARGS__)

/* Assertions on runtime invariants stay on in release builds: a broken
 * invariant in a syscall runtime corrupts someone else's program. */
#define PG_ASSERT(c) \
	do { if (__builtin_expect(!(c), 0)) pg_die("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__); } while (0)
