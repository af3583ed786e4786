/* sys_mem.c - per-program memory calls: brk and the thread pointer. */
#include <asm/prctl.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "mm/brk.h"
#include "mm/uaccess.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/systab.h"

long sys_brk(struct uthread *ut, const long a[6])
{
	return brk_set(ut->proc, a[0]);
}

/* arch_prctl - %fs is the program's (per uthread, loaded at the gate); %gs
 * belongs to the runtime, so a program may not set it. */
long sys_arch_prctl(struct uthread *ut, const long a[6])
{
	uint64_t zero = 0;
	switch (a[0]) {
	case ARCH_SET_FS:
		if (!uaccess_range_ok(a[1], 0))
			return -EPERM;
		ut->tf.fs_base = a[1];
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(a[1], &ut->tf.fs_base, 8) ? -EFAULT : 0;
	case ARCH_SET_GS:
		return -EPERM;
	case ARCH_GET_GS:
		return copy_to_user(a[1], &zero, 8) ? -EFAULT : 0;
	case ARCH_GET_CPUID:
		return raw_syscall3(SYS_arch_prctl, a[0], a[1], 0);
	case 0x1021: /* ARCH_GET_XCOMP_SUPP */
	case 0x1022: /* ARCH_GET_XCOMP_PERM */
	case 0x1023: /* ARCH_REQ_XCOMP_PERM */
	case 0x1024: /* ARCH_GET_XCOMP_GUEST_PERM */
		return raw_syscall3(SYS_arch_prctl, a[0], a[1], 0);
	default:
		return -EINVAL;
	}
}
