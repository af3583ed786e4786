/* fdtable.h - a program's virtual file descriptor table. */
#pragma once
#include <sys/stat.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/spinlock.h"

/*
 * Each program has its own numbers (lowest free first, as Linux). An entry
 * holds a host fd (a kernel file: calls are translated and passed to the
 * kernel), a host fd and a user-space object (a kernel file with
 * overrides), or an object alone (fs/vfile.h); a number is free when it has
 * neither. Lookups take no lock: the table is two-level and its pages
 * never move. The first FDT_DIRECT pages hang off the table itself, the
 * rest off a directory made at the first fd past them: a table is small
 * (it lives on after its program is reaped, and every fork copies it).
 */

#define FDT_PAGE 1024
#define FDT_PAGES 1024 /* up to 1M descriptors, as Linux's default hard limit */
#define FDT_DIRECT 4   /* pages reached from the table itself: fds 0..4095 */

struct vfile;

struct fdent {
	int host;            /* host fd, or -1: none */
	/* With a host fd: its O_NONBLOCK as last read, gen << 2 | flag << 1
	 * | file (0: unknown); flag 1 also for a regular file opened here,
	 * whose calls never wait for readiness (sys_file.c), and then file 1
	 * unless O_NONBLOCK is set too. Without: the entry's FD_CLOEXEC
	 * (with a host fd, that flag is the host fd's own). 16 bytes an
	 * entry: gate.S indexes them. */
	uint32_t nb;
	struct vfile *obj;   /* user-space file object, or NULL (kernel-backed) */
};

/* fdt_remove/fdt_install_at: the entry had an object and no host fd. */
#define FDT_NOHOST (-4096)
/* The host fd of an entry an open under way holds (fdt_reserve): no file
 * to any call (EBADF), taken by no install, EBUSY to dup2. */
#define FDT_RESERVED (-2)

/*
 * O_NONBLOCK of a kernel-backed fd, cached so that a call on a non-blocking
 * fd goes straight to the kernel (which answers EAGAIN itself) without a
 * fcntl or a readiness probe first. The flag lives in the open file
 * description, which dup'ed fds (of any program) share: so any F_SETFL or
 * FIONBIO through pegasus bumps fdt_flags_gen and every cached value is
 * read again before it is used. A process outside the instance that shares
 * the description and flips the flag is not seen (see docs/DECISIONS.md).
 */
extern uint32_t fdt_flags_gen;

struct fdtable {
	spinlock_t lock;     /* writers: install, remove */
	int limit;           /* RLIMIT_NOFILE of the program */
	int hint;            /* no free number below this */
	int top;             /* no number at or above this was ever used */
	struct fdent *page[FDT_DIRECT];
	struct fdent **more; /* pages FDT_DIRECT.. : NULL until one is needed */
};

struct fdtable *fdt_new(int limit);
/* Free an emptied table (its program was reaped). */
void fdt_free(struct fdtable *t);

static inline struct fdent *fdt_ent(struct fdtable *t, long vfd)
{
	if (vfd < 0 || vfd >= FDT_PAGE * FDT_PAGES)
		return 0;
	long i = vfd / FDT_PAGE;
	struct fdent **dir = t->page;
	if (i >= FDT_DIRECT) {
		dir = __atomic_load_n(&t->more, __ATOMIC_ACQUIRE);
		if (!dir)
			return 0;
		i -= FDT_DIRECT;
	}
	struct fdent *pg = __atomic_load_n(&dir[i], __ATOMIC_ACQUIRE);
	return pg ? &pg[vfd % FDT_PAGE] : 0;
}

/* fdt_host - the host fd behind vfd, or -EBADF. Lock-free. */
static inline int fdt_host(struct fdtable *t, long vfd)
{
	struct fdent *e = fdt_ent(t, vfd);
	int h = e ? __atomic_load_n(&e->host, __ATOMIC_ACQUIRE) : -1;
	return h >= 0 ? h : -9; /* EBADF */
}

/* fdent_nonblock - the entry's cached O_NONBLOCK: 1 or 0, -1 if not known
 * since the last flag change anywhere. */
static inline int fdent_nonblock(const struct fdent *e)
{
	uint32_t nb = __atomic_load_n(&e->nb, __ATOMIC_ACQUIRE);
	if (nb >> 2 != __atomic_load_n(&fdt_flags_gen, __ATOMIC_ACQUIRE))
		return -1;
	return nb >> 1 & 1;
}

/* fdent_o_nonblock - is the entry's O_NONBLOCK itself known to be set (not
 * only noted for a regular file that never waits)? As fdent_nonblock, no
 * call: true for a non-blocking socket or pipe, whose calls never wait. */
static inline bool fdent_o_nonblock(const struct fdent *e)
{
	uint32_t nb = __atomic_load_n(&e->nb, __ATOMIC_ACQUIRE);
	return nb >> 2 == __atomic_load_n(&fdt_flags_gen, __ATOMIC_ACQUIRE) && (nb & 3) == 2;
}

