/* sud.c - Syscall User Dispatch: the catch-all for every syscall of app code. */
#include "entry/sud.h"

#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>

#include "core/hthread.h"
#include "sched/vcpu.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

extern char __start_pg_exempt[], __stop_pg_exempt[];

/* The selector tells app code (BLOCK) from the runtime (ALLOW). Every host
 * signal handler opens the selector first, so their sigreturns need no
 * trampoline. The exempt range holds only the runtime's own syscall
 * instruction (core/syscall.S): not needed for correctness, it saves the
 * kernel a read of the selector on every runtime syscall. SUD is per
 * thread and not inherited: each vCPU turns it on for itself. */
int sud_enable(struct vcpu *v)
{
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)__start_pg_exempt,
		  (unsigned long)(__stop_pg_exempt - __start_pg_exempt), &v->selector) < 0)
		return -errno;
	return 0;
}

static void *probe(void *arg)
{
	static volatile char sel;
	long r = prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &sel);
	*(int *)arg = r < 0 ? -errno : 0;
	if (r == 0)
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	return NULL;
}

int sud_probe(void)
{
	pthread_t t;
	int res = -ENOSYS;
	if (hthread_start(&t, 0, 0, 0, probe, &res) == 0)
		pthread_join(t, NULL);
	return res;
}
