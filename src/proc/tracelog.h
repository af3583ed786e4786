/* tracelog.h - where --trace lines go, and the lines about events other than calls. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct uthread;

extern bool trace_on;

/* trace_open - send trace lines to FILE, or to stderr when file is NULL. */
int trace_open(const char *file);

/* One line being built; trace_emit writes it whole. */
struct trace_line {
	char buf[1024];
	size_t n;
};
void trace_put(struct trace_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "[program tid] ", the head of every line. */
void trace_put_head(struct trace_line *l, struct uthread *ut);
void trace_emit(struct trace_line *l);

/* trace_event - a line about something other than a call (signals, exits). */
void trace_event(struct uthread *ut, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
