/* hostcred.h - the ids a program runs with, applied to the kernel thread that runs it. */
#pragma once
#include <linux/capability.h>
#include <stdint.h>

/*
 * Linux keeps ids per thread, and one kernel thread (a vCPU) runs the
 * threads of every fused program: a program's setuid() must not reach the
 * others. Each program has its own set (proc/cred.c), immutable once
 * made, and a kernel thread is switched to the set of the program it is
 * about to run when that differs from the one it holds: with ids nobody
 * changed, all programs share pegasus's own set and no switch happens.
 */
#define HOSTCRED_GROUPS 64

struct hostcred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[HOSTCRED_GROUPS];
	/* Capability sets (bit n: capability n) and prctl's securebits. */
	uint64_t cap_eff, cap_prm, cap_inh, cap_bset, cap_amb;
	unsigned securebits;
};

/* A capability header's two 32-bit data words and the 64-bit sets. */
void hostcred_caps_from(const struct __user_cap_data_struct *d, uint64_t *eff, uint64_t *prm,
			uint64_t *inh);
void hostcred_caps_to(struct __user_cap_data_struct *d, uint64_t eff, uint64_t prm, uint64_t inh);

/* The ids pegasus started with (read once). */
const struct hostcred *hostcred_initial(void);
/* The highest capability this kernel knows (CAP_LAST_CAP). */
int hostcred_last_cap(void);

/* hostcred_apply - the calling kernel thread takes c's real, effective and
 * filesystem ids, groups and effective capabilities. Its saved uid and
 * permitted set stay pegasus's own, so that it can take another set later
 * (the programs' saved ids and other sets are theirs to see: proc/cred.c).
 * Best effort: pegasus not started as root cannot switch, and its
 * programs cannot change ids beyond what it may. */
void hostcred_apply(const struct hostcred *c);
