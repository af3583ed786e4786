/* fork.h - fork as a host fork: the child process keeps only the forking program, joined to the instance. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "proc/signal.h"

struct uthread;
struct vproc;
struct clone_req;

/**
 * fork_program - fork, and clone without CLONE_VM: the host process forks
 * (the other vCPUs parked meanwhile, so no runtime lock is held by a thread
 * that the child lacks); the child keeps ut's program alone, as a new
 * virtual pid whose parent is ut's program, and returns 0 from the call;
 * the parent gets that pid, and the child's host end becomes its end here
 * (wait4, waitid, SIGCHLD, the exit policy). -ENOSYS for flags it cannot
 * honour, -EAGAIN if the other vCPUs could not be stopped.
 */
long fork_program(struct uthread *ut, const struct clone_req *req);
/* fork_program_itself - the same, but the child is ut's program itself,
 * under its pid and its parent (a program that goes on in a host process
 * of its own, its old one standing in for it: sys_exec.c exec_elsewhere).
 * The pid returned is the child's host process's handle only: it is
 * published nowhere and named by no program (vproc_seen_as). */
long fork_program_itself(struct uthread *ut, const struct clone_req *req);

/* What a layer above proc does around a host fork (entry/rewrite.c: its
 * stubs, in memory shared with the parent, become the child's own, as they
 * were at the fork): prepare (0, or a -errno that fails the fork) with the
 * other vCPUs stopped, then parent in the parent or child first thing in
 * the child. */
extern int (*fork_prepare_hook)(void);
extern void (*fork_parent_hook)(void);
extern void (*fork_child_hook)(void);

/* fork_signal_send - a signal for p, a forked child in another host
 * process, goes there (async-signal-safe). */
enum sigq fork_signal_send(struct vproc *p, const siginfo_t *si);
/* fork_signal_send_to - the same for program vpid of host process host_pid. */
enum sigq fork_signal_send_to(int host_pid, int vpid, const siginfo_t *si);
/* fork_pdeath_send_to - the same for its PR_SET_PDEATHSIG signal, sent
 * by the runtime where its parent ended: the receiving process disarms the
 * kernel's (fork_pdeath_arm), which would send it again. */
enum sigq fork_pdeath_send_to(int host_pid, int vpid, const siginfo_t *si);
/* fork_pdeath_arm - p, the program this forked process was made for, set
 * its parent-death signal: the kernel's too (PR_SET_PDEATHSIG of the
 * host process), so that a parent whose process is SIGKILLed, where no
 * runtime code runs, still sends it. */
void fork_pdeath_arm(const struct vproc *p);
/* fork_pdeath_repeat - si is a parent-death signal (the runtime's, tagged,
 * or the kernel's: SI_USER from the parent's process) that came already:
 * true, and it is dropped. The kernel may send one as each thread of the
 * parent's process dies, and the runtime's may come beside it; the
 * first disarms the kernel's. Async-signal-safe. */
bool fork_pdeath_repeat(const siginfo_t *si);

/* How a forwarded signal travels: the kernel lets a process queue only
 * negative si_codes to another, so SI_USER and SI_KERNEL ride as SI_QUEUE
 * with this tag (16 bits), the target's virtual pid (32) and their code
 * (16) in si_value. */
#define FORK_SIG_TAG 0x5047ull /* "PG" */
#define FORK_PDEATH_TAG 0x5044ull /* "PD": a parent-death signal */
#define FORK_END_TAG 0x5045ull /* "PE": a child's early end (below) */

