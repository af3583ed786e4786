/* trace.h - strace-like lines for every call the runtime serves (--trace). */
#pragma once
#include <stdbool.h>

struct uthread;
struct sysent;

extern bool trace_on;

/* trace_open - send trace lines to FILE, or to stderr when file is NULL. */
int trace_open(const char *file);
void trace_enter(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);
void trace_exit(struct uthread *ut, long nr, const struct sysent *e, const long a[6], long ret);
/* trace_event - a line about something other than a call (signals, exits). */
void trace_event(struct uthread *ut, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