/* fdent_regular_file - is the entry noted as a regular file opened here
 * (without O_NONBLOCK: one with it is noted as non-blocking alone)? */
static inline bool fdent_regular_file(const struct fdent *e)
{
	uint32_t nb = __atomic_load_n(&e->nb, __ATOMIC_ACQUIRE);
	return nb >> 2 == __atomic_load_n(&fdt_flags_gen, __ATOMIC_ACQUIRE) && (nb & 3) == 3;
}

/* fdt_nonblock - the same for vfd (-1 for a number with no entry).
 * Lock-free, no call: usable on the lean path. */
static inline int fdt_nonblock(struct fdtable *t, long vfd)
{
	struct fdent *e = fdt_ent(t, vfd);
	return e ? fdent_nonblock(e) : -1;
}

/* fdt_query_nonblock - O_NONBLOCK of vfd (host fd host), cached; 1 also when
 * F_GETFL fails (the call itself then reports the error). */
int fdt_query_nonblock(struct fdtable *t, long vfd, int host);

/* fdt_note_nonblock - vfd, still host fd host, has O_NONBLOCK nb as of
 * generation gen (fdt_flags_gen read before the flag was: a new open's
 * own flag, or F_GETFL's answer); file: without it, a regular file that
 * never waits (fdt_file_never_waits), noted as non-blocking too. */
void fdt_note_nonblock(struct fdtable *t, long vfd, int host, uint32_t gen, bool nb, bool file);
/* fdt_file_never_waits - a file of this stat whose reads and writes never
 * wait for readiness: regular, and not empty (/proc/kmsg and tracefs's
 * trace_pipe are regular and empty, and wait). Noted as non-blocking. */
static inline bool fdt_file_never_waits(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size > 0;
}
/* fdt_flags_changed - after an F_SETFL or FIONBIO: forget every cached flag. */
void fdt_flags_changed(void);

/* Is there a user-space object behind vfd? Lock-free hint for hot paths. */
static inline bool fdt_has_obj(struct fdtable *t, long vfd)
{
	struct fdent *e = fdt_ent(t, vfd);
	return e && __atomic_load_n(&e->obj, __ATOMIC_ACQUIRE);
}

/* Install host fd at the lowest free number >= minfd: the vfd or -EMFILE
 * (the caller still owns host then). */
int fdt_install(struct fdtable *t, int host, int minfd);
/* The same with a user-space object (its reference moves to the table on
 * success); host may be -1 (an object alone), whose entry then keeps
 * fdflags (FD_CLOEXEC). */
int fdt_install_obj(struct fdtable *t, int host, struct vfile *obj, int minfd, int fdflags);
/* The object behind vfd, with a reference the caller puts, or NULL. */
struct vfile *fdt_obj(struct fdtable *t, long vfd);
/* Install at exactly vfd (dup2); returns the host fd previously there (for
 * the caller to close), FDT_NOHOST if none, or -EBADF/-EMFILE. */
int fdt_install_at(struct fdtable *t, int vfd, int host, struct vfile *obj, int fdflags);
/* fdt_inherit_at - the same past the limit too: an fd a program starts
 * with, as Linux keeps fds above a lowered RLIMIT_NOFILE. */
int fdt_inherit_at(struct fdtable *t, int vfd, int host, struct vfile *obj, int fdflags);
/* Free vfd: its host fd (for the caller to close), FDT_NOHOST if it had
 * none (its object is put), or -EBADF if free. */
int fdt_remove(struct fdtable *t, int vfd);
/* fdt_reserve - hold the lowest free number for an open under way, as
 * Linux's get_unused_fd: the number, or -EAGAIN where that needs an
 * allocation or passes the limit (fdt_install says what). Then exactly
 * one of fdt_fill_reserved (its host fd) or fdt_unreserve. No library
 * code: the mid path opens files. */
int fdt_reserve(struct fdtable *t);
void fdt_fill_reserved(struct fdtable *t, int vfd, int host);
void fdt_unreserve(struct fdtable *t, int vfd);
/* The same for an entry with a host fd and no object (whose put may call
 * anything): -EAGAIN, nothing changed, for one with an object. */
int fdt_remove_plain(struct fdtable *t, int vfd);
/* FD_CLOEXEC of an entry without a host fd; -EBADF for others. */
int fdt_get_fdflags(struct fdtable *t, long vfd);
int fdt_set_fdflags(struct fdtable *t, long vfd, int fdflags);
/* fdt_settle - vfd's object moved into the kernel (its host_file op): the
 * entry gets a kernel fd of its own (a dup, with the entry's FD_CLOEXEC),
 * which every call then uses; the object stays with the entry (its epoll
 * items and waiters follow the kernel file from then on) until the entry
 * is closed. The host fd, or -errno. */
int fdt_settle(struct fdtable *t, long vfd);
/* The highest vfd in use, or -1. */
int fdt_max(struct fdtable *t);
