/* kblock.h - blocking calls on kernel pipes and sockets that park the uthread, not the vCPU. */
#pragma once
#include <stdbool.h>

/* Returned when the call is better issued as it is once its fd is ready
 * (a tty; an empty write). */
#define KBLOCK_PLAIN (-4096 - 3)

/**
 * kblock_call - a call that may wait on its blocking kernel fd (read,
 * write, their vector forms, recv*, send*, accept*), with host arguments
 * k, served as Linux's blocking call but with the uthread parked while it
 * would block, SO_RCVTIMEO/SO_SNDTIMEO honoured. Returns what the call
 * returns (-EINTR: a program signal came before anything moved), or
 * KBLOCK_PLAIN.
 */
long kblock_call(long nr, const long k[6]);

/* kblock_connect - connect(2) of a kernel TCP socket (host args k) without
 * a worker thread: a non-blocking socket's never sleeps; a blocking one's
 * is made non-blocking for the call and the uthread parks until the
 * handshake ends (SO_SNDTIMEO bounds it: EINPROGRESS, as Linux). Other
 * sockets: KBLOCK_PLAIN (the worker makes the blocking call). */
long kblock_connect(const long k[6], bool may_wait);
