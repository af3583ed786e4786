/* procfs_dirs.c - the numbered directories of /proc/<pid>: fd/ and task/. */
#include "proc/procfs_dirs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/remote.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/* The program's numbers, not the host's (its fds are other host fds, its
 * threads uthreads on the host's vCPU threads). Listed from a snapshot
 * taken at the first read (so fd/ includes the directory's own fd, as
 * Linux's does); rewinding takes a new one. */
struct numdir {
	struct vfile vf;
	enum numdir_kind kind;
	int pid;       /* whose: looked up at each snapshot */
	char path[32]; /* /proc/<pid>/fd or task: what names under it mean */
	int n, pos;
	int *ids;
};

/* remote_snapshot - the numbers of a program in another host process
 * (proc/remote.h): true if they could be read. */
static bool remote_snapshot(struct numdir *d)
{
	struct prog_info pi;
	if (!remote_of(d->pid, &pi))
		return false;
	int max = 4096;
	d->ids = malloc(sizeof(int) * max);
	d->n = !d->ids ? -1 : d->kind == NUMDIR_FD ? remote_fds(&pi, d->ids, max) : remote_tids(&pi, d->ids, max);
	if (d->n < 0) {
		free(d->ids);
		d->ids = NULL;
		d->n = 0;
		return false;
	}
	return true;
}

static void sort_ids(struct numdir *d)
{
	/* Linux lists them by number (tids too: the leader first). */
	for (int i = 1; i < d->n; i++)
		for (int j = i; j > 0 && d->ids[j] < d->ids[j - 1]; j--) {
			int x = d->ids[j];
			d->ids[j] = d->ids[j - 1];
			d->ids[j - 1] = x;
		}
}

static void snapshot(struct numdir *d)
{
	free(d->ids);
	d->ids = NULL;
	d->n = 0;
	struct vproc *p = vproc_by_pid(d->pid);
	if (!p || p->host_pid || p->stand_in_host) {
		/* Elsewhere; unreadable now (it ended, or exec'd): empty. */
		if (remote_snapshot(d))
			sort_ids(d);
		return;
	}
	if (d->kind == NUMDIR_FD) {
		struct fdtable *t = p->fdt;
		int max = fdt_max(t);
		d->ids = malloc(sizeof(int) * (max + 1));
		for (int v = 0; d->ids && v <= max; v++)
			if (fdt_host(t, v) >= 0 || fdt_has_obj(t, v))
				d->ids[d->n++] = v;
		return;
	}
	spin_lock(&p->lock);
	d->ids = malloc(sizeof(int) * (p->nthreads + 1));
	for (struct uthread *t = p->threads; d->ids && t && d->n <= p->nthreads; t = t->proc_next)
		d->ids[d->n++] = t->tid;
	spin_unlock(&p->lock);
	sort_ids(d);
}

static long numdir_getdents64(struct vfile *f, struct uthread *ut, uint64_t ubuf, size_t count)
{
	struct numdir *d = (struct numdir *)f;
	if (d->pos == 0)
		snapshot(d);
	char buf[4096];
	size_t o = 0, lim = count < sizeof(buf) ? count : sizeof(buf);
	for (; d->pos < d->n + 2; d->pos++) {
		char name[16];
		int type = d->pos < 2 || d->kind == NUMDIR_TASK ? DT_DIR : DT_LNK;
		int len = d->pos < 2 ? snprintf(name, sizeof(name), "%s", d->pos ? ".." : ".")
				     : snprintf(name, sizeof(name), "%d", d->ids[d->pos - 2]);
		size_t reclen = (19 + len + 1 + 7) & ~7ul;
		if (o + reclen > lim)
			break;
		struct { uint64_t ino; int64_t off; uint16_t reclen; uint8_t type; } h = {
			(uint64_t)d->pos + 1, d->pos + 1, (uint16_t)reclen, (uint8_t)type,
		};
		memset(buf + o, 0, reclen);
		memcpy(buf + o, &h, 19);
		memcpy(buf + o + 19, name, len);
		o += reclen;
	}
	if (!o && d->pos < d->n + 2)
		return -EINVAL; /* buffer too small for one entry */
	return copy_to_user(ubuf, buf, o) ? -EFAULT : (long)o;
}

static long numdir_lseek(struct vfile *f, int64_t off, int whence)
{
	struct numdir *d = (struct numdir *)f;
	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	d->pos = off > d->n + 2 ? d->n + 2 : (int)off;
	return off;
}

static void numdir_release(struct vfile *f)
{
	free(((struct numdir *)f)->ids);
	free(f);
}

/* A directory whose host fd (the host's own directory) serves fstat and
 * the rest; listing and seeking are its own. */
static const struct vfile_ops numdir_ops = {
	.getdents64 = numdir_getdents64, .lseek = numdir_lseek, .release = numdir_release,
};

long procfs_numdir(int pid, enum numdir_kind kind, int flags, struct vfile **obj)
{
	struct numdir *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	vfile_init(&d->vf, &numdir_ops, flags & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
	d->kind = kind;
	d->pid = pid;
	snprintf(d->path, sizeof(d->path), "/proc/%d/%s", pid, kind == NUMDIR_FD ? "fd" : "task");
	long h = open(kind == NUMDIR_FD ? "/proc/self/fd" : "/proc/self/task", flags | O_DIRECTORY);
	if (h < 0) {
		free(d);
		return -errno;
	}
	*obj = &d->vf;
	return h;
}

const char *procfs_numdir_path(const struct vfile *f)
{
	return f && f->ops == &numdir_ops ? ((const struct numdir *)f)->path : NULL;
}
