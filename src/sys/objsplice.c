/* objsplice.c - sendfile and splice with a user-space object at one end: through a bounce buffer. */
#include "sys/objsplice.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kblock.h"
#include "sys/kcall.h"
#include "sys/objcall.h"
#include "sys/systab.h"

#define CHUNK 65536

/* One end: an object, or a host fd (with an offset pointer, or its own
 * position). */
struct side {
	struct vfile *obj;
	int host;
	uint64_t offp;  /* app address of the offset, or 0 */
	int64_t off;
	bool stream;    /* a pipe or socket: only the first read may wait */
};

static long side_open(struct uthread *ut, long fd, uint64_t offp, struct side *s)
{
	struct fdtable *t = ut->proc->fdt;
	*s = (struct side){ .obj = fdt_obj(t, fd), .host = -1, .offp = offp };
	if (s->obj)
		return offp ? -ESPIPE : 0;
	s->host = fdt_host(t, fd);
	if (s->host < 0)
		return -EBADF;
	struct stat st;
	s->stream = !raw_syscall3(SYS_fstat, s->host, (long)&st, 0) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	if (offp && copy_from_user(&s->off, offp, sizeof(s->off)))
		return -EFAULT;
	return offp && s->off < 0 ? -EINVAL : 0;
}

static long side_read(struct uthread *ut, const struct sysent *e, struct side *s, char *buf, size_t n, bool first)
{
	if (s->obj) {
		if (!s->obj->ops->read)
			return -EINVAL;
		struct iovec v = { buf, n };
		struct vmsg m = { .iov = &v, .iovcnt = 1, .off = -1, .flags = first ? 0 : MSG_DONTWAIT };
		return objcall_io(ut, e, s->obj, false, &m);
	}
	if (s->offp)
		return raw_syscall6(SYS_pread64, s->host, (long)buf, n, s->off, 0, 0);
	if (!s->stream)
		return raw_syscall3(SYS_read, s->host, (long)buf, n);
	if (!first) { /* what is there now, no more */
		struct iovec v = { buf, n };
		return raw_syscall6(SYS_preadv2, s->host, (long)&v, 1, -1, -1, RWF_NOWAIT);
	}
	const long k[6] = { s->host, (long)buf, (long)n };
	long r = kblock_call(SYS_read, k);
	return r == KBLOCK_PLAIN ? raw_syscall3(SYS_read, s->host, (long)buf, n) : r;
}

static long side_write(struct uthread *ut, const struct sysent *e, struct side *s, const char *buf, size_t n)
{
	if (s->obj) {
		if (!s->obj->ops->write)
			return -EINVAL;
		struct iovec v = { (void *)buf, n };
		struct vmsg m = { .iov = &v, .iovcnt = 1, .off = -1, .rw = true };
		return objcall_io(ut, e, s->obj, true, &m);
	}
	if (s->offp)
		return raw_syscall6(SYS_pwrite64, s->host, (long)buf, n, s->off, 0, 0);
	const long k[6] = { s->host, (long)buf, (long)n };
	long r = s->stream ? kblock_call(SYS_write, k) : KBLOCK_PLAIN;
	return r == KBLOCK_PLAIN ? raw_syscall3(SYS_write, s->host, (long)buf, n) : r;
}

/* move - up to count bytes from in to out; what moved, or the first error.
 * sendfile goes on to count (or the end of the file); splice stops at what
 * a stream had. Bytes read but not written go back (the file position),
 * as the kernel never takes them. */
static long move(struct uthread *ut, const struct sysent *e, struct side *in, struct side *out, size_t count,
		 bool to_end)
{
	char *buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	size_t total = 0;
	long err = 0;
	while (total < count) {
		size_t n = count - total < CHUNK ? count - total : CHUNK;
		long r = side_read(ut, e, in, buf, n, !total);
		if (r <= 0) {
			err = r == -EAGAIN && total ? 0 : r;
			break;
		}
		long w = side_write(ut, e, out, buf, (size_t)r);
		long put = w > 0 ? w : 0;
		if (put < r && !in->offp && !in->stream && !in->obj)
			raw_syscall3(SYS_lseek, in->host, put - r, SEEK_CUR);
		if (in->offp)
			in->off += put;
		if (out->offp)
			out->off += put;
		total += (size_t)put;
		if (w < 0)
			err = w;
		if (put < r || (!to_end && in->stream))
			break;
	}
	free(buf);
	if (in->offp && copy_to_user(in->offp, &in->off, sizeof(in->off)))
		return -EFAULT;
	if (out->offp && copy_to_user(out->offp, &out->off, sizeof(out->off)))
		return -EFAULT;
	return total ? (long)total : err;
}

long objsplice(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	bool sf = nr == SYS_sendfile;
	struct side in = { 0 }, out = { 0 };
	long r = side_open(ut, sf ? a[1] : a[0], sf ? a[2] : a[1], &in);
	if (!r)
		r = side_open(ut, sf ? a[0] : a[2], sf ? 0 : a[3], &out);
	size_t count = (size_t)(sf ? a[3] : a[4]);
	if (r)
		;
	else if (sf && in.obj) /* sendfile reads files only */
		r = -EINVAL;
	else if (!sf && !in.stream && !in.obj && !out.stream && !out.obj)
		r = -EINVAL; /* splice needs a pipe at one end */
	else if (count)
		r = move(ut, e, &in, &out, count, sf);
	vfile_put(in.obj);
	vfile_put(out.obj);
	return r;
}

/* A splice whose first fd is a kernel file but whose second is an object. */
long sys_splice(struct uthread *ut, const long a[6])
{
	if (fdt_has_obj(ut->proc->fdt, a[2]))
		return objsplice(ut, SYS_splice, systab_get(SYS_splice), a);
	return kcall(ut, SYS_splice, systab_get(SYS_splice), a);
}
