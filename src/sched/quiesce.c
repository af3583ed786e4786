/* quiesce.c - stopping every other vCPU at a safe point (for a host fork), and the child's scheduler. */
#include "sched/quiesce.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "core/spinlock.h"
#include "sched/futex.h"
#include "sched/kwait.h"
#include "sched/offload.h"
#include "sched/preempt.h"
#include "sched/sched.h"
#include "sched/timer.h"

int sched_stopping;
static int nparked;
static spinlock_t stop_lock; /* one stopper at a time */

#define STOP_TIMEOUT_NS 1000000000ull

static void futex_call(int *word, int op, int val, long timeout_ns)
{
	struct { long s, ns; } ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
	raw_syscall6(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, timeout_ns ? (long)&ts : 0, 0, 0);
}

void sched_park(void)
{
	__atomic_add_fetch(&nparked, 1, __ATOMIC_SEQ_CST);
	futex_call(&nparked, FUTEX_WAKE, 1, 0);
	while (__atomic_load_n(&sched_stopping, __ATOMIC_ACQUIRE))
		futex_call(&sched_stopping, FUTEX_WAIT, 1, 0);
	__atomic_sub_fetch(&nparked, 1, __ATOMIC_SEQ_CST);
}

/* kick_others - every other vCPU leaves what it does for its loop: an idle
 * one through its eventfd, a busy one through its kick signal (app code
 * goes to the gate and yields; runtime code yields on its way back). */
static void kick_others(struct vcpu *self)
{
	for (int i = 0; i < sched_cfg.nvcpus; i++) {
		struct vcpu *v = vcpus[i];
		if (v == self)
			continue;
		vcpu_kick(v);
		preempt_kick(v);
	}
}

int sched_stop_others(void)
{
	/* Another vCPU stops the world: let it (this one parks meanwhile). */
	while (!spin_trylock(&stop_lock))
		uthread_yield();
	struct vcpu *self = vcpu_self();
	int want = sched_cfg.nvcpus - 1;
	__atomic_store_n(&sched_stopping, 1, __ATOMIC_SEQ_CST);
	uint64_t deadline = now_ns() + STOP_TIMEOUT_NS;
	for (;;) {
		int n = __atomic_load_n(&nparked, __ATOMIC_SEQ_CST);
		if (n == want)
			return 0;
		if (now_ns() > deadline) {
			sched_resume_others();
			return -EAGAIN;
		}
		kick_others(self);
		futex_call(&nparked, FUTEX_WAIT, n, 1000000);
	}
}

void sched_resume_others(void)
{
	__atomic_store_n(&sched_stopping, 0, __ATOMIC_SEQ_CST);
	futex_call(&sched_stopping, FUTEX_WAKE, 0x7fffffff, 0);
	/* The next stopper counts parkers afresh: wait for these to leave. */
	while (__atomic_load_n(&nparked, __ATOMIC_SEQ_CST))
		__builtin_ia32_pause();
	spin_unlock(&stop_lock);
}

void sched_after_fork(void)
{
	struct vcpu *v = vcpu_self();
	sched_stopping = 0;
	nparked = 0;
	spin_unlock(&stop_lock);
	/* One vCPU: the child runs one program, usually one thread; a vCPU
	 * thread more per fork would cost more than most children run. */
	v->id = 0;
	vcpus[0] = v;
	sched_cfg.nvcpus = 1;
	v->host_tid = (int)raw_syscall3(SYS_gettid, 0, 0, 0);
	v->rq_head = v->rq_tail = NULL;
	v->rq_len = 0;
	spin_unlock(&v->rq_lock); /* an offload worker may have held it */
	v->idle = false;
	/* The parent's eventfd and epoll set are shared with it: new ones. */
	close(v->kick_fd);
	close(v->epfd);
	timer_after_fork();
	futex_after_fork();
	offload_after_fork();
	kwait_after_fork();
	sched_setup_idle(v);
	sched_enter(v);
	preempt_start_vcpu(v);
}