/*
 * Standard signals do not queue: one sent to a host process while another
 * of its number is pending there is dropped, and for two programs of one
 * process that was the second program's (a group's SIGTERM ended the
 * forked shell but not the command it had spawned beside it: `timeout`
 * left it running). So the tagged ones (a kill's, a group's: codes SI_USER
 * and SI_KERNEL; a sigqueue's own code goes as it is) travel as
 * FORK_SIG_CARRIER, a real-time signal, which queues, the signal itself
 * in si_errno (unused by SI_QUEUE). SIGKILL and SIGSTOP too for a process
 * that runs other programs (a command spawned beside its parent): the
 * kernel's took them all, where the runtime's end or stop the one; for a
 * program alone in its process they stay the kernel's (a stopped process
 * runs no handler: a carried SIGKILL would wait for a SIGCONT). SIGCONT
 * stays the kernel's (only it wakes a stopped process; the runtime
 * catches it), as does a check (signal 0); a carrier the queue has no
 * room for goes as itself.
 * The carrier is SIG_STATS's number, told apart by the tag
 * (sched/preempt.h).
 */
#define FORK_SIG_CARRIER 62

/* fork_signal_uncarry - si came as FORK_SIG_CARRIER: the signal it
 * carries put back in si_signo; whether it carried one. */
static inline bool fork_signal_uncarry(siginfo_t *si)
{
	uint64_t tag = (uint64_t)si->si_value.sival_ptr >> 48;
	if (si->si_signo != FORK_SIG_CARRIER || si->si_code != SI_QUEUE || si->si_errno < 1 ||
	    si->si_errno >= 32 || (tag != FORK_SIG_TAG && tag != FORK_PDEATH_TAG && tag != FORK_END_TAG))
		return false;
	si->si_signo = si->si_errno;
	si->si_errno = 0;
	return true;
}

/*
 * A forked child's program that ends while its host process goes on (a
 * program it vforked or posix_spawned lives there still: a daemon's start)
 * tells its parent's process at once, not at the process's end: a SIGCHLD
 * (carried as FORK_SIG_CARRIER above) with FORK_END_TAG (16 bits), its
 * virtual pid (32) and its wait status (16) in si_value. The parent's wait
 * then ends when Linux's would.
 */

/* fork_tell_ended - if p is the program this forked process was made for,
 * its end (wait status wstatus) is told to its parent's process: whether
 * it was. */
bool fork_tell_ended(const struct vproc *p, int wstatus);

static inline bool fork_end_arrived(const siginfo_t *si)
{
	return si->si_signo == SIGCHLD && si->si_code == SI_QUEUE &&
	       ((uint64_t)si->si_value.sival_ptr >> 48) == FORK_END_TAG;
}
/* fork_subreaper_host - this host process is the kernel's subreaper while
 * a program running here asks to be one (PR_SET_CHILD_SUBREAPER). */
void fork_subreaper_host(void);
/* fork_adopt_strays - host children this process did not fork (orphans the
 * kernel gave it) become placeholders of the programs that take them in
 * (wait.c): a wait that found no child. True if any did. */
bool fork_adopt_strays(void);
/* fork_host_child_note - the kernel's SIGCHLD came (a host signal handler:
 * async-signal-safe): a host child ended, stopped or continued; the vCPU it
 * landed on reaps it, as on a slice tick. */
void fork_host_child_note(void);

/* fork_end_note - such a notice came (a host signal handler: async-signal-
 * safe): a vCPU ends the child's placeholder soon after (a poller). */
void fork_end_note(const siginfo_t *si);

/* fork_signal_arrived - a host signal that came from another process of
 * the instance gets back the si_code it was sent with; returns the virtual
 * pid it is for, or 0 (then it is the first program's, as any signal from
 * outside). Async-signal-safe, no TLS. */
static inline int fork_signal_arrived(siginfo_t *si)
{
	uint64_t v = (uint64_t)si->si_value.sival_ptr;
	if (si->si_code != SI_QUEUE || ((v >> 48) != FORK_SIG_TAG && (v >> 48) != FORK_PDEATH_TAG))
		return 0;
	si->si_code = (int16_t)(v & 0xffff);
	si->si_value.sival_ptr = 0;
	return (int)(uint32_t)(v >> 16);
}
