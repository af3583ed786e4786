/* test_insn.c - unit tests of entry/insn: lengths of movable instructions, %rip-relative offsets, refusals. */
#include <stdint.h>

#include "entry/insn.h"
#include "unit.h"

struct want {
	uint8_t b[16];
	int n;      /* bytes given */
	int len;    /* expected length, 0: refused */
	int disp;   /* expected %rip-relative offset, -1: none */
};

static void check_all(const struct want *w, int count)
{
	for (int i = 0; i < count; i++) {
		int d = 99;
		int len = insn_movable(w[i].b, w[i].n, &d);
		CHECK_EQ(len * 1000 + i, w[i].len * 1000 + i);
		if (len)
			CHECK_EQ(d * 1000 + i, w[i].disp * 1000 + i);
	}
}

/* What glibc's ld.so puts after its CPUIDs, and the like. */
UNIT_TEST(ldso_forms)
{
	static const struct want w[] = {
		{ { 0x89, 0xc2 }, 8, 2, -1 },                               /* mov %eax,%edx */
		{ { 0x83, 0xe2, 0x1f }, 8, 3, -1 },                         /* and $0x1f,%edx */
		{ { 0x81, 0xff, 0xbe, 0, 0, 0 }, 8, 6, -1 },                /* cmp $0xbe,%edi */
		{ { 0x89, 0x15, 0x37, 0xe3, 1, 0 }, 8, 6, 2 },              /* mov %edx,disp(%rip) */
		{ { 0x83, 0x3d, 0x8f, 0xe2, 1, 0, 0x0c }, 8, 7, 2 },        /* cmpl $0xc,disp(%rip) */
		{ { 0xbf, 1, 0, 0, 0 }, 8, 5, -1 },                         /* mov $1,%edi */
		{ { 0x8d, 0x83, 4, 2, 0, 0 }, 8, 6, -1 },                   /* lea 0x204(%rbx),%eax */
		{ { 0x41, 0x83, 0xfa, 0x01 }, 8, 4, -1 },                   /* cmp $1,%r10d */
		{ { 0x48, 0x89, 0x05, 1, 2, 3, 4 }, 8, 7, 3 },              /* mov %rax,disp(%rip) */
		{ { 0x3d, 0, 0, 0, 0x80 }, 8, 5, -1 },                      /* cmp $imm32,%eax */
		{ { 0x48, 0x3d, 1, 0, 0, 0 }, 8, 6, -1 },                   /* cmp $imm32,%rax */
		{ { 0x24, 0x0f }, 8, 2, -1 },                               /* and $0xf,%al */
		{ { 0xa9, 1, 0, 0, 0 }, 8, 5, -1 },                         /* test $1,%eax */
		{ { 0x53 }, 8, 1, -1 },                                     /* push %rbx */
		{ { 0x41, 0x5c }, 8, 2, -1 },                               /* pop %r12 */
		{ { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10, -1 },     /* movabs $imm64,%rax */
		{ { 0x0f, 0xb6, 0xc0 }, 8, 3, -1 },                         /* movzbl %al,%eax */
		{ { 0x4c, 0x8d, 0x4b, 0x10 }, 8, 4, -1 },                   /* lea 0x10(%rbx),%r9 */
		{ { 0x8b, 0x44, 0x24, 0x08 }, 8, 4, -1 },                   /* mov 8(%rsp),%eax: SIB, disp8 */
		{ { 0x8b, 0x04, 0x25, 1, 2, 3, 4 }, 8, 7, -1 },             /* mov abs32,%eax: SIB, no base */
		{ { 0xc1, 0xe0, 0x04 }, 8, 3, -1 },                         /* shl $4,%eax */
		{ { 0xc7, 0x05, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10, 2 },      /* movl $imm,disp(%rip) */
	};
	check_all(w, sizeof(w) / sizeof(w[0]));
}

/* Branches, other prefixes and forms outside the subset, and bytes that
 * end before the instruction does. */
UNIT_TEST(refusals)
{
	static const struct want w[] = {
		{ { 0x74, 0x42 }, 8, 0, -1 },                   /* je rel8: the caller's */
		{ { 0xeb, 0x00 }, 8, 0, -1 },                   /* jmp rel8 */
		{ { 0xe8, 0, 0, 0, 0 }, 8, 0, -1 },             /* call rel32 */
		{ { 0xc3 }, 8, 0, -1 },                         /* ret */
		{ { 0x0f, 0x05 }, 8, 0, -1 },                   /* syscall */
		{ { 0x0f, 0xa2 }, 8, 0, -1 },                   /* cpuid */
		{ { 0x66, 0x89, 0xc2 }, 8, 0, -1 },             /* operand-size prefix */
		{ { 0xf0, 0x01, 0x02 }, 8, 0, -1 },             /* lock */
		{ { 0x64, 0x8b, 0x04, 0x25, 0, 0, 0, 0 }, 8, 0, -1 }, /* %fs: */
		{ { 0x8d, 0xc0 }, 8, 0, -1 },                   /* lea of a register */
		{ { 0xc7, 0xc8, 0, 0, 0, 0 }, 8, 0, -1 },       /* c7 /1 */
		{ { 0xff, 0xd0 }, 8, 0, -1 },                   /* call *%rax */
		{ { 0x81, 0xff, 0xbe, 0 }, 4, 0, -1 },          /* cut short */
		{ { 0x89, 0x15, 1, 2 }, 4, 0, -1 },             /* cut short in the disp */
		{ { 0x48 }, 1, 0, -1 },                         /* REX alone */
		{ { 0 }, 0, 0, -1 },                            /* nothing */
	};
	check_all(w, sizeof(w) / sizeof(w[0]));
}
