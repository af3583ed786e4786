/* cpuid_scan.h - the CPUID instructions of an ELF file's code, found by sweeping it, with what a patch may cover around each. */
#pragma once
#include <stdint.h>

/* How far from a CPUID a patch may reach, each way. */
#define CPUID_SCAN_REACH 16

struct cpuid_found {
	uint32_t off; /* the CPUID's address, less the image's lowest */
	/* Whole instructions just before it, in bytes, none of them but the
	 * first a direct branch's target, and none a nop (whose run may end a
	 * function's padding, before a function entered through a pointer): a
	 * patch may move them and keep the CPUID in place. */
	uint8_t pre;
	/* Bytes after it up to the first instruction a direct branch enters
	 * (CPUID_SCAN_REACH if none near): a patch over the CPUID may cover
	 * that much after it; 0 when the next instruction is such a target. */
	uint8_t post;
};

/*
 * cpuid_scan - sweep the executable sections of the ELF file open on fd
 * from their first byte, an instruction at a time (insn_len), and put its
 * CPUIDs in out (at most max), addresses less vaddr_lo. Returns how many,
 * or -1 where the file could not be read as ELF. A section the sweep
 * cannot cross whole (an instruction insn_len declines: data among the
 * code, say) gives none: an address is trusted only as the start of an
 * instruction in an unbroken sweep from its section's start, as a
 * disassembler reads it. Sections without the bytes 0f a2 are not swept.
 * Targets of indirect branches (jump tables) are not known: the caller
 * rewrites only in code that has no reason to jump into such a run
 * (glibc's ld.so).
 */
int cpuid_scan(int fd, uint64_t vaddr_lo, struct cpuid_found *out, int max);
