/* cred.c - a program's user and group ids: Linux's rules for changing them, kept per program. */
#include "proc/cred.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostcred.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

#define KEEP ((uint32_t)-1)

/* CAP_SETUID and CAP_SETGID, as an effective uid of 0 has them (pegasus
 * runs programs with no capabilities of their own beyond root's). */
static bool privileged(const struct hostcred *c)
{
	return c->euid == 0;
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
	}
	struct vcpu *v = vcpu_self();
	if (v->cred != cur) {
		hostcred_apply(cur);
		v->cred = cur;
	}
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
	struct hostcred c = current(ut);
	struct idset x = kind(&c, group);
	if (id == KEEP)
		return -EINVAL;
	if (privileged(&c))
		*x.r = *x.s = id;
	else if (id != *x.r && id != *x.s)
		return -EPERM;
	*x.e = *x.fs = id;
	return publish(ut, &c);
}

static long set_re(struct uthread *ut, bool group, uint32_t r, uint32_t e)
{
	struct hostcred c = current(ut);
	struct idset x = kind(&c, group);
	uint32_t or = *x.r, oe = *x.e, os = *x.s;
	bool priv = privileged(&c);
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
	return publish(ut, &c);
}

static long set_res(struct uthread *ut, bool group, uint32_t r, uint32_t e, uint32_t s)
{
	struct hostcred c = current(ut);
	struct idset x = kind(&c, group);
	uint32_t want[3] = { r, e, s }, *to[3] = { x.r, x.e, x.s };
	bool priv = privileged(&c);
	for (int i = 0; i < 3 && !priv; i++)
		if (want[i] != KEEP && !one_of(want[i], *x.r, *x.e, *x.s))
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if (want[i] != KEEP)
			*to[i] = want[i];
	*x.fs = *x.e;
	return publish(ut, &c);
}

static long set_fs(struct uthread *ut, bool group, uint32_t f)
{
	struct hostcred c = current(ut);
	struct idset x = kind(&c, group);
	uint32_t old = *x.fs;
	if (f != KEEP && (privileged(&c) || one_of(f, *x.r, *x.e, *x.s) || f == old)) {
		*x.fs = f;
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
	if (!privileged(&c))
		return -EPERM;
	if (n < 0 || n > HOSTCRED_GROUPS)
		return -EINVAL;
	c.ngroups = n;
	memset(c.groups, 0, sizeof(c.groups));
	memcpy(c.groups, groups, n * sizeof(*groups));
	return publish(ut, &c);
}
