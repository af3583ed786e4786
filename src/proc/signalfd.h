/* signalfd.h - signalfd over virtual signals: a user-space file object. */
#pragma once
#include <stdint.h>

struct vproc;

/* A signal was queued on p: the signalfds that watch it note it.
 * Async-signal-safe (called from signal_queue). */
void signalfd_notify(struct vproc *p, int sig);
/* In normal context, after signals were queued on p (signal_notify): wake
 * the waiters of its signalfds that have something to read. */
void signalfd_wake(struct vproc *p);
