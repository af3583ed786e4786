/* insn_len.c - the length of any x86-64 instruction, from its encoding alone: for sweeping code. */
#include "entry/insn_len.h"

#include <stdbool.h>

/*
 * An instruction is [legacy prefixes] [REX] opcode [ModRM [SIB] [disp]]
 * [immediate], or a VEX/EVEX/XOP prefix standing for the prefixes and the
 * escape bytes, then opcode, ModRM and immediate. What follows the opcode
 * is a property of the opcode and its map, kept in the tables below.
 */
enum {
	M = 1,      /* a ModRM byte (and what it brings: SIB, displacement) */
	I8 = 2,     /* 1-byte immediate (or rel8) */
	I16 = 4,    /* 2-byte immediate */
	IZ = 8,     /* 4-byte immediate, 2 with a 66 prefix and no REX.W */
	IV = 16,    /* mov $imm,%reg: 8 bytes with REX.W, 2 with 66, else 4 */
	REL32 = 32, /* near branch: 4 bytes (declined with a 66 prefix) */
	MOFFS = 64, /* mov to/from an absolute address: 8 bytes, 4 with 67 */
	GRP3 = 128, /* test of an immediate when ModRM.reg is 0 or 1 */
	BAD = 256,  /* invalid in 64-bit mode, or a prefix met as an opcode */
};

#define R4(x) x, x, x, x
#define R8(x) R4(x), R4(x)
#define R16(x) R8(x), R8(x)
/* The ALU rows 00-3f: r/m,r forms, then accumulator,imm8 and ,imm16/32. */
#define ALU M, M, M, M, I8, IZ

static const uint16_t map1[256] = {
	/* 00 */ ALU, BAD, BAD, ALU, BAD, BAD,
	/* 10 */ ALU, BAD, BAD, ALU, BAD, BAD,
	/* 20 */ ALU, BAD, BAD, ALU, BAD, BAD,
	/* 30 */ ALU, BAD, BAD, ALU, BAD, BAD,
	/* 40 */ R16(BAD),                         /* REX: taken as a prefix */
	/* 50 */ R16(0),
	/* 60 */ BAD, BAD, BAD, M, BAD, BAD, BAD, BAD, IZ, M | IZ, I8, M | I8, 0, 0, 0, 0,
	/* 70 */ R16(I8),
	/* 80 */ M | I8, M | IZ, BAD, M | I8, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, BAD, 0, 0, 0, 0, 0,
	/* a0 */ MOFFS, MOFFS, MOFFS, MOFFS, 0, 0, 0, 0, I8, IZ, 0, 0, 0, 0, 0, 0,
	/* b0 */ R8(I8), R8(IV),
	/* c0 */ M | I8, M | I8, I16, 0, BAD, BAD, M | I8, M | IZ, I16 | I8, 0, I16, 0, 0, I8, BAD, 0,
	/* d0 */ M, M, M, M, BAD, BAD, BAD, 0, R8(M),
	/* e0 */ R8(I8), REL32, REL32, BAD, I8, 0, 0, 0, 0,
	/* f0 */ BAD, 0, BAD, BAD, 0, 0, M | GRP3, M | GRP3, 0, 0, 0, 0, 0, 0, M, M,
};

/* 0f xx. The 38 and 3a escapes are handled before this table is read. */
static const uint16_t map2[256] = {
	/* 00 */ M, M, M, M, BAD, 0, 0, 0, 0, 0, BAD, 0, BAD, M, 0, M | I8 /* 3DNow! */,
	/* 10 */ R16(M),
	/* 20 */ M, M, M, M, BAD, BAD, BAD, BAD, M, M, M, M, M, M, M, M,
	/* 30 */ 0, 0, 0, 0, 0, 0, BAD, 0, BAD, BAD, BAD, BAD, BAD, BAD, BAD, BAD,
	/* 40 */ R16(M),
	/* 50 */ R16(M),
	/* 60 */ R16(M),
	/* 70 */ M | I8, M | I8, M | I8, M | I8, M, M, M, 0, M, M, BAD, BAD, M, M, M, M,
	/* 80 */ R16(REL32),
	/* 90 */ R16(M),
	/* a0 */ 0, 0, 0, M, M | I8, M, BAD, BAD, 0, 0, 0, M, M | I8, M, M, M,
	/* b0 */ R8(M), M, M, M | I8, M, M, M, M, M,
	/* c0 */ M, M, M | I8, M, M | I8, M | I8, M | I8, M, R8(0),
	/* d0 */ R16(M),
	/* e0 */ R16(M),
	/* f0 */ R16(M),
};

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/* modrm_len - ModRM and what it brings (SIB, displacement) at p: 1 to 6
 * bytes (the 32-bit form of a 67 prefix has the same layout), or 0. */
