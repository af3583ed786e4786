/* spawn.h - vfork and posix_spawn: a child program on its parent's memory until it execs. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct uthread;
struct vproc;

/* A clone call's arguments, as clone and clone3 give them. */
struct clone_req {
	uint64_t flags, stack, parent_tid, child_tid, tls;
	int exit_signal;     /* sent to the parent when the child ends */
	uint64_t pidfd;      /* CLONE_PIDFD: where the parent's pidfd goes (sys_thread.c) */
};

/* The parent of a CLONE_VFORK child, parked until the child lets it go. */
struct vfork_wait {
	struct uthread *ut;
	bool done;
};

/* spawn_vm_child - clone(CLONE_VM) without CLONE_THREAD, and vfork: a new
 * program of the instance, with copies of ut's program's fds, cwd, umask,
 * rlimits and dispositions, running on the same memory as the caller; with
 * CLONE_VFORK the caller waits until it execs or ends. Its pid or -errno. */
long spawn_vm_child(struct uthread *ut, const struct clone_req *c);

/* clone_thread - a uthread of program p, with virtual tid, that returns
 * from ut's clone with 0, on the stack and TLS clone gave (or ut's). Not
 * yet a thread of p nor runnable. */
struct uthread *clone_thread(struct uthread *ut, struct vproc *p, int tid, const struct clone_req *req);

/* p has exec'd or ended: its vfork parent, if any, goes on. */
void vfork_release(struct vproc *p);
