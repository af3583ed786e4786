/* insn_len.h - the length of any x86-64 instruction, from its encoding alone: for sweeping code. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*
 * insn_len - the length of the 64-bit mode instruction at p (n bytes
 * readable), or 0 where it declines: an opcode invalid in 64-bit mode, an
 * encoding whose length it does not know for sure (EVEX maps past 0f3a, a
 * 66 prefix on a near branch without REX.W, VEX after a REX or a
 * 66/f2/f3/f0), more than 15 bytes, or more than n. fwait (9b) is an
 * instruction of its own, as the CPU runs it (objdump shows it joined to
 * the x87 instruction after it). Lengths only: what an instruction does is
 * not looked at, so an undefined opcode of a known map gets the length
 * its map's format gives. Checked against objdump (tests/unit/test_insn_len.c).
 */
int insn_len(const uint8_t *p, size_t n);
