/* cred.c - a program's user and group ids: Linux's rules for changing them, kept per program. */
#include "proc/cred.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "core/hostcred.h"
#include "loader/exec.h"
#include "mm/uaccess.h"
#include "proc/pidspace.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

#define KEEP ((uint32_t)-1)

#define BIT(cap) (1ull << (cap))
/* What Linux's CAP_FS_SET holds: the capabilities that follow fsuid. */
#define FS_CAPS (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) |  \
		 BIT(CAP_FOWNER) | BIT(CAP_FSETID) | BIT(CAP_LINUX_IMMUTABLE) |           \
		 BIT(CAP_MKNOD) | BIT(CAP_MAC_OVERRIDE))

static bool capable(const struct hostcred *c, int cap)
{
	return c->cap_eff & BIT(cap);
}

/* Changing uids needs CAP_SETUID, gids CAP_SETGID. */
static bool privileged(const struct hostcred *c, bool group)
{
	return capable(c, group ? CAP_SETGID : CAP_SETUID);
}

/* fix_setuid - Linux's cap_emulate_setxuid: leaving root in every uid
 * drops the permitted set (unless SECBIT_KEEP_CAPS); leaving effective
 * uid 0 empties the effective set, and coming back to it fills it again. */
static void fix_setuid(const struct hostcred *old, struct hostcred *c)
{
	bool was_root = !old->uid || !old->euid || !old->suid;
	if (was_root && c->uid && c->euid && c->suid) {
		if (!(c->securebits & SECBIT_KEEP_CAPS))
			c->cap_prm = c->cap_eff = 0;
		c->cap_amb = 0;
	}
	if (!old->euid && c->euid)
		c->cap_eff = 0;
	if (old->euid && !c->euid)
		c->cap_eff = c->cap_prm;
}

/* fix_setfsuid - the same for fsuid alone: the file capabilities follow. */
static void fix_setfsuid(uint32_t old, struct hostcred *c)
{
	if (!old && c->fsuid)
		c->cap_eff &= ~FS_CAPS;
	if (old && !c->fsuid)
		c->cap_eff |= c->cap_prm & FS_CAPS;
}

static bool one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a || id == b || id == c;
}

/* publish - p's ids become n; the caller's kernel thread takes them now. A
 * set is never freed (a kernel thread may hold it): changes are rare. */
static long publish(struct uthread *ut, const struct hostcred *n)
{
	struct vproc *p = ut->proc;
	const struct hostcred *cur = __atomic_load_n(&p->cred, __ATOMIC_ACQUIRE);
	if (memcmp(n, cur, sizeof(*n))) {
		struct hostcred *c = malloc(sizeof(*c));
		if (!c)
			return -ENOMEM;
		*c = *n;
		__atomic_store_n(&p->cred, c, __ATOMIC_RELEASE);
		cur = c;
		vproc_publish(p); /* who may signal it, for the other processes */
	}
	vcpu_take_cred(vcpu_self(), cur);
	return 0;
}

/* The ids now, to change. */
static struct hostcred current(struct uthread *ut)
{
	return *__atomic_load_n(&ut->proc->cred, __ATOMIC_ACQUIRE);
}

/* One kind of ids of a set: the user ids or the group ids. Linux's rules
 * are the same for both (CAP_SETUID or CAP_SETGID: an effective uid of 0). */
struct idset {
	uint32_t *r, *e, *s, *fs;
};

static struct idset kind(struct hostcred *c, bool group)
{
	return group ? (struct idset){ &c->gid, &c->egid, &c->sgid, &c->fsgid }
		     : (struct idset){ &c->uid, &c->euid, &c->suid, &c->fsuid };
}

static long set_one(struct uthread *ut, bool group, uint32_t id)
{
	struct hostcred c = current(ut), old = c;
	struct idset x = kind(&c, group);
	if (id == KEEP)
		return -EINVAL;
	if (privileged(&c, group))
		*x.r = *x.s = id;
	else if (id != *x.r && id != *x.s)
		return -EPERM;
	*x.e = *x.fs = id;
	if (!group)
		fix_setuid(&old, &c);
	return publish(ut, &c);
}

