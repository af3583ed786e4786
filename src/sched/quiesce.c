/* quiesce.c - stopping every other vCPU at a safe point (for a host fork), and the child's scheduler. */
#include "sched/quiesce.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "sched/futex.h"
#include "sched/kwait.h"
#include "sched/offload.h"
#include "sched/preempt.h"
#include "sched/sched.h"
#include "sched/timer.h"

FORK_HOT int sched_stopping;
static int park_seq;       /* one more per vCPU that parks: the stopper waits on it */
FORK_HOT static spinlock_t stop_lock; /* one stopper at a time */

#define STOP_TIMEOUT_NS 1000000000ull

static void futex_call(int *word, int op, int val, long timeout_ns)
{
	struct { long s, ns; } ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
	raw_syscall6(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, timeout_ns ? (long)&ts : 0, 0, 0);
}

/* The parker leaves as soon as its stop is over: the stopper does not wait
 * for it (waking a sleeping thread costs more than the fork), and a stop
 * made before it left is another number, which it parks for afresh. */
void sched_park(void)
{
	struct vcpu *v = vcpu_self();
	int gen = __atomic_load_n(&sched_stopping, __ATOMIC_ACQUIRE);
	if (!(gen & 1))
		return;
	__atomic_store_n(&v->parked_gen, gen, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&park_seq, 1, __ATOMIC_SEQ_CST);
	futex_call(&park_seq, FUTEX_WAKE, 1, 0);
	while (__atomic_load_n(&sched_stopping, __ATOMIC_ACQUIRE) == gen)
		futex_call(&sched_stopping, FUTEX_WAIT, gen, 0);
}

void sched_leave_idle(struct vcpu *v)
{
	int asleep = VCPU_ASLEEP;
	while (!__atomic_compare_exchange_n(&v->idle, &asleep, VCPU_AWAKE, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST)) {
		futex_call(&v->idle, FUTEX_WAIT, VCPU_CLAIMED, 0);
		asleep = VCPU_ASLEEP;
	}
}

/* stopped - is v parked for this stop, or claimed asleep? Claiming costs a
 * compare-and-swap where a kick would cost two wake-ups. */
static bool stopped(struct vcpu *v, int gen)
{
	if (v->claimed || __atomic_load_n(&v->parked_gen, __ATOMIC_SEQ_CST) == gen)
		return true;
	int asleep = VCPU_ASLEEP;
	v->claimed = __atomic_compare_exchange_n(&v->idle, &asleep, VCPU_CLAIMED, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return v->claimed;
}

int sched_stop_others(void)
{
	/* Another vCPU stops the world: let it (this one parks meanwhile). */
	while (!spin_trylock(&stop_lock))
		uthread_yield();
	struct vcpu *self = vcpu_self();
	int gen = __atomic_add_fetch(&sched_stopping, 1, __ATOMIC_SEQ_CST);
	uint64_t deadline = 0;
	for (;;) {
		int seq = __atomic_load_n(&park_seq, __ATOMIC_SEQ_CST);
		bool all = true;
		for (int i = 0; i < sched_cfg.nvcpus; i++) {
			struct vcpu *v = vcpus[i];
			if (v == self || stopped(v, gen))
				continue;
			/* Out of what it does, to its loop: an idle one (woken
			 * meanwhile) through its eventfd, a busy one through its
			 * kick signal (app code goes to the gate and yields;
			 * runtime code yields on its way back). */
			vcpu_kick(v);
			preempt_kick(v);
			all = false;
		}
		if (all)
			return 0;
		if (!deadline) {
			deadline = now_ns() + STOP_TIMEOUT_NS;
		} else if (now_ns() > deadline) {
			sched_resume_others();
			return -EAGAIN;
		}
		futex_call(&park_seq, FUTEX_WAIT, seq, 1000000);
	}
}

void sched_resume_others(void)
{
	__atomic_add_fetch(&sched_stopping, 1, __ATOMIC_SEQ_CST);
	futex_call(&sched_stopping, FUTEX_WAKE, 0x7fffffff, 0);
	for (int i = 0; i < sched_cfg.nvcpus; i++) {
		struct vcpu *v = vcpus[i];
		if (!v->claimed)
			continue;
		v->claimed = false;
		__atomic_store_n(&v->idle, VCPU_ASLEEP, __ATOMIC_SEQ_CST);
		futex_call(&v->idle, FUTEX_WAKE, 1, 0);
	}
	spin_unlock(&stop_lock);
}

void sched_after_fork(void)
{
	struct vcpu *v = vcpu_self();
	sched_stopping = 0;
	spin_unlock(&stop_lock);
	/* One vCPU: the child runs one program, usually one thread; a vCPU
	 * thread more per fork would cost more than most children run. */
	v->id = 0;
	vcpus[0] = v;
	sched_cfg.nvcpus = 1;
	/* No spinning when idle: with one vCPU no other can hand it work,
	 * what wakes it comes through the kernel anyway, and a spin takes a
	 * CPU from the parent and the siblings it works with (a pipeline of
	 * three forked programs: 1.79 s spinning 50 us, 0.37 s not; Linux
	 * 0.23 s). */
	sched_cfg.poll_ns = 0;
	v->host_tid = (int)raw_syscall3(SYS_gettid, 0, 0, 0);
	v->rq_head = v->rq_tail = NULL;
	v->rq_len = 0;
	spin_unlock(&v->rq_lock); /* an offload worker may have held it */
	v->idle = VCPU_AWAKE;
	v->claimed = false;
	/* The parent's eventfd and epoll sets are shared with it: a new kick
	 * now (sched_setup_idle), the sets at the first sleep (sched.c
	 * idle_sets) and kwait's at its first use. */
	close(v->kick_fd);
	if (v->epfd >= 0) {
		close(v->epfd);
		close(v->epfd_kw);
	}
	timer_after_fork();
	futex_after_fork();
	offload_after_fork();
	kwait_after_fork();
	sched_setup_idle(v);
	sched_enter(v);
	preempt_start_vcpu(v);
}
