/* systab.h - the syscall table: number -> name, class, handler, argument kinds. */
#pragma once
#include <stdint.h>

#include "sched/vcpu.h" /* SYS_FRAME_REPLACED, SYS_RESTART, syscall_result */

struct uthread;

enum sys_class { CLS_NONE, CLS_EMU, CLS_PASS, CLS_OFFL, CLS_NOSYS, CLS_DENY };

/* How the tracer prints an argument and how the dispatcher maps it. */
enum arg_kind {
	A_END, A_INT, A_UINT, A_SIZE, A_HEX, A_FD, A_DIRFD, A_PATH, A_STR,
	A_IBUF, A_OBUF, A_OFLAGS, A_MODE, A_PROT, A_MFLAGS, A_SIG, A_PID,
	A_HOW, A_CLOCK,
	A_MSEC,   /* int timeout in ms */
	A_TSPEC,  /* struct timespec *timeout */
	A_SIGSET, /* sigset_t * applied for the call's duration (size follows) */
	A_SIGSET6,/* pselect6's { sigset_t *, size } */
	A_CMODE,  /* mode of a file being created: the program's umask applies */
	A_IOV,    /* struct iovec array */
	A_MSGFLAGS, /* send/recv flags: MSG_DONTWAIT makes the call not wait */
};

enum sys_flags {
	SF_NORESTART = 1 << 0, /* EINTR after a handler, even with SA_RESTART */
	SF_NOREWRITE = 1 << 1, /* its call sites are never rewritten */
	SF_WAIT_IN = 1 << 2,   /* may block until fd (arg 0) is readable */
	SF_WAIT_OUT = 1 << 3,  /* may block until fd (arg 0) is writable */
	SF_RETFD = 1 << 5,     /* returns a new fd: a host fd becomes a program's fd */
	/* Offloaded calls made in place, without a worker's two thread switches: */
	SF_OFFL_NB = 1 << 6,   /* when fd (arg 0) is non-blocking: it cannot wait for room then */
	SF_OFFL_ALONE = 1 << 7, /* by the only thread of its process: a disk flush, which Linux
				 * does not interrupt either, leaves its vCPU nothing else to run */
};

/* sys_arg - an argument as the kernel reads it: an int (fd, pid, signal,
 * flags...) is the register's low 32 bits, whatever the caller left above
 * them (libev passes an fd whose register still holds a generation count
 * in its upper half; the kernel's wrappers drop it). */
static inline long sys_arg(uint8_t kind, long v)
{
	switch (kind) {
	case A_FD: case A_DIRFD: case A_PID: case A_SIG: case A_OFLAGS: case A_HOW: case A_CLOCK:
	case A_MSEC:
		return (int)v;
	case A_UINT: case A_MSGFLAGS: case A_CMODE: case A_MODE:
		return (unsigned)v;
	default:
		return v;
	}
}

typedef long (*sys_handler_t)(struct uthread *ut, const long a[6]);

struct sysent {
	const char *name;
	uint8_t cls;
	uint8_t flags;
	uint8_t args[6];
	sys_handler_t handler;
};

#define SYS_MAX 512


extern const struct sysent systab[SYS_MAX];

static inline const struct sysent *systab_get(long nr)
{
	if ((unsigned long)nr >= SYS_MAX || !systab[nr].name)
		return 0;
	return &systab[nr];
}

const char *sys_class_name(int cls);

/* Handlers, declared from the list. Emulated calls must have one; a
 * translated or offloaded call may have one when its arguments need more
 * than the generic mapping (fd arrays, fd pairs, paths in /proc). Weak, so
 * that a missing one is NULL: systab_check() refuses a missing EMU one. */
#define X(name, cls, flags, ...) \
	long sys_##name(struct uthread *ut, const long a[6]) __attribute__((weak));
#include "sys/systab_list.h"
#undef X

/* Abort at startup if an emulated call has no handler. */
void systab_check(void);
