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

long cred_setuid(struct uthread *ut, uint32_t uid)
{
	struct hostcred c = current(ut);
	if (uid == KEEP)
		return -EINVAL;
	if (privileged(&c))
		c.uid = c.suid = uid;
	else if (uid != c.uid && uid != c.suid)
		return -EPERM;
	c.euid = c.fsuid = uid;
	return publish(ut, &c);
}

long cred_setgid(struct uthread *ut, uint32_t gid)
{
	struct hostcred c = current(ut);
	if (gid == KEEP)
		return -EINVAL;
	if (privileged(&c))
		c.gid = c.sgid = gid;
	else if (gid != c.gid && gid != c.sgid)
		return -EPERM;
	c.egid = c.fsgid = gid;
	return publish(ut, &c);
}

long cred_setreuid(struct uthread *ut, uint32_t r, uint32_t e)
{
	struct hostcred c = current(ut), old = c;
	bool priv = privileged(&old);
	if ((r != KEEP && !priv && r != old.uid && r != old.euid) ||
	    (e != KEEP && !priv && !one_of(e, old.uid, old.euid, old.suid)))
		return -EPERM;
	if (r != KEEP)
		c.uid = r;
	if (e != KEEP)
		c.euid = e;
	/* Linux: the saved uid follows a new effective one when the real one
	 * was set, or the effective one is not the old real one. */
	if (r != KEEP || (e != KEEP && e != old.uid))
		c.suid = c.euid;
	c.fsuid = c.euid;
	return publish(ut, &c);
}

long cred_setregid(struct uthread *ut, uint32_t r, uint32_t e)
{
	struct hostcred c = current(ut), old = c;
	bool priv = privileged(&old);
	if ((r != KEEP && !priv && r != old.gid && r != old.egid) ||
	    (e != KEEP && !priv && !one_of(e, old.gid, old.egid, old.sgid)))
		return -EPERM;
	if (r != KEEP)
		c.gid = r;
	if (e != KEEP)
		c.egid = e;
	if (r != KEEP || (e != KEEP && e != old.gid))
		c.sgid = c.egid;
	c.fsgid = c.egid;
	return publish(ut, &c);
}

long cred_setresuid(struct uthread *ut, uint32_t r, uint32_t e, uint32_t s)
{
	struct hostcred c = current(ut), old = c;
	if (!privileged(&old))
		for (int i = 0; i < 3; i++) {
			uint32_t id = i == 0 ? r : i == 1 ? e : s;
			if (id != KEEP && !one_of(id, old.uid, old.euid, old.suid))
				return -EPERM;
		}
	if (r != KEEP)
		c.uid = r;
	if (e != KEEP)
		c.euid = e;
	if (s != KEEP)
		c.suid = s;
	c.fsuid = c.euid;
	return publish(ut, &c);
}

long cred_setresgid(struct uthread *ut, uint32_t r, uint32_t e, uint32_t s)
{
	struct hostcred c = current(ut), old = c;
	if (!privileged(&old))
		for (int i = 0; i < 3; i++) {
			uint32_t id = i == 0 ? r : i == 1 ? e : s;
			if (id != KEEP && !one_of(id, old.gid, old.egid, old.sgid))
				return -EPERM;
		}
	if (r != KEEP)
		c.gid = r;
	if (e != KEEP)
		c.egid = e;
	if (s != KEEP)
		c.sgid = s;
	c.fsgid = c.egid;
	return publish(ut, &c);
}

long cred_setfsuid(struct uthread *ut, uint32_t f)
{
	struct hostcred c = current(ut);
	uint32_t old = c.fsuid;
	if (f != KEEP && (privileged(&c) || one_of(f, c.uid, c.euid, c.suid) || f == c.fsuid)) {
		c.fsuid = f;
		publish(ut, &c);
	}
	return old; /* always the old one, as Linux's */
}

long cred_setfsgid(struct uthread *ut, uint32_t f)
{
	struct hostcred c = current(ut);
	uint32_t old = c.fsgid;
	if (f != KEEP && (privileged(&c) || one_of(f, c.gid, c.egid, c.sgid) || f == c.fsgid)) {
		c.fsgid = f;
		publish(ut, &c);
	}
	return old;
}

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
