/* syscall_paths.c - what one system call costs on each path.
 *
 * Run natively and under `pegasus run --` by bench/run.sh; each case is
 * the same code in both runs, only the path the call takes differs:
 *
 *   getppid_glibc   glibc getppid(). Linux: a kernel call. pegasus: trapped
 *                   by SUD (SIGSYS) and served by the runtime (getppid is
 *                   virtual, emulated).
 *   getpid_glibc    glibc getpid() (glibc 2.36 does not cache it). Linux: a
 *                   kernel call. pegasus: trapped, served in user space.
 *   getuid_glibc    glibc getuid(). pegasus: trapped, then passed through to
 *                   the kernel (class PASS): the trap plus a real syscall.
 *   getppid_raw     a bare `syscall` instruction (getppid) from inline asm,
 *                   no glibc: what Go or JIT code emits.
 *   clock_gettime_vdso
 *                   clock_gettime(CLOCK_MONOTONIC) through the vDSO: no
 *                   system call on either side; a control that should read
 *                   the same in both columns.
 *
 * Later cases (raw syscall vs rewritten sites, futex ping-pong, thread
 * create+join) go in their own programs with the same bench.h protocol. */
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

static void run_getppid_raw(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
		bench_sink(r);
	}
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
	{ "getppid_glibc", "glibc getppid(): kernel natively; SUD trap + emulation under pegasus",
	  run_getppid_glibc },
	{ "getpid_glibc", "glibc getpid() (not cached by glibc 2.36): kernel natively; served in user space under pegasus",
	  run_getpid_glibc },
	{ "getuid_glibc", "glibc getuid(): kernel natively; SUD trap + pass-through to the kernel under pegasus",
	  run_getuid_glibc },
	{ "getppid_raw", "inline-asm `syscall` of getppid, no glibc",
	  run_getppid_raw },
	{ "clock_gettime_vdso", "clock_gettime(CLOCK_MONOTONIC) via the vDSO: no syscall (control)",
	  run_clock_gettime_vdso },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
