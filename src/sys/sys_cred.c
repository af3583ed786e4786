/* sys_cred.c - the id calls: each program's own ids (proc/cred.h). */
#include <errno.h>
#include <stdint.h>

#include "core/hostcred.h"
#include "mm/uaccess.h"
#include "proc/cred.h"
#include "proc/vproc.h"
#include "sys/systab.h"

/* getuid and the like read the kernel thread's ids, which are the
 * program's while it runs; only the saved ids are the program's alone. */

long sys_setuid(struct uthread *ut, const long a[6]) { return cred_setuid(ut, (uint32_t)a[0]); }
long sys_setgid(struct uthread *ut, const long a[6]) { return cred_setgid(ut, (uint32_t)a[0]); }
long sys_setreuid(struct uthread *ut, const long a[6]) { return cred_setreuid(ut, (uint32_t)a[0], (uint32_t)a[1]); }
long sys_setregid(struct uthread *ut, const long a[6]) { return cred_setregid(ut, (uint32_t)a[0], (uint32_t)a[1]); }
long sys_setfsuid(struct uthread *ut, const long a[6]) { return cred_setfsuid(ut, (uint32_t)a[0]); }
long sys_setfsgid(struct uthread *ut, const long a[6]) { return cred_setfsgid(ut, (uint32_t)a[0]); }

long sys_setresuid(struct uthread *ut, const long a[6])
{
	return cred_setresuid(ut, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
}

long sys_setresgid(struct uthread *ut, const long a[6])
{
	return cred_setresgid(ut, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
}

static long put_three(const long a[6], uint32_t x, uint32_t y, uint32_t z)
{
	return copy_to_user(a[0], &x, 4) || copy_to_user(a[1], &y, 4) || copy_to_user(a[2], &z, 4) ? -EFAULT : 0;
}

long sys_getresuid(struct uthread *ut, const long a[6])
{
	const struct hostcred *c = __atomic_load_n(&ut->proc->cred, __ATOMIC_ACQUIRE);
	return put_three(a, c->uid, c->euid, c->suid);
}

long sys_getresgid(struct uthread *ut, const long a[6])
{
	const struct hostcred *c = __atomic_load_n(&ut->proc->cred, __ATOMIC_ACQUIRE);
	return put_three(a, c->gid, c->egid, c->sgid);
}

long sys_setgroups(struct uthread *ut, const long a[6])
{
	uint32_t groups[HOSTCRED_GROUPS];
	long n = a[0];
	if (n < 0 || n > 65536)
		return -EINVAL;
	if (n > HOSTCRED_GROUPS)
		return -EINVAL; /* more than pegasus keeps per program */
	if (n && copy_from_user(groups, a[1], n * sizeof(*groups)))
		return -EFAULT;
	return cred_setgroups(ut, (int)n, groups);
}
