/* preempt.c - taking the vCPU back from app code: slices and kicks. */
#include "sched/preempt.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "sched/sched.h"
#include "sched/vcpu.h"

/* A per-vCPU CLOCK_MONOTONIC timer that signals this very thread every
 * slice. The handler (host_signals.c) moves app code that has run a whole
 * slice to the gate, where it yields if anything else can run; a blocking
 * call the vCPU makes in place (a tty's read) is cut short, so that the
 * other uthreads and timers of the vCPU still run. Made with the raw call:
 * the handler re-arms it by the kernel's id. */
void preempt_start_vcpu(struct vcpu *v)
{
	v->tick_timer = -1;
	v->tick_paused = false;
	if (!sched_cfg.slice_ns)
		return;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIG_VCPU_KICK;
	sev._sigev_un._tid = v->host_tid;
	int id;
	long r = raw_syscall3(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id);
	if (r < 0) {
		pg_warn("no preemption on vCPU %d: timer_create: %s", v->id, strerror((int)-r));
		return;
	}
	v->tick_timer = id;
	preempt_tick_set(v, true);
}

void preempt_tick_set(struct vcpu *v, bool on)
{
	uint64_t ns = on ? sched_cfg.slice_ns : 0;
	struct itimerspec its = {
		.it_interval = { ns / 1000000000ull, ns % 1000000000ull },
		.it_value = { ns / 1000000000ull, ns % 1000000000ull },
	};
	if (v->tick_timer >= 0)
		raw_syscall6(SYS_timer_settime, v->tick_timer, 0, &its, 0, 0, 0);
	v->tick_paused = !on;
}

void preempt_kick(struct vcpu *v)
{
	raw_syscall3(SYS_tgkill, getpid(), v->host_tid, SIG_VCPU_KICK);
}
