/* test_insn_len.c - unit tests of entry/insn_len (encodings objdump rarely meets) and entry/cpuid_scan (what a patch may cover). */
#include <elf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "entry/cpuid_scan.h"
#include "entry/insn_len.h"
#include "unit.h"

struct want {
	uint8_t b[16];
	int n;   /* bytes given */
	int len; /* expected, 0: declined */
};

static void check_all(const struct want *w, int count)
{
	for (int i = 0; i < count; i++)
		CHECK_EQ(insn_len(w[i].b, (size_t)w[i].n) * 1000 + i, w[i].len * 1000 + i);
}

UNIT_TEST(prefixes_and_immediates)
{
	static const struct want w[] = {
		{ { 0x90 }, 1, 1 },                                         /* nop */
		{ { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 10, 10 }, /* nopw %cs:0(%rax,%rax,1) */
		{ { 0x66, 0x05, 1, 2 }, 4, 4 },                             /* add $imm16,%ax */
		{ { 0x48, 0x05, 1, 2, 3, 4 }, 6, 6 },                       /* add $imm32,%rax */
		{ { 0x66, 0x48, 0x05, 1, 2, 3, 4 }, 7, 7 },                 /* REX.W wins over 66 */
		{ { 0x66, 0xb8, 1, 2 }, 4, 4 },                             /* mov $imm16,%ax */
		{ { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10 },         /* movabs $imm64,%rax */
		{ { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 9 },                 /* movabs moffs64,%eax */
		{ { 0x67, 0xa1, 1, 2, 3, 4 }, 6, 6 },                       /* moffs32 with 67 */
		{ { 0xf6, 0xc1, 0x01 }, 3, 3 },                             /* test $1,%cl */
		{ { 0xf6, 0xd1 }, 2, 2 },                                   /* not %cl: no immediate */
		{ { 0xf7, 0xc1, 1, 2, 3, 4 }, 6, 6 },                       /* test $imm32,%ecx */
		{ { 0x66, 0xf7, 0xc1, 1, 2 }, 5, 5 },                       /* test $imm16,%cx */
		{ { 0xf7, 0xd8 }, 2, 2 },                                   /* neg %eax */
		{ { 0xc8, 0x10, 0x00, 0x01 }, 4, 4 },                       /* enter $16,$1 */
		{ { 0xc2, 0x08, 0x00 }, 3, 3 },                             /* ret $8 */
		{ { 0x0f, 0xa2 }, 2, 2 },                                   /* cpuid */
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4, 4 },                       /* endbr64 */
		{ { 0x0f, 0x01, 0xd0 }, 3, 3 },                             /* xgetbv */
		{ { 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08 }, 6, 6 },           /* palignr $8,%xmm1,%xmm0 */
		{ { 0x66, 0x0f, 0x38, 0x00, 0xc1 }, 5, 5 },                 /* pshufb %xmm1,%xmm0 */
		{ { 0x0f, 0x0f, 0xc1, 0x9e }, 4, 4 },                       /* 3DNow! pfadd */
		{ { 0x8b, 0x04, 0x25, 1, 2, 3, 4 }, 7, 7 },                 /* SIB, no base: disp32 */
		{ { 0x8b, 0x45, 0x08 }, 3, 3 },                             /* disp8 */
		{ { 0x8b, 0x05, 1, 2, 3, 4 }, 6, 6 },                       /* %rip-relative */
		{ { 0x66, 0x66, 0x48, 0xe8, 1, 2, 3, 4 }, 8, 8 },           /* the padded TLS call */
		{ { 0x9b }, 1, 1 },                                         /* fwait alone */
	};
	check_all(w, sizeof(w) / sizeof(w[0]));
}

UNIT_TEST(vex_evex_xop)
{
	static const struct want w[] = {
		{ { 0xc5, 0xf8, 0x77 }, 3, 3 },                             /* vzeroupper */
		{ { 0xc5, 0xfd, 0x6f, 0x06 }, 4, 4 },                       /* vmovdqa (%rsi),%ymm0 */
		{ { 0xc4, 0xe3, 0x7d, 0x39, 0xc1, 0x01 }, 6, 6 },           /* vextracti128 $1: map 0f3a */
		{ { 0xc4, 0xe2, 0x7d, 0x58, 0xc0 }, 5, 5 },                 /* vpbroadcastd: map 0f38 */
		{ { 0xc5, 0xf9, 0x70, 0xc1, 0x1b }, 5, 5 },                 /* vpshufd $0x1b: 0f 70 imm8 */
		{ { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x06 }, 6, 6 },           /* vmovdqu64 (%rsi),%zmm0 */
		{ { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x46, 0x01 }, 7, 7 },     /* ... 0x40(%rsi): disp8*N */
		{ { 0x62, 0xf3, 0x7d, 0x48, 0x3e, 0xc9, 0x00 }, 7, 7 },     /* vpcmpub $0: map 0f3a */
		{ { 0x62, 0xf5, 0x7c, 0x48, 0x58, 0xc1 }, 6, 0 },           /* FP16 map 5: declined */
		{ { 0x8f, 0xe8, 0x78, 0xc2, 0xc1, 0x05 }, 6, 6 },           /* XOP map 8: imm8 */
		{ { 0x8f, 0xea, 0x78, 0x10, 0xc1, 1, 2, 3, 4 }, 9, 9 },     /* XOP map 10: imm32 */
		{ { 0x8f, 0xc0 }, 2, 2 },                                   /* pop %rax, not XOP */
		{ { 0x48, 0xc5, 0xf8, 0x77 }, 4, 0 },                       /* REX before VEX: #UD */
		{ { 0x66, 0xc5, 0xf8, 0x77 }, 4, 0 },                       /* 66 before VEX: #UD */
	};
	check_all(w, sizeof(w) / sizeof(w[0]));
}

UNIT_TEST(declines)
{
	static const struct want w[] = {
		{ { 0x06 }, 1, 0 },                         /* push %es: not in 64-bit mode */
		{ { 0x9a, 0, 0, 0, 0, 0, 0 }, 7, 0 },       /* far call */
		{ { 0xd6 }, 1, 0 },                         /* salc */
		{ { 0x66, 0xe8, 0, 0 }, 4, 0 },             /* callw: rel16 on AMD, rel32 on Intel */
		{ { 0x66, 0x0f, 0x84, 0, 0 }, 5, 0 },       /* the same with a jcc */
		{ { 0x66, 0x0f, 0x78, 0xc0, 1, 2 }, 6, 0 }, /* extrq: two immediates */
		{ { 0x48, 0x48, 0x89, 0xc0 }, 4, 0 },       /* REX then REX */
		{ { 0x0f, 0x04 }, 2, 0 },                   /* undefined */
		{ { 0x81, 0xc0, 1, 2 }, 4, 0 },             /* cut short in the immediate */
		{ { 0x8b, 0x84 }, 2, 0 },                   /* cut short at the SIB */
		{ { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		    0x90 }, 15, 15 },                       /* 15 bytes: the most there is */
		{ { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		    0x66, 0x90 }, 16, 0 },                  /* 16: none */
		{ { 0 }, 0, 0 },                            /* nothing */
	};
	check_all(w, sizeof(w) / sizeof(w[0]));
}

/* ---- cpuid_scan, on a file of one section ---- */

#define TEXT_ADDR 0x1000

/* scan - the CPUIDs cpuid_scan finds in an ELF file whose .text is code. */
static int scan(const uint8_t *code, size_t len, struct cpuid_found *out, int max)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Shdr sh[3];
		char names[32];
	} h;
	memset(&h, 0, sizeof(h));
	memcpy(h.eh.e_ident, ELFMAG, SELFMAG);
	h.eh.e_shoff = offsetof(__typeof__(h), sh);
	h.eh.e_shentsize = sizeof(Elf64_Shdr);
	h.eh.e_shnum = 3;
	h.eh.e_shstrndx = 2;
	memcpy(h.names, "\0.text\0.shstrtab", 17);
	h.sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				.sh_addr = TEXT_ADDR, .sh_offset = sizeof(h), .sh_size = len };
	h.sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_STRTAB, .sh_offset = offsetof(__typeof__(h), names),
				.sh_size = 17 };
	int fd = memfd_create("scan", 0);
	CHECK(fd >= 0);
	CHECK(write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h));
	CHECK(write(fd, code, len) == (ssize_t)len);
	int n = cpuid_scan(fd, 0, out, max);
	close(fd);
	return n;
}

