/* rawsys.h - the kernel's syscall instruction without glibc's errno or TLS. */
#pragma once

/* pg_syscall6 - issue syscall nr from the SUD-exempt range (core/syscall.S);
 * returns the kernel's value (-errno on failure). Touches no TLS, so it is
 * usable on an app's %fs, unlike syscall(3). */
long pg_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

#define raw_syscall6(nr, a, b, c, d, e, f) \
	pg_syscall6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define raw_syscall3(nr, a, b, c) raw_syscall6(nr, a, b, c, 0, 0, 0)
