/* timers.c - POSIX timers (timer_create...) whose signals reach the program (and thread) that made them. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/rawsys.h"
#include "core/bigdata.h"
#include "core/spinlock.h"
#include "mm/uaccess.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "proc/timers.h"
#include "proc/cputime.h"
#include "core/timeutil.h"

/*
 * The kernel timer signals the host process; its sigev_value carries a
 * tag naming a slot here, which says which program and thread the signal
 * is for and what value that program asked for. The host signal handler
 * routes it (timers_route). SIGEV_THREAD_ID with a virtual tid, and timer
 * signals of one fused program reaching another, both need this.
 *
 * Periodic timers work as Linux's do: a timer has at most one signal
 * queued, and it is re-armed when that signal is taken, the periods
 * missed meanwhile becoming its overrun. So the host timer is always
 * one-shot and the runtime re-arms it (timers_take). Left periodic, the
 * host timer would signal the runtime every period whatever the program
 * does: a 20 us timer whose signal stays blocked cost a vCPU 50,000 host
 * signals a second, and a handler slower than its period never caught up.
 *
 * ktimer.lock is taken with host signals blocked only (timers_route runs
 * in a host handler): in handlers, in signal_dequeue, and by the calls
 * here through lock_timer().
 */

#define NTIMERS 512
/* The tag: TAG | gen << 16 | slot. */
#define TAG 0x7e9a000000000000ull
#define TAG_MASK 0xffff000000000000ull

struct ktimer {
	int used;            /* atomic: 0 free, 1 being set up, 2 live */
	int host_id;
	struct vproc *p;
	int tid;             /* thread-directed (SIGEV_THREAD_ID), or 0 */
	clockid_t clock;
	union sigval value;  /* what the program asked si_value to be */
	spinlock_t lock;     /* the fields below */
	uint32_t gen;        /* bumped per timer_create: a deleted timer's signal is dropped */
	uint32_t seq;        /* bumped per timer_settime: a signal of an older arming is dropped */
	bool queued;         /* a signal of this arming waits in the program's queue... */
	bool deferred;       /* ...or here, its standard signal's slot being taken */
	siginfo_t held;      /* that signal, while deferred */
	int64_t interval;    /* ns; 0: one-shot */
	int64_t expiry;      /* ns on clock: the current (or last) expiration */
	int last_overrun;    /* of the last signal taken: timer_getoverrun */
	bool itimer;         /* the program's ITIMER_REAL (setitimer, alarm) */
	enum {
		ARM_ABS,     /* the runtime re-arms it, at the next period (absolute) */
		ARM_REL,     /* the same, a period from now: a CPU-time clock, which
			      * is the host thread's that made it, not one to read here */
		ARM_HOST,    /* SIGEV_NONE: no signal, the host timer runs as set */
	} how;
};

static struct ktimer timers[NTIMERS] PG_BIG;
static int nslots_used; /* slots below this were ever taken (a fork resets those) */
static int ndeferred[65];    /* atomic: timers with a deferred signal, by signal */

/* Times in ns saturate at KTIME_MAX (~292 years), as Linux's ktime_t. */
#define KTIME_MAX INT64_MAX

