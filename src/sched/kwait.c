/* kwait.c - parking a uthread until a kernel fd is ready, instead of blocking its vCPU. */
#include "sched/kwait.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/log.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "sched/poller.h"
#include "sched/solo.h"
#include "sched/waitq.h"

/* One epoll set for the whole instance, nested in every vCPU's idle set:
 * whichever vCPU is idle when an fd becomes ready harvests it. */
FORK_HOT static int kw_epfd = -1;
FORK_HOT static spinlock_t lock = SPINLOCK_INIT; /* the table */

/*
 * The uthreads waiting on one host fd, parked on its queue with the events
 * they want; registered with EPOLLONESHOT for the union of those while any
 * wait. A registration outlives its waiters
 * (re-armed with a cheap MOD by the next wait): adding an fd costs far more,
 * an epoll fd most (the kernel walks the nested sets for loops each time).
 * The kernel drops it when the file is closed; if the number then names
 * another file, MOD fails with ENOENT and the fd is added again. A file
 * still open elsewhere (dup) may keep an armed registration under its old
 * number: it fires at most once (one-shot), a spurious wakeup its waiters
 * re-check. Entries are never freed, so a harvest may use one unlocked
 * from the table; its queue's lock guards armed and in_epoll.
 */
struct entry {
	int fd;
	uint32_t armed;          /* events armed in epoll; 0 after it fired */
	bool in_epoll;
	bool background;         /* watched for an object, not for a parked uthread (kwait_watch_background) */
	struct waitq waiters;
	struct entry *next;
};

#define NBUCKET 64
static struct entry *table[NBUCKET];
FORK_HOT static int nwaiters;
/* Entries armed for parked uthreads (their waits, or the epoll and poll
 * calls they park in): readiness someone is blocked on. */
FORK_HOT static int narmed;

/* set_armed - e's armed events, under its queue's lock, counted. */
static void set_armed(struct entry *e, uint32_t events)
{
	if (!e->armed != !events && !e->background)
		__atomic_add_fetch(&narmed, events ? 1 : -1, __ATOMIC_RELEASE);
	e->armed = events;
}

FORK_HOT static int watcher = -1; /* the vCPU that sleeps on the shared set, or -1 */

/* harvest - wake the uthreads whose fds became ready. Never blocks; no
 * syscall while nobody waits. */
static bool harvest(struct sched_poller *p)
{
	if (!__atomic_load_n(&nwaiters, __ATOMIC_ACQUIRE))
		return false;
	kwait_drain();
	return false; /* the uthreads it wakes are work the run queues show */
}

static struct sched_poller poller = { .poll = harvest, .vcpu = -1 };

void kwait_init(void)
{
	sched_poller_add(&poller);
}

/* shared_set - the shared set, made at its first use: a forked child that
 * execs or exits at once never watches a kernel fd. */
static int shared_set(void)
{
	int fd = __atomic_load_n(&kw_epfd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	int was = -1;
	fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0)
		pg_die("epoll_create1: %s", strerror(errno));
	if (!__atomic_compare_exchange_n(&kw_epfd, &was, fd, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd); /* made meanwhile by another thread */
		fd = was;
	}
	return fd;
}

int kwait_watcher(void)
{
	return __atomic_load_n(&watcher, __ATOMIC_ACQUIRE);
}

bool kwait_pass_watch(int from, int to)
{
	return from == to || __atomic_compare_exchange_n(&watcher, &from, to, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED);
}

bool kwait_parked(void)
{
	return __atomic_load_n(&narmed, __ATOMIC_ACQUIRE) > 0;
}

bool kwait_busy(void)
{
	return __atomic_load_n(&nwaiters, __ATOMIC_ACQUIRE) > 0;
}

int kwait_busy_fd(void)
{
	return kwait_busy() ? __atomic_load_n(&kw_epfd, __ATOMIC_ACQUIRE) : -1;
}

void kwait_attach(int vcpu_epfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	if (epoll_ctl(vcpu_epfd, EPOLL_CTL_ADD, shared_set(), &ev) < 0)
		pg_die("epoll_ctl: %s", strerror(errno));
}

static struct entry **slot(int fd)
{
	struct entry **pp = &table[(unsigned)fd % NBUCKET];
	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	return pp;
}

/* arm - (re)register e for what its waiters and extra want. e's queue
 * locked. */
static long arm(struct entry *e, uint32_t extra)
{
	uint32_t want = waitq_events_locked(&e->waiters) | extra;
	if (e->armed == want && e->in_epoll)
		return 0;
	struct epoll_event ev = { .events = want | EPOLLONESHOT, .data.u64 = (uint64_t)e->fd << 1 };
	int op = e->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, set = shared_set();
	long r = raw_syscall6(SYS_epoll_ctl, set, op, e->fd, (long)&ev, 0, 0);
	if (r == -ENOENT || r == -EEXIST) /* closed and reopened, or added meanwhile */
		r = raw_syscall6(SYS_epoll_ctl, set, r == -ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
				 e->fd, (long)&ev, 0, 0);
	if (r == 0) {
		e->in_epoll = true;
		set_armed(e, want);
	}
	return r;
}


void kwait_drain(void)
{
	struct epoll_event ev[32];
	int set = __atomic_load_n(&kw_epfd, __ATOMIC_ACQUIRE);
	long n = set >= 0 ? raw_syscall6(SYS_epoll_wait, set, (long)ev, 32, 0, 0, 0) : 0;
	if (n <= 0)
		return;
	for (long i = 0; i < n; i++) {
		spin_lock(&lock);
		struct entry *e = *slot((int)(ev[i].data.u64 >> 1));
		spin_unlock(&lock);
		if (!e)
			continue;
		spin_lock(&e->waiters.lock);
		set_armed(e, 0); /* one-shot: fired and disarmed */
		waitq_wake_locked(&e->waiters, -1, WQ_ALL);
		spin_unlock(&e->waiters.lock);
	}
}

