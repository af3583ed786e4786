/* kwait.c - parking a uthread until a kernel fd is ready, instead of blocking its vCPU. */
#include "sched/kwait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "sched/sched.h"

/* One epoll set for the whole instance, nested in every vCPU's idle set:
 * whichever vCPU is idle when an fd becomes ready harvests it. */
static int kw_epfd = -1;
static spinlock_t lock = SPINLOCK_INIT;

struct waiter {
	struct uthread *ut;
	uint32_t events;
	struct waiter *next;
};

/*
 * The uthreads waiting on one host fd; registered with EPOLLONESHOT for the
 * union of their events while any wait. A registration outlives its waiters
 * (re-armed with a cheap MOD by the next wait): adding an fd costs far more,
 * an epoll fd most (the kernel walks the nested sets for loops each time).
 * The kernel drops it when the file is closed; if the number then names
 * another file, MOD fails with ENOENT and the fd is added again. A file
 * still open elsewhere (dup) may keep an armed registration under its old
 * number: it fires at most once (one-shot), a spurious wakeup its waiters
 * re-check.
 */
struct entry {
	int fd;
	uint32_t armed;          /* events armed in epoll; 0 after it fired */
	bool in_epoll;
	struct waiter *waiters;
	struct entry *next;
};

#define NBUCKET 64
static struct entry *table[NBUCKET];
static int nwaiters;

void kwait_init(void)
{
	kw_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (kw_epfd < 0)
		pg_die("epoll_create1: %s", strerror(errno));
}

void kwait_attach(int vcpu_epfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	if (epoll_ctl(vcpu_epfd, EPOLL_CTL_ADD, kw_epfd, &ev) < 0)
		pg_die("epoll_ctl: %s", strerror(errno));
}

static struct entry **slot(int fd)
{
	struct entry **pp = &table[(unsigned)fd % NBUCKET];
	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	return pp;
}

static uint32_t wanted(const struct entry *e)
{
	uint32_t ev = 0;
	for (struct waiter *w = e->waiters; w; w = w->next)
		ev |= w->events;
	return ev;
}

/* arm - (re)register e for what its waiters want. Called with lock held. */
static long arm(struct entry *e)
{
	uint32_t want = wanted(e);
	if (e->armed == want && e->in_epoll)
		return 0;
	struct epoll_event ev = { .events = want | EPOLLONESHOT, .data.u64 = (uint64_t)e->fd << 1 };
	int op = e->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	long r = raw_syscall6(SYS_epoll_ctl, kw_epfd, op, e->fd, (long)&ev, 0, 0);
	if (r == -ENOENT || r == -EEXIST) /* closed and reopened, or added meanwhile */
		r = raw_syscall6(SYS_epoll_ctl, kw_epfd, r == -ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
				 e->fd, (long)&ev, 0, 0);
	if (r == 0) {
		e->in_epoll = true;
		e->armed = want;
	}
	return r;
}

void kwait_harvest(void)
{
	/* Fast path: nobody waits on a kernel fd, no syscall. */
	if (__atomic_load_n(&nwaiters, __ATOMIC_ACQUIRE))
		kwait_drain();
}

void kwait_drain(void)
{
	struct epoll_event ev[32];
	long n = raw_syscall6(SYS_epoll_wait, kw_epfd, (long)ev, 32, 0, 0, 0);
	if (n <= 0)
		return;
	spin_lock(&lock);
	for (long i = 0; i < n; i++) {
		struct entry *e = *slot((int)(ev[i].data.u64 >> 1));
		if (!e)
			continue;
		e->armed = 0; /* one-shot: fired and disarmed */
		for (struct waiter *w = e->waiters; w; w = w->next)
			uthread_wake(w->ut, WAKE_EVENT);
	}
	spin_unlock(&lock);
}

long kwait_fd(struct uthread *ut, int fd, uint32_t events, uint64_t deadline)
{
	struct waiter w = { .ut = ut, .events = events };
	spin_lock(&lock);
	struct entry **pp = slot(fd), *e = *pp;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			spin_unlock(&lock);
			return -ENOMEM;
		}
		e->fd = fd;
		*pp = e;
	}
	w.next = e->waiters;
	e->waiters = &w;
	__atomic_add_fetch(&nwaiters, 1, __ATOMIC_RELEASE);
	long r = arm(e);
	if (r == 0)
		__atomic_store_n(&ut->state, UT_BLOCKED, __ATOMIC_RELAXED);
	spin_unlock(&lock);

	int why = r == 0 ? uthread_sleep(deadline, ~ut->sigmask) : 0;

	spin_lock(&lock);
	struct waiter **wp = &e->waiters;
	while (*wp != &w)
		wp = &(*wp)->next;
	*wp = w.next;
	__atomic_sub_fetch(&nwaiters, 1, __ATOMIC_RELEASE);
	if (e->waiters && !e->armed)
		arm(e);
	else if (!e->waiters)
		/* Left armed for nobody (a signal, a timeout): it may fire once
		 * (drained), and the next wait must not trust it: the fd may be
		 * closed and its number reused by then, which MOD then finds. */
		e->armed = 0;
	spin_unlock(&lock);

	if (r < 0)
		return r == -EPERM ? 0 : r; /* regular files cannot be polled: ready */
	return why == WAKE_SIGNAL ? -EINTR : why == WAKE_TIMEOUT ? -ETIMEDOUT : 0;
}
