/* cpuid.c - CPUID answered from a cache, its sites rewritten, where each one is a costly VM exit. */
#include "entry/cpuid.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "entry/rewrite.h"
#include "mm/uaccess.h"
#include "sched/vcpu.h"

#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

#define SLOTS 256 /* (leaf, subleaf) pairs; a program asks a few dozen */

#define NOINSTR __attribute__((no_sanitize("address", "undefined")))

enum { EMPTY, FILLING, FULL };

/* 32 bytes, laid out as cpuid_cached.S reads it. */
struct slot {
	uint32_t state; /* EMPTY -> FILLING -> FULL, once; a slot whose filler
			 * died FILLING stays so: its keys ask the hardware */
	uint32_t leaf, sub;
	uint32_t r[4];  /* eax, ebx, ecx, edx */
	uint32_t pad;
};
_Static_assert(sizeof(struct slot) == 32, "cpuid_cached.S's slot");

/* Two whole pages, made shared at cpuid_init: a forked child's answers
 * serve its parent, its siblings and the children they fork next (each
 * child's ld.so would ask them all again otherwise). */
struct slot cpuid_cache[SLOTS] __attribute__((aligned(4096)));
_Static_assert(sizeof(cpuid_cache) % 4096 == 0, "cpuid_cache: whole pages");

/* Leaves below 64 whose answer depends on %ecx (Intel SDM); the extended
 * ones are 0x8000001d, 0x80000020 and 0x80000026 (AMD APM), and the
 * hypervisor's range 0x40000000-0x4fffffff is keyed by %ecx too (its
 * meaning is the hypervisor's: Xen's 0x40000003 has subleaves). The others
 * ignore %ecx, and callers such as glibc's leaf 2 leave garbage there. */
const uint64_t cpuid_subleaf_mask = 1ull << 0x4 | 1ull << 0x7 | 1ull << 0xb | 1ull << 0xd |
	1ull << 0xf | 1ull << 0x10 | 1ull << 0x12 | 1ull << 0x14 | 1ull << 0x17 | 1ull << 0x18 |
	1ull << 0x1b | 1ull << 0x1d | 1ull << 0x1e | 1ull << 0x1f | 1ull << 0x20 | 1ull << 0x23 |
	1ull << 0x24;

static bool faulting;
static bool sweeping; /* the interpreter's sites found by a sweep */

NOINSTR static uint32_t subleaf(uint32_t leaf, uint32_t ecx)
{
	bool has = leaf < 64 ? (cpuid_subleaf_mask >> leaf) & 1
			     : leaf == 0x8000001d || leaf == 0x80000020 || leaf == 0x80000026 ||
				       (leaf >> 28) == 4;
	return has ? ecx : 0;
}

/* The hardware's answer: faulting off for this one instruction. The fault
 * handler runs with every host signal blocked, and the gate's path with
 * host signals that only queue work, so nothing runs app code between. */
NOINSTR static void hardware(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	/* Refused (a program's seccomp filter): the CPUID would fault in the
	 * handler, where SIGSEGV is blocked. All zeros: "no such leaf". */
	if (raw_syscall3(SYS_arch_prctl, ARCH_SET_CPUID, 1, 0) < 0) {
		memset(r, 0, 16);
		return;
	}
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
	raw_syscall3(SYS_arch_prctl, ARCH_SET_CPUID, 0, 0);
}

/* answer - from the cache, filling a free slot on a miss. Lock-free: a slot
 * being filled by another thread ends the probe (this caller asks the
 * hardware itself, as cpuid_cached.S does). */
