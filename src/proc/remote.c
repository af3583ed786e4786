/* remote.c - a program's runtime state read from another host process of the instance. */
#include "proc/remote.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "proc/posix_locks.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"

/* The runtime's own image, from the linker: an object's ops, read there,
 * point into it (but a torn read), and are this process's too. */
extern const char __executable_start[], _end[];

static bool in_image(const void *a, size_t len)
{
	return (const char *)a >= __executable_start && (const char *)a + len <= _end;
}

/* get - len bytes at addr of host process host. */
static bool get(int host, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	return addr && process_vm_readv(host, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

bool remote_of(int pid, struct prog_info *out)
{
	return pidspace_forked() && pidspace_lookup(pid, out) && out->host_pid > 0 && out->host_pid != getpid() &&
	       out->vproc_addr;
}

/* field - len bytes at offset off of its struct vproc, read while it is
 * still that program (its pid checked after: a vproc freed and reused for
 * another program between the two reads is not told apart, as no read of
 * another process's memory can be). Fields, not the whole struct (4 KiB):
 * the callers run on a runtime stack of 64 KiB. */
#define FIELD(pi, name, out) field(pi, offsetof(struct vproc, name), out, sizeof(*(out)))
static bool field(const struct prog_info *pi, size_t off, void *out, size_t len)
{
	int pid;
	return get(pi->host_pid, pi->vproc_addr + off, out, len) &&
	       get(pi->host_pid, pi->vproc_addr + offsetof(struct vproc, pid), &pid, sizeof(pid)) && pid == pi->pid;
}

bool remote_status(const struct prog_info *pi, struct remote_status *out)
{
	struct k_sigaction sa[64];
	uint64_t t;
	*out = (struct remote_status){ 0 };
	if (!FIELD(pi, nthreads, &out->nthreads) || !FIELD(pi, sigpending, &out->shdpnd) || !FIELD(pi, sigaction, &sa) ||
	    !FIELD(pi, main_thread, &t) || !FIELD(pi, stop_sig, &out->stopsig) || !FIELD(pi, umask, &out->umask))
		return false;
	if (!get(pi->host_pid, t + offsetof(struct uthread, sigpending), &out->sigpnd, sizeof(uint64_t)) ||
	    !get(pi->host_pid, t + offsetof(struct uthread, sigmask), &out->sigblk, sizeof(uint64_t)))
		out->sigpnd = out->sigblk = 0;
	vproc_dispositions(sa, &out->sigign, &out->sigcgt);
	return true;
}

int remote_tids(const struct prog_info *pi, int *tids, int max)
{
	int nthreads;
	uint64_t a;
	if (!FIELD(pi, nthreads, &nthreads) || !FIELD(pi, threads, &a))
		return -1;
	int n = 0;
	while (a && n < max && n <= nthreads) {
		if (!get(pi->host_pid, a + offsetof(struct uthread, tid), &tids[n], sizeof(int)) ||
		    !get(pi->host_pid, a + offsetof(struct uthread, proc_next), &a, sizeof(a)))
			break;
		n++;
	}
	return n;
}

bool remote_locks(const struct prog_info *pi, uint64_t dev, uint64_t ino)
{
	uint64_t a;
	if (!FIELD(pi, plocks, &a))
		return false;
	for (int n = 0; a && n < 1024; n++) {
		struct plock_file f;
		if (!get(pi->host_pid, a, &f, sizeof(f)))
			return false;
		if ((uint64_t)f.dev == dev && (uint64_t)f.ino == ino)
			return true;
		a = (uint64_t)(uintptr_t)f.next;
	}
	return false;
}

/* entries - the fd table's entries from from on (at most n) into e: how
 * many were read (fds past its pages count as none). */
static int entries(const struct prog_info *pi, const struct fdtable *t, int from, struct fdent *e, int n)
{
	int got = 0;
	while (got < n) {
		int v = from + got, i = v / FDT_PAGE, k = n - got;
		uint64_t page = 0;
		if (i < FDT_DIRECT)
			page = (uint64_t)t->page[i];
		else if (!t->more || !get(pi->host_pid, (uint64_t)(t->more + (i - FDT_DIRECT)), &page, sizeof(page)))
			break;
		if (k > FDT_PAGE - v % FDT_PAGE)
			k = FDT_PAGE - v % FDT_PAGE;
		if (!page)
			memset(e + got, 0xff, sizeof(*e) * k); /* host -1: none */
		else if (!get(pi->host_pid, page + sizeof(*e) * (v % FDT_PAGE), e + got, sizeof(*e) * k))
			break;
		for (int j = got; !page && j < got + k; j++)
			e[j].obj = NULL;
		got += k;
	}
	return got;
}

/* table - its fd table. */
static bool table(const struct prog_info *pi, struct fdtable *t)
{
	uint64_t a;
	return FIELD(pi, fdt, &a) && get(pi->host_pid, a, t, sizeof(*t)) && t->top >= 0 &&
	       t->top <= FDT_PAGE * FDT_PAGES;
}

static bool open_entry(const struct fdent *e)
{
	return e->host >= 0 || (e->obj && e->host != FDT_RESERVED);
}

int remote_fds(const struct prog_info *pi, int *fds, int max)
{
	struct fdtable t;
	if (!table(pi, &t))
		return -1;
	struct fdent e[64];
	int n = 0;
	for (int v = 0; v < t.top && n < max;) {
		int k = entries(pi, &t, v, e, t.top - v < 64 ? t.top - v : 64);
		if (k <= 0)
			break;
		for (int j = 0; j < k && n < max; j++)
			if (open_entry(&e[j]))
				fds[n++] = v + j;
		v += k;
	}
	return n;
}

long remote_fd(const struct prog_info *pi, int fd, int *host, char *link, size_t size)
{
	struct fdtable t;
	struct fdent e;
	if (!table(pi, &t))
		return -EPERM;
	if (fd < 0 || fd >= t.top || entries(pi, &t, fd, &e, 1) != 1 || !open_entry(&e))
		return -ENOENT;
	*host = e.host;
	if (e.host >= 0)
		return 0;
	/* An object: moved into the kernel (its file is that process's),
	 * or in its memory: a socket, or an anonymous inode by its kind's
	 * name (the ops are the same runtime's, at the same address). Not
	 * Linux's socket:[ino] or pipe:[ino]: the number is the object's to
	 * say, in that process. */
	struct vfile f;
	if (!get(pi->host_pid, (uint64_t)e.obj, &f, sizeof(f)))
		return -ENOENT;
	if (f.in_kernel && f.kfd >= 0) {
		*host = f.kfd;
		return 0;
	}
	const char *name = in_image(f.ops, sizeof(*f.ops)) && in_image(f.ops->name, 1) ? f.ops->name : NULL;
	snprintf(link, size, "%s%s", f.sock ? "socket:" : "anon_inode:", name ? name : "[pegasus]");
	return 1;
}
