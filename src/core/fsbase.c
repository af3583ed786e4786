/* fsbase.c - the %fs/%gs base path chosen at start-up: FSGSBASE instructions or arch_prctl. */
#include "core/fsbase.h"

#include <asm/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <x86gprintrin.h>

#include "core/rawsys.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

bool pg_fsgsbase;
bool pg_mid_app_fs;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZED true
#else
#define SANITIZED false
#endif

void fsbase_init(void)
{
	const char *force = getenv("PEGASUS_FSGSBASE");
	pg_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) && !(force && !strcmp(force, "0"));
	pg_mid_app_fs = !pg_fsgsbase && !SANITIZED;
}

uint64_t fsbase_read(void)
{
	if (pg_fsgsbase)
		return _readfsbase_u64();
	uint64_t base = 0;
	raw_syscall3(SYS_arch_prctl, ARCH_GET_FS, &base, 0);
	return base;
}

void fsbase_switch(uint64_t *kfs, uint64_t base)
{
	if (pg_fsgsbase) {
		_writefsbase_u64(base);
		*kfs = base;
		return;
	}
	if (*kfs == base)
		return;
	/* Unknown while the call is under way: a host signal that lands here
	 * and restarts the caller must not trust the old value. */
	*(volatile uint64_t *)kfs = UINT64_MAX;
	if (raw_syscall3(SYS_arch_prctl, ARCH_SET_FS, base, 0) == 0)
		*(volatile uint64_t *)kfs = base;
}

uint64_t gsbase_read(void)
{
	if (pg_fsgsbase)
		return _readgsbase_u64();
	uint64_t base = 0;
	raw_syscall3(SYS_arch_prctl, ARCH_GET_GS, &base, 0);
	return base;
}

void gsbase_write(uint64_t base)
{
	if (pg_fsgsbase)
		_writegsbase_u64(base);
	else
		raw_syscall3(SYS_arch_prctl, ARCH_SET_GS, base, 0);
}
