/* objcall.c - calls on fds with a user-space object: the many syscall shapes onto a few ops. */
#include "sys/objcall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <signal.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/fd_owner.h"
#include "sys/kcall.h"
#include "sys/sys_socket.h"
#include "sys/systab.h"

/* The object has no op for the call: its host fd serves it, or it fails. */
#define NOOP VFILE_NOOP

#define IOV_ON_STACK 8
#define SETFL_MASK (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK)

/* sigpipe - a write found no reader: SIGPIPE for the writing thread, as
 * Linux's pipe_write and sock_sendmsg send it (not with MSG_NOSIGNAL). */
static void sigpipe(struct uthread *ut)
{
	siginfo_t si = { .si_signo = SIGPIPE, .si_code = SI_USER };
	si.si_pid = ut->proc->pid;
	si.si_uid = getuid();
	signal_queue(ut->proc, ut, &si);
}

/* io - one read or write through the object's op; a blocking file parks
 * on its poll head until it is ready, as the kernel's files wait. */
static long io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr,
	       struct vmsg *m)
{
	long (*op)(struct vfile *, struct uthread *, struct vmsg *) = wr ? f->ops->write : f->ops->read;
	if (!op)
		return NOOP;
	long r;
	for (;;) {
		/* Moved into the kernel meanwhile: the call goes there. */
		if (vfile_in_kernel(f))
			return m->done ? (long)m->done : OBJCALL_PASS;
		r = op(f, ut, m);
		if (r == -EAGAIN && vfile_in_kernel(f))
			continue;
		if (r != -EAGAIN || f->ops->waits || vfile_nonblock(f, m))
			break;
		signal_arm_wait(ut, ~ut->sigmask);
		/* ERR and HUP end any wait, as poll reports them unasked: the
		 * op then tells EOF or the error. */
		r = vfile_wait(f, (wr ? EPOLLOUT : EPOLLIN) | EPOLLERR | EPOLLHUP, 0);
		/* As the kernel's ERESTARTSYS: on again unless a handler runs. */
		if (r == -EINTR && (r = signal_interrupted(ut, !(e->flags & SF_NORESTART))))
			break;
	}
	if (r < 0 && m->done)
		return (long)m->done; /* what a blocking write queued before */
	if (wr && r == -EPIPE && !(m->flags & MSG_NOSIGNAL))
		sigpipe(ut);
	return r;
}

/* vec_io - the calls that carry an iovec array (readv, preadv2, and the
 * msghdr of recvmsg/sendmsg once read). */
static long vec_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr,
		   uint64_t uiov, long cnt, struct vmsg *m)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	struct iovec small[IOV_ON_STACK], *iov = cnt <= IOV_ON_STACK ? small : malloc(cnt * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	long r = copy_from_user(iov, uiov, cnt * sizeof(*iov)) ? -EFAULT : 0;
	if (!r) {
		m->iov = iov;
		m->iovcnt = (int)cnt;
		r = io(ut, e, f, wr, m);
	}
	if (iov != small)
		free(iov);
	return r;
}

static long msg_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr,
		   uint64_t umsg, int flags)
{
	struct msghdr h;
	if (copy_from_user(&h, umsg, sizeof(h)))
		return -EFAULT;
	struct vmsg m = { .off = -1, .flags = flags, .name = (uint64_t)h.msg_name,
			  .namelen = h.msg_namelen, .control = (uint64_t)h.msg_control,
			  .controllen = h.msg_controllen };
	long r = vec_io(ut, e, f, wr, (uint64_t)h.msg_iov, (long)h.msg_iovlen, &m);
	if (r < 0 || wr)
		return r;
	h.msg_namelen = m.namelen;
	h.msg_controllen = m.controllen;
	h.msg_flags = m.out_flags;
	return copy_to_user(umsg, &h, sizeof(h)) ? -EFAULT : r;
}

/* mmsg_io - sendmmsg/recvmmsg as one msg call per entry; the count
 * done, or the first entry's error. */
