/* timers.h - routing the signals of POSIX timers to their program and thread. */
#pragma once
#include <signal.h>
#include <stdbool.h>

struct vproc;
struct uthread;

/* If si is a timer signal made by timer_create here, put the program's own
 * si_value in it and say whom it is for. Async-signal-safe. */
bool timers_route(siginfo_t *si, struct vproc **p, struct uthread **tgt);
