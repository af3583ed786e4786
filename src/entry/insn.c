/* insn.c - the length of an x86-64 instruction a patch may move into a stub: a small, exact subset. */
#include "entry/insn.h"

#include <stdbool.h>

enum { NONE = -1, IMM0 = 0, IMM8 = 1, IMM32 = 4 };

/* The immediate after the ModRM of a one-byte opcode, or NONE if the
 * opcode has no ModRM form in the subset. reg is ModRM's reg field, which
 * selects the operation of a group opcode. */
static int modrm_imm(uint8_t op, int reg)
{
	if (op < 0x40 && (op & 7) < 4) /* add/or/adc/sbb/and/sub/xor/cmp r/m,r and r,r/m */
		return IMM0;
	switch (op) {
	case 0x84: case 0x85: case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8d:
	case 0xd1: case 0xd3:
		return IMM0;
	case 0x80: case 0x83: case 0xc0: case 0xc1: case 0x6b:
		return IMM8;
	case 0x81: case 0x69:
		return IMM32;
	case 0xc6:
		return reg == 0 ? IMM8 : NONE;
	case 0xc7:
		return reg == 0 ? IMM32 : NONE;
	default:
		return NONE;
	}
}

/* The two-byte (0f xx) opcodes of the subset: movzx, movsx, imul, cmovcc. */
static bool twobyte_ok(uint8_t op)
{
	return op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf || op == 0xaf || (op & 0xf0) == 0x40;
}

int insn_movable(const uint8_t *p, int n, int *rip_disp)
{
	int i = 0;
	bool rexw = false;
	*rip_disp = -1;
	if (n > 0 && (p[0] & 0xf0) == 0x40) {
		rexw = p[0] & 8;
		i++;
	}
	if (i >= n)
		return 0;
	uint8_t op = p[i++];
	if ((op & 0xf0) == 0x50 || op == 0x90) /* push/pop reg, nop */
		return i;
	if (op < 0x40 && (op & 7) == 4) /* add/or/adc/sbb/and/sub/xor/cmp $imm8, %al */
		return i + 1 <= n ? i + 1 : 0;
	if (op < 0x40 && (op & 7) == 5) /* the same, $imm32 and %eax/%rax */
		return i + 4 <= n ? i + 4 : 0;
	if (op == 0xa8 || op == 0xa9) /* test $imm, %al / %eax */
		return i + (op == 0xa8 ? 1 : 4) <= n ? i + (op == 0xa8 ? 1 : 4) : 0;
	if ((op & 0xf8) == 0xb8) /* mov $imm, reg */
		return i + (rexw ? 8 : 4) <= n ? i + (rexw ? 8 : 4) : 0;
	int imm;
	if (op == 0x0f) {
		if (i >= n || !twobyte_ok(p[i]))
			return 0;
		i++;
		imm = IMM0;
	} else {
		if (i >= n)
			return 0;
		imm = modrm_imm(op, (p[i] >> 3) & 7);
		if (imm == NONE)
			return 0;
	}
	if (i >= n)
		return 0;
	uint8_t modrm = p[i++];
	int mod = modrm >> 6, rm = modrm & 7;
	if (op == 0x8d && mod == 3) /* lea of a register: invalid */
		return 0;
	if (mod != 3 && rm == 4) { /* SIB */
		if (i >= n)
			return 0;
		uint8_t sib = p[i++];
		if (mod == 0 && (sib & 7) == 5)
			i += 4;
	}
	if (mod == 0 && rm == 5) {
		*rip_disp = i;
		i += 4;
	} else if (mod == 1) {
		i += 1;
	} else if (mod == 2) {
		i += 4;
	}
	i += imm;
	return i <= n ? i : 0;
}
