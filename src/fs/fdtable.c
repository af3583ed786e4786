/* fdtable.c - a program's virtual file descriptor table. */
#include "fs/fdtable.h"

#include <errno.h>
#include <stdlib.h>

#include "core/log.h"
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
			pg[i] = (struct fdent){ -1, NULL };
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
