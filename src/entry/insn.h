/* insn.h - the length of an x86-64 instruction a patch may move into a stub: a small, exact subset. */
#pragma once
#include <stdint.h>

/*
 * insn_movable - the length of the instruction at p (n bytes readable) if
 * it runs the same anywhere but for a %rip-relative displacement, whose
 * offset in it goes to *rip_disp (-1: none); 0 for anything else. The
 * subset: an optional REX, then integer mov/lea/ALU/test/shift/imul/movzx/
 * movsx/cmov forms with a ModRM, ALU and test of an immediate with the
 * accumulator, mov of an immediate to a register, push/pop of a register,
 * nop. No branch (the caller may move a short one itself), no other prefix.
 */
int insn_movable(const uint8_t *p, int n, int *rip_disp);
