/* signalfd.h - signalfd over virtual signals: a user-space file object. */
#pragma once
#include <stdint.h>

struct vproc;

/* A signal was queued on p: wake the signalfds that watch it.
 * Async-signal-safe (called from signal_queue). */
void signalfd_notify(struct vproc *p, int sig);
