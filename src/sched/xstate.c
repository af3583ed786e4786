/* xstate.c - the CPU's extended (vector) state: the XSAVE area's size, features and initial image. */
#include "sched/xstate.h"

#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
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


bool pg_vec_lazy;

static uint64_t xinuse(void)
{
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
	return ((uint64_t)hi << 32) | lo;
}

/* The vector registers SSE code never writes, to or from v (2112 bytes:
 * zmm0-31, then k0-7), the AVX-512 or AVX set. The compiler emits no
 * vector instruction but legacy SSE here (no -mavx), so nothing between a
 * load and a store touches them but the calls in between. */
static void upper_regs(void *v, bool load, bool avx512)
{
	if (avx512 && load)
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
				 "vmovdqu64 \\r*64(%0), %%zmm\\r\n.endr\n"
				 ".irp k,0,1,2,3,4,5,6,7\nkmovq 2048+\\k*8(%0), %%k\\k\n.endr" : : "r"(v) : "memory");
	else if (avx512)
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
				 "vmovdqu64 %%zmm\\r, \\r*64(%0)\n.endr\n"
				 ".irp k,0,1,2,3,4,5,6,7\nkmovq %%k\\k, 2048+\\k*8(%0)\n.endr" : : "r"(v) : "memory");
	else if (load)
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
				 "vmovdqu \\r*64(%0), %%ymm\\r\n.endr" : : "r"(v) : "memory");
	else
		__asm__ volatile(".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
				 "vmovdqu %%ymm\\r, \\r*64(%0)\n.endr" : : "r"(v) : "memory");
}

/* What the runtime's code calls most, at sizes that pick different paths. */
static void library_work(char *x, char *y, size_t n)
{
	void *volatile vx = x; /* opaque: real calls into the library */
	memset(vx, 'a', n - 1);
	x[n - 1] = 0;
	memcpy(y, vx, n);
	memmove(y + 1, vx, n / 2);
	size_t r = strlen(vx) + strnlen(y, n) + (size_t)memchr(vx, 'b', n) + (size_t)strchr(vx, 'b') +
		   (size_t)strchrnul(vx, 'b') + (size_t)memcmp(vx, y + 1, n / 2) + (size_t)strcmp(vx, y) +
		   (size_t)strncmp(vx, y, n);
	char buf[128];
	snprintf(buf, sizeof(buf), "%zu %s %f %p %%", r, "x", 2.5, (void *)buf);
	free(calloc(1, n));
}

/*
 * Can the gate leave the app's vector state live but for xmm0-15 and
 * MXCSR while runtime code runs (pg_vec_lazy)? Only if this process's
 * libraries, as started (GLIBC_TUNABLES: cli/reexec.c), write nothing else:
 * a pattern is loaded into every register beyond xmm0-15, the calls made,
 * the pattern read back; x87 is put in its initial state first and must
 * stay there (XINUSE bit 0).
 */
bool xstate_libs_sse_only(void)
{
	uint64_t xcr0 = xstate_features();
	unsigned a, b, c, d;
	__cpuid_count(0xd, 1, a, b, c, d);
	if (!((a >> 2) & 1))
		return false; /* no XINUSE: x87 use cannot be told */
	bool avx = xcr0 & 4, avx512 = (xcr0 & 0xe0) == 0xe0;
	/* aligned_alloc wants a multiple of the alignment (ASan refuses the
	 * rest): 2440 bytes on AMD Zen 3. */
	size_t sz = (xsave_area_size() + 63) & ~(size_t)63;
	char *area = aligned_alloc(64, sz), *pat = aligned_alloc(64, 2112), *got = aligned_alloc(64, 2112);
	char *x = malloc(65536), *y = malloc(65536);
	bool clean = false;
	if (area && pat && got && x && y) {
		for (int i = 0; i < 2112; i++)
			pat[i] = (char)(i * 37 + 11);
		memset(area, 0, sz);
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
		uint64_t bv;
		memcpy(&bv, area + XSAVE_HDR_OFFSET, 8);
		bv &= ~1ull; /* x87 initial */
		memcpy(area + XSAVE_HDR_OFFSET, &bv, 8);
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
		if (avx)
			upper_regs(pat, true, avx512);
		static const size_t sizes[] = { 7, 33, 100, 300, 4096, 65536 };
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			library_work(x, y, sizes[i]);
		clean = !(xinuse() & 1);
		if (avx) {
			upper_regs(got, false, avx512);
			/* The low 16 bytes of zmm0-15 (or ymm0-15) are xmm0-15. */
			size_t nreg = avx512 ? 32 : 16, w = avx512 ? 64 : 32;
			for (size_t r = 0; r < nreg; r++)
				clean &= !memcmp(got + r * 64 + (r < 16 ? 16 : 0), pat + r * 64 + (r < 16 ? 16 : 0),
						 w - (r < 16 ? 16 : 0));
			if (avx512)
				clean &= !memcmp(got + 2048, pat + 2048, 64);
			__asm__ volatile("vzeroupper");
		}
	}
	free(area);
	free(pat);
	free(got);
	free(x);
	free(y);
	return clean;
}
