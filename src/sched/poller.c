/* poller.c - work a vCPU runs between uthreads without knowing what it is (signal arrivals, kernel fds, a NIC). */
#include "sched/poller.h"

#include <stddef.h>

#include "sched/sched.h"

/* A list only ever pushed at its head: runners read it without a lock. */
static struct sched_poller *pollers;

void sched_poller_add(struct sched_poller *p)
{
	p->next = __atomic_load_n(&pollers, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&pollers, &p->next, p, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

static bool mine(const struct sched_poller *p, int id)
{
	return p->vcpu < 0 || p->vcpu == id;
}

bool sched_pollers_run(int id)
{
	bool found = false;
	for (struct sched_poller *p = __atomic_load_n(&pollers, __ATOMIC_ACQUIRE); p; p = p->next) {
		if (!mine(p, id))
			continue;
		if (p->tls) {
			if (p->pending && !p->pending(p))
				continue;
			sched_runtime_tls();
		}
		found |= p->poll(p);
	}
	return found;
}

bool sched_pollers_pending(int id)
{
	for (struct sched_poller *p = __atomic_load_n(&pollers, __ATOMIC_ACQUIRE); p; p = p->next)
		if (mine(p, id) && p->pending && p->pending(p))
			return true;
	return false;
}
