/* seccomp.h - a program's seccomp filters, run by the runtime on each of its calls. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct uthread;

/*
 * A thread's filters are a chain, newest first, shared with the threads
 * and programs it made afterwards (as Linux's: a filter is never removed,
 * only added above). Each holds a checked classic BPF program over
 * struct seccomp_data. Mode strict is a chain of its own kind.
 */
struct seccomp_filter;

/* seccomp(2)'s operations and prctl's PR_SET_SECCOMP / PR_GET_SECCOMP. */
long seccomp_set_strict(struct uthread *ut);
long seccomp_set_filter(struct uthread *ut, unsigned flags, uint64_t uprog);
long seccomp_action_avail(uint64_t uaction);
long seccomp_notif_sizes(uint64_t usizes);
/* The thread's mode: 0 none, 1 strict, 2 filter; and its filter count. */
int seccomp_mode(const struct uthread *ut);
int seccomp_count(const struct uthread *ut);

/* seccomp_inherit - t, a new thread or program's first thread made by
 * ut, takes ut's filters. seccomp_drop - ut ends: its reference goes. */
void seccomp_inherit(struct uthread *t, const struct uthread *ut);
void seccomp_drop(struct uthread *ut);

/*
 * seccomp_enter - the filters of ut (which has some) on the call in its
 * trap frame, made from ip (the app's address after its syscall
 * instruction), before anything serves it: true if the call goes on;
 * false if it does not, *ret then its result (an errno the filter chose,
 * ENOSYS for TRACE or USER_NOTIF with no one to hand it to, the number
 * itself with SIGSYS queued for TRAP). A filter's KILL ends the thread or
 * the program here and does not return.
 */
bool seccomp_enter(struct uthread *ut, uint64_t ip, long *ret);
