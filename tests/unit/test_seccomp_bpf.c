/* test_seccomp_bpf.c - proc/seccomp_bpf.c: what the checker refuses, what the interpreter computes. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>

#include "proc/seccomp_bpf.h"
#include "unit.h"

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))
#define RET_A BPF_STMT(BPF_RET | BPF_A, 0)
#define RET_K(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define IMM(k) BPF_STMT(BPF_LD | BPF_IMM, (k))
#define XIMM(k) BPF_STMT(BPF_LDX | BPF_IMM, (k))
#define ALU(op, k) BPF_STMT(BPF_ALU | (op) | BPF_K, (k))
#define ALUX(op) BPF_STMT(BPF_ALU | (op) | BPF_X, 0)

/* run - check then run p (len n) over d; the check must pass. */
static uint32_t run(struct sock_filter *p, unsigned n, const struct seccomp_data *d)
{
	CHECK_EQ(seccomp_check(p, n), 0);
	return seccomp_run_prog(p, d);
}

UNIT_TEST(check_refuses_what_linux_refuses)
{
	struct sock_filter none[1] = { RET_K(0) };
	CHECK_EQ(seccomp_check(none, 0), -EINVAL);
	static struct sock_filter big[BPF_MAXINSNS + 1];
	for (unsigned i = 0; i < N(big); i++)
		big[i] = (struct sock_filter)RET_K(0);
	CHECK_EQ(seccomp_check(big, N(big)), -EINVAL);
	CHECK_EQ(seccomp_check(big, BPF_MAXINSNS), 0);
	struct sock_filter noret[] = { IMM(1) };
	CHECK_EQ(seccomp_check(noret, N(noret)), -EINVAL);
	struct sock_filter half[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET_A };
	CHECK_EQ(seccomp_check(half, N(half)), -EINVAL);
	struct sock_filter ind[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET_A };
	CHECK_EQ(seccomp_check(ind, N(ind)), -EINVAL);
	struct sock_filter odd[] = { LD(6), RET_A };
	CHECK_EQ(seccomp_check(odd, N(odd)), -EINVAL);
	struct sock_filter past[] = { LD(sizeof(struct seccomp_data)), RET_A };
	CHECK_EQ(seccomp_check(past, N(past)), -EINVAL);
	struct sock_filter last[] = { LD(sizeof(struct seccomp_data) - 4), RET_A };
	CHECK_EQ(seccomp_check(last, N(last)), 0);
	struct sock_filter ja[] = { BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), RET_A };
	CHECK_EQ(seccomp_check(ja, N(ja)), -EINVAL);
	struct sock_filter jt[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_A };
	CHECK_EQ(seccomp_check(jt, N(jt)), -EINVAL);
	struct sock_filter jf[] = { BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), RET_A };
	CHECK_EQ(seccomp_check(jf, N(jf)), -EINVAL);
	struct sock_filter div0[] = { ALU(BPF_DIV, 0), RET_A };
	CHECK_EQ(seccomp_check(div0, N(div0)), -EINVAL);
	struct sock_filter shl32[] = { ALU(BPF_LSH, 32), RET_A };
	CHECK_EQ(seccomp_check(shl32, N(shl32)), -EINVAL);
	struct sock_filter mod[] = { ALU(BPF_MOD, 3), RET_A };
	CHECK_EQ(seccomp_check(mod, N(mod)), -EINVAL);
	struct sock_filter st16[] = { BPF_STMT(BPF_ST, BPF_MEMWORDS), RET_A };
	CHECK_EQ(seccomp_check(st16, N(st16)), -EINVAL);
	struct sock_filter unset[] = { BPF_STMT(BPF_LDX | BPF_MEM, 2), RET_A };
	CHECK_EQ(seccomp_check(unset, N(unset)), -EINVAL);
}

UNIT_TEST(scratch_words_written_on_every_path)
{
	/* Written on both branches, read after they meet: taken. */
	struct sock_filter both[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
		BPF_STMT(BPF_ST, 4), BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_ST, 4),
		BPF_STMT(BPF_LD | BPF_MEM, 4), RET_A,
	};
	CHECK_EQ(seccomp_check(both, N(both)), 0);
	/* Written on one branch only: refused. */
	struct sock_filter one[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_ST, 4),
		BPF_STMT(BPF_LD | BPF_MEM, 4), RET_A,
	};
	CHECK_EQ(seccomp_check(one, N(one)), -EINVAL);
}

