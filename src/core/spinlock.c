/* spinlock.c - the spinlock's way out of a long wait: yield the CPU to whoever holds it. */
#include "core/spinlock.h"

#include <sys/syscall.h>

#include "core/rawsys.h"

/* Exempt from Syscall User Dispatch, as all of the runtime's own calls: a
 * lock may be taken on any path, the gate's included. */
void spin_yield(void)
{
	raw_syscall6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}
