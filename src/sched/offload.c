/* offload.c - worker threads for calls that can only block inside the kernel. */
#include "sched/offload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/hthread.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "sched/preempt.h"
#include "sched/sched.h"

#define MAX_WORKERS 256

struct job {
	long nr, a[6];
	long result;
	struct uthread *ut;
	int worker_tid;          /* who runs it, for interruption (under mu) */
	int done;                /* under mu */
	struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static int nworkers, nidle, nqueued;

static void *worker_main(void *arg)
{
	/* Workers take no host signal but the one that interrupts their call
	 * (hthread_start): no runtime handler that needs a vCPU runs on them. */
	int tid = syscall(SYS_gettid);

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

		j->result = raw_syscall6(j->nr, j->a[0], j->a[1], j->a[2], j->a[3], j->a[4], j->a[5]);

		pthread_mutex_lock(&mu);
		/* Under mu: the interrupter reads worker_tid under mu too, so it
		 * never signals this thread once it has moved to another job. */
		j->worker_tid = 0;
		j->done = 1;
		uthread_wake(j->ut, WAKE_EVENT);
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

/* unqueue - take a job no worker has started off the queue. mu held. */
static void unqueue(struct job *j)
{
	struct job **pp = &head, *prev = NULL;
	while (*pp && *pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = j->next;
	if (tail == j)
		tail = prev;
	nqueued--;
}

long offload_syscall(struct uthread *ut, long nr, const long a[6])
{
	struct job j = { .nr = nr, .ut = ut };
	memcpy(j.a, a, sizeof(j.a));

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

	/* done and the uthread's state change under mu: the worker's wake,
	 * also under mu, always finds the uthread either done or asleep. */
	bool interrupted = false;
	while (!j.done) {
		__atomic_store_n(&ut->state, UT_BLOCKED, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&mu);
		int why = uthread_sleep(0, interrupted ? 0 : ~ut->sigmask);
		pthread_mutex_lock(&mu);
		if (why == WAKE_SIGNAL && !interrupted && !j.done) {
			/* A signal for the program cuts the call short, as in the
			 * kernel; then wait until the worker lets go of j. */
			interrupted = true;
			if (j.worker_tid) {
				raw_syscall3(SYS_tgkill, getpid(), j.worker_tid, SIG_WORKER_INTR);
			} else {
				unqueue(&j);
				j.result = -EINTR;
				j.done = 1;
			}
		}
	}
	pthread_mutex_unlock(&mu);
	return j.result;
}
