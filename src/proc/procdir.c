/* procdir.c - the /proc directory as the instance's programs list it. */
#include "proc/procdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/pidspace.h"
#include "proc/vproc.h"

/*
 * A listing of /proc shows the instance's programs by virtual pid where
 * the host shows its processes: what a pid namespace shows, so ps and
 * pgrep inside an instance see its programs with the pids they know each
 * other by, and no host pid that might equal one of them. The other
 * entries (meminfo, sys, net...) are the host's. A host process stays
 * reachable by its number when no program has it (procfs.c). Programs
 * that run in other host processes of the instance (forked) are those
 * their processes published in the shared pid space (proc/pidspace.c).
 */
struct procdir {
	struct vfile vf;
	char *names;   /* the snapshot: type byte, name, NUL; one after another */
	size_t len, cap;
	size_t pos;    /* byte offset of the next entry in names */
};

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void add(struct procdir *d, unsigned char type, const char *name)
{
	size_t n = strlen(name) + 2;
	if (d->len + n > d->cap) {
		size_t cap = (d->cap + n) * 2;
		char *b = realloc(d->names, cap);
		if (!b)
			return;
		d->names = b;
		d->cap = cap;
	}
	d->names[d->len] = (char)type;
	memcpy(d->names + d->len + 1, name, n - 1);
	d->len += n;
}

static int by_pid(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* snapshot - the host's entries but its pids, then the programs' pids in
 * order (Linux lists pids last, ascending). */
static void snapshot(struct procdir *d)
{
	d->len = d->pos = 0;
	DIR *dir = opendir("/proc");
	for (struct dirent *e; dir && (e = readdir(dir));)
		if (!numeric(e->d_name))
			add(d, e->d_type, e->d_name);
	if (dir)
		closedir(dir);
	int n = vproc_count(), k = 0, max = n + 4096;
	int *pids = malloc(sizeof(int) * max);
	for (int i = 0; pids && i < n; i++) {
		struct vproc *p = vproc_at(i);
		/* Live programs, here or forked into a process of their own,
		 * and zombies; not the process a stand-in's program went on in
		 * (listed as the stand-in). */
		if (p && ((p->host_pid >= 0 && __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != VP_DEAD) ||
			  vproc_is_zombie(p)) && vproc_seen_as(p) == p)
			pids[k++] = p->pid;
	}
	/* Programs other processes of the instance run (a forked child's
	 * siblings, its parent's other children). */
	int m = pids && pidspace_forked() ? pidspace_list(pids + k, max - k) : 0;
	for (int i = k; i < k + m; i++) {
		struct prog_info pi;
		if (pidspace_lookup_live(pids[i], &pi) && pi.host_pid != getpid())
			pids[k++] = pids[i];
	}
	if (pids)
		qsort(pids, k, sizeof(int), by_pid);
	for (int i = 0; i < k; i++) {
		if (i && pids[i] == pids[i - 1])
			continue;
		char name[16];
		snprintf(name, sizeof(name), "%d", pids[i]);
		add(d, DT_DIR, name);
	}
	free(pids);
}

static long procdir_getdents64(struct vfile *f, struct uthread *ut, uint64_t ubuf, size_t count)
{
	(void)ut;
	struct procdir *d = (struct procdir *)f;
	if (d->pos == 0)
		snapshot(d);
	char buf[4096];
	size_t o = 0, lim = count < sizeof(buf) ? count : sizeof(buf);
	while (d->pos < d->len) {
		const char *name = d->names + d->pos + 1;
		size_t len = strlen(name);
		size_t reclen = (19 + len + 1 + 7) & ~7ul;
		if (o + reclen > lim)
			break;
		size_t next = d->pos + len + 2;
		struct { uint64_t ino; int64_t off; uint16_t reclen; uint8_t type; } __attribute__((packed)) h = {
			(uint64_t)d->pos + 1, (int64_t)next, (uint16_t)reclen, (uint8_t)d->names[d->pos],
		};
		memset(buf + o, 0, reclen);
		memcpy(buf + o, &h, 19);
		memcpy(buf + o + 19, name, len);
		o += reclen;
		d->pos = next;
	}
	if (!o && d->pos < d->len)
		return -EINVAL; /* buffer too small for one entry */
	return copy_to_user(ubuf, buf, o) ? -EFAULT : (long)o;
}

/* Offsets are the ones getdents64 handed out (d_off), or 0 to start over. */
static long procdir_lseek(struct vfile *f, int64_t off, int whence)
{
	struct procdir *d = (struct procdir *)f;
	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	d->pos = (size_t)off > d->len ? d->len : (size_t)off;
	return off;
}

static void procdir_release(struct vfile *f)
{
	free(((struct procdir *)f)->names);
	free(f);
}

static const struct vfile_ops procdir_ops = {
	.getdents64 = procdir_getdents64, .lseek = procdir_lseek, .release = procdir_release,
};

/*
 * /proc/<pid> (or self) opened as a directory: the host's directory of the
 * process that runs the program, and an object that remembers which
 * program it names, so that a path relative to it (openat(dirfd, "stat"):
 * psmisc's killall, pstree) is the program's /proc file, not the host
 * process's (whose comm is pegasus's). /proc itself opened O_PATH is one
 * too (rsync walks "/proc/self/fd/2" one component at a time).
 */
struct procalias {
	struct vfile vf;
	char path[32]; /* "/proc/<vpid>" or "/proc" */
};

static void procalias_release(struct vfile *f)
{
	free(f);
}

static const struct vfile_ops procalias_ops = { .release = procalias_release };

static long procdir_alias(long host, const char *path, int flags, struct vfile **obj)
{
	struct procalias *d = calloc(1, sizeof(*d));
	if (!d) {
		close((int)host);
		return -ENOMEM;
	}
	vfile_init(&d->vf, &procalias_ops, flags & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
	snprintf(d->path, sizeof(d->path), "%s", path);
	*obj = &d->vf;
	return host;
}

bool procdir_is_root(int dirfd, const char *path)
{
	if (dirfd != AT_FDCWD && path[0] != '/')
		return false;
	return !strcmp(path, "/proc") || !strcmp(path, "/proc/") || !strcmp(path, "/proc/.") ||
	       !strcmp(path, "/proc/./");
}

long procdir_open(int flags, struct vfile **obj)
{
	if (flags & O_PATH) {
		/* Lists nothing (getdents64: the kernel's EBADF), but names
		 * /proc for paths relative to it: readlinkat(fd, "self"). */
		long h = open("/proc", flags | O_DIRECTORY);
		return h < 0 ? -errno : procdir_alias(h, "/proc", flags, obj);
	}
	if ((flags & O_ACCMODE) != O_RDONLY)
		return -ENOSYS; /* the kernel answers (EISDIR) */
	struct procdir *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	vfile_init(&d->vf, &procdir_ops, flags & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
	long h = open("/proc", flags | O_DIRECTORY);
	if (h < 0) {
		free(d);
		return -errno;
	}
	*obj = &d->vf;
	return h;
}

bool procdir_is(const struct vfile *f)
{
	return f && f->ops == &procdir_ops;
}

long procdir_open_pid(int vpid, long host, int flags, struct vfile **obj)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d", vpid);
	return procdir_alias(host, path, flags, obj);
}

const char *procdir_path(const struct vfile *f)
{
	if (f && f->ops == &procdir_ops)
		return "/proc";
	if (f && f->ops == &procalias_ops)
		return ((const struct procalias *)f)->path;
	return NULL;
}