UNIT_TEST(loads_words_of_the_data)
{
	struct seccomp_data d = { .nr = 231, .arch = 0xc000003e, .instruction_pointer = 0x1122334455667788ull };
	d.args[2] = 0xdeadbeefcafef00dull;
	struct sock_filter nr[] = { LD(offsetof(struct seccomp_data, nr)), RET_A };
	CHECK_EQ(run(nr, N(nr), &d), 231);
	struct sock_filter lo[] = { LD(offsetof(struct seccomp_data, args[2])), RET_A };
	CHECK_EQ(run(lo, N(lo), &d), 0xcafef00du);
	struct sock_filter hi[] = { LD(offsetof(struct seccomp_data, args[2]) + 4), RET_A };
	CHECK_EQ(run(hi, N(hi), &d), 0xdeadbeefu);
	struct sock_filter ip[] = { LD(offsetof(struct seccomp_data, instruction_pointer) + 4), RET_A };
	CHECK_EQ(run(ip, N(ip), &d), 0x11223344u);
	/* LEN is the data's size, for A and for X. */
	struct sock_filter len[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
				     ALUX(BPF_ADD), RET_A };
	CHECK_EQ(run(len, N(len), &d), 2 * sizeof(struct seccomp_data));
}

UNIT_TEST(arithmetic_is_32_bit)
{
	struct seccomp_data d = { .nr = 7 };
	uint32_t a = 7;
	struct sock_filter p[] = {
		LD(0), ALU(BPF_ADD, 0xfffffffe), ALU(BPF_MUL, 3), ALU(BPF_SUB, 5), ALU(BPF_XOR, 0xf0f0),
		ALU(BPF_OR, 0x10000), ALU(BPF_AND, 0x7fffffff), ALU(BPF_DIV, 3), ALU(BPF_LSH, 4), ALU(BPF_RSH, 1),
		BPF_STMT(BPF_ALU | BPF_NEG, 0), RET_A,
	};
	a = -(((((((((a + 0xfffffffeu) * 3) - 5) ^ 0xf0f0) | 0x10000) & 0x7fffffff) / 3) << 4) >> 1);
	CHECK_EQ(run(p, N(p), &d), a);
	/* X: TAX/TXA, the X forms, a division by a zero X ends with 0, shifts
	 * by X count modulo 32. */
	struct sock_filter x[] = { IMM(40), XIMM(2), ALUX(BPF_DIV), BPF_STMT(BPF_MISC | BPF_TAX, 0), ALUX(BPF_MUL),
				   RET_A };
	CHECK_EQ(run(x, N(x), &d), 400);
	struct sock_filter zero[] = { IMM(40), XIMM(0), ALUX(BPF_DIV), RET_K(99) };
	CHECK_EQ(run(zero, N(zero), &d), 0);
	struct sock_filter shx[] = { IMM(3), XIMM(33), ALUX(BPF_LSH), RET_A };
	CHECK_EQ(run(shx, N(shx), &d), 6);
	struct sock_filter txa[] = { XIMM(77), BPF_STMT(BPF_MISC | BPF_TXA, 0), RET_A };
	CHECK_EQ(run(txa, N(txa), &d), 77);
}

/* cond - a program that returns 1 if jump (on A = nr, X = x) is taken, else 0. */
static uint32_t cond(uint16_t code, uint32_t k, uint32_t x, uint32_t nr)
{
	struct seccomp_data d = { .nr = (int)nr };
	struct sock_filter p[] = { LD(0), XIMM(x), BPF_JUMP(BPF_JMP | code, k, 0, 1), RET_K(1), RET_K(0) };
	return run(p, N(p), &d);
}

UNIT_TEST(jumps_and_scratch)
{
	CHECK_EQ(cond(BPF_JGT | BPF_K, 9, 0, 10), 1);
	CHECK_EQ(cond(BPF_JGT | BPF_K, 10, 0, 10), 0);
	CHECK_EQ(cond(BPF_JGE | BPF_K, 10, 0, 10), 1);
	CHECK_EQ(cond(BPF_JGE | BPF_K, 11, 0, 10), 0);
	CHECK_EQ(cond(BPF_JSET | BPF_K, 6, 0, 4), 1);
	CHECK_EQ(cond(BPF_JSET | BPF_K, 4, 0, 3), 0);
	CHECK_EQ(cond(BPF_JEQ | BPF_K, 0xffffffffu, 0, 0xffffffffu), 1);
	CHECK_EQ(cond(BPF_JEQ | BPF_X, 0, 7, 7), 1);
	CHECK_EQ(cond(BPF_JEQ | BPF_X, 0, 7, 8), 0);
	CHECK_EQ(cond(BPF_JGT | BPF_X, 0, 7, 8), 1);
	CHECK_EQ(cond(BPF_JGE | BPF_X, 0, 9, 8), 0);
	CHECK_EQ(cond(BPF_JSET | BPF_X, 0, 8, 24), 1);
	struct seccomp_data d = { .nr = 5 };
	struct sock_filter ja[] = { LD(0), BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), RET_K(5), RET_K(6) };
	CHECK_EQ(run(ja, N(ja), &d), 6);
	struct sock_filter mem[] = { LD(0), BPF_STMT(BPF_ST, 15), IMM(0), BPF_STMT(BPF_LDX | BPF_MEM, 15),
				     BPF_STMT(BPF_MISC | BPF_TXA, 0), ALU(BPF_ADD, 1000), BPF_STMT(BPF_ST, 3),
				     BPF_STMT(BPF_LD | BPF_MEM, 3), RET_A };
	CHECK_EQ(run(mem, N(mem), &d), 1005);
}
