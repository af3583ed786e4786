/* poller.h - work a vCPU runs between uthreads without knowing what it is (signal arrivals, kernel fds, a NIC). */
#pragma once
#include <stdbool.h>

/*
 * A subsystem that has work to find by looking (host signals queued by a
 * handler, a DPDK port's rx ring) registers a poller; every vCPU loop pass
 * runs the pollers, on an idle vCPU (while it spins) and on a busy one (at
 * each switch and slice tick). The scheduler knows nothing else of them.
 */
struct sched_poller {
	/* Look for work and do it; true if some was found (an idle vCPU then
	 * keeps spinning rather than sleep). Several vCPUs may run it at once. */
	bool (*poll)(struct sched_poller *p);
	/* Optional: work is waiting now. Checked by an idle vCPU right before
	 * it sleeps in the kernel (after announcing it is idle), so work that
	 * a kick would not announce is not left waiting; and before poll, for
	 * a poller with tls. Touches no TLS. */
	bool (*pending)(struct sched_poller *p);
	/* poll calls library code (anything that touches TLS: malloc, stdio,
	 * errno): it runs with the runtime's TLS, loaded only when pending
	 * says there is work. Without it, poll runs on whatever %fs the vCPU
	 * loop holds, which may be a program's (core/fsbase.h). */
	bool tls;
	int vcpu;                   /* the one vCPU that runs it, or -1: all */
	struct sched_poller *next;
};

/* Register p (for good), before or after the vCPUs start. */
void sched_poller_add(struct sched_poller *p);
/* Run the pollers of vCPU id; true if one found work. */
bool sched_pollers_run(int id);
/* Has a poller of vCPU id work waiting? */
bool sched_pollers_pending(int id);
