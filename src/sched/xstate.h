/* xstate.h - the CPU's extended (vector) state: the XSAVE area's size, features and initial image. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets in the XSAVE area (standard format). */
#define XSAVE_HDR_OFFSET 512
#define MXCSR_OFFSET 24

/* Bytes of an XSAVE area for every feature the kernel enabled (XCR0). */
size_t xsave_area_size(void);
/* XCR0: the state components the kernel enabled. */
uint64_t xstate_features(void);
/* The state a signal handler or a new program starts with. */
void xsave_init_state(void *area);
/* Make an app-supplied XSAVE image (a signal frame) safe for xrstor. */
void xsave_sanitize(void *area);

/*
 * pg_vec_lazy: the runtime's code and libraries write no vector state but
 * xmm0-15 and MXCSR (checked by xstate_libs_sse_only at start), so the
 * gate saves only those for the runtime's work and leaves the rest of the
 * app's state live in the registers until a switch or a signal frame
 * needs it in memory (vec_make_full). Read by gate.S.
 */
extern bool pg_vec_lazy;
/* Do this process's libraries leave all but SSE state alone? */
bool xstate_libs_sse_only(void);
