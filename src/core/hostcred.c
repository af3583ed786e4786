/* hostcred.c - the ids a program runs with, applied to the kernel thread that runs it. */
#include "core/hostcred.h"

#include <stdbool.h>
#include <sys/syscall.h>

#include "core/rawsys.h"

static struct hostcred initial;
static bool have_initial;

const struct hostcred *hostcred_initial(void)
{
	if (__atomic_load_n(&have_initial, __ATOMIC_ACQUIRE))
		return &initial;
	/* Read by the first caller, at start (one thread). */
	raw_syscall3(SYS_getresuid, &initial.uid, &initial.euid, &initial.suid);
	raw_syscall3(SYS_getresgid, &initial.gid, &initial.egid, &initial.sgid);
	initial.fsuid = initial.euid;
	initial.fsgid = initial.egid;
	long n = raw_syscall3(SYS_getgroups, HOSTCRED_GROUPS, initial.groups, 0);
	initial.ngroups = n > 0 ? (int)n : 0;
	__atomic_store_n(&have_initial, true, __ATOMIC_RELEASE);
	return &initial;
}

void hostcred_apply(const struct hostcred *c)
{
	const struct hostcred *host = hostcred_initial();
	/* Raw calls: per thread (glibc's setuid() would change every thread).
	 * Back to pegasus's effective uid first, whose rights the rest need;
	 * the saved uid it kept allows it. */
	raw_syscall3(SYS_setresuid, -1, host->euid, -1);
	raw_syscall3(SYS_setgroups, c->ngroups, c->groups, 0);
	raw_syscall3(SYS_setresgid, c->gid, c->egid, host->sgid);
	raw_syscall3(SYS_setfsgid, c->fsgid, 0, 0);
	raw_syscall3(SYS_setresuid, c->uid, c->euid, host->suid);
	raw_syscall3(SYS_setfsuid, c->fsuid, 0, 0);
}
