/* kwrite.h - blocking writes to pipes and sockets that park the uthread, not the vCPU. */
#pragma once

/* Returned when the call is better issued as it is (a regular file, a tty). */
#define KWRITE_PLAIN (-4096 - 3)

/**
 * kwrite_blocking - write(2) or writev(2) (nr) with host arguments k on a
 * blocking fd: everything written, the uthread parked while the pipe or
 * socket is full. Returns the count, -errno (-EINTR: a program signal came
 * before anything was written), or KWRITE_PLAIN.
 */
long kwrite_blocking(long nr, const long k[6]);