/* entry_of - fd's entry, made on first use. */
static struct entry *entry_of(int fd)
{
	spin_lock(&lock);
	struct entry **pp = slot(fd), *e = *pp;
	if (!e && (e = calloc(1, sizeof(*e)))) {
		e->fd = fd;
		*pp = e;
	}
	spin_unlock(&lock);
	return e;
}

long kwait_fd(int fd, uint32_t events, uint64_t deadline)
{
	/* A vCPU with nothing else to do sleeps in the kernel's own poll,
	 * on the shared set too while others wait there: its readiness parks
	 * this wait the ordinary way, whose harvest drains it. */
	struct pollfd pfd[2] = { { .fd = fd, .events = (short)events }, { .fd = kwait_busy_fd(), .events = POLLIN } };
	struct timespec ts;
	long r = -EAGAIN;
	while (solo_may(deadline)) { /* cut short (a stray signal): look again */
		solo_arm();
		r = solo_call(SYS_ppoll, (long)pfd, pfd[1].fd >= 0 ? 2 : 1, deadline ? (long)&ts : 0, 0, &ts,
			      deadline);
		if (r > 0 && !pfd[0].revents)
			r = -EAGAIN; /* the shared set's */
		if (r != -EINTR)
			break;
	}
	if (r > 0 || r == -EINVAL || r == -ENOMEM)
		return 0; /* ready (or an error its call reports), or cannot wait: retry */
	if (r == 0)
		return -ETIMEDOUT;
	struct entry *e = entry_of(fd);
	if (!e)
		return -ENOMEM;
	/* Errors and hangups wake it whatever it waits for, as the kernel
	 * reports them unasked. */
	struct wq_entry w = { .events = events | EPOLLERR | EPOLLHUP };
	spin_lock(&e->waiters.lock);
	r = arm(e, events);
	if (r < 0) {
		spin_unlock(&e->waiters.lock);
		return r == -EPERM ? 0 : r; /* regular files cannot be polled: ready */
	}
	__atomic_add_fetch(&nwaiters, 1, __ATOMIC_RELEASE);
	r = waitq_park(&e->waiters, &w, deadline, true);
	__atomic_sub_fetch(&nwaiters, 1, __ATOMIC_RELEASE);

	spin_lock(&e->waiters.lock);
	if (!waitq_empty(&e->waiters) && !e->armed)
		arm(e, 0);
	else if (waitq_empty(&e->waiters))
		/* Left armed for nobody (a signal, a timeout): it may fire once
		 * (drained), and the next wait must not trust it: the fd may be
		 * closed and its number reused by then, which MOD then finds. */
		set_armed(e, 0);
	spin_unlock(&e->waiters.lock);
	return r;
}

static long watch(int fd, struct wq_entry *cb, bool background)
{
	struct entry *e = entry_of(fd);
	if (!e)
		return -ENOMEM;
	spin_lock(&e->waiters.lock);
	if (background != e->background) { /* a new file under a used number */
		set_armed(e, 0);
		e->background = background;
	}
	if (!__atomic_load_n(&cb->q, __ATOMIC_RELAXED)) {
		waitq_add_locked(&e->waiters, cb);
		/* A callback counts as a waiter: harvests look for it. */
		__atomic_add_fetch(&nwaiters, 1, __ATOMIC_RELEASE);
	}
	long r = arm(e, 0);
	spin_unlock(&e->waiters.lock);
	return r;
}

long kwait_watch(int fd, struct wq_entry *cb)
{
	return watch(fd, cb, false);
}

long kwait_watch_background(int fd, struct wq_entry *cb)
{
	return watch(fd, cb, true);
}

void kwait_unwatch(struct wq_entry *cb)
{
	/* Only its owner hangs or takes cb off: the test is not racy. */
	struct waitq *q = __atomic_load_n(&cb->q, __ATOMIC_ACQUIRE);
	if (!q)
		return;
	struct entry *e = (struct entry *)((char *)q - offsetof(struct entry, waiters));
	spin_lock(&q->lock);
	waitq_remove_locked(q, cb);
	/* Left armed for nobody: not trusted by the next wait, as in kwait_fd
	 * (the fd may be closed and its number reused by then). */
	if (waitq_empty(q))
		set_armed(e, 0);
	spin_unlock(&q->lock);
	__atomic_sub_fetch(&nwaiters, 1, __ATOMIC_RELEASE);
}

void kwait_after_fork(void)
{
	/* The parent's set is shared with it: a new one. Parked waiters were
	 * other threads', forgotten; callbacks are objects' the child has too
	 * (a listener's outside peers), kept, counted and armed again there:
	 * dropped, their owners' later unwatch took nwaiters below zero, and
	 * kwait_busy() said no while a watch was on (a forked haproxy master
	 * slept in a solo epoll_wait its listener's readiness never cut). */
	if (kw_epfd >= 0)
		close(kw_epfd);
	kw_epfd = -1; /* made again at its first use (shared_set) */
	lock.locked = 0;
	nwaiters = 0;
	narmed = 0;
	watcher = -1;
	for (int i = 0; i < NBUCKET; i++)
		for (struct entry *e = table[i]; e; e = e->next) {
			int kept = waitq_after_fork(&e->waiters);
			e->armed = 0;
			e->in_epoll = false;
			nwaiters += kept;
			if (kept)
				arm(e, 0);
		}
}
