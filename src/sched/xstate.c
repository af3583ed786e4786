/* xstate.c - the CPU's extended (vector) state: the XSAVE area's size, features and initial image. */
#include "sched/xstate.h"

#include <cpuid.h>
#include <string.h>

static size_t xsave_size_cached;
static uint64_t xcr0_cached;

size_t xsave_area_size(void)
{
	if (!xsave_size_cached) {
		unsigned a, b, c, d;
		__cpuid_count(0xd, 0, a, b, c, d);
		xsave_size_cached = b;
		unsigned lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		xcr0_cached = ((uint64_t)hi << 32) | lo;
	}
	return xsave_size_cached;
}

uint64_t xstate_features(void)
{
	xsave_area_size();
	return xcr0_cached;
}

/* The state a signal handler or a new program starts with: every component
 * in its initial configuration, MXCSR at its power-on value. */
void xsave_init_state(void *area)
{
	memset(area, 0, xsave_area_size());
	uint32_t mxcsr = 0x1f80;
	memcpy((char *)area + MXCSR_OFFSET, &mxcsr, 4);
	uint16_t fcw = 0x37f;
	memcpy(area, &fcw, 2);
}

/* Make an app-supplied XSAVE image safe for xrstor: only enabled features,
 * standard format, no reserved MXCSR bits. A bad image must not crash us. */
void xsave_sanitize(void *area)
{
	uint64_t *hdr = (uint64_t *)((char *)area + XSAVE_HDR_OFFSET);
	hdr[0] &= xstate_features();
	memset(&hdr[1], 0, 56);
	uint32_t mxcsr;
	memcpy(&mxcsr, (char *)area + MXCSR_OFFSET, 4);
	mxcsr &= 0xffff; /* bits 16-31 are reserved; all of 0-15 exist (DAZ too) */
	memcpy((char *)area + MXCSR_OFFSET, &mxcsr, 4);
}

