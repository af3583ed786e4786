/* preempt.c - taking the vCPU back from app code: slices and kicks. */
#include "sched/preempt.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "sched/sched.h"

/* A per-vCPU CLOCK_MONOTONIC timer that signals this very thread every
 * slice. The handler (host_signals.c) moves app code that has run a whole
 * slice to the gate, where it yields if anything else can run. */
void preempt_start_vcpu(struct vcpu *v)
{
	if (!sched_cfg.slice_ns)
		return;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIG_VCPU_KICK;
	sev._sigev_un._tid = v->host_tid;
	timer_t t;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) < 0) {
		pg_warn("no preemption on vCPU %d: timer_create failed", v->id);
		return;
	}
	struct itimerspec its = {
		.it_interval = { sched_cfg.slice_ns / 1000000000ull, sched_cfg.slice_ns % 1000000000ull },
		.it_value = { sched_cfg.slice_ns / 1000000000ull, sched_cfg.slice_ns % 1000000000ull },
	};
	timer_settime(t, 0, &its, NULL);
}

void preempt_kick(struct vcpu *v)
{
	raw_syscall3(SYS_tgkill, getpid(), v->host_tid, SIG_VCPU_KICK);
}
