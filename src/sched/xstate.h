/* xstate.h - the CPU's extended (vector) state: the XSAVE area's size, features and initial image. */
#pragma once
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
