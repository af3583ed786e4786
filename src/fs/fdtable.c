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
	int i = vfd / FDT_PAGE;
	struct fdent **dir = t->page;
	if (i >= FDT_DIRECT) {
		if (!t->more && create) {
			struct fdent **more = calloc(FDT_PAGES - FDT_DIRECT, sizeof(*more));
			if (!more)
				return NULL;
			/* Release: a reader that sees it sees it empty. */
			__atomic_store_n(&t->more, more, __ATOMIC_RELEASE);
		}
		if (!t->more)
			return NULL;
		dir = t->more;
		i -= FDT_DIRECT;
	}
	struct fdent **slot = &dir[i];
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

/* No file: free, or held by an open under way (FDT_RESERVED). */
static bool is_free(const struct fdent *e)
{
	return e->host < 0 && !e->obj;
}

/* Free for a new file: not held either. */
static bool is_available(const struct fdent *e)
{
	return e->host == -1 && !e->obj;
}

/* fill - an entry's new contents: the host fd last (release), since
 * lock-free readers read it first and the rest after (gate.S, lean.c). */
/* fill - entry vfd of t, with t's lock held. */
static void fill(struct fdtable *t, int vfd, struct fdent *e, int host, struct vfile *obj, int fdflags)
{
	if (vfd >= t->top)
		__atomic_store_n(&t->top, vfd + 1, __ATOMIC_RELEASE);
	e->obj = obj;
	__atomic_store_n(&e->nb, host < 0 ? (uint32_t)fdflags : 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->host, host, __ATOMIC_RELEASE);
}

int fdt_install(struct fdtable *t, int host, int minfd)
{
	return fdt_install_obj(t, host, NULL, minfd, 0);
}

struct vfile *fdt_obj(struct fdtable *t, long vfd)
{
	struct fdent *e = fdt_ent(t, vfd);
	if (!e)
		return NULL;
	spin_lock(&t->lock);
	struct vfile *f = vfile_get(e->obj);
	spin_unlock(&t->lock);
	return f;
}

int fdt_install_obj(struct fdtable *t, int host, struct vfile *obj, int minfd, int fdflags)
{
	spin_lock(&t->lock);
	int vfd = minfd > t->hint ? minfd : t->hint;
	for (; vfd < t->limit && vfd < FDT_PAGE * FDT_PAGES; vfd++) {
		struct fdent *pg = page_of(t, vfd, true);
		if (!pg)
			break;
		if (is_available(&pg[vfd % FDT_PAGE])) {
			fill(t, vfd, &pg[vfd % FDT_PAGE], host, obj, fdflags);
			if (minfd <= t->hint)
				t->hint = vfd + 1;
			spin_unlock(&t->lock);
			return vfd;
		}
	}
	spin_unlock(&t->lock);
	return -EMFILE;
}

int fdt_install_at(struct fdtable *t, int vfd, int host, struct vfile *obj, int fdflags)
{
	if (vfd >= t->limit)
		return -EBADF;
	return fdt_inherit_at(t, vfd, host, obj, fdflags);
}

int fdt_inherit_at(struct fdtable *t, int vfd, int host, struct vfile *obj, int fdflags)
{
	if (vfd < 0 || vfd >= FDT_PAGE * FDT_PAGES)
		return -EBADF;
	spin_lock(&t->lock);
	struct fdent *pg = page_of(t, vfd, true);
	if (!pg) {
		spin_unlock(&t->lock);
		return -EMFILE;
	}
	struct fdent *e = &pg[vfd % FDT_PAGE];
	if (e->host == FDT_RESERVED) { /* Linux's dup2 onto an fd being opened */
		spin_unlock(&t->lock);
		return -EBUSY;
	}
	int old = e->host >= 0 ? e->host : FDT_NOHOST;
	struct vfile *oldobj = e->obj;
	fill(t, vfd, e, host, obj, fdflags);
	spin_unlock(&t->lock);
	vfile_put(oldobj);
	return old;
}

static int remove_ent(struct fdtable *t, int vfd, bool plain)
{
	struct fdent *e = fdt_ent(t, vfd);
	if (!e)
		return -EBADF;
	spin_lock(&t->lock);
	if (is_free(e) || (plain && e->obj)) {
		spin_unlock(&t->lock);
		return is_free(e) ? -EBADF : -EAGAIN;
	}
	int old = e->host >= 0 ? e->host : FDT_NOHOST;
	struct vfile *obj = e->obj;
	e->obj = NULL;
	__atomic_store_n(&e->host, -1, __ATOMIC_RELEASE);
	if (vfd < t->hint)
		t->hint = vfd;
	spin_unlock(&t->lock);
	vfile_put(obj);
	return old;
}