/* A branch back to just after a CPUID (glibc's handle_amd): nothing after
 * it may be covered; the mov $leaf before it may be. */
UNIT_TEST(scan_target_after)
{
	static const uint8_t code[] = {
		0x31, 0xc9,                   /* 1000 xor %ecx,%ecx */
		0xb8, 0x06, 0, 0, 0x80,       /* 1002 mov $0x80000006,%eax */
		0x0f, 0xa2,                   /* 1007 cpuid */
		0x83, 0xc1, 0x01,             /* 1009 add $1,%ecx: loop head */
		0x83, 0xf9, 0x04,             /* 100c cmp $4,%ecx */
		0x7c, 0xf8,                   /* 100f jl 1009 */
		0xc3,                         /* 1011 ret */
	};
	struct cpuid_found f[4];
	CHECK_EQ(scan(code, sizeof(code), f, 4), 1);
	CHECK_EQ(f[0].off, TEXT_ADDR + 7);
	CHECK_EQ(f[0].post, 0);
	CHECK_EQ(f[0].pre, 7); /* xor and mov: the section's start is no one's target */
}

/* A target two instructions after: the patch may cover up to it. */
UNIT_TEST(scan_target_later)
{
	static const uint8_t code[] = {
		0x0f, 0xa2,                   /* 1000 cpuid */
		0x89, 0xc2,                   /* 1002 mov %eax,%edx */
		0x89, 0xde,                   /* 1004 mov %ebx,%esi */
		0x31, 0xc0,                   /* 1006 xor %eax,%eax: a target */
		0xeb, 0xfc,                   /* 1008 jmp 1006 */
	};
	struct cpuid_found f[4];
	CHECK_EQ(scan(code, sizeof(code), f, 4), 1);
	CHECK_EQ(f[0].post, 4);
	CHECK_EQ(f[0].pre, 0); /* the section's start */
	uint8_t after_ret[6 + sizeof(code)] = { 0xb8, 1, 0, 0, 0, 0xc3 }; /* mov $1,%eax; ret */
	memcpy(after_ret + 6, code, sizeof(code));
	CHECK_EQ(scan(after_ret, sizeof(after_ret), f, 4), 1);
	CHECK_EQ(f[0].pre, 0); /* after a ret: entered by a jump, maybe indirect */
}

