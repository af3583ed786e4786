/* seccomp_bpf.c - classic BPF programs over struct seccomp_data: checked as Linux checks them, then run. */
#include "proc/seccomp_bpf.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool cond_jump(uint16_t code)
{
	switch (code) {
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	default:
		return false;
	}
}

/* allowed - an instruction seccomp takes (seccomp_check_filter's list, plus
 * the loads it rewrites); anything else classic BPF has is EINVAL for it. */
static bool allowed(uint16_t code)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_JMP | BPF_JA:
		return true;
	}
	if (cond_jump(code))
		return true;
	if (BPF_CLASS(code) != BPF_ALU || (BPF_SRC(code) != BPF_K && BPF_SRC(code) != BPF_X))
		return false;
	switch (BPF_OP(code)) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV:
	case BPF_AND: case BPF_OR: case BPF_XOR: case BPF_LSH: case BPF_RSH:
		return true;
	default:
		return false;
	}
}

/* loads_after_stores - no scratch word is read on a path that did not
 * write it first (Linux's check_load_and_stores): 0, -EINVAL or -ENOMEM. */
static long loads_after_stores(const struct sock_filter *f, unsigned len)
{
	uint16_t *masks = malloc(len * sizeof(*masks)), valid = 0;
	if (!masks)
		return -ENOMEM;
	memset(masks, 0xff, len * sizeof(*masks));
	bool ok = true;
	for (unsigned pc = 0; pc < len && ok; pc++) {
		valid &= masks[pc];
		uint16_t code = f[pc].code;
		if (code == BPF_ST || code == BPF_STX) {
			valid |= 1u << f[pc].k;
		} else if (code == (BPF_LD | BPF_MEM) || code == (BPF_LDX | BPF_MEM)) {
			ok = valid & (1u << f[pc].k);
		} else if (code == (BPF_JMP | BPF_JA)) {
			masks[pc + 1 + f[pc].k] &= valid;
			valid = 0xffff;
		} else if (cond_jump(code)) {
			masks[pc + 1 + f[pc].jt] &= valid;
			masks[pc + 1 + f[pc].jf] &= valid;
			valid = 0xffff;
		}
	}
	free(masks);
	return ok ? 0 : -EINVAL;
}

long seccomp_check(void *insns, unsigned len)
{
	struct sock_filter *f = insns;
	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (unsigned pc = 0; pc < len; pc++) {
		struct sock_filter *i = &f[pc];
		if (!allowed(i->code))
			return -EINVAL;
		switch (i->code) {
		case BPF_ALU | BPF_DIV | BPF_K:
			if (!i->k)
				return -EINVAL;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (i->k >= 32)
				return -EINVAL;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (i->k >= BPF_MEMWORDS)
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			if (i->k >= len - pc - 1)
				return -EINVAL;
			break;
		case BPF_LD | BPF_W | BPF_ABS:
			/* a whole, aligned word of the data */
			if (i->k >= sizeof(struct seccomp_data) || (i->k & 3))
				return -EINVAL;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			i->code = BPF_LD | BPF_IMM;
			i->k = sizeof(struct seccomp_data);
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			i->code = BPF_LDX | BPF_IMM;
			i->k = sizeof(struct seccomp_data);
			break;
		default:
			if (cond_jump(i->code) && (pc + i->jt + 1 >= len || pc + i->jf + 1 >= len))
				return -EINVAL;
		}
	}
	uint16_t last = f[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return -EINVAL;
	return loads_after_stores(f, len);
}

/* Checked: jumps go forward inside the program, which ends in a return,
 * so the loop ends; a division by a zero X returns 0, as Linux's. */
uint32_t seccomp_run_prog(const void *insns, const void *data)
{
	const struct sock_filter *pc = insns;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (;; pc++) {
		uint32_t k = pc->k;
		switch (pc->code) {
		case BPF_LD | BPF_W | BPF_ABS: memcpy(&a, (const char *)data + k, 4); break;
		case BPF_LD | BPF_IMM: a = k; break;
		case BPF_LDX | BPF_IMM: x = k; break;
		case BPF_LD | BPF_MEM: a = mem[k]; break;
		case BPF_LDX | BPF_MEM: x = mem[k]; break;
		case BPF_ST: mem[k] = a; break;
		case BPF_STX: mem[k] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_NEG: a = -a; break;
		case BPF_ALU | BPF_ADD | BPF_K: a += k; break;
		case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
		case BPF_ALU | BPF_SUB | BPF_K: a -= k; break;
		case BPF_ALU | BPF_SUB | BPF_X: a -= x; break;
		case BPF_ALU | BPF_MUL | BPF_K: a *= k; break;
		case BPF_ALU | BPF_MUL | BPF_X: a *= x; break;
		case BPF_ALU | BPF_DIV | BPF_K: a /= k; break;
		case BPF_ALU | BPF_DIV | BPF_X:
			if (!x)
				return 0;
			a /= x;
			break;
		case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
		case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= k; break;
		case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
		case BPF_ALU | BPF_XOR | BPF_K: a ^= k; break;
		case BPF_ALU | BPF_XOR | BPF_X: a ^= x; break;
		/* shifts by X count modulo 32, as the kernel's interpreter */
		case BPF_ALU | BPF_LSH | BPF_K: a <<= k; break;
		case BPF_ALU | BPF_LSH | BPF_X: a <<= (x & 31); break;
		case BPF_ALU | BPF_RSH | BPF_K: a >>= k; break;
		case BPF_ALU | BPF_RSH | BPF_X: a >>= (x & 31); break;
		case BPF_JMP | BPF_JA: pc += k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == k ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: pc += a == x ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= k ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: pc += a >= x ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > k ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: pc += a > x ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & k) ? pc->jt : pc->jf; break;
		case BPF_JMP | BPF_JSET | BPF_X: pc += (a & x) ? pc->jt : pc->jf; break;
		case BPF_RET | BPF_K: return k;
		case BPF_RET | BPF_A: return a;
		default: return SECCOMP_RET_KILL_PROCESS; /* not reached: checked */
		}
	}
}
