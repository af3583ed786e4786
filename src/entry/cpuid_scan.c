/* cpuid_scan.c - the CPUID instructions of an ELF file's code, found by sweeping it, with what a patch may cover around each. */
#include "entry/cpuid_scan.h"

#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "entry/insn_len.h"

#define SECTIONS_MAX 256
#define SECTION_MAX (64u << 20)
#define WINDOW (2 * CPUID_SCAN_REACH + 2) /* a CPUID and its reach, each way */

/* What the sweep learnt around one CPUID at off: which bytes of
 * [off - REACH, off + 2 + REACH) start an instruction, and which a direct
 * branch targets. */
struct window {
	uint64_t starts, targets; /* bit i: byte off - REACH + i */
};

/* branch_target - the target of the direct branch (jcc, jmp, call, loop,
 * jrcxz) of len bytes at b, at address at; false for anything else. */
static bool branch_target(const uint8_t *b, int len, uint64_t at, uint64_t *t)
{
	int i = 0;
	while (i < len && (b[i] == 0x2e || b[i] == 0x3e || b[i] == 0xf2 || (b[i] & 0xf0) == 0x40))
		i++; /* branch hints, bnd, a REX */
	if (i >= len)
		return false;
	uint8_t op = b[i];
	bool rel8 = (op & 0xf0) == 0x70 || op == 0xeb || (op >= 0xe0 && op <= 0xe3);
	bool rel32 = op == 0xe8 || op == 0xe9 || (op == 0x0f && i + 1 < len && (b[i + 1] & 0xf0) == 0x80);
	if (rel8 && len - i == 2)
		*t = at + len + (int8_t)b[len - 1];
	else if (rel32 && len - i == (op == 0x0f ? 6 : 5)) {
		int32_t d;
		memcpy(&d, b + len - 4, 4);
		*t = at + len + d;
	} else
		return false;
	return true;
}

/* ends_flow - does the instruction of len bytes at b never go on to the
 * next one (ret, jmp, int3, ud2, hlt, iret)? */
static bool ends_flow(const uint8_t *b, size_t len)
{
	size_t i = 0;
	while (i < len && (b[i] == 0x2e || b[i] == 0x3e || b[i] == 0xf2 || b[i] == 0xf3 || (b[i] & 0xf0) == 0x40))
		i++; /* branch hints, notrack, bnd, rep ret, a REX */
	if (i >= len)
		return false;
	switch (b[i]) {
	case 0xc2: case 0xc3: case 0xca: case 0xcb: case 0xcc: case 0xcf: case 0xe9: case 0xeb: case 0xf4:
		return true;
	case 0x0f:
		return i + 1 < len && b[i + 1] == 0x0b;
	case 0xff: /* jmp *r/m, ljmp */
		return i + 1 < len && (((b[i + 1] >> 3) & 7) == 4 || ((b[i + 1] >> 3) & 7) == 5);
	default:
		return false;
	}
}

/* extents - the pre and post (see cpuid_found) of the CPUID at off, from
 * its window; b holds its section, at address sec, of len bytes. */
static void extents(const struct window *w, const uint8_t *b, uint64_t sec, size_t len, uint32_t off,
		    struct cpuid_found *f)
{
	const int at = CPUID_SCAN_REACH; /* the CPUID's bit */
	size_t pos = off - sec;          /* and its index in b */
	f->off = off;
	f->pre = f->post = 0;
	if (w->targets & ~w->starts)
		return; /* a branch into the middle of an instruction: not code as swept */
	for (int i = at + 2; i < WINDOW && pos + (size_t)(i - at) < len; i++) {
		if ((w->starts & w->targets) >> i & 1)
			break;
		f->post++;
	}
	/* Back from the CPUID an instruction at a time. The one passed over
	 * becomes interior to the patch, so it must not be a branch's target,
	 * nor follow an instruction that does not fall through (it is entered
	 * by a jump then: a function's start, a jump table's case); a nop may
	 * be a function's padding, with the same behind it. */
	int start = at;
	for (int i = at - 1; i >= 0; i--) {
		if (!(w->starts >> i & 1))
			continue;
		const uint8_t *insn = b + pos - (size_t)(at - i);
		if ((start != at && (w->targets >> start & 1)) || insn[0] == 0x90 || ends_flow(insn, (size_t)(start - i)))
			break;
		start = i;
	}
	f->pre = (uint8_t)(at - start);
}

