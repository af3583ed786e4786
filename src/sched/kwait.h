/* kwait.h - parking a uthread until a kernel fd is ready, instead of blocking its vCPU. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The shared set, and its poller (sched/poller.h). */
void kwait_init(void);
/* Put the shared readiness set into a vCPU's idle epoll set (the one it
 * sleeps on as the watcher). */
void kwait_attach(int vcpu_epfd);
/*
 * One vCPU, the watcher, sleeps on the shared set when idle; the others
 * sleep on their kicks alone, so a ready fd wakes one kernel thread (the
 * policy is sched.c's). kwait_pass_watch moves the role from one vCPU (-1:
 * none) to another if it is still from's.
 */
int kwait_watcher(void);
bool kwait_pass_watch(int from, int to);
/* Is a parked uthread waiting for a kernel fd's readiness (a wait, or an
 * epoll or poll call it parks in)? */
bool kwait_parked(void);
/* Is anything (a parked uthread, an object's callback) waiting on a
 * kernel fd, for whichever vCPU harvests the shared set? */
bool kwait_busy(void);
/* kwait_busy_fd - the shared set's fd while kwait_busy, else -1: what a
 * solo wait (sched/solo.h) waits on beside its own fds. */
int kwait_busy_fd(void);
/* Wake the uthreads whose fds became ready (a poller does it while any
 * waits); also when nobody waits: an idle vCPU whose epoll set says the
 * shared set is readable empties it, so a registration that fired for
 * nobody leaves it. */
void kwait_drain(void);

/**
 * kwait_fd - park the calling uthread until host fd is ready for events
 * (EPOLLIN/EPOLLOUT), its interrupt word is set (signal_arm_wait), or
 * deadline (ns, 0: none). Returns 0 (ready, or worth retrying), -EINTR,
 * -ETIMEDOUT.
 */
long kwait_fd(int fd, uint32_t events, uint64_t deadline);

struct wq_entry;

/**
 * kwait_watch - hang callback cb (func set; events: EPOLLIN/EPOLLOUT) on
 * host fd's readiness, or re-arm it if it is hung already and fired: the
 * callback runs once per firing, from the vCPU that harvests it, under the
 * fd's queue lock. Returns 0, or -errno (-EPERM: fd cannot be polled).
 */
long kwait_watch(int fd, struct wq_entry *cb);
/* The same for an object's own kernel part, watched while nobody is
 * parked on it (a listener's kernel socket): its readiness alone does not
 * ask for a watching vCPU (kwait_parked). */
long kwait_watch_background(int fd, struct wq_entry *cb);
/* kwait_unwatch - take cb off again (a no-op if it is not hung). */
void kwait_unwatch(struct wq_entry *cb);
/* In a forked child (sched_after_fork): the parent's set let go (a new one
 * at the first use), no waiters but the objects' callbacks, armed again. */
void kwait_after_fork(void);
