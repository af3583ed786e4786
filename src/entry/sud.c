/* sud.c - Syscall User Dispatch: the catch-all for every syscall of app code. */
#include "entry/sud.h"

#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>

#include "sched/vcpu.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

/* No exempt range: the selector alone tells app code (BLOCK) from the
 * runtime (ALLOW). Every host signal handler opens the selector first, so
 * even their sigreturns need no exempt trampoline. SUD is per thread and not
 * inherited: each vCPU turns it on for itself. */
int sud_enable(struct vcpu *v)
{
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &v->selector) < 0)
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
	if (pthread_create(&t, NULL, probe, &res) == 0)
		pthread_join(t, NULL);
	return res;
}
