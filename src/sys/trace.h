/* trace.h - strace-like lines for every call the runtime serves (--trace). */
#pragma once
#include <stdbool.h>

#include "proc/tracelog.h"

struct uthread;
struct sysent;

void trace_enter(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);
void trace_exit(struct uthread *ut, long nr, const struct sysent *e, const long a[6], long ret);

