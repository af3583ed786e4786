/* hostcred.c - the ids a program runs with, applied to the kernel thread that runs it. */
#include "core/hostcred.h"

#include <linux/capability.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "core/rawsys.h"

void hostcred_caps_from(const struct __user_cap_data_struct *d, uint64_t *eff, uint64_t *prm,
			uint64_t *inh)
{
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
}

void hostcred_caps_to(struct __user_cap_data_struct *d, uint64_t eff, uint64_t prm, uint64_t inh)
{
	for (int i = 0; i < 2; i++)
		d[i] = (struct __user_cap_data_struct){ (uint32_t)(eff >> 32 * i), (uint32_t)(prm >> 32 * i),
							(uint32_t)(inh >> 32 * i) };
}

static struct hostcred initial;
static bool have_initial;
static int last_cap;

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
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	raw_syscall3(SYS_capget, &h, d, 0);
	hostcred_caps_from(d, &initial.cap_eff, &initial.cap_prm, &initial.cap_inh);
	for (int cap = 0; cap < 64; cap++) {
		long in = raw_syscall6(SYS_prctl, PR_CAPBSET_READ, cap, 0, 0, 0, 0);
		if (in < 0)
			break; /* past the last capability this kernel knows */
		last_cap = cap;
		initial.cap_bset |= (uint64_t)(in == 1) << cap;
		in = raw_syscall6(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0, 0);
		initial.cap_amb |= (uint64_t)(in == 1) << cap;
	}
	long bits = raw_syscall6(SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0, 0);
	initial.securebits = bits > 0 ? (unsigned)bits : 0;
	__atomic_store_n(&have_initial, true, __ATOMIC_RELEASE);
	return &initial;
}

int hostcred_last_cap(void)
{
	hostcred_initial();
	return last_cap;
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
	/* The uid calls left the effective set as the kernel computes it for
	 * these ids; the program's own may differ (a capset, kept caps). */
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	hostcred_caps_to(d, c->cap_eff & host->cap_prm, host->cap_prm, host->cap_inh);
	raw_syscall3(SYS_capset, &h, d, 0);
}
