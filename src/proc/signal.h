/* signal.h - virtual signals: queueing, dispositions and Linux-format frames. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uthread;
struct vproc;
struct sysent;

#define SIGBIT(sig) (1ull << ((sig) - 1))
/* Signals no program may block or catch. */
#define SIG_UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

enum sigq {
	SIGQ_QUEUED,  /* pending now, with this siginfo */
	SIGQ_MERGED,  /* a standard signal already pending: this one is folded into it */
	SIGQ_DROPPED, /* ignored and not blocked (or no such signal): gone, as on Linux */
	SIGQ_FULL,    /* a real-time signal found its queue full: EAGAIN */
};

/* Queue a signal for a process (tgt == NULL) or one of its threads.
 * Async-signal-safe: the runtime's host signal handlers call it. */
enum sigq signal_queue(struct vproc *p, struct uthread *tgt, const siginfo_t *si);
/* signal_news - does a queueing that said q need signal_notify? Not for a
 * standard signal merged into a pending one (Linux's legacy_queue wakes
 * no one: a signalfd in an ET set saw a second edge), but always for
 * SIGCONT and SIGKILL, whose effects on a stopped program come first
 * (prepare_signal), pending or not. */
static inline bool signal_news(enum sigq q, int sig)
{
	return q == SIGQ_QUEUED || (q == SIGQ_MERGED && (sig == SIGCONT || sig == SIGKILL));
}
/* signal_queue_if_gone - a signal sent to pegasus from outside, whose
 * program (the first) p has ended (or is NULL): queued for every program
 * still alive instead, true. False (nothing queued) if p lives on.
 * Async-signal-safe. */
bool signal_queue_if_gone(struct vproc *p, const siginfo_t *si);
/* signal_queue_other_roots - queued for every live command-line program
 * but first. Async-signal-safe. */
void signal_queue_other_roots(struct vproc *first, const siginfo_t *si);
/* signal_queue_group_here - queued for every live program of process
 * group pgid that runs in this host process (a forked child's process
 * takes the terminal's signals itself). Async-signal-safe. */
void signal_queue_group_here(int pgid, const siginfo_t *si);

/* A synchronous fault in app code: delivered now, even if blocked or
 * ignored (then the default action kills the program, as on Linux). */
void signal_force_fault(struct uthread *ut, const siginfo_t *si);

/* Block every host signal on this thread, and give the mask back: a
 * runtime handler would otherwise race with a queue being changed, or spin
 * on a timer lock this thread holds. */
uint64_t signal_hold_host(void);
void signal_release_host(uint64_t mask);

/* Drop every pending instance of sig in p and its threads (it is now
 * ignored); their timers go on. */
void signal_discard(struct vproc *p, int sig);
/* signal_send - kill(2)'s and tgkill(2)'s queueing: a stop signal first
 * flushes a pending SIGCONT (prepare_signal), then si is queued and, if
 * that was news (signal_news), the program told. Not from a host signal
 * handler (it takes the program's lock). */
enum sigq signal_send(struct vproc *p, struct uthread *tgt, const siginfo_t *si);

/* Take signal sig off the thread's or the process's queue. */
bool signal_dequeue(struct uthread *ut, int sig, siginfo_t *info);

/* Is a signal pending that would run a handler or end the program? */
int signal_next_deliverable(struct uthread *ut);

/* Deliver pending unblocked signals into the trap frame before returning to
 * app code: a handler frame, or the program's end. */
void signal_deliver_pending(struct uthread *ut);

/* A call served by the kernel returned -EINTR because a host signal arrived:
 * decide what the app sees, as Linux does for that call. Returns the value
 * to give the app, or 1 to mean "issue the call again". */
long signal_after_eintr(struct uthread *ut, bool restartable);

/* signal_interrupted - the same for a call about to be issued again: 0 to
 * issue it again (nothing ends it, the program is not exiting), else the
 * value the app gets. */
long signal_interrupted(struct uthread *ut, bool restartable);

/* A wait of a call that a handler always ends with EINTR (SF_NORESTART:
 * poll, select, epoll_wait) was interrupted: true when no handler runs and
 * the program goes on, so the wait goes on (Linux's ERESTARTNOHAND). */
bool signal_wait_goes_on(struct uthread *ut, bool restartable);

/* A call-scoped mask (ppoll, pselect6, epoll_pwait): it replaces the mask
 * until the call returns and, if a handler runs, until that handler's
 * frame restores the old one. uset NULL: nothing to do. 0 or -errno. */
long signal_call_mask(struct uthread *ut, uint64_t uset, long size);
/* The call ends with ret: unless it is -EINTR (a handler then runs under the
 * call's mask, which its frame saves), the old mask is back at once, so a
 * signal the call's mask let through waits (Linux's
 * restore_saved_sigmask_unless). */
void signal_call_mask_end(struct uthread *ut, long ret);

/**
 * signal_arm_wait - before an interruptible wait (sched/waitq.h): the
 * signals in wake end it. Sets the uthread's interrupt word if one is
 * pending already; signal_notify sets it when one comes. Cheap when the
 * same mask was armed last and nothing came since.
 */
void signal_arm_wait(struct uthread *ut, uint64_t wake);

/* Park the uthread until a signal in `wake` is pending or the
 * CLOCK_MONOTONIC deadline (ns; 0: none) passes. 0 on timeout, -EINTR. */
long signal_wait(struct uthread *ut, uint64_t wake, uint64_t deadline);

/* Pending signals of the thread and its process. */
uint64_t signal_pending_mask(const struct uthread *ut);
/* The pending signals ut itself may take now (a process's signal is the
 * main thread's unless it cannot take it): what the gate delivers. */
uint64_t signal_deliverable_mask(const struct uthread *ut);

/* After signal_queue() in normal context: wake or kick the thread that
 * should take it (tgt, or some thread of p). */
void signal_notify(struct vproc *p, struct uthread *tgt);

/* ut's mask grew from `before`: a process-directed signal it now blocks
 * goes to another thread, as Linux's retarget_shared_pending(). */
void signal_retarget(struct uthread *ut, uint64_t before);

/* Host handlers queue and note an arrival; normal context then notifies
 * (on the way back to app code, or from the poller signal_init registers). */
void signal_note_arrival(void);
bool signal_arrivals_pending(void);
void signal_process_arrivals(void);
void signal_init(void);

/* Make the runtime's host signal handlers catch what programs may get. */
void signal_install_host_handlers(void);