static long mmsg_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr, const long a[6])
{
	unsigned vlen = (unsigned)a[2] > IOV_MAX ? IOV_MAX : (unsigned)a[2];
	int flags = (int)a[3];
	long n = 0;
	for (unsigned i = 0; i < vlen; i++) {
		uint64_t um = a[1] + i * sizeof(struct mmsghdr);
		long r = msg_io(ut, e, f, wr, um, flags & ~MSG_WAITFORONE);
		if (r < 0)
			return n ? n : r;
		unsigned len = (unsigned)r;
		if (copy_to_user(um + offsetof(struct mmsghdr, msg_len), &len, sizeof(len)))
			return n ? n : -EFAULT;
		n++;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
	}
	return n;
}

/* How a one-buffer call's length is taken (flat_len): read and write's
 * rules, recv and send's, or as it is (pread, pwrite: their ESPIPE comes
 * first and is the op's; the runtime's own buffers). */
enum len_rule { LEN_VFS, LEN_SOCK, LEN_AS_IS };

/* buf_io - the calls with one buffer: read, pread64, recvfrom and theirs. */
static long buf_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr, enum len_rule rule,
		   uint64_t buf, size_t len, struct vmsg *m)
{
	/* A file not open for it is EBADF before its range (vfs_read). */
	if (rule == LEN_VFS && (f->flags & O_ACCMODE) == (wr ? O_RDONLY : O_WRONLY))
		return -EBADF;
	long n = rule == LEN_AS_IS ? (long)len : flat_len(buf, len, rule == LEN_VFS);
	if (n < 0)
		return n;
	struct iovec one = { (void *)buf, (size_t)n };
	m->iov = &one;
	m->iovcnt = 1;
	return io(ut, e, f, wr, m);
}

static long recvfrom_call(struct uthread *ut, const struct sysent *e, struct vfile *f,
			  const long a[6])
{
	uint32_t len = 0;
	if (a[4] && a[5] && copy_from_user(&len, a[5], 4))
		return -EFAULT;
	struct vmsg m = { .off = -1, .flags = (int)a[3], .name = a[5] ? a[4] : 0, .namelen = len };
	long r = buf_io(ut, e, f, false, LEN_SOCK, a[1], a[2], &m);
	if (r >= 0 && m.name && copy_to_user(a[5], &m.namelen, 4))
		return -EFAULT;
	return r;
}

/* A file with no stat op and no host fd: an anonymous inode, as Linux's. */
static long stat_of(struct vfile *f, bool host, struct stat *st)
{
	unsigned perm = __atomic_load_n(&f->perm, __ATOMIC_RELAXED);
	if (f->ops->stat) {
		long r = f->ops->stat(f, st);
		if (!r && perm)
			st->st_mode = (st->st_mode & S_IFMT) | (perm & 07777);
		return r;
	}
	if (host)
		return NOOP;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IRUSR | S_IWUSR;
	st->st_nlink = 1;
	st->st_uid = geteuid();
	st->st_gid = getegid();
	st->st_blksize = 4096;
	st->st_ino = (uint64_t)f >> 4;
	return 0;
}

long objcall_statx_out(const struct stat *st, uint64_t ubuf)
{
	struct statx sx = {
		.stx_mask = STATX_BASIC_STATS, .stx_blksize = st->st_blksize, .stx_nlink = st->st_nlink,
		.stx_uid = st->st_uid, .stx_gid = st->st_gid, .stx_mode = st->st_mode, .stx_ino = st->st_ino,
		.stx_size = st->st_size, .stx_blocks = st->st_blocks,
	};
	return copy_to_user(ubuf, &sx, sizeof(sx)) ? -EFAULT : 0;
}

static long statx_of(struct vfile *f, bool host, uint64_t ubuf)
{
	struct stat st;
	long r = stat_of(f, host, &st);
	return r ? r : objcall_statx_out(&st, ubuf);
}

