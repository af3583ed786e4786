/* fpoll.h - waiting on many files at once: the engine of poll and select. */
#pragma once
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/waitq.h"

struct vfile;

/* One file of a poll or select call. */
struct fpoll_ent {
	/* A user-space file with a poll op (the caller holds a reference), or
	 * NULL; one without a poll op is always ready. */
	struct vfile *file;
	int host;             /* else its host fd; < 0: not open (POLLNVAL) */
	uint32_t events;      /* POLL* asked; POLLERR and POLLHUP always count
			       * (select's too: an error on an fd of its
			       * exceptfds alone ends its wait with none set,
			       * where Linux's sleeps on; waiting on, a watch
			       * the kernel fires for the error at every arming
			       * would spin) */
	uint32_t revents;     /* out */
	struct wq_entry w, kw;/* fpoll's: on the file's poll head, on kwait */
};

/**
 * fpoll_wait - look at n files (user-space ones through their poll op, the
 * kernel ones with one non-blocking poll); with block, park until one is
 * ready: callbacks on their poll heads, kernel fds (and a file's wait_fd)
 * watched through kwait. @kfds: scratch room for n pollfds.
 * Returns how many have revents, 0 at the deadline (CLOCK_MONOTONIC ns,
 * 0: none), or -EINTR when the uthread's interrupt word (armed by the
 * caller) is set.
 */
long fpoll_wait(struct fpoll_ent *ents, int n, struct pollfd *kfds, bool block, uint64_t deadline);

/* fpoll_unhook - take n files' callbacks off their poll heads and kwait
 * (entries fpoll_wait set up, or with w.q and kw.q NULL). A fork's child
 * does so for the calls of threads it does not have: left there, a kwait
 * entry kept its old armed state after its fd closed, and the next file
 * under that number was never armed (a reply lost, uthread.held). */
void fpoll_unhook(struct fpoll_ent *ents, int n);