static size_t modrm_len(const uint8_t *p, size_t n)
{
	if (n < 1)
		return 0;
	unsigned mod = p[0] >> 6, rm = p[0] & 7;
	size_t len = 1;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (n < 2)
			return 0;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4; /* no base: disp32 */
	}
	if (mod == 0 && rm == 5)
		len += 4; /* %rip-relative */
	else if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

/* The operand sizes the prefixes chose. */
struct sizes {
	bool opsize;   /* 66 */
	bool addrsize; /* 67 */
	bool rex_w;
};

/* imm_len - the immediate (or displacement) the flags f ask for. */
static size_t imm_len(uint16_t f, const struct sizes *s)
{
	size_t len = 0;
	if (f & I8)
		len += 1;
	if (f & I16)
		len += 2;
	if (f & IZ)
		len += s->opsize && !s->rex_w ? 2 : 4;
	if (f & IV)
		len += s->rex_w ? 8 : s->opsize ? 2 : 4;
	if (f & REL32)
		len += 4;
	if (f & MOFFS)
		len += s->addrsize ? 4 : 8;
	return len;
}

/* vex_flags - after a VEX (c4, c5), EVEX (62) or XOP (8f) prefix at p[0]:
 * its length in *plen and what follows the opcode of its map, or BAD. */
static uint16_t vex_flags(const uint8_t *p, size_t n, size_t *plen)
{
	unsigned map;
	switch (p[0]) {
	case 0xc5:
		*plen = 2;
		map = 1;
		break;
	case 0xc4:
		*plen = 3;
		map = n > 1 ? p[1] & 0x1f : 0;
		break;
	case 0x62:
		*plen = 4;
		/* P1 bit 2 is always 1; EVEX maps past 3 (FP16, APX) declined. */
		map = n > 2 && (p[2] & 4) ? p[1] & 7 : 0;
		break;
	default: /* 8f: XOP, maps 8, 9 and 10 */
		*plen = 3;
		map = p[1] & 0x1f;
		if (map == 8)
			return M | I8;
		if (map == 9)
			return M;
		return map == 10 ? M | IZ /* 4 bytes: no 66 here */ : BAD;
	}
	if (n <= *plen)
		return BAD;
	uint8_t op = p[*plen];
	switch (map) {
	case 1:
		if (op == 0x77 && p[0] != 0x62)
			return 0; /* vzeroupper, vzeroall: no ModRM */
		return map2[op] & M ? map2[op] & (M | I8) : BAD;
	case 2:
		return M;
	case 3:
		return M | I8;
	default:
		return BAD;
	}
}

int insn_len(const uint8_t *p, size_t n)
{
	if (n > 15)
		n = 15;
	size_t i = 0;
	struct sizes s = { false, false, false };
	bool rep_lock = false; /* f0, f2, f3 */
	while (i < n && legacy_prefix(p[i])) {
		s.opsize |= p[i] == 0x66;
		s.addrsize |= p[i] == 0x67;
		rep_lock |= p[i] >= 0xf0;
		i++;
	}
	bool rex = i < n && (p[i] & 0xf0) == 0x40;
	if (rex)
		s.rex_w = p[i++] & 8;
	if (i >= n)
		return 0;
	uint8_t op = p[i];
	uint16_t f;
	bool onebyte = false;
	if (op == 0xc4 || op == 0xc5 || op == 0x62 || (op == 0x8f && i + 1 < n && (p[i + 1] & 0x1f) >= 8)) {
		if (rex || s.opsize || rep_lock)
			return 0; /* #UD: no length to trust */
		size_t plen;
		f = vex_flags(p + i, n - i, &plen);
		i += plen + 1;
	} else if (op == 0x0f) {
		if (++i >= n)
			return 0;
		op = p[i++];
		if (op == 0x38 || op == 0x3a) {
			f = op == 0x38 ? M : M | I8;
			i++;
		} else {
			f = map2[op];
			/* 66/f2 0f 78, 79: SSE4a's extrq/insertq, some with two
			 * immediates; vmread/vmwrite otherwise. */
			if ((op == 0x78 || op == 0x79) && (s.opsize || rep_lock))
				return 0;
		}
	} else {
		f = map1[op];
		onebyte = true;
		i++;
	}
	/* A near branch with 66 and no REX.W: rel16 on AMD, rel32 on Intel
	 * (66 66 48 e8, the padded TLS call of -fPIC code, is rel32). */
	if ((f & BAD) || ((f & REL32) && s.opsize && !s.rex_w) || i > n)
		return 0;
	uint8_t modrm = i < n ? p[i] : 0;
	if (f & M) {
		size_t m = modrm_len(p + i, n - i);
		if (!m)
			return 0;
		i += m;
	}
	i += imm_len(f, &s);
	if (onebyte && (f & GRP3) && ((modrm >> 3) & 7) < 2) /* test $imm,r/m */
		i += op == 0xf6 ? 1 : s.opsize && !s.rex_w ? 2 : 4;
	return i <= n ? (int)i : 0;
}