static long set_re(struct uthread *ut, bool group, uint32_t r, uint32_t e)
{
	struct hostcred c = current(ut), old = c;
	struct idset x = kind(&c, group);
	uint32_t or = *x.r, oe = *x.e, os = *x.s;
	bool priv = privileged(&c, group);
	if ((r != KEEP && !priv && r != or && r != oe) || (e != KEEP && !priv && !one_of(e, or, oe, os)))
		return -EPERM;
	if (r != KEEP)
		*x.r = r;
	if (e != KEEP)
		*x.e = e;
	/* Linux: the saved id follows a new effective one when the real one
	 * was set, or the effective one is not the old real one. */
	if (r != KEEP || (e != KEEP && e != or))
		*x.s = *x.e;
	*x.fs = *x.e;
	if (!group)
		fix_setuid(&old, &c);
	return publish(ut, &c);
}

static long set_res(struct uthread *ut, bool group, uint32_t r, uint32_t e, uint32_t s)
{
	struct hostcred c = current(ut), old = c;
	struct idset x = kind(&c, group);
	uint32_t want[3] = { r, e, s }, *to[3] = { x.r, x.e, x.s };
	bool priv = privileged(&c, group);
	for (int i = 0; i < 3 && !priv; i++)
		if (want[i] != KEEP && !one_of(want[i], *x.r, *x.e, *x.s))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (want[i] != KEEP)
			*to[i] = want[i];
	*x.fs = *x.e;
	if (!group)
		fix_setuid(&old, &c);
	return publish(ut, &c);
}

static long set_fs(struct uthread *ut, bool group, uint32_t f)
{
	struct hostcred c = current(ut);
	struct idset x = kind(&c, group);
	uint32_t old = *x.fs;
	if (f != KEEP && (privileged(&c, group) || one_of(f, *x.r, *x.e, *x.s) || f == old)) {
		*x.fs = f;
		if (!group)
			fix_setfsuid(old, &c);
		publish(ut, &c);
	}
	return old; /* always the old one, as Linux's */
}

long cred_setuid(struct uthread *ut, uint32_t uid) { return set_one(ut, false, uid); }
long cred_setgid(struct uthread *ut, uint32_t gid) { return set_one(ut, true, gid); }
long cred_setreuid(struct uthread *ut, uint32_t r, uint32_t e) { return set_re(ut, false, r, e); }
long cred_setregid(struct uthread *ut, uint32_t r, uint32_t e) { return set_re(ut, true, r, e); }
long cred_setresuid(struct uthread *ut, uint32_t r, uint32_t e, uint32_t s) { return set_res(ut, false, r, e, s); }
long cred_setresgid(struct uthread *ut, uint32_t r, uint32_t e, uint32_t s) { return set_res(ut, true, r, e, s); }
long cred_setfsuid(struct uthread *ut, uint32_t f) { return set_fs(ut, false, f); }
long cred_setfsgid(struct uthread *ut, uint32_t f) { return set_fs(ut, true, f); }

long cred_setgroups(struct uthread *ut, int n, const uint32_t *groups)
{
	struct hostcred c = current(ut);
	if (!privileged(&c, true))
		return -EPERM;
	if (n < 0 || n > HOSTCRED_GROUPS)
		return -EINVAL;
	c.ngroups = n;
	memset(c.groups, 0, sizeof(c.groups));
	memcpy(c.groups, groups, n * sizeof(*groups));
	return publish(ut, &c);
}

bool cred_capable(struct uthread *ut, int cap)
{
	return capable(__atomic_load_n(&ut->proc->cred, __ATOMIC_ACQUIRE), cap);
}

/* ---- capget, capset and the capability prctls ---- */

/* cap_words - the number of 32-bit sets a header's version carries; a
 * version Linux does not know is answered with the one it prefers. */
