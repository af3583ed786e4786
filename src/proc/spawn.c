/* spawn.c - vfork and posix_spawn: a child program on its parent's memory until it execs. */
#include "proc/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/forkhot.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "core/timeutil.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/seccomp.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/sched.h"
#include "sched/xstate.h"

/* What a child sharing its parent's memory may ask for. Sharing the fd
 * table, cwd or dispositions (CLONE_FILES, CLONE_FS, CLONE_SIGHAND) would
 * need those to be shared objects; nobody's posix_spawn asks for it. */
#define SPAWN_OK (CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | \
		  CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_IO | CSIGNAL)

FORK_HOT static spinlock_t vfork_lock;

/* copy_fds - the child gets its own host fd for each of the parent's, with
 * the same close-on-exec flag (the host fd's), and shares the parent's
 * objects (an open file description each), as fork duplicates a table. */
static long copy_fds(struct vproc *from, struct vproc *to)
{
	int max = fdt_max(from->fdt);
	for (int v = 0; v <= max; v++) {
		int h = fdt_host(from->fdt, v);
		struct vfile *obj = fdt_obj(from->fdt, v); /* a reference for the child */
		long nh = -1, fdflags = 0;
		if (h >= 0) {
			long fl = raw_syscall3(SYS_fcntl, h, F_GETFD, 0);
			nh = fl < 0 ? fl : raw_syscall3(SYS_fcntl, h,
							(fl & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
		} else if (obj) {
			fdflags = fdt_get_fdflags(from->fdt, v);
		}
		if (nh < 0 && (h >= 0 || !obj || fdflags < 0)) {
			vfile_put(obj); /* free, or closed meanwhile by another thread */
			continue;
		}
		/* Past the limit too: a table is copied whole (a lowered
		 * RLIMIT_NOFILE keeps the fds above it, in the child too). */
		long old = fdt_inherit_at(to->fdt, v, (int)nh, obj, (int)fdflags);
		if (old < -1 && old != FDT_NOHOST) {
			if (nh >= 0)
				raw_syscall3(SYS_close, nh, 0, 0);
			vfile_put(obj);
			return old;
		}
	}
	return 0;
}

/* copy_state - what a child program starts with: its parent's. */
static long copy_state(struct vproc *parent, struct vproc *c)
{
	c->ppid = parent->pid;
	c->pgid = parent->pgid;
	c->sid = parent->sid;
	c->root = parent->root;
	c->name = parent->name;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	memcpy(c->sigaction, parent->sigaction, sizeof(c->sigaction));
	memcpy(c->rlim, parent->rlim, sizeof(c->rlim));
	c->fdt->limit = parent->fdt->limit;
	c->umask = parent->umask;
	c->cred = parent->cred;
	c->no_new_privs = parent->no_new_privs;
	c->attrs = parent->attrs;
	/* Until it execs it runs the parent's image, break included. */
	c->brk = parent->brk;
	c->stack_lo = parent->stack_lo;
	c->stack_len = parent->stack_len;
	c->arg_start = parent->arg_start;
	c->arg_end = parent->arg_end;
	c->env_start = parent->env_start;
	c->env_end = parent->env_end;
	c->exe = parent->exe ? strdup(parent->exe) : NULL;
	c->cwd = strdup(parent->cwd);
	c->cwd_fd = (int)raw_syscall3(SYS_fcntl, parent->cwd_fd, F_DUPFD_CLOEXEC, 0);
	if (!c->cwd || c->cwd_fd < 0 || (parent->exe && !c->exe))
		return c->cwd_fd < 0 ? c->cwd_fd : -ENOMEM;
	return copy_fds(parent, c);
}

/* clone_thread - a uthread of program p, with virtual tid, that returns
 * from ut's clone with 0, on the stack and TLS clone gave (or ut's). */
struct uthread *clone_thread(struct uthread *ut, struct vproc *p, int tid, const struct clone_req *req)
{
	struct uthread *t = uthread_new(p, tid);
	t->affinity = ut->affinity;
	t->sched = ut->sched;
	vproc_sched_forked(&t->sched);
	t->tf = ut->tf;
	t->tf.rax = 0;
	t->tf.rcx = t->tf.rip; /* as the syscall instruction leaves them */
	t->tf.r11 = t->tf.rflags;
	if (req->stack)
		t->tf.rsp = req->stack;
	if (req->flags & CLONE_SETTLS)
		t->tf.fs_base = req->tls;
	if (req->flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = req->child_tid;
	vec_make_full(ut);
	memcpy(t->xsave, ut->xsave, xsave_area_size());
	t->sigmask = ut->sigmask;
	memcpy(t->comm, ut->comm, sizeof(t->comm));
	return t;
}

/* vfork_wait - the parent sleeps until the child execs or ends. A fatal
 * signal ends the wait too: the parent leaves, as Linux's killable wait. */
static void vfork_wait(struct vfork_wait *w, struct vproc *c)
{
	struct uthread *ut = w->ut;
	spin_lock(&vfork_lock);
	while (!w->done && !__atomic_load_n(&ut->exiting, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&ut->state, UT_BLOCKED, __ATOMIC_RELAXED);
		spin_unlock(&vfork_lock);
		/* Not interruptible: only its program's end (exiting, checked by
		 * uthread_sleep; vproc_terminate wakes it) cuts it short. (It
		 * was passed a signal mask as the "interruptible" flag: with a
		 * signal pending, say the SIGCHLD of an earlier child, it spun
		 * here without letting the child run on its vCPU, for ever on
		 * one vCPU, and stopped a fork's quiescing on two.) */
		uthread_sleep(0, false);
		spin_lock(&vfork_lock);
	}
	if (!w->done)
		c->vfork = NULL; /* c has not let go yet: it is still alive */
	spin_unlock(&vfork_lock);
}

void vfork_release(struct vproc *p)
{
	spin_lock(&vfork_lock);
	struct vfork_wait *w = p->vfork;
	if (w) {
		p->vfork = NULL;
		w->done = true;
		uthread_wake(w->ut, WAKE_EVENT);
	}
	spin_unlock(&vfork_lock);
}

long spawn_vm_child(struct uthread *ut, const struct clone_req *req)
{
	if (req->flags & ~(uint64_t)SPAWN_OK)
		return -ENOSYS;
	struct vproc *parent = ut->proc, *c = vproc_new(parent->name, 0);
	if (!c)
		return -EAGAIN;
	c->parent_signal = req->exit_signal;
	c->start_ticks = boot_ticks(); /* its host process's start is its parent's */
	long r = copy_state(parent, c);
	if (r == 0 && (req->flags & CLONE_PARENT_SETTID) && copy_to_user(req->parent_tid, &c->pid, 4))
		r = -EFAULT;
	if (r == 0 && (req->flags & CLONE_CHILD_SETTID) && copy_to_user(req->child_tid, &c->pid, 4))
		r = -EFAULT;
	if (r < 0) {
		/* It never was: the fds it took are closed now (a pipe's write
		 * end copied to it kept its parent's read from seeing EOF). */
		vproc_close_fds(c);
		vproc_release(c);
		return r;
	}
	struct uthread *t = clone_thread(ut, c, c->pid, req);
	c->main_thread = t;
	vproc_add_thread(c, t, ut);
	int pid = c->pid;
	if (!(req->flags & CLONE_VFORK))
		parent->vm_shared = true; /* its code may run on two programs at once */
	vproc_publish(c);
	/* Set before it runs: it may exec or end before the parent waits. */
	struct vfork_wait w = { .ut = ut };
	if (req->flags & CLONE_VFORK)
		c->vfork = &w;
	sched_enqueue(t, NULL);
	if (req->flags & CLONE_VFORK)
		vfork_wait(&w, c);
	return pid;
}
