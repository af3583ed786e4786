/* timers.h - routing the signals of POSIX timers to their program and thread. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <time.h>

struct vproc;
struct uthread;

enum timer_route {
	TIMER_NOT_OURS, /* not the signal of a timer made by timer_create here */
	TIMER_QUEUE,    /* queue it for *p (and *tgt, if not NULL) */
	TIMER_STALE,    /* nothing for anyone: its timer is gone, or has a signal queued */
};

/* timers_route - whom a host timer signal is for. Async-signal-safe. */
enum timer_route timers_route(siginfo_t *si, struct vproc **p, struct uthread **tgt);

/* timers_queue - queue a TIMER_QUEUE signal for *p and *tgt (from
 * timers_route); one that finds its standard signal pending waits in its
 * timer until that is taken. Host signals blocked (as in a handler). */
void timers_queue(struct vproc *p, struct uthread *tgt, const siginfo_t *si);

/* timers_slot_freed - standard signal sig of p was just taken: a timer
 * signal waiting for it is queued now. Host signals blocked. */
void timers_slot_freed(struct vproc *p, int sig);

/* timers_discard - sig is now ignored in p: timer signals waiting for its
 * slot are dropped, their timers go on. Host signals blocked. */
void timers_discard(struct vproc *p, int sig);

/* timers_not_queued - a timer signal did not make it into the queue
 * (ignored, merged with a pending one) or left it unseen (discarded): the
 * timer goes on. Host signals blocked (as in a handler). */
void timers_not_queued(const siginfo_t *si);

/* timers_take - a timer signal leaves the program's queue: give it the
 * program's si_value and its overrun, and re-arm a periodic timer. False:
 * its timer is gone or set again since, drop it. Host signals blocked;
 * anything but a timer signal is left alone. */
bool timers_take(siginfo_t *si);

/* timers_release_all - delete every timer of p: at its end; at exec
 * (exec) all but its ITIMER_REAL, which Linux keeps across execve. */
void timers_release_all(struct vproc *p, bool exec);

/* timers_itimer_real - p's ITIMER_REAL as a timer_settime (want) or a
 * timer_gettime (want NULL) on CLOCK_MONOTONIC: the old or current value
 * in *old. 0 or -errno. */
long timers_itimer_real(struct vproc *p, const struct itimerspec *want, struct itimerspec *old);

/* The calls (the syscall table's handlers for timer_create...). */
long sys_timer_create(struct uthread *ut, const long a[6]);
long sys_timer_delete(struct uthread *ut, const long a[6]);
long sys_timer_settime(struct uthread *ut, const long a[6]);
long sys_timer_gettime(struct uthread *ut, const long a[6]);
long sys_timer_getoverrun(struct uthread *ut, const long a[6]);

/* In a forked child: no timers (the kernel's are not inherited either). */
void timers_after_fork(void);