static int cap_words(uint64_t uhdr, int *pid)
{
	struct __user_cap_header_struct h;
	if (copy_from_user(&h, uhdr, sizeof(h)))
		return -EFAULT;
	*pid = h.pid;
	if (h.version == _LINUX_CAPABILITY_VERSION_1)
		return 1;
	if (h.version == _LINUX_CAPABILITY_VERSION_2 || h.version == _LINUX_CAPABILITY_VERSION_3)
		return 2;
	h.version = _LINUX_CAPABILITY_VERSION_3;
	return copy_to_user(uhdr, &h.version, sizeof(h.version)) ? -EFAULT : -EINVAL;
}

long cred_capget(struct uthread *ut, uint64_t uhdr, uint64_t udata)
{
	int pid, words = cap_words(uhdr, &pid);
	if (words < 0)
		return udata || words == -EFAULT ? words : 0;
	if (!udata)
		return 0;
	if (pid < 0)
		return -EINVAL;
	struct vproc *p = pid ? vproc_by_id(pid) : ut->proc;
	if (!p)
		return -ESRCH;
	const struct hostcred *c = __atomic_load_n(&p->cred, __ATOMIC_ACQUIRE);
	struct __user_cap_data_struct d[2];
	hostcred_caps_to(d, c->cap_eff, c->cap_prm, c->cap_inh);
	return copy_to_user(udata, d, words * sizeof(d[0])) ? -EFAULT : 0;
}

static bool subset(uint64_t a, uint64_t b)
{
	return !(a & ~b);
}

long cred_capset(struct uthread *ut, uint64_t uhdr, uint64_t udata)
{
	int pid, words = cap_words(uhdr, &pid);
	if (words < 0)
		return words;
	if (pid && pid != ut->proc->pid && pid != ut->tid)
		return -EPERM; /* only one's own, since Linux 2.6.24 */
	struct __user_cap_data_struct d[2] = { 0 };
	if (copy_from_user(d, udata, words * sizeof(d[0])))
		return -EFAULT;
	struct hostcred c = current(ut);
	uint64_t eff, prm, inh;
	hostcred_caps_from(d, &eff, &prm, &inh);
	if (words == 1) { /* a v1 caller leaves the upper sets as they are */
		eff |= c.cap_eff & ~0xffffffffull;
		prm |= c.cap_prm & ~0xffffffffull;
		inh |= c.cap_inh & ~0xffffffffull;
	}
	/* Linux's cap_capset: nothing gained but inheritable ones within the
	 * bounding set, and those beyond the permitted set need CAP_SETPCAP. */
	if ((!capable(&c, CAP_SETPCAP) && !subset(inh, c.cap_inh | c.cap_prm)) ||
	    !subset(inh, c.cap_inh | c.cap_bset) || !subset(prm, c.cap_prm) || !subset(eff, prm))
		return -EPERM;
	c.cap_eff = eff;
	c.cap_prm = prm;
	c.cap_inh = inh;
	c.cap_amb &= prm & inh; /* an ambient one must stay permitted and inheritable */
	return publish(ut, &c);
}

static bool cap_known(long cap)
{
	return cap >= 0 && cap <= hostcred_last_cap();
}

