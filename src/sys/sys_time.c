/* sys_time.c - sleeping calls, served so that only the program's signals wake them; CPU-time clocks. */
#include <errno.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/cputime.h"
#include "proc/signal.h"
#include "proc/timers.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/systab.h"
#include "sched/sched.h"
#include "core/timeutil.h"

/* sleep_until - wait for the CLOCK_MONOTONIC deadline or a signal that runs
 * a handler; on interruption report the time left through rem. */
static long sleep_until(struct uthread *ut, uint64_t deadline, long rem)
{
	long r = signal_wait(ut, ~ut->sigmask, deadline);
	if (r == -EINTR && rem) {
		uint64_t now = now_ns();
		struct timespec left = { 0, 0 };
		if (deadline > now)
			left = timespec_add_ns(left, deadline - now);
		if (copy_to_user(rem, &left, sizeof(left)))
			return -EFAULT;
	}
	return r;
}

long sys_nanosleep(struct uthread *ut, const long a[6])
{
	struct timespec req;
	if (copy_from_user(&req, a[0], sizeof(req)))
		return -EFAULT;
	if (!timespec_valid(&req))
		return -EINVAL;
	return sleep_until(ut, deadline_after(&req), a[1]);
}

long sys_clock_nanosleep(struct uthread *ut, const long a[6])
{
	clockid_t clk = a[0];
	struct timespec req;
	if (copy_from_user(&req, a[2], sizeof(req)))
		return -EFAULT;
	if (!timespec_valid(&req))
		return -EINVAL;
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
	    clk != CLOCK_TAI) {
		/* CPU-time and other clocks: rare, served by the kernel (a
		 * process clock named by a virtual pid: the host process's). */
		clockid_t k = clk;
		struct uthread *t;
		if (clk < 0 && cputime_clock(ut, clk, &k, &t) != CPUCLOCK_KERNEL)
			k = clk;
		return raw_syscall6(SYS_clock_nanosleep, k, a[1], a[2], a[3], 0, 0);
	}
	/* An absolute time on clk becomes a monotonic deadline. */
	if (a[1] & TIMER_ABSTIME)
		return sleep_until(ut, deadline_at(clk, &req), 0);
	return sleep_until(ut, deadline_after(&req), a[3]);
}

/* clock_gettime and clock_getres: a CPU-time clock id may name a program
 * or a thread by its virtual id (glibc's clock_getcpuclockid,
 * pthread_getcpuclockid): proc/cputime.c says what it is. The usual clocks
 * are the vDSO's and rarely get here. */
long sys_clock_gettime(struct uthread *ut, const long a[6])
{
	clockid_t k;
	struct uthread *t;
	long r = cputime_clock(ut, (clockid_t)a[0], &k, &t);
	if (r < 0)
		return r;
	struct timespec ts;
	if (r == CPUCLOCK_UTHREAD)
		ts = timespec_add_ns((struct timespec){ 0, 0 }, (long)cputime_thread_ns(ut, t));
	else if ((r = raw_syscall3(SYS_clock_gettime, k, &ts, 0)) < 0)
		return r;
	return copy_to_user(a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(struct uthread *ut, const long a[6])
{
	clockid_t k;
	struct uthread *t;
	long r = cputime_clock(ut, (clockid_t)a[0], &k, &t);
	if (r < 0)
		return r;
	struct timespec ts;
	/* A thread clock: the kernel's answer for the caller's own. */
	if ((r = raw_syscall3(SYS_clock_getres, k, &ts, 0)) < 0)
		return r;
	return a[1] && copy_to_user(a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

/* ---- setitimer, getitimer, alarm: each program's own (ITIMER_REAL: proc/timers.c; the CPU ones: proc/cputime.c) ---- */

static struct timespec tv_ts(struct timeval tv)
{
	return (struct timespec){ tv.tv_sec, tv.tv_usec * 1000 };
}

/* ts_tv - a remaining time as getitimer gives it: in µs, truncated, and
 * 1 µs rather than 0 while it still runs (Linux's itimer_get_remtime). */
static struct timeval ts_tv(struct timespec ts)
{
	struct timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
	if (!tv.tv_sec && !tv.tv_usec && ts.tv_nsec)
		tv.tv_usec = 1;
	return tv;
}

static bool tv_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

/* itimer - set (want) or read the program's timer which in itimerval terms. */
static long itimer(struct uthread *ut, int which, const struct itimerval *want, struct itimerval *old)
{
	struct itimerspec w, o;
	if (want)
		w = (struct itimerspec){ tv_ts(want->it_interval), tv_ts(want->it_value) };
	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	long r = which == ITIMER_REAL ? timers_itimer_real(ut->proc, want ? &w : NULL, &o)
				      : cputime_itimer(ut, which, want ? &w : NULL, &o);
	if (r == 0 && old)
		*old = (struct itimerval){ ts_tv(o.it_interval), ts_tv(o.it_value) };
	return r;
}

long sys_setitimer(struct uthread *ut, const long a[6])
{
	/* A null new value disarms (Linux's compatibility rule). */
	struct itimerval want = { { 0, 0 }, { 0, 0 } }, old;
	if (a[1] && copy_from_user(&want, a[1], sizeof(want)))
		return -EFAULT;
	if (!tv_valid(&want.it_value) || !tv_valid(&want.it_interval))
		return -EINVAL;
	long r = itimer(ut, (int)a[0], &want, &old);
	if (r == 0 && a[2] && copy_to_user(a[2], &old, sizeof(old)))
		return -EFAULT;
	return r;
}

long sys_getitimer(struct uthread *ut, const long a[6])
{
	struct itimerval cur;
	long r = itimer(ut, (int)a[0], NULL, &cur);
	if (r == 0 && copy_to_user(a[1], &cur, sizeof(cur)))
		return -EFAULT;
	return r;
}

/* alarm - seconds left of the old alarm, rounded as Linux's alarm_setitimer. */
long sys_alarm(struct uthread *ut, const long a[6])
{
	struct itimerval want = { { 0, 0 }, { (unsigned)a[0], 0 } }, old = { { 0, 0 }, { 0, 0 } };
	if (itimer(ut, ITIMER_REAL, &want, &old) < 0)
		return 0;
	long secs = old.it_value.tv_sec;
	if ((!secs && old.it_value.tv_usec) || old.it_value.tv_usec >= 500000)
		secs++;
	return secs;
}