int fdt_reserve(struct fdtable *t)
{
	spin_lock(&t->lock);
	int vfd = t->hint, r = -EAGAIN;
	for (; vfd < t->limit && vfd < FDT_PAGE * FDT_PAGES; vfd++) {
		struct fdent *e = fdt_ent(t, vfd);
		if (!e)
			break; /* a page to allocate: not here */
		if (is_available(e)) {
			if (vfd >= t->top)
				__atomic_store_n(&t->top, vfd + 1, __ATOMIC_RELEASE);
			__atomic_store_n(&e->host, FDT_RESERVED, __ATOMIC_RELEASE);
			t->hint = vfd + 1;
			r = vfd;
			break;
		}
	}
	spin_unlock(&t->lock);
	return r;
}

void fdt_fill_reserved(struct fdtable *t, int vfd, int host)
{
	spin_lock(&t->lock);
	fill(t, vfd, fdt_ent(t, vfd), host, NULL, 0);
	spin_unlock(&t->lock);
}

void fdt_unreserve(struct fdtable *t, int vfd)
{
	spin_lock(&t->lock);
	__atomic_store_n(&fdt_ent(t, vfd)->host, -1, __ATOMIC_RELEASE);
	if (vfd < t->hint)
		t->hint = vfd;
	spin_unlock(&t->lock);
}

int fdt_remove(struct fdtable *t, int vfd)
{
	return remove_ent(t, vfd, false);
}

int fdt_remove_plain(struct fdtable *t, int vfd)
{
	return remove_ent(t, vfd, true);
}

int fdt_get_fdflags(struct fdtable *t, long vfd)
{
	struct fdent *e = fdt_ent(t, vfd);
	spin_lock(&t->lock);
	int r = e && e->host < 0 && e->obj ? (int)e->nb : -EBADF;
	spin_unlock(&t->lock);
	return r;
}

int fdt_set_fdflags(struct fdtable *t, long vfd, int fdflags)
{
	struct fdent *e = fdt_ent(t, vfd);
	spin_lock(&t->lock);
	int r = e && e->host < 0 && e->obj ? 0 : -EBADF;
	if (!r)
		e->nb = fdflags & FD_CLOEXEC;
	spin_unlock(&t->lock);
	return r;
}

/* Starts at 1: a zeroed entry (nb == 0) is never current. */
uint32_t fdt_flags_gen = 1;

void fdt_flags_changed(void)
{
	/* After the change, not before: a reader that read the flag before
	 * it changed stored the old generation with it. Skips 0 on wrap. */
	uint32_t g = __atomic_add_fetch(&fdt_flags_gen, 1, __ATOMIC_ACQ_REL) & 0x3fffffff; /* gen << 2 fits */
	if (!g)
		__atomic_store_n(&fdt_flags_gen, 1, __ATOMIC_RELEASE);
}

void fdt_note_nonblock(struct fdtable *t, long vfd, int host, uint32_t gen, bool nb, bool file)
{
	struct fdent *e = fdt_ent(t, vfd);
	uint32_t note = gen << 2 | (uint32_t)(nb || file) << 1 | (uint32_t)(file && !nb);
	if (e && host >= 0 && __atomic_load_n(&e->host, __ATOMIC_ACQUIRE) == host)
		__atomic_store_n(&e->nb, note, __ATOMIC_RELEASE);
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
	fdt_note_nonblock(t, vfd, host, gen, nb, false);
	return nb;
}


int fdt_max(struct fdtable *t)
{
	for (int v = __atomic_load_n(&t->top, __ATOMIC_ACQUIRE) - 1; v >= 0; v--) {
		struct fdent *e = fdt_ent(t, v);
		if (e && !is_free(e))
			return v;
	}
	return -1;
}

void fdt_free(struct fdtable *t)
{
	for (int i = 0; i < FDT_DIRECT; i++)
		free(t->page[i]);
	for (int i = 0; t->more && i < FDT_PAGES - FDT_DIRECT; i++)
		free(t->more[i]);
	free(t->more);
	free(t);
}

int fdt_settle(struct fdtable *t, long vfd)
{
	struct fdent *e = fdt_ent(t, vfd);
	if (!e)
		return -EBADF;
	spin_lock(&t->lock);
	struct vfile *f = e->obj;
	if (!f || e->host >= 0 || !vfile_in_kernel(f)) {
		spin_unlock(&t->lock);
		return fdt_host(t, vfd); /* settled meanwhile, or never moved */
	}
	bool cloexec = e->nb & FD_CLOEXEC;
	long h = raw_syscall3(SYS_fcntl, f->kfd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (h >= 0) {
		/* The object stays with its entry (calls go to the host fd, see
		 * objcall): epoll items and poll heads hang on it, and the
		 * entry's close is still what ends it. */
		e->nb = 0;
		__atomic_store_n(&e->host, (int)h, __ATOMIC_RELEASE);
	}
	spin_unlock(&t->lock);
	return (int)h;
}