/* Before the CPUID: a target inside the run stops it there (it may be the
 * patch's first instruction), and a nop (a function's padding) too. */
UNIT_TEST(scan_pre_limits)
{
	static const uint8_t code[] = {
		0x90,                         /* 1000 nop */
		0x89, 0xfe,                   /* 1001 mov %edi,%esi: entered from 1010 */
		0x89, 0xf1,                   /* 1003 mov %esi,%ecx */
		0x31, 0xc0,                   /* 1005 xor %eax,%eax */
		0x0f, 0xa2,                   /* 1007 cpuid */
		0xc3,                         /* 1009 ret */
		0x66, 0x0f, 0x1f, 0x44, 0, 0, /* 100a nopw */
		0xeb, 0xef,                   /* 1010 jmp 1001 */
	};
	struct cpuid_found f[4];
	CHECK_EQ(scan(code, sizeof(code), f, 4), 1);
	CHECK_EQ(f[0].pre, 6);             /* from 1001, the target, on */
	CHECK_EQ(f[0].post, 9);            /* to the section's end */
}

/* A branch into the middle of an instruction near it: not code as swept. */
UNIT_TEST(scan_misaligned_target)
{
	static const uint8_t code[] = {
		0xb8, 0x01, 0, 0, 0,          /* 1000 mov $1,%eax */
		0x0f, 0xa2,                   /* 1005 cpuid */
		0x05, 0x90, 0x90, 0x90, 0x90, /* 1007 add $imm32,%eax */
		0xeb, 0xfa,                   /* 100c jmp 1008: inside the add */
	};
	struct cpuid_found f[4];
	CHECK_EQ(scan(code, sizeof(code), f, 4), 1);
	CHECK_EQ(f[0].pre, 0);
	CHECK_EQ(f[0].post, 0);
}

/* Data among the code: the section gives nothing. */
UNIT_TEST(scan_declined_section)
{
	static const uint8_t code[] = {
		0x0f, 0xa2, 0x06, 0x0f, 0xa2, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
		0x90, 0x90, 0x90, 0x90, 0x0f, 0xa2,
	};
	struct cpuid_found f[4];
	CHECK_EQ(scan(code, sizeof(code), f, 4), 0);
	static const uint8_t none[] = { 0x06, 0x07 }; /* no 0f a2: not swept at all */
	CHECK_EQ(scan(none, sizeof(none), f, 4), 0);
}
