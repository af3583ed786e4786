/* sys_splice.c - splice, tee, sendfile and copy_file_range with a user-space pipe or socket on a side. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "net/local/pipe.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"
#include "sys/objcall.h"
#include "sys/systab.h"

/*
 * The kernel cannot move pages into or out of a pipe it does not know, so
 * when either side is a user-space pipe the bytes are copied: peeked from
 * a user-space source pipe and taken once the destination has them (none
 * is lost when the destination takes fewer), or read from a kernel file
 * and, if the pipe takes fewer, the file's offset put back. Results and
 * errors are splice(2)'s; the bytes are copied twice instead of moved.
 */
#define BOUNCE 65536

/* One side: a user-space object, or a kernel fd of the program, at an
 * offset (uoff: the app's loff_t, or 0 for the file position). */
struct side {
	struct vfile *obj;
	long vfd;
	uint64_t uoff;
	int64_t off;
};

static long side_open(struct uthread *ut, struct side *s, long vfd, uint64_t uoff)
{
	struct fdtable *t = ut->proc->fdt;
	*s = (struct side){ .vfd = vfd, .uoff = uoff, .off = -1 };
	if (fdt_host(t, vfd) < 0)
		s->obj = fdt_obj(t, vfd); /* NULL: no fd at all, the kernel says EBADF */
	if (s->obj && vfile_in_kernel(s->obj)) {
		vfile_put(s->obj); /* moved into the kernel: the kernel's fd */
		s->obj = NULL;
	}
	if (uoff && copy_from_user(&s->off, uoff, sizeof(s->off)))
		return -EFAULT;
	return uoff && s->off < 0 ? -EINVAL : 0;
}

/* The side's file type (S_IFIFO, S_IFSOCK, S_IFREG...), 0 if unknown. */
static unsigned side_type(struct uthread *ut, const struct side *s)
{
	if (s->obj)
		return objcall_file_type(s->obj);
	struct stat st;
	int h = fdt_host(ut->proc->fdt, s->vfd);
	return h >= 0 && !raw_syscall3(SYS_fstat, h, &st, 0) ? st.st_mode & S_IFMT : 0;
}

static bool side_fifo(struct uthread *ut, const struct side *s)
{
	return side_type(ut, s) == S_IFIFO;
}

/* takes_nonblock - does SPLICE_F_NONBLOCK reach s's own I/O? A pipe's,
 * and an AF_UNIX socket's read (unix_stream_splice_read); TCP reads and
 * every socket's writes wait as the socket does (tcp_splice_read,
 * splice_to_socket: its O_NONBLOCK alone). */
static bool takes_nonblock(struct uthread *ut, const struct side *s, bool wr)
{
	unsigned t = side_type(ut, s);
	if (t == S_IFIFO)
		return true;
	if (wr || t != S_IFSOCK || !s->obj || !s->obj->sock)
		return false;
	int dom = 0;
	uint32_t len = sizeof(dom);
	return s->obj->sock->getsockopt(s->obj, ut, SOL_SOCKET, SO_DOMAIN, (uint64_t)&dom, (uint64_t)&len) == 0 &&
	       dom == AF_UNIX;
}

/* side_io - read or write through the object's ops or the kernel call
 * (at the side's offset if it has one). */
static long side_io(struct uthread *ut, const struct sysent *e, struct side *s, bool wr, void *buf,
		    size_t len, int flags)
{
	if (s->obj)
		return objcall_io(ut, e, s->obj, wr, buf, len, flags);
	long nr = s->off >= 0 ? (wr ? SYS_pwrite64 : SYS_pread64) : (wr ? SYS_write : SYS_read);
	const long b[6] = { s->vfd, (long)buf, (long)len, s->off };
	long r = kcall(ut, nr, systab_get(nr), b);
	if (r > 0 && s->off >= 0)
		s->off += r;
	return r;
}

/* file_page_off - where in its page a regular file source starts: Linux
 * splices a file page by page, so the first pipe buffer holds only the
 * rest of that page. 0 for other sources. */
static size_t file_page_off(struct uthread *ut, const struct side *s)
{
	struct stat st;
	int h = s->obj ? -1 : fdt_host(ut->proc->fdt, s->vfd);
	if (h < 0 || raw_syscall3(SYS_fstat, h, &st, 0) || !S_ISREG(st.st_mode))
		return 0;
	long pos = s->off >= 0 ? s->off : raw_syscall3(SYS_lseek, h, 0, SEEK_CUR);
	return pos > 0 ? (size_t)pos % 4096 : 0;
}

/* copy_round - up to len bytes from in to out through buf (BOUNCE
 * bytes); dup (tee) leaves them in in. */
