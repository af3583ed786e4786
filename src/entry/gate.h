/* gate.h - what gate.S and the C side share. */
#pragma once

/* The flags gate.S's return sets without popfq (~20 cycles, microcoded):
 * the arithmetic ones, IF (always set in user mode) and bit 1 (always
 * set). Any other bit (TF, DF, AC...) in the app's takes popfq. */
#define RFLAGS_PLAIN 0xad7

/* Flags the kernel's syscall entry clears (its SYSCALL_MASK) that runtime
 * code needs clear: DF (string instructions would copy backwards), TF and
 * AC. An app may enter with them set; the trap frame keeps its flags. */
#define RFLAGS_ENTRY_CLEAR 0x40500

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The app flag bits that send the return to popfq: ~RFLAGS_PLAIN, or all
 * of them until gate_flags_init finds LAHF/SAHF in 64-bit mode. */
extern uint64_t pg_rflags_slow;

/* gate_flags_init - once, before a program runs. */
void gate_flags_init(void);
#endif
