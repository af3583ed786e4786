/* cpu_features.c - what ld.so learnt of the CPU at start (features, cache sizes): the same natively and fused. */
#include <stdio.h>
#include <sys/platform/x86.h>
#include <unistd.h>

/*
 * glibc's ld.so asks CPUID dozens of times before main (features, then
 * cache geometry: leaves 2 and 4, or 0x8000001d on AMD); under pegasus
 * its CPUID sites are rewritten before it runs where CPUID is dear
 * (entry/cpuid.h). Whatever answered, ld.so must have learnt the same:
 * its feature leaves as the program sees them, and the cache sizes sysconf
 * hands out (from ld.so's tables). Run pinned to one CPU: leaf 1 tells
 * the asking CPU's APIC id, masked here all the same.
 */
int main(void)
{
	for (unsigned i = CPUID_INDEX_1; i <= CPUID_INDEX_14_ECX_0; i++) {
		const struct cpuid_feature *f = __x86_get_cpuid_feature_leaf(i);
		unsigned b = f->cpuid_array[1];
		if (i == CPUID_INDEX_1)
			b &= 0x00ffffff; /* the initial APIC id */
		printf("leaf %u: cpuid %08x %08x %08x %08x active %08x %08x %08x %08x\n", i,
		       f->cpuid_array[0], b, f->cpuid_array[2], f->cpuid_array[3], f->active_array[0],
		       f->active_array[1], f->active_array[2], f->active_array[3]);
	}
	static const struct { const char *name; int sc; } caches[] = {
		{ "L1i", _SC_LEVEL1_ICACHE_SIZE }, { "L1i line", _SC_LEVEL1_ICACHE_LINESIZE },
		{ "L1d", _SC_LEVEL1_DCACHE_SIZE }, { "L1d assoc", _SC_LEVEL1_DCACHE_ASSOC },
		{ "L1d line", _SC_LEVEL1_DCACHE_LINESIZE }, { "L2", _SC_LEVEL2_CACHE_SIZE },
		{ "L2 assoc", _SC_LEVEL2_CACHE_ASSOC }, { "L2 line", _SC_LEVEL2_CACHE_LINESIZE },
		{ "L3", _SC_LEVEL3_CACHE_SIZE }, { "L3 assoc", _SC_LEVEL3_CACHE_ASSOC },
		{ "L3 line", _SC_LEVEL3_CACHE_LINESIZE }, { "L4", _SC_LEVEL4_CACHE_SIZE },
	};
	for (unsigned i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
		printf("%s: %ld\n", caches[i].name, sysconf(caches[i].sc));
	return 0;
}
