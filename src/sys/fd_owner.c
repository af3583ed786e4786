/* fd_owner.c - F_SETOWN/F_GETOWN(_EX): the program's ids in, the program's ids out. */
#include "sys/fd_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "core/spinlock.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/*
 * A file's owner gets SIGIO/SIGURG. Programs name it with virtual ids,
 * which the kernel does not know (nginx's master: F_SETOWN, getpid()). An
 * object keeps the id as given. A kernel file gets the host process that
 * runs the owner (its signals reach programs through the host signal
 * handlers: the first program, see DECISIONS.md), and the virtual owner is
 * remembered by host fd, so F_GETOWN gives back what was set.
 */
struct owner { int type, id; };

#define NREC 64
static struct { int hfd; struct owner v; } recs[NREC];
static int nrec;
static spinlock_t rec_lock;

bool fd_owner_cmd(int cmd)
{
	return cmd == F_SETOWN || cmd == F_GETOWN || cmd == F_SETOWN_EX || cmd == F_GETOWN_EX;
}

static bool pgrp_exists(int pgid)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && p->pgid == pgid)
			return true;
	}
	return false;
}

/* host_of - the host pid that runs virtual owner o (0 for none), or -ESRCH
 * when o names nothing of the instance known here. */
static long host_of(struct owner o)
{
	if (!o.id)
		return 0;
	if (o.type == F_OWNER_TID)
		return uthread_by_tid(o.id) ? getpid() : -ESRCH;
	if (o.type == F_OWNER_PGRP)
		return pgrp_exists(o.id) ? getpid() : -ESRCH;
	struct vproc *p = vproc_by_pid(o.id);
	if (!p)
		return -ESRCH;
	return p->host_pid > 0 ? p->host_pid : getpid();
}

static void remember(int hfd, struct owner v)
{
	spin_lock(&rec_lock);
	int i = 0;
	while (i < nrec && recs[i].hfd != hfd)
		i++;
	if (i == nrec && nrec < NREC)
		nrec++;
	if (i < nrec)
		recs[i].hfd = hfd, recs[i].v = v;
	spin_unlock(&rec_lock);
}

/* virtual_of - the kernel's owner of hfd (type k, host pid h) as the
 * program named it: what it set, if this host fd still has that owner;
 * else the host process's program (the caller's own, or a forked child). */
static struct owner virtual_of(struct uthread *ut, int hfd, struct owner k)
{
	if (!k.id || k.id < 0)
		return k;
	if (k.id == getpid()) {
		struct owner v = { F_OWNER_PID, ut->proc->pid };
		spin_lock(&rec_lock);
		for (int i = 0; i < nrec; i++)
			if (recs[i].hfd == hfd)
				v = recs[i].v;
		spin_unlock(&rec_lock);
		return v;
	}
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *p = vproc_at(i);
		if (p && p->host_pid == k.id)
			return (struct owner){ F_OWNER_PID, vproc_seen_as(p)->pid };
	}
	return k;
}

static long set_owner(struct vfile *f, int hfd, struct owner v)
{
	if (v.type != F_OWNER_TID && v.type != F_OWNER_PID && v.type != F_OWNER_PGRP)
		return -EINVAL;
	if (v.id < 0)
		return -ESRCH; /* F_SETOWN_EX: an id no process has */
	long h = host_of(v);
	if (h < 0)
		return h;
	if (f) {
		__atomic_store_n(&f->owner_type, v.type, __ATOMIC_RELAXED);
		__atomic_store_n(&f->owner, v.id, __ATOMIC_RELAXED);
		return 0;
	}
	struct f_owner_ex k = { F_OWNER_PID, (pid_t)h };
	long r = raw_syscall3(SYS_fcntl, hfd, F_SETOWN_EX, (long)&k);
	if (r == 0)
		remember(hfd, v);
	return r;
}

static long get_owner(struct uthread *ut, struct vfile *f, int hfd, struct owner *out)
{
	if (f) {
		out->type = __atomic_load_n(&f->owner_type, __ATOMIC_RELAXED);
		out->id = __atomic_load_n(&f->owner, __ATOMIC_RELAXED);
		return 0;
	}
	struct f_owner_ex k;
	long r = raw_syscall3(SYS_fcntl, hfd, F_GETOWN_EX, (long)&k);
	if (r < 0)
		return r;
	*out = virtual_of(ut, hfd, (struct owner){ k.type, k.pid });
	return 0;
}

long fd_owner_fcntl(struct uthread *ut, struct vfile *f, int hfd, int cmd, long arg)
{
	struct owner v;
	struct f_owner_ex ex;
	long r;
	switch (cmd) {
	case F_SETOWN:
		/* Linux: a negative id is a process group, a positive one a
		 * process; -INT_MIN cannot be negated. */
		if ((int)arg == (int)0x80000000)
			return -EINVAL;
		v = (int)arg < 0 ? (struct owner){ F_OWNER_PGRP, -(int)arg }
				 : (struct owner){ F_OWNER_PID, (int)arg };
		return set_owner(f, hfd, v);
	case F_SETOWN_EX:
		if (copy_from_user(&ex, arg, sizeof(ex)))
			return -EFAULT;
		return set_owner(f, hfd, (struct owner){ ex.type, ex.pid });
	case F_GETOWN:
		r = get_owner(ut, f, hfd, &v);
		return r < 0 ? r : v.type == F_OWNER_PGRP ? -v.id : v.id;
	case F_GETOWN_EX:
		r = get_owner(ut, f, hfd, &v);
		if (r < 0)
			return r;
		ex = (struct f_owner_ex){ v.type, v.id };
		return copy_to_user(arg, &ex, sizeof(ex)) ? -EFAULT : 0;
	}
	return -EINVAL;
}
