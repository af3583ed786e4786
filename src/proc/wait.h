/* wait.h - the ends of spawned programs: zombies, wait4/waitid, SIGCHLD, orphans. */
#pragma once
#include <stdbool.h>
#include <sys/resource.h>

struct uthread;
struct vproc;

/* What a wait reports about one child. */
struct wait_result {
	int pid;      /* 0: none has ended yet (WNOHANG) */
	int code;     /* CLD_EXITED, CLD_KILLED, CLD_STOPPED or CLD_CONTINUED */
	int status;   /* its exit code, or the signal that killed, stopped or continued it */
	struct rusage usage; /* an ended child's (vproc.h: host_usage), else zeros */
};

/* wait_child_stopped, wait_child_continued - p stopped (by sig) or went
 * on: its parent gets SIGCHLD (unless SA_NOCLDSTOP) and its WUNTRACED or
 * WCONTINUED waits report it, once. */
void wait_child_stopped(struct vproc *p, int sig);
void wait_child_continued(struct vproc *p);

/* wait_orphans - p is over: its children get their PR_SET_PDEATHSIG
 * signals and go to the instance's first program (or a subreaper). */
void wait_orphans(struct vproc *p);
/* wait_orphan_reaper - who here takes in an orphan of a forked child that
 * the kernel gave this process, a subreaper (fork.c adopt): the nearest
 * subreaper above its parent ppid (by the placeholder this process has of
 * it, if any), else a program here that asked, else (first: the instance's
 * main process) the first program. NULL: none of them. */
struct vproc *wait_orphan_reaper(int ppid, bool first);
/* wait_take_in - c, a placeholder of such an orphan, is reaper's child
 * now (another's if reaper has just ended), as getppid says there too. */
void wait_take_in(struct vproc *c, struct vproc *reaper);
/* wait_program_ended - then (its last thread, runtime context): its parent
 * gets its signal and may collect its status; an orphan is reaped at once. */
void wait_program_ended(struct vproc *p);

/* wait_child - a child of ut's program named by idtype/id (P_ALL, P_PID,
 * P_PGID) has ended: its status in *res and, unless WNOWAIT, it is reaped.
 * Blocks unless WNOHANG. 0, or -ECHILD, -EINTR (a signal came first). */
long wait_child(struct uthread *ut, int idtype, int id, int options, struct wait_result *res);

/* In a forked child: nobody waits yet. */
void wait_after_fork(void);
