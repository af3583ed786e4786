/* syscall_paths.c - what one system call costs on each path.
 *
 * Run natively and under `pegasus run --` by bench/run.sh, under pegasus
 * once per rewrite mode (pattern, the default; zpoline; off: every call
 * trapped by SUD). Each case is the same code in every run, only the path
 * the call takes differs:
 *
 *   getppid_glibc   glibc getppid(). pegasus: virtual, served in user space.
 *   getpid_glibc    glibc getpid() (glibc 2.36 does not cache it): the same.
 *   getuid_glibc    glibc getuid(). pegasus: passed through to the kernel;
 *                   a rewritten site issues it from gate_direct (no save).
 *   getuid_sud_on   natively only: glibc getuid() with Syscall User Dispatch
 *                   on for the thread and every address exempt, i.e. what
 *                   the kernel alone adds to each syscall of a thread under
 *                   any SUD-based runtime (skipped under pegasus, whose SUD
 *                   it is).
 *   pipe_rw_nonblock
 *                   write then read 1 byte on a non-blocking pipe, ns per
 *                   call: passed through with the fd numbers mapped.
 *   getppid_raw     a bare `syscall` instruction (getppid) from inline asm,
 *                   no glibc: what Go or JIT code emits.
 *   tgkill_handled  tgkill() of the calling thread with an empty SIGUSR1
 *                   handler: the delivery and the handler's return. pegasus:
 *                   virtual delivery; glibc's restorer (rt_sigreturn) is a
 *                   site never rewritten, so its call always traps.
 *   clock_gettime_vdso
 *                   clock_gettime(CLOCK_MONOTONIC) through the vDSO: no
 *                   system call on either side; a control that should read
 *                   the same in both columns. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void run_getppid_glibc(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_sink(getppid());
}

static void run_getpid_glibc(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_sink(getpid());
}

static void run_getuid_glibc(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bench_sink(getuid());
}

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

static volatile char sud_selector; /* never read: every address is exempt */

static long sud_switch(int on)
{
	return on ? prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, ~0ul >> 17, &sud_selector)
		  : prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
}

static const char *sud_unavailable(void)
{
	if (sud_switch(1) != 0)
		return "no Syscall User Dispatch for this program (under pegasus it is the runtime's)";
	sud_switch(0);
	return NULL;
}

static void sud_on(void) { sud_switch(1); }
static void sud_off(void) { sud_switch(0); }

static int pipe_fds[2];

static void pipe_open(void)
{
	if (pipe2(pipe_fds, O_NONBLOCK))
		exit(1);
}

static void pipe_close(void)
{
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

static void run_pipe_rw(uint64_t n)
{
	char c = 'x';
	for (uint64_t i = 0; i < n; i++) {
		bench_sink(write(pipe_fds[1], &c, 1));
		bench_sink(read(pipe_fds[0], &c, 1));
	}
}

static void run_getppid_raw(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
		bench_sink(r);
	}
}

static pid_t self_pid, self_tid;
static volatile long handled;
static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void usr1_on(void)
{
	self_pid = getpid();
	self_tid = (pid_t)syscall(SYS_gettid);
	signal(SIGUSR1, on_usr1);
}

static void usr1_off(void)
{
	signal(SIGUSR1, SIG_DFL);
}

static void run_tgkill_handled(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		syscall(SYS_tgkill, self_pid, self_tid, SIGUSR1);
}

static void run_clock_gettime_vdso(uint64_t n)
{
	struct timespec ts;
	for (uint64_t i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		bench_sink(ts.tv_nsec);
	}
}

static const struct bench_case cases[] = {
	{ "getppid_glibc", "glibc getppid(): kernel natively; virtual, in user space under pegasus",
	  run_getppid_glibc },
	{ "getpid_glibc", "glibc getpid() (not cached by glibc 2.36): kernel natively; served in user space under pegasus",
	  run_getpid_glibc },
	{ "getuid_glibc", "glibc getuid(): kernel natively; passed through to the kernel under pegasus",
	  run_getuid_glibc },
	{ "getuid_sud_on", "glibc getuid() with SUD on and every address exempt: the kernel's own SUD cost",
	  run_getuid_glibc, sud_on, sud_off, 0, sud_unavailable },
	{ "pipe_rw_nonblock", "write + read of 1 byte on a non-blocking pipe, ns per call",
	  run_pipe_rw, pipe_open, pipe_close, 2 },
	{ "getppid_raw", "inline-asm `syscall` of getppid, no glibc",
	  run_getppid_raw },
	{ "tgkill_handled", "tgkill() of itself, an empty handler runs and returns (rt_sigreturn)",
	  run_tgkill_handled, usr1_on, usr1_off },
	{ "clock_gettime_vdso", "clock_gettime(CLOCK_MONOTONIC) via the vDSO: no syscall (control)",
	  run_clock_gettime_vdso },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
