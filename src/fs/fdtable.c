/* fdtable.c - a program's virtual file descriptor table. */
#include "fs/fdtable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "core/log.h"
#include "core/rawsys.h"
#include "fs/vfile.h"

struct fdtable *fdt_new(int limit)
{
	struct fdtable *t = calloc(1, sizeof(*t));
	if (!t)
		pg_die("out of memory");
	t->limit = limit;
	return t;
}

static struct fdent *page_of(struct fdtable *t, int vfd, bool create)
{
	struct fdent **slot = &t->page[vfd / FDT_PAGE];
	struct fdent *pg = *slot;
	if (!pg && create) {
		pg = malloc(FDT_PAGE * sizeof(*pg));
		if (!pg)
			return NULL;
		for (int i = 0; i < FDT_PAGE; i++)
			pg[i] = (struct fdent){ .host = -1 };
		/* Release: a lock-free reader that sees the page sees it filled. */
		__atomic_store_n(slot, pg, __ATOMIC_RELEASE);
	}
	return pg;
}

int fdt_install(struct fdtable *t, int host, int minfd)
{
	return fdt_install_obj(t, host, NULL, minfd);
}

struct vfile *fdt_obj(struct fdtable *t, long vfd)
{
	if (vfd < 0 || vfd >= FDT_PAGE * FDT_PAGES)
		return NULL;
	spin_lock(&t->lock);
	struct fdent *pg = t->page[vfd / FDT_PAGE];
	struct vfile *f = pg && pg[vfd % FDT_PAGE].host >= 0 ? vfile_get(pg[vfd % FDT_PAGE].obj) : NULL;
	spin_unlock(&t->lock);
	return f;
}

int fdt_install_obj(struct fdtable *t, int host, struct vfile *obj, int minfd)
{
	spin_lock(&t->lock);
	int vfd = minfd > t->hint ? minfd : t->hint;
	for (; vfd < t->limit && vfd < FDT_PAGE * FDT_PAGES; vfd++) {
		struct fdent *pg = page_of(t, vfd, true);
		if (!pg)
			break;
		if (pg[vfd % FDT_PAGE].host < 0) {
			pg[vfd % FDT_PAGE].obj = obj;
			pg[vfd % FDT_PAGE].nb = 0;
			__atomic_store_n(&pg[vfd % FDT_PAGE].host, host, __ATOMIC_RELEASE);
			if (minfd <= t->hint)
				t->hint = vfd + 1;
			spin_unlock(&t->lock);
			return vfd;
		}
	}
	spin_unlock(&t->lock);
	return -EMFILE;
}

int fdt_install_at(struct fdtable *t, int vfd, int host, struct vfile *obj)
{
	if (vfd < 0 || vfd >= t->limit || vfd >= FDT_PAGE * FDT_PAGES)
		return -EBADF;
	spin_lock(&t->lock);
	struct fdent *pg = page_of(t, vfd, true);
	if (!pg) {
		spin_unlock(&t->lock);
		return -EMFILE;
	}
	int old = pg[vfd % FDT_PAGE].host;
	struct vfile *oldobj = pg[vfd % FDT_PAGE].obj;
	pg[vfd % FDT_PAGE].obj = obj;
	__atomic_store_n(&pg[vfd % FDT_PAGE].nb, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&pg[vfd % FDT_PAGE].host, host, __ATOMIC_RELEASE);
	spin_unlock(&t->lock);
	vfile_put(oldobj);
	return old;
}

int fdt_remove(struct fdtable *t, int vfd)
{
	if (vfd < 0 || vfd >= FDT_PAGE * FDT_PAGES)
		return -EBADF;
	spin_lock(&t->lock);
	struct fdent *pg = page_of(t, vfd, false);
	int old = pg ? pg[vfd % FDT_PAGE].host : -1;
	struct vfile *obj = NULL;
	if (old >= 0) {
		obj = pg[vfd % FDT_PAGE].obj;
		pg[vfd % FDT_PAGE].obj = NULL;
		__atomic_store_n(&pg[vfd % FDT_PAGE].host, -1, __ATOMIC_RELEASE);
		if (vfd < t->hint)
			t->hint = vfd;
	}
	spin_unlock(&t->lock);
	vfile_put(obj);
	return old >= 0 ? old : -EBADF;
}

/* Starts at 1: a zeroed entry (nb == 0) is never current. */
uint32_t fdt_flags_gen = 1;

void fdt_flags_changed(void)
{
	/* After the change, not before: a reader that read the flag before
	 * it changed stored the old generation with it. Skips 0 on wrap. */
	uint32_t g = __atomic_add_fetch(&fdt_flags_gen, 1, __ATOMIC_ACQ_REL) & 0x7fffffff;
	if (!g)
		__atomic_store_n(&fdt_flags_gen, 1, __ATOMIC_RELEASE);
}

int fdt_query_nonblock(struct fdtable *t, long vfd, int host)
{
	int nb = fdt_nonblock(t, vfd);
	if (nb >= 0)
		return nb;
	/* The generation is read before the flag: a change in between
	 * leaves the stored value already out of date. */
	uint32_t gen = __atomic_load_n(&fdt_flags_gen, __ATOMIC_ACQUIRE);
	long fl = raw_syscall3(SYS_fcntl, host, F_GETFL, 0);
	if (fl < 0)
		return 1;
	nb = (fl & O_NONBLOCK) != 0;
	struct fdent *e = fdt_ent(t, vfd);
	if (e && __atomic_load_n(&e->host, __ATOMIC_ACQUIRE) == host)
		__atomic_store_n(&e->nb, gen << 1 | (uint32_t)nb, __ATOMIC_RELEASE);
	return nb;
}

int fdt_max(struct fdtable *t)
{
	for (int p = FDT_PAGES - 1; p >= 0; p--) {
		struct fdent *pg = __atomic_load_n(&t->page[p], __ATOMIC_ACQUIRE);
		for (int i = FDT_PAGE - 1; pg && i >= 0; i--)
			if (pg[i].host >= 0)
				return p * FDT_PAGE + i;
	}
	return -1;
}

void fdt_free(struct fdtable *t)
{
	for (int i = 0; i < FDT_PAGES; i++)
		free(t->page[i]);
	free(t);
}
