/* kcall.h - calls the kernel serves, issued so that none stalls a vCPU. */
#pragma once
#include <stdbool.h>

struct uthread;
struct sysent;

/**
 * kcall - serve a translated or offloaded call with the kernel: map pid
 * arguments, apply a call-scoped signal mask virtually, wait for fd
 * readiness by parking the uthread, offload what can only block in the
 * kernel, and restart after EINTR as Linux would. Returns the app's result.
 */
long kcall(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);

/* kcall_pid - a virtual pid argument as the kernel may see it, into *out:
 * 0 ("the caller") for the caller and the other programs of this host
 * process, whose kernel threads it shares; the host pid of another process
 * of the instance (a forked child); a pid that is none of the instance's
 * (init, pegasus's parent) as it is, the host's, as kill takes it. 0 or
 * -ESRCH. */
long kcall_pid(long pid, long *out);
/* kcall_outside - call nr naming by a[0] a pid no program here has: the
 * kernel's if it is none of the instance's, else ESRCH (a program of
 * another process whose answer its own process keeps). */
long kcall_outside(long nr, const long a[6]);

/* kcall_serve - a call of the table as the entry serves it once no object
 * took it: its handler, or kcall. */
long kcall_serve(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);

/* kcall_offload - the same, always on a worker thread (flock, FIFO opens...). */
long kcall_offload(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);

/* kcall_new_fd - give a new host fd the program's lowest free number
 * (closing it on EMFILE); negative values pass through. */
long kcall_new_fd(struct uthread *ut, long host);
