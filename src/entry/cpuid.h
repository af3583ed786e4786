/* cpuid.h - CPUID answered from a cache, its sites rewritten, where each one is a costly VM exit. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct uthread;

/*
 * In a virtual machine every CPUID is an exit to the hypervisor: 3.8-6.6 us
 * on these VMs, and glibc's ld.so runs ~70 of them (cache sizes: leaves 2 and
 * 4) at the start of every program, two thirds of an exec of /bin/true.
 * Where the kernel offers CPUID faulting (ARCH_SET_CPUID), a CPUID costs
 * more than CPUID_REWRITE_ABOVE_NS and call sites are rewritten, the
 * runtime's threads run with faulting on: a CPUID raises SIGSEGV (after its
 * exit: ~10 us), is answered from a cache filled the first time each
 * (leaf, subleaf) is asked, and its site becomes a jump to a stub that
 * reads the cache (entry/rewrite.c, cpuid_cached.S), remembered by file as
 * syscall sites are, so the next ld.so mapped runs none. The answers are
 * the hardware's; one reporting the asking CPU's APIC id reports the id of
 * the CPU that asked first.
 *
 * The sites of ld.so, the interpreter every dynamic program starts in and
 * the one that asks the ~70, are found before it runs, by sweeping its
 * code when its file is first mapped (entry/cpuid_scan.h), which also
 * tells what a patch may cover around each (a loop may branch back to
 * just after a CPUID: glibc's handle_amd). So where CPUID cannot fault
 * (AMD before Zen 4, and VMs there), ld.so's are rewritten all the same,
 * the cache filled by the stub itself at each new (leaf, subleaf); only
 * the program's own CPUIDs then run as they are.
 */
#define CPUID_REWRITE_ABOVE_NS 1000

/* cpuid_init - decide (PEGASUS_CPUID=0 never, =1 whenever the host can,
 * else by the measured cost) and turn faulting on for the calling thread
 * and the threads it starts; after the fault handler is installed. */
void cpuid_init(void);

/* cpuid_sweep_wanted - are CPUIDs rewritten here, so that those of each
 * new interpreter (ld.so) are found by sweeping its code (entry/cpuid_scan.h)
 * and rewritten before it runs? */
bool cpuid_sweep_wanted(void);

/* cpuid_cost_ns - one CPUID's cost here: the median of a few. */
uint64_t cpuid_cost_ns(void);
/* cpuid_can_fault - can this host make CPUID fault (pegasus check)? */
bool cpuid_can_fault(void);

/* cpuid_at - is the instruction at ip a CPUID made to fault? Signal-safe. */
bool cpuid_at(uint64_t ip);

/* cpuid_emulate - answer the CPUID at uc's %rip in uc and step past it.
 * Signal-handler safe: for runtime code and threads without a program. */
void cpuid_emulate(ucontext_t *uc);

/* cpuid_site_entry - runtime context, through the gate: answer a program's
 * CPUID in its trap frame, step past it and rewrite its site. */
void cpuid_site_entry(struct uthread *ut);

/* The cache's lookup for rewritten sites (cpuid_cached.S). */
extern char cpuid_cached[], cpuid_cached_end[];