long cred_prctl(struct uthread *ut, long option, long a2, long a3, long a4, long a5)
{
	struct hostcred c = current(ut);
	switch (option) {
	case PR_GET_KEEPCAPS:
		return !!(c.securebits & SECBIT_KEEP_CAPS);
	case PR_SET_KEEPCAPS:
		if (a2 != 0 && a2 != 1)
			return -EINVAL;
		if (c.securebits & SECBIT_KEEP_CAPS_LOCKED)
			return -EPERM;
		c.securebits = a2 ? c.securebits | SECBIT_KEEP_CAPS : c.securebits & ~SECBIT_KEEP_CAPS;
		return publish(ut, &c);
	case PR_GET_SECUREBITS:
		return c.securebits;
	case PR_SET_SECUREBITS:
		/* Locked bits stay; any change needs CAP_SETPCAP. */
		if (((c.securebits & SECURE_ALL_LOCKS) >> 1 & (c.securebits ^ a2)) ||
		    (c.securebits & ~a2 & SECURE_ALL_LOCKS) || (a2 & ~(long)(SECURE_ALL_BITS | SECURE_ALL_LOCKS)) ||
		    !capable(&c, CAP_SETPCAP))
			return -EPERM;
		c.securebits = (unsigned)a2;
		return publish(ut, &c);
	case PR_CAPBSET_READ:
		return cap_known(a2) ? (long)(c.cap_bset >> a2 & 1) : -EINVAL;
	case PR_CAPBSET_DROP:
		if (!cap_known(a2))
			return -EINVAL;
		if (!capable(&c, CAP_SETPCAP))
			return -EPERM;
		c.cap_bset &= ~BIT(a2);
		return publish(ut, &c);
	case PR_CAP_AMBIENT:
		if (a2 == PR_CAP_AMBIENT_CLEAR_ALL) {
			if (a3 || a4 || a5)
				return -EINVAL;
			c.cap_amb = 0;
			return publish(ut, &c);
		}
		if (a4 || a5 || !cap_known(a3))
			return -EINVAL;
		if (a2 == PR_CAP_AMBIENT_IS_SET)
			return c.cap_amb >> a3 & 1;
		if (a2 == PR_CAP_AMBIENT_LOWER) {
			c.cap_amb &= ~BIT(a3);
			return publish(ut, &c);
		}
		if (a2 != PR_CAP_AMBIENT_RAISE)
			return -EINVAL;
		if (!(c.cap_prm & c.cap_inh & BIT(a3)) || (c.securebits & SECBIT_NO_CAP_AMBIENT_RAISE))
			return -EPERM;
		c.cap_amb |= BIT(a3);
		return publish(ut, &c);
	default:
		return CRED_NOT_MINE;
	}
}

/* host_may_become - can the runtime's kernel threads take uid (a
 * set-user-ID file's owner)? Any, when pegasus runs as root; else only
 * the ids it started with. */
static bool host_may_become(uint32_t uid)
{
	const struct hostcred *h = hostcred_initial();
	return !h->euid || uid == h->uid || uid == h->euid || uid == h->suid;
}

/* cred_exec - Linux's execve (bprm_fill_uid, cap_bprm_creds_from_file): a
 * set-user-ID (set-group-ID) file on a mount that honours it makes its
 * owner (group) the effective id, unless no_new_privs; the saved and fs
 * ids take the effective ones; root (unless SECBIT_NOROOT) gets the
 * bounding set, effective when the effective uid is 0; others get what
 * the file's capabilities give (setcap: its permitted set within the
 * bounding set, its inheritable set within theirs, under no_new_privs
 * none they did not have; effective if the file says so) or else their
 * ambient set. */
long cred_exec(struct uthread *ut, const struct exec_image *img, bool *secure)
{
	struct hostcred c = current(ut);
	uint64_t old_prm = c.cap_prm;
	bool may = !img->file_nosuid && !ut->proc->no_new_privs;
	bool fcaps = !img->file_nosuid && img->has_fcaps;
	if (may && (img->file_mode & S_ISUID) && host_may_become(img->file_uid))
		c.euid = img->file_uid;
	if (may && (img->file_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		c.egid = img->file_gid;
	c.suid = c.fsuid = c.euid;
	c.sgid = c.fsgid = c.egid;
	if ((!c.euid || !c.uid) && !(c.securebits & SECBIT_NOROOT)) {
		c.cap_prm = c.cap_bset | c.cap_inh;
		c.cap_eff = c.euid && !(fcaps && img->fcap_eff) ? 0 : c.cap_prm;
	} else if (fcaps) {
		c.cap_amb = 0; /* a file with capabilities clears the ambient set */
		c.cap_prm = (img->fcap_prm & c.cap_bset) | (img->fcap_inh & c.cap_inh);
		if (ut->proc->no_new_privs)
			c.cap_prm &= old_prm; /* no more than it had */
		c.cap_eff = img->fcap_eff ? c.cap_prm : 0;
	} else {
		c.cap_prm = c.cap_eff = c.cap_amb;
	}
	/* Linux's secureexec: new ids, or capabilities beyond the ambient
	 * set for a caller that is not really root. */
	*secure = c.euid != c.uid || c.egid != c.gid || (c.uid && (c.cap_prm & ~c.cap_amb));
	c.securebits &= ~SECBIT_KEEP_CAPS;
	return publish(ut, &c);
}