static long copy_round(struct uthread *ut, const struct sysent *e, struct side *in,
		       struct side *out, char *buf, size_t len, int flags, bool dup)
{
	int nb = (flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0;
	int in_nb = nb && takes_nonblock(ut, in, false) ? nb : 0, out_nb = nb && takes_nonblock(ut, out, true) ? nb : 0;
	size_t n = len < BOUNCE ? len : BOUNCE;
	/* Into a user-space pipe: no more than its free pages take, as
	 * do_splice_read; a full one makes a non-blocking call EAGAIN and a
	 * blocking one wait in the write below. */
	bool to_pipe = out->obj && side_fifo(ut, out);
	size_t r = to_pipe ? pipe_room(out->obj) : BOUNCE;
	if (!r && (out_nb || (out->obj->flags & O_NONBLOCK)))
		return -EAGAIN;
	if (r && to_pipe) { /* a socket or file takes it whole: no page rule */
		size_t skip = file_page_off(ut, in);
		r = r > skip ? r - skip : 1;
		n = n < r ? n : r;
	}
	if (!n)
		return 0;
	long got = side_io(ut, e, in, false, buf, n, in->obj ? in_nb | MSG_PEEK : 0);
	long w = got > 0 ? side_io(ut, e, out, true, buf, got, out_nb) : got;
	if (in->obj && w > 0 && !dup)
		side_io(ut, e, in, false, buf, w, MSG_DONTWAIT); /* take what went out */
	if (!in->obj && got > 0 && w < got) {
		/* The pipe took fewer: the file gives the rest back. */
		long back = w > 0 ? w : 0;
		if (in->off >= 0)
			in->off -= got - back;
		else
			raw_syscall3(SYS_lseek, fdt_host(ut->proc->fdt, in->vfd), back - got, SEEK_CUR);
	}
	return w;
}

/* copy - one round (splice, tee), or with all as sendfile moves into a
 * socket or file (through the kernel's internal pipe, round after round)
 * until len is done, the source is empty (EOF) or the destination would
 * block. The count, or the error if nothing moved. One bounce buffer a
 * call, not a round. */
static long copy(struct uthread *ut, const struct sysent *e, struct side *in, struct side *out,
		 size_t len, int flags, bool dup, bool all)
{
	char *buf = malloc(BOUNCE);
	if (!buf)
		return -ENOMEM;
	size_t done = 0;
	long r = 0;
	do {
		r = copy_round(ut, e, in, out, buf, len - done, flags, dup);
		if (r > 0)
			done += r;
	} while (all && r > 0 && done < len);
	free(buf);
	return done ? (long)done : r;
}

static long finish(struct side *s, long r)
{
	if (r > 0 && s->uoff && copy_to_user(s->uoff, &s->off, sizeof(s->off)))
		r = -EFAULT;
	vfile_put(s->obj);
	return r;
}

long sys_splice(struct uthread *ut, const long a[6])
{
	const struct sysent *e = systab_get(SYS_splice);
	struct side in, out;
	long r = side_open(ut, &in, a[0], a[1]);
	long r2 = side_open(ut, &out, a[2], a[3]);
	if (!in.obj && !out.obj) {
		vfile_put(in.obj);
		vfile_put(out.obj);
		return kcall(ut, SYS_splice, e, a);
	}
	if (!r)
		r = r2;
	bool ip = side_fifo(ut, &in), op = side_fifo(ut, &out);
	if (!r && (a[5] & ~(long)(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)))
		r = -EINVAL;
	/* One side must be a pipe; of the other objects, sockets splice. */
	bool is = in.obj && side_type(ut, &in) == S_IFSOCK, os = out.obj && side_type(ut, &out) == S_IFSOCK;
	if (!r && ((!ip && !op) || (in.obj && !ip && !is) || (out.obj && !op && !os)))
		r = -EINVAL;
	if (!r && ((ip && a[1]) || (op && a[3])))
		r = -ESPIPE;
	if (!r)
		r = copy(ut, e, &in, &out, a[4], (int)a[5], false, false);
	r = finish(&in, r);
	return finish(&out, r);
}

long sys_tee(struct uthread *ut, const long a[6])
{
	const struct sysent *e = systab_get(SYS_tee);
	struct side in, out;
	side_open(ut, &in, a[0], 0);
	side_open(ut, &out, a[1], 0);
	long r;
	if (!in.obj && !out.obj)
		r = kcall(ut, SYS_tee, e, a);
	else if (!side_fifo(ut, &in) || !side_fifo(ut, &out) || in.obj == out.obj ||
		 (a[3] & ~(long)(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)))
		r = -EINVAL;
	else if (!in.obj)
		r = -EINVAL; /* a kernel pipe cannot be peeked: a known gap */
	else
		r = copy(ut, e, &in, &out, a[2], (int)a[3], true, false);
	vfile_put(in.obj);
	vfile_put(out.obj);
	return r;
}

/* sendfile(out, in, offset, count): from a file into a user-space pipe
 * (one pipe's worth, as splice) or socket (all of it); a user-space pipe
 * is no source (it has no splice_read: EINVAL). */
long sys_sendfile(struct uthread *ut, const long a[6])
{
	const struct sysent *e = systab_get(SYS_sendfile);
	struct side in, out;
	long r = side_open(ut, &in, a[1], a[2]);
	side_open(ut, &out, a[0], 0);
	if (!in.obj && !out.obj) {
		r = kcall(ut, SYS_sendfile, e, a);
		in.uoff = 0; /* the kernel updated it */
	} else if (!r) {
		r = in.obj ? -EINVAL : copy(ut, e, &in, &out, a[3], 0, false, !side_fifo(ut, &out));
	}
	r = finish(&in, r);
	return finish(&out, r);
}

/* copy_file_range: between regular files alone. A user-space object on
 * either side is none: EINVAL (EISDIR if the other is a directory), as
 * Linux's generic_file_rw_checks, where the kernel call said EBADF (Go's
 * io.Copy falls back to read and write on EINVAL only). */
long sys_copy_file_range(struct uthread *ut, const long a[6])
{
	struct side in, out;
	side_open(ut, &in, a[0], 0);
	side_open(ut, &out, a[2], 0);
	long r;
	if (!in.obj && !out.obj)
		r = kcall(ut, SYS_copy_file_range, systab_get(SYS_copy_file_range), a);
	else if ((!in.obj && fdt_host(ut->proc->fdt, a[0]) < 0) || (!out.obj && fdt_host(ut->proc->fdt, a[2]) < 0))
		r = -EBADF;
	else if ((unsigned)a[5])
		r = -EINVAL;
	else
		r = side_type(ut, &in) == S_IFDIR || side_type(ut, &out) == S_IFDIR ? -EISDIR : -EINVAL;
	vfile_put(in.obj);
	vfile_put(out.obj);
	return r;
}
