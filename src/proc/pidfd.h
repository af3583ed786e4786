/* pidfd.h - pidfd_open's file: a program's end as readiness, a target for signals and waits. */
#pragma once
#include <stdbool.h>

struct uthread;
struct vfile;
struct vproc;

/* pidfd_new - a pidfd for program p (a live one or a zombie; NULL: pid's
 * program, already reaped), non-blocking if nonblock: the object with its
 * reference, or NULL (ENOMEM). */
struct vfile *pidfd_new(struct vproc *p, int pid, bool nonblock);

/* pidfd_pid - the pid f stands for, or -EBADF if f is no pidfd. */
int pidfd_pid(struct vfile *f);

/* pidfd_program - the program f stands for while it has not been reaped
 * (a zombie included; the pid may since name another), or NULL. */
struct vproc *pidfd_program(struct vfile *f);

/* pidfd_ended - p has ended: its pidfds become readable. */
void pidfd_ended(struct vproc *p);
