/* rawsys.h - the kernel's syscall instruction without glibc's errno or TLS. */
#pragma once

/* pg_syscall6 - issue syscall nr from the SUD-exempt range (core/syscall.S);
 * returns the kernel's value (-errno on failure). Touches no TLS, so it is
 * usable on an app's %fs, unlike syscall(3). */
long pg_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

#define raw_syscall6(nr, a, b, c, d, e, f) \
	pg_syscall6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define raw_syscall3(nr, a, b, c) raw_syscall6(nr, a, b, c, 0, 0, 0)

/* pg_syscall_cuttable - syscall nr (four arguments, the last two 0), unless a
 * host signal's handler cut it short with pg_cut_short: then -EINTR
 * without the call, or the call's own EINTR. *cut is the handler's mark,
 * cleared by the caller before it looks at what would cut the call. */
long pg_syscall_cuttable(long nr, long a0, long a1, long a2, long a3, const volatile int *cut);

/* pg_cut_short - from a host signal handler: mark *cut, and if the
 * interrupted code is about to enter pg_syscall_cuttable's call (or the
 * kernel is to restart it), make it return -EINTR instead. */
static inline void pg_cut_short(volatile int *cut, unsigned long long *rip)
{
	extern char cuttable_window[], cuttable_syscall[], cuttable_cut[];
	*cut = 1;
	if (*rip >= (unsigned long long)cuttable_window && *rip <= (unsigned long long)cuttable_syscall)
		*rip = (unsigned long long)cuttable_cut;
}