static long stat_call(struct vfile *f, bool host, uint64_t ubuf)
{
	struct stat st;
	long r = stat_of(f, host, &st);
	return r ? r : copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

/* empty_path - *at(fd, "", AT_EMPTY_PATH): the call is about fd itself. */
static bool empty_path(uint64_t upath, long flags)
{
	char c;
	return (flags & AT_EMPTY_PATH) && upath && !copy_from_user(&c, upath, 1) && !c;
}

/* set_flags - F_SETFL's, through the program's fd: O_ASYNC only for a kind
 * that signals (Linux 6.x drops it for a file without fasync), and the
 * fd that turns it on is the one SIGIO will name. */
static void set_flags(struct vfile *f, int fd, int flags)
{
	if (!f->ops->fasync)
		flags &= ~O_ASYNC;
	if ((flags & O_ASYNC) && !(f->flags & O_ASYNC))
		__atomic_store_n(&f->async_fd, fd, __ATOMIC_RELAXED);
	__atomic_store_n(&f->flags, (f->flags & ~SETFL_MASK) | (flags & SETFL_MASK), __ATOMIC_RELAXED);
	if (f->ops->setfl)
		f->ops->setfl(f);
}

/* object_lock - a record lock on a pipe or socket of the runtime's, which
 * no other process can open by a path: its arguments are checked as
 * Linux's, and it is granted (a test finds none). Two programs of the
 * instance locking the same range of one such object do not conflict. */
static long object_lock(int cmd, uint64_t arg)
{
	struct flock lock;
	if (copy_from_user(&lock, arg, sizeof(lock)))
		return -EFAULT;
	bool ofd = cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW || cmd == F_OFD_GETLK;
	if ((lock.l_type != F_RDLCK && lock.l_type != F_WRLCK && lock.l_type != F_UNLCK) ||
	    (lock.l_whence != SEEK_SET && lock.l_whence != SEEK_CUR && lock.l_whence != SEEK_END) ||
	    (ofd && lock.l_pid) || ((cmd == F_GETLK || cmd == F_OFD_GETLK) && lock.l_type == F_UNLCK))
		return -EINVAL;
	if (cmd != F_GETLK && cmd != F_OFD_GETLK)
		return 0;
	lock.l_type = F_UNLCK;
	return copy_to_user(arg, &lock, sizeof(lock)) ? -EFAULT : 0;
}

static long fcntl_call(struct uthread *ut, struct vfile *f, bool host, const long a[6])
{
	struct fdtable *t = ut->proc->fdt;
	switch (a[1]) {
	case F_GETFL:
		return __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	case F_SETFL:
		set_flags(f, (int)a[0], (int)a[2]);
		return 0;
	case F_SETSIG:
		if ((unsigned long)a[2] > 64)
			return -EINVAL;
		__atomic_store_n(&f->sigio_sig, (int)a[2], __ATOMIC_RELAXED);
		return 0;
	case F_GETSIG:
		return __atomic_load_n(&f->sigio_sig, __ATOMIC_RELAXED);
	case F_GETFD:
		return host ? OBJCALL_PASS : fdt_get_fdflags(t, a[0]);
	case F_SETFD:
		return host ? OBJCALL_PASS : fdt_set_fdflags(t, a[0], (int)a[2]);
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return OBJCALL_PASS; /* the fd table's handler */
	case F_SETLK:
	case F_SETLKW:
	case F_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_OFD_GETLK:
		return host ? OBJCALL_PASS : object_lock((int)a[1], a[2]);
	case F_SETOWN:
	case F_GETOWN:
	case F_SETOWN_EX:
	case F_GETOWN_EX:
		return fd_owner_fcntl(ut, f, -1, (int)a[1], a[2]); /* kept with the object */
	default:
		return f->ops->fcntl ? f->ops->fcntl(f, ut, (int)a[1], a[2]) : NOOP;
	}
}

static long ioctl_call(struct uthread *ut, struct vfile *f, bool host, const long a[6])
{
	int on;
	switch ((unsigned)a[1]) {
	case FIONBIO:
		if (copy_from_user(&on, a[2], sizeof(on)))
			return -EFAULT;
		set_flags(f, (int)a[0], on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK);
		return 0;
	case FIOASYNC:
		if (copy_from_user(&on, a[2], sizeof(on)))
			return -EFAULT;
		/* ioctl_fioasync: ENOTTY for a file without fasync, once
		 * the flag would change. */
		if (!f->ops->fasync && on)
			return -ENOTTY;
		set_flags(f, (int)a[0], on ? f->flags | O_ASYNC : f->flags & ~O_ASYNC);
		return 0;
	case FIOCLEX:
	case FIONCLEX:
		if (host)
			return OBJCALL_PASS;
		return fdt_set_fdflags(ut->proc->fdt, a[0], (unsigned)a[1] == FIOCLEX ? FD_CLOEXEC : 0);
	default:
		return f->ops->ioctl ? f->ops->ioctl(f, ut, (unsigned)a[1], a[2]) : NOOP;
	}
}

static long accept_call(struct uthread *ut, struct vfile *f, const long a[6], int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	long err = 0;
	struct vfile *nf = f->sock->accept(f, ut, a[1], a[2], flags, &err);
	if (!nf) /* err >= 0: a kernel socket (a peer from outside the instance) */
		return err >= 0 ? kcall_new_fd(ut, err) : err;
	if (flags & SOCK_NONBLOCK)
		nf->flags |= O_NONBLOCK;
	long v = fdt_install_obj(ut->proc->fdt, -1, nf, 0, (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0);
	if (v < 0)
		vfile_put(nf);
	return v;
}

/* socket_call - the second table; NOOP for an object that is no socket. */
static long socket_call(struct uthread *ut, long nr, struct vfile *f, const long a[6])
{
	const struct socket_ops *s = f->sock;
	if (!s)
		return NOOP;
#define SOCK(op, ...) (s->op ? s->op(f, ut, __VA_ARGS__) : -EOPNOTSUPP)
	switch (nr) {
	case SYS_bind: return SOCK(bind, a[1], (uint32_t)a[2]);
	case SYS_listen: return SOCK(listen, (int)a[1]);
	case SYS_connect: return SOCK(connect, a[1], (uint32_t)a[2]);
	case SYS_shutdown: return SOCK(shutdown, (int)a[1]);
	case SYS_getsockopt: return SOCK(getsockopt, (int)a[1], (int)a[2], a[3], a[4]);
	case SYS_setsockopt: return SOCK(setsockopt, (int)a[1], (int)a[2], a[3], (uint32_t)a[4]);
	case SYS_getsockname: return SOCK(getsockname, a[1], a[2]);
	case SYS_getpeername: return SOCK(getpeername, a[1], a[2]);
	case SYS_accept: return s->accept ? accept_call(ut, f, a, 0) : -EOPNOTSUPP;
	case SYS_accept4: return s->accept ? accept_call(ut, f, a, (int)a[3]) : -EOPNOTSUPP;
	}
#undef SOCK
	return NOOP;
}

unsigned objcall_file_type(struct vfile *f)
{
	struct stat st;
	return f->ops->stat && !f->ops->stat(f, &st) ? st.st_mode & S_IFMT : 0;
}

/* vmsplice_call - user memory into a pipe (its write end) or out of it
 * (its read end): a writev or readv as far as anyone can tell. */
static long vmsplice_call(struct uthread *ut, const struct sysent *e, struct vfile *f,
			  const long a[6])
{
	if (a[3] & ~(long)(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT))
		return -EINVAL;
	if (objcall_file_type(f) != S_IFIFO)
		return -EBADF;
	struct vmsg m = { .off = -1, .flags = (a[3] & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0 };
	return vec_io(ut, e, f, (f->flags & O_ACCMODE) != O_RDONLY, a[1], a[2], &m);
}

long objcall_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr, void *buf,
		size_t len, int flags)
{
	struct vmsg m = { .off = -1, .flags = flags };
	long r = buf_io(ut, e, f, wr, LEN_AS_IS, (uint64_t)buf, len, &m);
	return r == NOOP ? -EINVAL : r == OBJCALL_PASS ? -EAGAIN : r;
}

/* serve - the call as the object's ops; NOOP if it has none for it. */
static long serve(struct uthread *ut, long nr, const struct sysent *e, struct vfile *f, bool host,
		  const long a[6])
{
	struct vmsg m = { .off = -1, .rw = true };
	long fo; /* sendto/sendmsg's MSG_FASTOPEN */
	switch (nr) {
	case SYS_read:
		return buf_io(ut, e, f, false, LEN_VFS, a[1], a[2], &m);
	case SYS_write:
		m.rw = false; /* write(fd, p, 0) sends an empty datagram; writev of nothing does not */
		return buf_io(ut, e, f, true, LEN_VFS, a[1], a[2], &m);
	case SYS_pread64:
	case SYS_pwrite64:
		if (a[3] < 0)
			return -EINVAL;
		m.off = a[3];
		return buf_io(ut, e, f, nr == SYS_pwrite64, LEN_AS_IS, a[1], a[2], &m);
	case SYS_readv:
	case SYS_writev:
		return vec_io(ut, e, f, nr == SYS_writev, a[1], a[2], &m);
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_preadv2:
	case SYS_pwritev2:
		/* preadv2's offset -1 is the file position; preadv's is EINVAL. */
		if (a[3] < -1 || (a[3] == -1 && (nr == SYS_preadv || nr == SYS_pwritev)))
			return -EINVAL;
		m.off = a[3];
		return vec_io(ut, e, f, nr == SYS_pwritev || nr == SYS_pwritev2, a[1], a[2], &m);
	case SYS_recvfrom:
		return f->sock ? recvfrom_call(ut, e, f, a) : NOOP;
	case SYS_sendto:
		if (!f->sock)
			return NOOP;
		if ((a[3] & MSG_FASTOPEN) && (fo = sys_socket_fastopen(ut, f, nr, a)) != NOOP)
			return fo;
		m.rw = false;
		m.flags = (int)a[3];
		m.name = a[4];
		m.namelen = (uint32_t)a[5];
		return buf_io(ut, e, f, true, LEN_SOCK, a[1], a[2], &m);
	case SYS_sendmsg:
		if (f->sock && (a[2] & MSG_FASTOPEN) && (fo = sys_socket_fastopen(ut, f, nr, a)) != NOOP)
			return fo;
		/* fall through */
	case SYS_recvmsg:
		if (!f->sock)
			return NOOP;
		return msg_io(ut, e, f, nr == SYS_sendmsg, a[1], (int)a[2]);
	case SYS_recvmmsg:
	case SYS_sendmmsg:
		return f->sock ? mmsg_io(ut, e, f, nr == SYS_sendmmsg, a) : NOOP;
	case SYS_fstat:
		return stat_call(f, host, a[1]);
	case SYS_newfstatat:
		return empty_path(a[1], a[3]) ? stat_call(f, host, a[2]) : NOOP;
	case SYS_statx:
		return empty_path(a[1], a[2]) ? statx_of(f, host, a[4]) : NOOP;
	case SYS_fcntl:
		return fcntl_call(ut, f, host, a);
	case SYS_fchmod: /* the inode of a socket or pipe takes it (ksh's pipes) */
		__atomic_store_n(&f->perm, (uint16_t)(VFILE_PERM_SET | ((unsigned)a[1] & 07777)), __ATOMIC_RELAXED);
		return 0;
	case SYS_ioctl:
		return ioctl_call(ut, f, host, a);
	case SYS_lseek:
		return f->ops->lseek ? f->ops->lseek(f, a[1], (int)a[2]) : NOOP;
	case SYS_getdents64:
		return f->ops->getdents64 ? f->ops->getdents64(f, ut, a[1], a[2]) : NOOP;
	case SYS_vmsplice:
		return vmsplice_call(ut, e, f, a);
	case SYS_splice:
	case SYS_tee:
	case SYS_sendfile:
	case SYS_copy_file_range:
		return OBJCALL_PASS; /* sys_splice.c: either fd may be an object */
	default:
		return socket_call(ut, nr, f, a);
	}
}

/* unsupported - what Linux answers for a file without the operation. */
static long unsupported(long nr, const struct sysent *e)
{
	if (e->args[0] == A_DIRFD)
		return -ENOTDIR;
	switch (nr) {
	case SYS_lseek: return -ESPIPE;
	case SYS_ioctl: return -ENOTTY;
	case SYS_getdents64: return -ENOTDIR;
	case SYS_bind: case SYS_listen: case SYS_accept: case SYS_accept4: case SYS_connect:
	case SYS_shutdown: case SYS_getsockopt: case SYS_setsockopt: case SYS_getsockname:
	case SYS_getpeername: case SYS_recvfrom: case SYS_sendto: case SYS_recvmsg:
	case SYS_sendmsg: case SYS_recvmmsg: case SYS_sendmmsg:
		return -ENOTSOCK;
	default: return -EINVAL;
	}
}

/* table_call - a call whose handler works on the fd table itself: no
 * object lookup here (epoll_wait's own costs as much). */
static bool table_call(long nr)
{
	switch (nr) {
	case SYS_close:
	case SYS_dup:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_close_range:
	case SYS_signalfd:
	case SYS_signalfd4:
	case SYS_epoll_ctl:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
	case SYS_pidfd_send_signal:
	case SYS_pidfd_getfd:
		return true;
	default:
		return false;
	}
}

/* serve_in_kernel - a call on f, moved into the kernel: the entry has (or
 * takes) a kernel fd and the call goes there, as for any, but for what
 * the object kept and a relative AF_UNIX name, the program's cwd's. */
static long serve_in_kernel(struct uthread *ut, long nr, const struct sysent *e, struct vfile *f, bool host,
			    const long a[6])
{
	if (f->sock && f->sock->kept) {
		long r = f->sock->kept(f, nr, a);
		if (r != NOOP)
			return r;
	}
	long h = host ? 0 : fdt_settle(ut->proc->fdt, a[0]);
	if (h < 0 && h != -EBADF)
		return h;
	struct unix_kargs k;
	long r = unix_kernel_args(f, ut, nr, a, &k);
	if (r == NOOP)
		return OBJCALL_PASS;
	if (r)
		return r;
	r = kcall_serve(ut, nr, e, k.a);
	unix_kargs_done(f, ut, nr, r, &k);
	return r;
}

/* on_file - objcall on f, the object of fd a[0] (the caller's reference). */
static long on_file(struct uthread *ut, long nr, const struct sysent *e, struct vfile *f, const long a[6])
{
	struct fdtable *t = ut->proc->fdt;
	bool host = fdt_host(t, a[0]) >= 0;
	if (vfile_in_kernel(f))
		return serve_in_kernel(ut, nr, e, f, host, a);
	long r = serve(ut, nr, e, f, host, a);
	if (r == VFILE_BECAME_KERNEL || r == VFILE_BECAME_KERNEL_DONE) {
		long m = sys_socket_to_kernel(ut, f);
		/* the kernel socket serves this call, or served it */
		r = m ? m : r == VFILE_BECAME_KERNEL ? serve_in_kernel(ut, nr, e, f, fdt_host(t, a[0]) >= 0, a) : 0;
	}
	if (r == NOOP)
		r = host ? OBJCALL_PASS : unsupported(nr, e);
	return r;
}

long objcall(struct uthread *ut, long nr, const struct sysent *e, const long a[6])
{
	if (table_call(nr))
		return OBJCALL_PASS;
	struct vfile *f = fdt_obj(ut->proc->fdt, a[0]);
	if (!f)
		return OBJCALL_PASS; /* closed meanwhile: the table answers */
	struct vfile *outer = ut->held.file;
	ut->held.file = f;
	long r = on_file(ut, nr, e, f, a);
	ut->held.file = outer;
	vfile_put(f);
	return r;
}
