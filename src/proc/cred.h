/* cred.h - a program's user and group ids: Linux's rules for changing them, kept per program. */
#pragma once
#include <stdint.h>

#include <stdbool.h>

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

/*
 * Capabilities, also the program's own (what ids alone gave before: root's
 * rights are its effective capabilities). Changing ids changes them as
 * Linux's cap_emulate_setxuid does, capset and the capability prctls work
 * on them, and execve recomputes them (files with capabilities of their
 * own are not read: their sets count as empty).
 */
bool cred_capable(struct uthread *ut, int cap);
long cred_capget(struct uthread *ut, uint64_t uhdr, uint64_t udata);
long cred_capset(struct uthread *ut, uint64_t uhdr, uint64_t udata);
/* prctl's keep-caps, securebits, bounding and ambient options; any other
 * option answers CRED_NOT_MINE. */
#define CRED_NOT_MINE (-4096 - 1)
long cred_prctl(struct uthread *ut, long option, long a2, long a3, long a4, long a5);
/* At execve, once the new image img is in: the ids and capabilities it
 * gives; *secure when the effective ids differ from the real ones
 * (AT_SECURE). 0 or -ENOMEM. */
struct exec_image;
long cred_exec(struct uthread *ut, const struct exec_image *img, bool *secure);
