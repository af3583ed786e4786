/* sys_time.c - sleeping calls, served so that only the program's signals wake them; CPU-time clocks. */
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "proc/cputime.h"
#include "proc/signal.h"
#include "sched/vcpu.h"
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
