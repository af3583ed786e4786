/* fdtable.h - a program's virtual file descriptor table. */
#pragma once
#include <stdbool.h>

#include "core/spinlock.h"

/*
 * Each program has its own numbers (lowest free first, as Linux); each entry
 * holds a host fd, so calls on kernel-backed files are translated and passed
 * to the kernel. The entry also has room for a user-space file object
 * (local sockets, pipes between fused programs), which later layers fill.
 * Lookups take no lock: the table is two-level and its pages never move.
 */

#define FDT_PAGE 1024
#define FDT_PAGES 1024 /* up to 1M descriptors, as Linux's default hard limit */

struct vfile;

struct fdent {
	int host;            /* host fd, or -1 when the number is free */
	struct vfile *obj;   /* user-space file object, or NULL (kernel-backed) */
};

struct fdtable {
	spinlock_t lock;     /* writers: install, remove */
	int limit;           /* RLIMIT_NOFILE of the program */
	int hint;            /* no free number below this */
	struct fdent *page[FDT_PAGES];
};

struct fdtable *fdt_new(int limit);

/* fdt_host - the host fd behind vfd, or -EBADF. Lock-free. */
static inline int fdt_host(struct fdtable *t, long vfd)
{
	if (vfd < 0 || vfd >= FDT_PAGE * FDT_PAGES)
		return -9; /* EBADF */
	struct fdent *pg = __atomic_load_n(&t->page[vfd / FDT_PAGE], __ATOMIC_ACQUIRE);
	if (!pg)
		return -9;
	int h = __atomic_load_n(&pg[vfd % FDT_PAGE].host, __ATOMIC_ACQUIRE);
	return h >= 0 ? h : -9;
}

/* Is there a user-space object behind vfd? Lock-free hint for hot paths. */
static inline bool fdt_has_obj(struct fdtable *t, long vfd)
{
	if (vfd < 0 || vfd >= FDT_PAGE * FDT_PAGES)
		return false;
	struct fdent *pg = __atomic_load_n(&t->page[vfd / FDT_PAGE], __ATOMIC_ACQUIRE);
	return pg && __atomic_load_n(&pg[vfd % FDT_PAGE].obj, __ATOMIC_ACQUIRE);
}

/* Install host fd at the lowest free number >= minfd: the vfd or -EMFILE
 * (the caller still owns host then). */
int fdt_install(struct fdtable *t, int host, int minfd);
/* The same with a user-space object (its reference moves to the table). */
int fdt_install_obj(struct fdtable *t, int host, struct vfile *obj, int minfd);
/* The object behind vfd, with a reference the caller puts, or NULL. */
struct vfile *fdt_obj(struct fdtable *t, long vfd);
/* Install host fd at exactly vfd (dup2); returns the host fd previously
 * there (for the caller to close), -1 if none, or -EBADF/-EMFILE. */
int fdt_install_at(struct fdtable *t, int vfd, int host, struct vfile *obj);
/* Free vfd: its host fd (for the caller to close) or -EBADF. */
int fdt_remove(struct fdtable *t, int vfd);
/* The highest vfd in use, or -1. */
int fdt_max(struct fdtable *t);
