/* solo.h - a uthread with its vCPU to itself waits in the kernel's own call instead of parking. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct vcpu;

struct wq_entry;

/* solo_may - might a solo_call now wait (nothing else wants the calling
 * uthread's vCPU before deadline)? Loads only: a wait that cannot be solo
 * skips the setting up (a set's locks, a callback on its queue). */
bool solo_may(uint64_t deadline);

/* solo_arm - the calling uthread is about to make a solo_call: from now
 * on a readiness that solo_woken hears of cuts that call short. */
void solo_arm(void);

/**
 * solo_call - make blocking host call nr (a wait on kernel fds: epoll_pwait2,
 * ppoll; a fifth argument of 0) on the calling uthread's vCPU, if nothing
 * else can want that vCPU before deadline (CLOCK_MONOTONIC ns, 0: none):
 * nothing queued, no timer due, no poller's work, no signal for the
 * uthread. Kernel fds watched for others (kwait_busy_fd) are the caller's
 * to wait on beside its own, parking when they fire: a server's listener
 * stays watched while it waits on its clients. One system call where parking costs
 * four (kwait's registration, the idle wait, the harvest, the look after).
 * What would want the vCPU meanwhile (a kick, a signal, a slice tick)
 * comes as a host signal, which cuts the call short (vcpu.solo_cut).
 *
 * @ts: the timespec the call's arguments point at, filled in here from
 * deadline (NULL when deadline is 0).
 *
 * Returns the call's result; -EINTR: cut short (look again, and arm again
 * before the next call); or -EAGAIN: not now (something else wants the
 * vCPU, or came for the uthread): park instead, which sees to it.
 */
long solo_call(long nr, long a0, long a1, long a2, long a3, struct timespec *ts,
	       uint64_t deadline);

/* solo_woken - a wait queue callback: cut short the solo call (or the
 * next one, if armed and not yet made) of entry e's uthread (e->ut). */
void solo_woken(struct wq_entry *e, uint32_t events);

/* solo_signal - from a host signal handler on a vCPU: if its uthread is in
 * solo_call, cut the call short (rip: the interrupted context's). */
void solo_signal(struct vcpu *v, unsigned long long *rip);
