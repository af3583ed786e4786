/* cpuid.c - CPUID answers through differently shaped call sites, each run three times: the same natively and fused. */
#include <asm/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Under pegasus with CPUID faulting, each site faults once and is rewritten
 * into a jump to a stub (entry/cpuid.h); the second and third runs go
 * through the stub. The instructions after each CPUID differ, so each
 * stub moves a different kind: a %rip-relative store, a push/pop, movs
 * and an ALU immediate, a lea, a short jcc moved as a rel32 one, and one
 * that does not fit (a jump right after it: the site keeps faulting). The
 * flags and the whole red zone must survive the stub.
 *
 *   cpuid         the answers (the same natively and fused)
 *   cpuid addrs   first the address of each site function, for the check
 *                 that its own sites were rewritten (tests/run.sh) */

struct r { uint32_t a, b, c, d; };
static volatile uint32_t g_d;
static volatile uint64_t g_rz;  /* red-zone qwords found changed */
static volatile uint8_t g_zf;

static struct r site_rip(uint32_t leaf, uint32_t sub)
{
	struct r r;
	/* The 128 bytes below %rsp hold a pattern across the CPUID. */
	__asm__ volatile("mov $-128, %%r10\n\t"
			 "1: lea 0x5a5a(%%r10), %%r11\n\t"
			 "mov %%r11, (%%rsp,%%r10)\n\t"
			 "add $8, %%r10\n\t"
			 "jnz 1b\n\t"
			 "xor %%r10d, %%r10d\n\t"
			 "cmp $0, %%r10d\n\t"           /* ZF = 1 */
			 "cpuid\n\t"
			 "mov %%edx, %[gd]\n\t"
			 "setz %[zf]\n\t"
			 "mov $-128, %%r10\n\t"
			 "2: lea 0x5a5a(%%r10), %%r11\n\t"
			 "cmp %%r11, (%%rsp,%%r10)\n\t"
			 "je 3f\n\t"
			 "incq %[rz]\n\t"
			 "3: add $8, %%r10\n\t"
			 "jnz 2b\n\t"
			 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d), [gd] "=m"(g_d), [zf] "=m"(g_zf), [rz] "+m"(g_rz)
			 : "a"(leaf), "c"(sub)
			 : "r10", "r11", "cc", "memory");
	r.d = g_d;
	return r;
}

static struct r site_push(uint32_t leaf, uint32_t sub)
{
	struct r r;
	__asm__ volatile("cpuid\n\t"
			 "push %%rbx\n\t"
			 "pop %%rbx\n\t"
			 "nop\n\tnop\n\tnop\n\t"
			 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(sub)
			 : "memory");
	return r;
}

static struct r site_mov_alu(uint32_t leaf, uint32_t sub)
{
	struct r r;
	uint32_t a, ax = leaf;
	__asm__ volatile("cpuid\n\t"
			 "mov %%eax, %%esi\n\t"
			 "add $0x12345678, %%esi\n\t"
			 "sub $0x12345678, %%esi\n\t"
			 : "=S"(a), "+a"(ax), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "c"(sub)
			 : "cc", "memory");
	r.a = a;
	return r;
}

static struct r site_lea(uint32_t leaf, uint32_t sub)
{
	struct r r;
	uint64_t b;
	__asm__ volatile("cpuid\n\t"
			 "lea 0x10(%%rbx), %%r9\n\t"
			 "movzbl %%al, %%r8d\n\t"
			 "mov %%r9, %[out]\n\t"
			 : "=a"(r.a), [out] "=m"(b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(sub)
			 : "rbx", "r8", "r9", "memory");
	r.b = (uint32_t)(b - 0x10);
	return r;
}

static struct r site_jcc(uint32_t leaf, uint32_t sub)
{
	struct r r;
	uint32_t zero;
	__asm__ volatile("xor %%r8d, %%r8d\n\t"
			 "cpuid\n\t"
			 "test %%ecx, %%ecx\n\t"
			 "jne 1f\n\t"
			 "mov $1, %%r8d\n\t"
			 "1: mov %%r8d, %[z]\n\t"
			 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d), [z] "=m"(zero)
			 : "a"(leaf), "c"(sub)
			 : "r8", "cc", "memory");
	if (zero != (r.c == 0))
		r.c ^= 0x80000000; /* a branch gone wrong shows as a wrong answer */
	return r;
}

static struct r site_jump(uint32_t leaf, uint32_t sub)
{
	struct r r;
	__asm__ volatile("cpuid\n\t"
			 "jmp 1f\n\t"
			 "1:\n\t"
			 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(sub)
			 : "memory");
	return r;
}

/* The fields that name the asking CPU (APIC ids) vary with where it runs. */
static struct r per_cpu_masked(uint32_t leaf, struct r r)
{
	if (leaf == 1)
		r.b &= 0x00ffffff;
	if (leaf == 0xb || leaf == 0x1f)
		r.d = 0;
	if (leaf == 0x8000001e)
		r.a = 0;
	return r;
}

int main(int argc, char **argv)
{
	static const uint32_t q[][2] = {
		{ 0, 0 }, { 1, 0 }, { 2, 0x12345 }, { 4, 0 }, { 4, 1 }, { 4, 2 }, { 4, 3 }, { 4, 4 },
		{ 7, 0 }, { 7, 1 }, { 0xb, 0 }, { 0xb, 1 }, { 0xd, 0 }, { 0xd, 1 }, { 0xd, 2 },
		{ 0x80000000, 0 }, { 0x80000001, 7 }, { 0x80000002, 0 }, { 0x80000006, 0 },
		{ 0x80000008, 0 }, { 0x40000000, 0 }, { 0x40000001, 0 }, { 0x40000001, 5 },
	};
	struct r (*sites[])(uint32_t, uint32_t) = { site_rip, site_push, site_mov_alu, site_lea, site_jcc,
						   site_jump };
	const char *names[] = { "rip", "push", "mov_alu", "lea", "jcc", "jump" };
	int bad = 0;
	if (argc > 1 && !strcmp(argv[1], "addrs"))
		for (unsigned s = 0; s < sizeof(sites) / sizeof(sites[0]); s++)
			printf("site %s %#lx\n", names[s], (unsigned long)sites[s]);
	printf("ARCH_GET_CPUID %ld\n", syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
	for (unsigned i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct r first = per_cpu_masked(q[i][0], site_rip(q[i][0], q[i][1]));
		for (int round = 0; round < 3; round++)
			for (unsigned s = 0; s < sizeof(sites) / sizeof(sites[0]); s++) {
				g_zf = 0;
				g_rz = 0;
				struct r r = per_cpu_masked(q[i][0], sites[s](q[i][0], q[i][1]));
				if (r.a != first.a || r.b != first.b || r.c != first.c || r.d != first.d) {
					printf("leaf %#x/%u: site %s round %d differs\n", q[i][0], q[i][1], names[s], round);
					bad = 1;
				}
				if (s == 0 && (g_zf != 1 || g_rz != 0)) {
					printf("leaf %#x: flags or red zone lost (zf %u, %lu qwords changed)\n",
					       q[i][0], g_zf, (unsigned long)g_rz);
					bad = 1;
				}
			}
		printf("%#010x/%u: %08x %08x %08x %08x\n", q[i][0], q[i][1], first.a, first.b, first.c, first.d);
	}
	return bad;
}
