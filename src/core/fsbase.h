/* fsbase.h - reading and writing the %fs and %gs bases, with or without FSGSBASE. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/*
 * Where the kernel enables FSGSBASE (AT_HWCAP2), user code reads and writes
 * the bases with rdfsbase/wrfsbase (~12 ns). Where it does not, those
 * instructions may still execute (a hypervisor that hides the CPU flag) but
 * the kernel restores the base it last saw from arch_prctl at the next
 * context switch: only arch_prctl sets a base that stays. So the choice is
 * made once from AT_HWCAP2 (or forced off with PEGASUS_FSGSBASE=0), and on
 * the arch_prctl path the runtime never reads %fs: the app's base is the
 * one it emulates (arch_prctl, CLONE_SETTLS) and keeps per uthread, and each
 * vCPU remembers what base its kernel thread holds (`kfs`), so a base is
 * written only when it changes.
 */
extern bool pg_fsgsbase;
/* The mid path (futex, sched_yield...) runs on the app's %fs: without
 * FSGSBASE, where writing it costs a kernel call, and the build is not a
 * sanitizer build (whose instrumented code may reach TLS anywhere). */
extern bool pg_mid_app_fs;

/* fsbase_init - decide the path, once, before any thread is started. */
void fsbase_init(void);

/* The calling thread's %fs base now. */
uint64_t fsbase_read(void);

/**
 * fsbase_switch - make base the calling thread's %fs base. @kfs: what the
 * thread holds now (updated; UINT64_MAX: not known), so that on the
 * arch_prctl path an unchanged base costs no kernel call. Touches no TLS.
 */
void fsbase_switch(uint64_t *kfs, uint64_t base);

/* The calling thread's %gs base: the vCPU it runs as, hthread_no_vcpu, or 0. */
uint64_t gsbase_read(void);
void gsbase_write(uint64_t base);
