/* offload.c - worker threads for calls that can only block inside the kernel. */
#include "sched/offload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/hostcred.h"
#include "core/hthread.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "sched/preempt.h"
#include "sched/sched.h"
#include "sched/vcpu.h"
#include "sched/waitq.h"

#define MAX_WORKERS 256

struct job {
	long nr, a[6];
	const struct hostcred *cred; /* its program's ids (NULL: pegasus's) */
	long result;
	int worker_tid;          /* who runs it, for interruption (under mu) */
	int done;                /* under done_q's lock (or set by its own uthread
	                          * when no worker ever took it) */
	struct waitq done_q;     /* its uthread, parked until done */
	struct job *next;
};

FORK_HOT static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
FORK_HOT static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
FORK_HOT static struct job *head, *tail;
FORK_HOT static int nworkers, nidle, nqueued;

static void *worker_main(void *arg)
{
	/* Workers take no host signal but the one that interrupts their call
	 * (hthread_start): no runtime handler that needs a vCPU runs on them. */
	int tid = syscall(SYS_gettid);
	/* Unknown: a thread starts with its creator's ids, which may be a
	 * program's (a vCPU running it made this worker). */
	const struct hostcred *held = NULL;

	pthread_mutex_lock(&mu);
	for (;;) {
		while (!head) {
			nidle++;
			pthread_cond_wait(&cv, &mu);
			nidle--;
		}
		struct job *j = head;
		head = j->next;
		if (!head)
			tail = NULL;
		nqueued--;
		j->worker_tid = tid;
		pthread_mutex_unlock(&mu);

		/* The call runs with its program's ids, as on its vCPU. */
		const struct hostcred *want = j->cred ? j->cred : hostcred_initial();
		if (want != held) {
			hostcred_apply(want);
			held = want;
		}
		j->result = raw_syscall6(j->nr, j->a[0], j->a[1], j->a[2], j->a[3], j->a[4], j->a[5]);

		pthread_mutex_lock(&mu);
		/* Under mu: the interrupter reads worker_tid under mu too, so it
		 * never signals this thread once it has moved to another job. */
		j->worker_tid = 0;
		pthread_mutex_unlock(&mu);
		/* j lives on its uthread's stack: after this unlock it may be gone
		 * (the parker takes the same lock to leave the queue). */
		spin_lock(&j->done_q.lock);
		j->done = 1;
		waitq_wake_locked(&j->done_q, -1, WQ_ALL);
		spin_unlock(&j->done_q.lock);
		pthread_mutex_lock(&mu);
	}
	return NULL;
}

static void spawn_worker(void)
{
	if (hthread_start(NULL, 64 << 10, 1, SIG_WORKER_INTR, worker_main, NULL) == 0)
		nworkers++;
}

void offload_init(void)
{
	pthread_mutex_lock(&mu);
	spawn_worker();
	pthread_mutex_unlock(&mu);
}

/* unqueue - take a job no worker has started off the queue; false if a
 * worker has it. mu held. */
static bool unqueue(struct job *j)
{
	struct job **pp = &head, *prev = NULL;
	while (*pp && *pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return false;
	*pp = j->next;
	if (tail == j)
		tail = prev;
	nqueued--;
	return true;
}

/* interrupt - a signal for the program cuts the call short, as in the
 * kernel: the worker's call is interrupted, a job not started is dropped. */
static void interrupt(struct job *j)
{
	pthread_mutex_lock(&mu);
	if (j->worker_tid) {
		raw_syscall3(SYS_tgkill, getpid(), j->worker_tid, SIG_WORKER_INTR);
	} else if (unqueue(j)) {
		j->result = -EINTR;
		j->done = 1;
	}
	pthread_mutex_unlock(&mu);
}

long offload_syscall(long nr, const long a[6])
{
	struct job j = { .nr = nr };
	memcpy(j.a, a, sizeof(j.a));
	struct uthread *ut = uthread_self_or_null();
	if (ut && ut->credp)
		j.cred = __atomic_load_n(ut->credp, __ATOMIC_ACQUIRE);

	pthread_mutex_lock(&mu);
	if (tail)
		tail->next = &j;
	else
		head = &j;
	tail = &j;
	nqueued++;
	/* Every queued call may block for ever (flock, a FIFO's open): never
	 * let one wait behind another. Idle workers not yet woken for the
	 * calls queued before count as taken. */
	if (nqueued > nidle && nworkers < MAX_WORKERS)
		spawn_worker();
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);

	/* Interruptible until interrupted; then wait until the worker lets
	 * go of j (it is on this stack). */
	bool interrupted = false;
	spin_lock(&j.done_q.lock);
	while (!j.done) {
		struct wq_entry w = { .events = WQ_ALL };
		if (waitq_park(&j.done_q, &w, 0, !interrupted) == -EINTR && !interrupted) {
			interrupted = true;
			interrupt(&j);
		}
		spin_lock(&j.done_q.lock);
	}
	spin_unlock(&j.done_q.lock);
	return j.result;
}

void offload_after_fork(void)
{
	/* The workers and their jobs (other threads' calls) are the parent's;
	 * the child starts one when it first needs one. */
	pthread_mutex_init(&mu, NULL);
	pthread_cond_init(&cv, NULL);
	head = tail = NULL;
	nworkers = nidle = nqueued = 0;
}
