/* cred.h - a program's user and group ids: Linux's rules for changing them, kept per program. */
#pragma once
#include <stdint.h>

struct uthread;
struct hostcred;

/*
 * The ids are the program's own (struct vproc's cred: an immutable set,
 * replaced on a change), not the host process's: a daemon fused beside
 * others may drop root without taking them along. The kernel thread that
 * runs a program holds its ids (core/hostcred.h), so the kernel checks
 * files, signals and ports as it would for that program.
 *
 * Each call below is the syscall's answer (0, the old fsuid, or -errno),
 * with Linux's permission rules: an effective uid of 0 may set any id,
 * others only to one of their real, effective or saved ids. An id of -1
 * leaves it as it is. The caller's kernel thread takes the new ids at
 * once; the program's other threads as their vCPUs next run them (glibc
 * makes each of them call too).
 */
long cred_setuid(struct uthread *ut, uint32_t uid);
long cred_setgid(struct uthread *ut, uint32_t gid);
long cred_setreuid(struct uthread *ut, uint32_t r, uint32_t e);
long cred_setregid(struct uthread *ut, uint32_t r, uint32_t e);
long cred_setresuid(struct uthread *ut, uint32_t r, uint32_t e, uint32_t s);
long cred_setresgid(struct uthread *ut, uint32_t r, uint32_t e, uint32_t s);
long cred_setfsuid(struct uthread *ut, uint32_t f);
long cred_setfsgid(struct uthread *ut, uint32_t f);
/* groups: n of them (at most HOSTCRED_GROUPS: EINVAL beyond). */
long cred_setgroups(struct uthread *ut, int n, const uint32_t *groups);