NOINSTR static void answer(uint32_t leaf, uint32_t ecx, uint32_t r[4])
{
	uint32_t sub = subleaf(leaf, ecx);
	uint32_t h = (leaf * 0x9e3779b1u) ^ (sub * 0x85ebca6bu);
	for (uint32_t i = 0; i < SLOTS; i++) {
		struct slot *s = &cpuid_cache[(h + i) % SLOTS];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (st == FULL && s->leaf == leaf && s->sub == sub) {
			memcpy(r, s->r, sizeof(s->r));
			return;
		}
		if (st == FILLING)
			break;
		if (st == EMPTY && __atomic_compare_exchange_n(&s->state, &st, FILLING, false,
							       __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
			s->leaf = leaf;
			s->sub = sub;
			hardware(leaf, sub, s->r);
			memcpy(r, s->r, sizeof(s->r));
			__atomic_store_n(&s->state, FULL, __ATOMIC_RELEASE);
			return;
		}
	}
	hardware(leaf, sub, r);
}

NOINSTR bool cpuid_at(uint64_t ip)
{
	uint8_t insn[2];
	return faulting && pg_uaccess_copy(insn, (void *)ip, 2) == 0 && insn[0] == 0x0f && insn[1] == 0xa2;
}

/* CPUID writes the four registers' low halves and zeroes the rest. */
NOINSTR void cpuid_emulate(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t r[4];
	answer((uint32_t)g[REG_RAX], (uint32_t)g[REG_RCX], r);
	g[REG_RAX] = r[0];
	g[REG_RBX] = r[1];
	g[REG_RCX] = r[2];
	g[REG_RDX] = r[3];
	g[REG_RIP] += 2;
}

void cpuid_site_entry(struct uthread *ut)
{
	struct trap_frame *tf = &ut->tf;
	uint64_t ip = tf->rip;
	uint32_t r[4];
	answer((uint32_t)tf->rax, (uint32_t)tf->rcx, r);
	tf->rax = r[0];
	tf->rbx = r[1];
	tf->rcx = r[2];
	tf->rdx = r[3];
	tf->rip = ip + 2;
	rewrite_cpuid_site(ut, ip);
}


uint64_t cpuid_cost_ns(void)
{
	uint64_t t[5];
	for (int i = 0; i < 5; i++) {
		struct timespec a, b;
		uint32_t r[4];
		clock_gettime(CLOCK_MONOTONIC, &a);
		__cpuid_count(0, 0, r[0], r[1], r[2], r[3]);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (uint64_t)(b.tv_nsec - a.tv_nsec);
	}
	for (int i = 1; i < 5; i++)
		for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
			uint64_t x = t[j];
			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[2];
}

void cpuid_init(void)
{
	const char *force = getenv("PEGASUS_CPUID");
	uint64_t ns = cpuid_cost_ns();
	bool want = force && *force ? strcmp(force, "0") != 0 : ns > CPUID_REWRITE_ABOVE_NS;
	/* Faulting alone makes each CPUID dearer (the exit, then a signal):
	 * it pays only through the rewritten sites. */
	if (!want || rewrite_mode == REWRITE_OFF) {
		pg_debug("CPUID costs %lu ns here: left to the hardware", (unsigned long)ns);
		return;
	}
	/* Not shared: each forked child fills its own copy (slower, as right). */
	if (mmap(cpuid_cache, sizeof(cpuid_cache), PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0) == MAP_FAILED)
		pg_debug("cpuid cache not shared across forks: %s", strerror(errno));
	sweeping = true;
	faulting = true;
	long r = raw_syscall3(SYS_arch_prctl, ARCH_SET_CPUID, 0, 0);
	if (r < 0) {
		faulting = false;
		pg_debug("CPUID costs %lu ns here, but the host cannot make it fault (ARCH_SET_CPUID: %s): "
			 "the sites of ld.so found by a sweep are answered from a cache",
			 (unsigned long)ns, strerror((int)-r));
		return;
	}
	pg_debug("CPUID costs %lu ns here: answered from a cache, its sites rewritten (ld.so's found by "
		 "a sweep, the others as they fault)", (unsigned long)ns);
}

bool cpuid_sweep_wanted(void)
{
	return sweeping;
}

bool cpuid_can_fault(void)
{
	if (faulting)
		return true;
	if (raw_syscall3(SYS_arch_prctl, ARCH_SET_CPUID, 0, 0) < 0)
		return false;
	raw_syscall3(SYS_arch_prctl, ARCH_SET_CPUID, 1, 0);
	return true;
}