static int64_t ktime_of(const struct timespec *ts)
{
	if (ts->tv_sec >= KTIME_MAX / NSEC_PER_SEC)
		return KTIME_MAX;
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static int64_t ktime_add(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? KTIME_MAX : r;
}

static int64_t clock_now(clockid_t clock)
{
	struct timespec ts = { 0, 0 };
	raw_syscall3(SYS_clock_gettime, clock, &ts, 0);
	return ktime_of(&ts);
}

static struct timespec ns_timespec(int64_t ns)
{
	return (struct timespec){ (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

static bool cpu_clock(clockid_t c)
{
	/* Negative ids are the CPU clocks of a given process or thread. */
	return c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID || c < 0;
}

/* is_tag - does si carry a tag of a timer made here (live or not)? */
static bool is_tag(const siginfo_t *si)
{
	uint64_t tag = (uint64_t)si->si_ptr;
	return si->si_code == SI_TIMER && (tag & TAG_MASK) == TAG && (tag & 0xffff) < NTIMERS;
}

/* slot_of - the slot a tagged signal names (is_tag said it is one). */
static struct ktimer *slot_of(const siginfo_t *si)
{
	return &timers[(uint64_t)si->si_ptr & 0xffff];
}

/* live - is t the live timer the tag names? Stable under t->lock, which
 * timer_create holds while it gives a slot its new generation. */
static bool live(const struct ktimer *t, uint64_t tag)
{
	return __atomic_load_n(&t->used, __ATOMIC_ACQUIRE) == 2 && t->gen == (uint32_t)(tag >> 16);
}

/* lock_timer - take t's lock with host signals blocked (timers_route
 * takes it in a handler). Returns the mask to give unlock_timer. */
static uint64_t lock_timer(struct ktimer *t)
{
	uint64_t mask = signal_hold_host();
	spin_lock(&t->lock);
	return mask;
}

static void unlock_timer(struct ktimer *t, uint64_t mask)
{
	spin_unlock(&t->lock);
	signal_release_host(mask);
}

/* next_period - the first expiration of the series expiry + n * interval
 * after now, and in *k how many periods past expiry that is (0 if expiry
 * is still ahead). As Linux's hrtimer_forward. */
static int64_t next_period(int64_t expiry, int64_t interval, int64_t now, int64_t *k)
{
	*k = 0;
	if (now < expiry)
		return expiry;
	int64_t step;
	*k = (now - expiry) / interval + 1;
	if (__builtin_mul_overflow(*k, interval, &step))
		return KTIME_MAX;
	return ktime_add(expiry, step);
}

/* rearm - arm the host timer for a periodic timer's next period; the
 * overrun of the signal being taken. Lock held. */
static int rearm(struct ktimer *t)
{
	if (t->how == ARM_REL) {
		struct itimerspec its = { { 0, 0 }, ns_timespec(t->interval) };
		raw_syscall6(SYS_timer_settime, t->host_id, 0, &its, 0, 0, 0);
		return 0;
	}
	int64_t k;
	t->expiry = next_period(t->expiry, t->interval, clock_now(t->clock), &k);
	struct itimerspec its = { { 0, 0 }, ns_timespec(t->expiry) };
	raw_syscall6(SYS_timer_settime, t->host_id, TIMER_ABSTIME, &its, 0, 0, 0);
	/* The period that raised the signal is not an overrun. */
	return k > INT_MAX ? INT_MAX : k ? (int)k - 1 : 0;
}

enum timer_route timers_route(siginfo_t *si, struct vproc **p, struct uthread **tgt)
{
	if (!is_tag(si))
		return TIMER_NOT_OURS;
	struct ktimer *t = slot_of(si);
	spin_lock(&t->lock);
	if (!live(t, (uint64_t)si->si_ptr)) {
		/* Its timer was deleted (and the slot maybe reused) since. */
		spin_unlock(&t->lock);
		return TIMER_STALE;
	}
	struct uthread *thread = t->tid ? uthread_by_tid_nolock(t->tid) : NULL;
	if (t->tid && !thread) {
		/* SIGEV_THREAD_ID and the thread is gone: Linux drops it. */
		spin_unlock(&t->lock);
		return TIMER_STALE;
	}
	bool had = t->queued;
	t->queued = true;
	/* The arming this signal belongs to, for timers_take; the host's own
	 * si_overrun is always 0 (its timer is one-shot). */
	si->si_overrun = (int)t->seq;
	spin_unlock(&t->lock);
	if (had)
		return TIMER_STALE;
	*p = t->p;
	*tgt = thread;
	return TIMER_QUEUE;
}

/* goes_on - the timer's signal will not be taken: a periodic timer is
 * re-armed now, as Linux keeps an ignored one going. Lock held. */
static void goes_on(struct ktimer *t)
{
	t->queued = false;
	if (t->interval)
		rearm(t);
}

static void set_deferred(struct ktimer *t, bool on)
{
	if (t->deferred != on)
		__atomic_add_fetch(&ndeferred[t->held.si_signo], on ? 1 : -1, __ATOMIC_SEQ_CST);
	t->deferred = on;
}

/*
 * offer - put the timer's signal in its program's queue; true if queued.
 * Linux queues each timer's signal on its own, even a standard one already
 * pending; here a standard signal has one slot, so a signal that finds it
 * taken waits in the timer (deferred) until the slot's signal is taken,
 * then is offered again (timers_slot_freed). Deferred, then one more try:
 * a taker that freed the slot in between either saw deferred or left the
 * slot free for the second try. Lock held.
 */
static bool offer(struct ktimer *t, struct vproc *p, struct uthread *tgt, const siginfo_t *si)
{
	siginfo_t copy = *si; /* si may be t->held */
	enum sigq r = signal_queue(p, tgt, &copy);
	if (r == SIGQ_MERGED) {
		if (!t->deferred) {
			t->held = copy;
			set_deferred(t, true);
		}
		r = signal_queue(p, tgt, &copy);
		if (r == SIGQ_MERGED)
			return false;
	}
	set_deferred(t, false);
	if (r != SIGQ_QUEUED)
		goes_on(t);
	return r == SIGQ_QUEUED;
}

/* current - is si the signal of t's arming now? Lock held. */
static bool current(const struct ktimer *t, const siginfo_t *si)
{
	return live(t, (uint64_t)si->si_ptr) && (uint32_t)si->si_overrun == t->seq;
}

void timers_queue(struct vproc *p, struct uthread *tgt, const siginfo_t *si)
{
	struct ktimer *t = slot_of(si);
	spin_lock(&t->lock);
	if (current(t, si))
		offer(t, p, tgt, si);
	spin_unlock(&t->lock);
}

void timers_not_queued(const siginfo_t *si)
{
	if (!is_tag(si))
		return;
	struct ktimer *t = slot_of(si);
	spin_lock(&t->lock);
	if (current(t, si))
		goes_on(t);
	spin_unlock(&t->lock);
}

/* rescan - the deferred signals of p's timers for sig: offered again, or
 * (drop: sig is now ignored) given up, their timers going on. */
static void rescan(struct vproc *p, int sig, bool drop)
{
	if (!__atomic_load_n(&ndeferred[sig], __ATOMIC_SEQ_CST))
		return;
	bool woke = false;
	for (int i = 0; i < NTIMERS; i++) {
		struct ktimer *t = &timers[i];
		if (__atomic_load_n(&t->used, __ATOMIC_ACQUIRE) != 2 || t->p != p)
			continue;
		spin_lock(&t->lock);
		/* Checked again under the lock: the slot may have been reused. */
		if (t->used == 2 && t->p == p && t->deferred && t->held.si_signo == sig) {
			struct uthread *tgt = t->tid ? uthread_by_tid_nolock(t->tid) : NULL;
			if (drop || (t->tid && !tgt)) {
				set_deferred(t, false);
				goes_on(t);
			} else {
				woke |= offer(t, p, tgt, &t->held);
			}
		}
		spin_unlock(&t->lock);
	}
	/* Queued from here, not from a host handler: have the thread that
	 * should take it notified on this vCPU's way back to app code. */
	if (woke)
		signal_note_arrival();
}

void timers_slot_freed(struct vproc *p, int sig)
{
	rescan(p, sig, false);
}

void timers_discard(struct vproc *p, int sig)
{
	rescan(p, sig, true);
}

bool timers_take(siginfo_t *si)
{
	if (!is_tag(si))
		return true; /* not one of ours (a program may forge SI_TIMER) */
	struct ktimer *t = slot_of(si);
	spin_lock(&t->lock);
	/* Deleted, set again or disarmed since it was queued: Linux drops it. */
	bool now = current(t, si);
	if (now) {
		t->queued = false;
		si->si_overrun = t->interval ? rearm(t) : 0;
		__atomic_store_n(&t->last_overrun, si->si_overrun, __ATOMIC_RELAXED);
		si->si_value = t->value;
	}
	if (now && t->itimer) {
		/* Linux's it_real_fn sends SIGALRM as the kernel: SI_KERNEL. */
		int sig = si->si_signo;
		memset(si, 0, sizeof(*si));
		si->si_signo = sig;
		si->si_code = SI_KERNEL;
	}
	spin_unlock(&t->lock);
	return now;
}

static long create(struct vproc *p, clockid_t clk, const struct sigevent *sev, int tid, bool itimer,
		   struct ktimer **out);
static void release(struct ktimer *t);
static long settime(struct ktimer *t, int flags, const struct itimerspec *want, struct itimerspec *old);

long sys_timer_create(struct uthread *ut, const long a[6])
{
	struct sigevent sev;
	if (a[1]) {
		if (copy_from_user(&sev, a[1], sizeof(sev)))
			return -EFAULT;
	} else {
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGALRM;
	}
	int tid = 0;
	if (sev.sigev_notify == SIGEV_NONE) {
		/* no signal: nothing to route */
	} else if (sev.sigev_notify == SIGEV_THREAD_ID) {
		struct uthread *t = uthread_by_tid(sev._sigev_un._tid);
		if (!t || t->proc != ut->proc)
			return -EINVAL;
		tid = t->tid;
	} else if (sev.sigev_notify != SIGEV_SIGNAL) {
		return -EINVAL;
	}
	if (sev.sigev_notify != SIGEV_NONE && (sev.sigev_signo < 1 || sev.sigev_signo > 64))
		return -EINVAL;
	/* A process CPU clock named by a virtual pid: the host process's. A
	 * uthread's counted time cannot drive a kernel timer: a thread clock
	 * stays the kernel's (the vCPU thread's, for the caller's own). */
	clockid_t clk = (clockid_t)a[0];
	struct uthread *owner;
	if (clk < 0 && cputime_clock(ut, clk, &clk, &owner) != CPUCLOCK_KERNEL)
		clk = (clockid_t)a[0];
	/* Without a sigevent, Linux puts the timer id in si_value. */
	struct ktimer *t;
	long r = create(ut->proc, clk, &sev, tid, false, &t);
	if (r < 0)
		return r;
	if (!a[1])
		t->value.sival_int = t->host_id;
	if (copy_to_user(a[2], &t->host_id, sizeof(int))) {
		release(t);
		return -EFAULT;
	}
	return 0;
}

/* create - a timer of p's on clk for sev (thread tid or 0), in *out. */
static long create(struct vproc *p, clockid_t clk, const struct sigevent *sev, int tid, bool itimer,
		   struct ktimer **out)
{
	struct sigevent host;
	int slot = -1;
	for (int i = 0; i < NTIMERS && slot < 0; i++) {
		int expect = 0;
		if (__atomic_compare_exchange_n(&timers[i].used, &expect, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			slot = i;
	}
	if (slot < 0)
		return -EAGAIN;
	for (int n = __atomic_load_n(&nslots_used, __ATOMIC_RELAXED); n <= slot;)
		__atomic_compare_exchange_n(&nslots_used, &n, slot + 1, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	memset(&host, 0, sizeof(host));
	host.sigev_notify = sev->sigev_notify == SIGEV_NONE ? SIGEV_NONE : SIGEV_SIGNAL;
	host.sigev_signo = sev->sigev_signo;
	struct ktimer *t = &timers[slot];
	/* Under the lock: a signal of the slot's last timer, still on its way,
	 * sees either all of the old state or the new generation. */
	uint64_t mask = lock_timer(t);
	t->gen++;
	t->seq = 0;
	t->queued = false;
	set_deferred(t, false);
	t->interval = 0;
	__atomic_store_n(&t->last_overrun, 0, __ATOMIC_RELAXED);
	t->clock = clk;
	t->how = sev->sigev_notify == SIGEV_NONE ? ARM_HOST : cpu_clock(t->clock) ? ARM_REL : ARM_ABS;
	t->itimer = itimer;
	unlock_timer(t, mask);
	host.sigev_value.sival_ptr = (void *)(TAG | (uint64_t)t->gen << 16 | slot);
	int id;
	long r = raw_syscall3(SYS_timer_create, clk, &host, &id);
	if (r < 0) {
		__atomic_store_n(&timers[slot].used, 0, __ATOMIC_RELEASE);
		return r;
	}
	t->host_id = id;
	t->p = p;
	t->tid = tid;
	t->value = sev->sigev_value;
	__atomic_store_n(&t->used, 2, __ATOMIC_RELEASE);
	*out = t;
	return 0;
}

/* find - the live timer of the program with this (host) id. */
static struct ktimer *find(struct uthread *ut, long id)
{
	for (int i = 0; i < NTIMERS; i++)
		if (__atomic_load_n(&timers[i].used, __ATOMIC_ACQUIRE) == 2 &&
		    timers[i].host_id == (int)id && timers[i].p == ut->proc && !timers[i].itimer)
			return &timers[i];
	return NULL;
}

/* release - delete t's host timer and free its slot. */
static void release(struct ktimer *t)
{
	raw_syscall3(SYS_timer_delete, t->host_id, 0, 0);
	uint64_t mask = lock_timer(t);
	set_deferred(t, false);
	__atomic_store_n(&t->used, 0, __ATOMIC_RELEASE);
	unlock_timer(t, mask);
}

/* Timer ids are the host's, so one program could name another's timer (or
 * the runtime's own): every call looks the id up among the caller's. */
long sys_timer_delete(struct uthread *ut, const long a[6])
{
	struct ktimer *t = find(ut, a[0]);
	if (!t)
		return -EINVAL;
	release(t);
	return 0;
}

void timers_after_fork(void)
{
	/* Host timers are not inherited: every slot is free in the child.
	 * (Slots never taken are left untouched: no cache misses nor
	 * copy-on-write faults for them.) */
	for (int i = 0; i < nslots_used; i++)
		if (timers[i].used)
			timers[i] = (struct ktimer){ 0 };
}

void timers_release_all(struct vproc *p, bool exec)
{
	for (int i = 0; i < nslots_used; i++)
		if (__atomic_load_n(&timers[i].used, __ATOMIC_ACQUIRE) == 2 && timers[i].p == p &&
		    !(exec && timers[i].itimer))
			release(&timers[i]);
}

/* get_locked - what timer_gettime says. The host timer of a signalling
 * timer is one-shot, so the interval is the runtime's, and a periodic
 * timer whose signal waits to be taken counts down to its next period, as
 * on Linux. */
static long get_locked(struct ktimer *t, struct itimerspec *cur)
{
	long r = raw_syscall3(SYS_timer_gettime, t->host_id, cur, 0);
	if (r < 0 || !t->interval || t->how == ARM_HOST)
		return r;
	cur->it_interval = ns_timespec(t->interval);
	if (!cur->it_value.tv_sec && !cur->it_value.tv_nsec) {
		int64_t k, now = clock_now(t->clock);
		cur->it_value = ns_timespec(t->how == ARM_REL ? t->interval :
					    next_period(t->expiry, t->interval, now, &k) - now);
	}
	return 0;
}

long sys_timer_settime(struct uthread *ut, const long a[6])
{
	struct ktimer *t = find(ut, a[0]);
	if (!t || !a[2])
		return -EINVAL;
	struct itimerspec want, old;
	if (copy_from_user(&want, a[2], sizeof(want)))
		return -EFAULT;
	if (!timespec_valid(&want.it_value) || !timespec_valid(&want.it_interval))
		return -EINVAL;
	long r = settime(t, (int)a[1], &want, a[3] ? &old : NULL);
	if (r == 0 && a[3] && copy_to_user(a[3], &old, sizeof(old)))
		return -EFAULT;
	return r;
}

/* settime - arm (or disarm) t as timer_settime; the old setting in *old. */
static long settime(struct ktimer *t, int flags, const struct itimerspec *wantp, struct itimerspec *oldp)
{
	struct itimerspec want = *wantp, old;
	bool arm = want.it_value.tv_sec || want.it_value.tv_nsec;
	/* A signalling timer's host timer goes off once: see rearm(). */
	struct itimerspec host = want;
	if (t->how != ARM_HOST)
		host.it_interval = (struct timespec){ 0, 0 };
	uint64_t mask = lock_timer(t);
	long r = oldp ? get_locked(t, &old) : 0;
	int64_t now = clock_now(t->clock);
	if (r == 0)
		r = raw_syscall6(SYS_timer_settime, t->host_id, flags, &host, 0, 0, 0);
	if (r == 0) {
		/* A signal of the old arming still queued is dropped when taken. */
		t->seq++;
		t->queued = false;
		set_deferred(t, false);
		__atomic_store_n(&t->last_overrun, 0, __ATOMIC_RELAXED);
		t->interval = arm ? ktime_of(&want.it_interval) : 0;
		t->expiry = flags & TIMER_ABSTIME ? ktime_of(&want.it_value) :
						    ktime_add(now, ktime_of(&want.it_value));
	}
	unlock_timer(t, mask);
	if (r == 0 && oldp)
		*oldp = old;
	return r;
}

long sys_timer_gettime(struct uthread *ut, const long a[6])
{
	struct ktimer *t = find(ut, a[0]);
	if (!t)
		return -EINVAL;
	struct itimerspec cur;
	uint64_t mask = lock_timer(t);
	long r = get_locked(t, &cur);
	unlock_timer(t, mask);
	if (r == 0 && copy_to_user(a[1], &cur, sizeof(cur)))
		return -EFAULT;
	return r;
}

/* timer_getoverrun - the count given with the last signal taken. */
long sys_timer_getoverrun(struct uthread *ut, const long a[6])
{
	struct ktimer *t = find(ut, a[0]);
	if (!t)
		return -EINVAL;
	/* Written under the lock, one int: no need to take it to read. */
	return __atomic_load_n(&t->last_overrun, __ATOMIC_RELAXED);
}

/* ---- ITIMER_REAL: the program's own (setitimer, getitimer, alarm) ---- */

/*
 * Linux keeps one ITIMER_REAL per process; the host process's would be
 * every fused program's at once (one program's alarm() killed another with
 * SIGALRM). So each program's is a timer here, made on first use, routed
 * like a POSIX timer and delivered as the kernel's (SI_KERNEL). It stays
 * across execve and is not inherited by a fork, as Linux's. (Its CPU-time
 * siblings are proc/cputime.c's.)
 */
static struct ktimer *itimer_of(struct vproc *p)
{
	for (int i = 0; i < nslots_used; i++)
		if (__atomic_load_n(&timers[i].used, __ATOMIC_ACQUIRE) == 2 && timers[i].p == p &&
		    timers[i].itimer)
			return &timers[i];
	return NULL;
}

long timers_itimer_real(struct vproc *p, const struct itimerspec *want, struct itimerspec *old)
{
	struct ktimer *t = itimer_of(p);
	bool arm = want && (want->it_value.tv_sec || want->it_value.tv_nsec);
	if (!t && !arm) {
		if (old)
			memset(old, 0, sizeof(*old));
		return 0; /* never armed: nothing to read or disarm */
	}
	if (!t) {
		struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
		long r = create(p, CLOCK_MONOTONIC, &sev, 0, true, &t);
		if (r < 0)
			return r;
	}
	if (!want) {
		uint64_t mask = lock_timer(t);
		long r = get_locked(t, old);
		unlock_timer(t, mask);
		return r;
	}
	return settime(t, 0, want, old);
}
