/* timers.h - routing the signals of POSIX timers to their program and thread. */
#pragma once
#include <signal.h>
#include <stdbool.h>

struct vproc;
struct uthread;

enum timer_route {
	TIMER_NOT_OURS, /* not the signal of a timer made by timer_create here */
	TIMER_QUEUE,    /* queue it for *p (and *tgt, if not NULL) */
	TIMER_FOLDED,   /* its timer has a signal queued already: counted as overrun */
};

/* timers_route - whom a host timer signal is for. Async-signal-safe. */
enum timer_route timers_route(siginfo_t *si, struct vproc **p, struct uthread **tgt);

/* timers_not_queued - a TIMER_QUEUE signal did not make it into the queue
 * (ignored, or merged with a pending one): the timer may queue again. */
void timers_not_queued(const siginfo_t *si);

/* timers_take - a timer signal leaves the program's queue: give it the
 * program's si_value and its overrun. False: its timer is gone, drop it.
 * Async-signal-safe; anything but a timer signal is left alone. */
bool timers_take(siginfo_t *si);