static bool bit(const uint64_t *m, size_t i)
{
	return m[i / 64] >> (i % 64) & 1;
}

/* window - bits [pos - REACH, pos + 2 + REACH) of the section's maps;
 * those outside the section stay 0. */
static struct window window(const uint64_t *starts, const uint64_t *targets, size_t len, size_t pos)
{
	struct window w = { 0, 0 };
	for (size_t i = 0; i < WINDOW; i++) {
		size_t p = pos + i - CPUID_SCAN_REACH; /* below 0: wraps, past len */
		if (p < len) {
			w.starts |= (uint64_t)bit(starts, p) << i;
			w.targets |= (uint64_t)bit(targets, p) << i;
		}
	}
	return w;
}

/* sweep - the CPUIDs of one section's bytes b (at address addr less the
 * image's lowest), appended to out from *n; false if the sweep broke
 * (nothing appended then). One pass maps where instructions start and
 * where the section's direct branches go. */
static bool sweep(const uint8_t *b, size_t len, uint64_t addr, struct cpuid_found *out, int max, int *n)
{
	if (!memmem(b, len, "\x0f\xa2", 2) || *n >= max)
		return true;
	size_t words = len / 64 + 1;
	uint64_t *starts = calloc(2 * words, sizeof(uint64_t)), *targets = starts + words;
	if (!starts)
		return false;
	int first = *n, found = 0;
	bool whole = true;
	for (size_t i = 0; i < len;) {
		int l = insn_len(b + i, len - i);
		if (!l) {
			pg_debug("CPUID sweep: no instruction known at %#lx (%02x %02x %02x): section left",
				 (unsigned long)(addr + i), b[i], i + 1 < len ? b[i + 1] : 0,
				 i + 2 < len ? b[i + 2] : 0);
			whole = false;
			break;
		}
		uint64_t t;
		starts[i / 64] |= 1ull << (i % 64);
		if (branch_target(b + i, l, addr + i, &t) && t - addr < len)
			targets[(t - addr) / 64] |= 1ull << ((t - addr) % 64);
		if (l == 2 && b[i] == 0x0f && b[i + 1] == 0xa2 && first + found < max)
			out[first + found++].off = (uint32_t)(addr + i);
		i += (size_t)l;
	}
	for (int k = 0; whole && k < found; k++) {
		size_t pos = out[first + k].off - addr;
		struct window w = window(starts, targets, len, pos);
		extents(&w, b, addr, len, out[first + k].off, &out[first + k]);
	}
	free(starts);
	if (whole)
		*n += found;
	return whole;
}

int cpuid_scan(int fd, uint64_t vaddr_lo, struct cpuid_found *out, int max)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > SECTIONS_MAX)
		return -1;
	Elf64_Shdr sh[SECTIONS_MAX];
	size_t shlen = (size_t)eh.e_shnum * sizeof(Elf64_Shdr);
	if (pread(fd, sh, shlen, (off_t)eh.e_shoff) != (ssize_t)shlen)
		return -1;
	int n = 0;
	for (int i = 0; i < eh.e_shnum; i++) {
		const Elf64_Shdr *s = &sh[i];
		if (s->sh_type != SHT_PROGBITS || (s->sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR) ||
		    s->sh_size == 0 || s->sh_size > SECTION_MAX || s->sh_addr < vaddr_lo ||
		    s->sh_addr - vaddr_lo + s->sh_size > UINT32_MAX)
			continue;
		uint8_t *b = malloc(s->sh_size);
		if (!b)
			return n;
		if (pread(fd, b, s->sh_size, (off_t)s->sh_offset) == (ssize_t)s->sh_size)
			sweep(b, s->sh_size, s->sh_addr - vaddr_lo, out, max, &n);
		free(b);
	}
	return n;
}
