/* mid_io.c - calls on fds and clocks served on the gate's mid path: reads, writes, epoll, close, getsockopt, clock_gettime. */
#include "sys/mid_io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "core/timeutil.h"
#include "fs/epoll.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "proc/cputime.h"
#include "proc/procfs.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/sched.h"
#include "sched/timer.h"
#include "sched/vcpu.h"
#include "sys/fsize.h"

/*
 * Without FSGSBASE a change of %fs is a kernel call (arch_prctl: 3-4 us
 * where the hypervisor traps the MSR write), and the full path makes two
 * a call: the runtime's %fs in, the app's out. A fused server's reads,
 * writes and waits on in-memory sockets cost 8 us each that way. These
 * are served on the app's %fs instead (entry/gate.S, mid): nothing here
 * or below may call library code or touch TLS (malloc, errno, stdio).
 * What cannot be served so goes to the full path with nothing changed.
 */

/* A short iovec array here (more: the full path's); its bytes, or -1. */
#define MID_IOV 8

static long take_iov(struct iovec *iov, uint64_t uiov, long n)
{
	if (n <= 0 || n > MID_IOV || uiov < UACCESS_MIN || copy_from_user(iov, uiov, n * sizeof(*iov)))
		return -1;
	long total = 0;
	for (long i = 0; i < n; i++) {
		/* EFAULT's and EINVAL's rules, and 0 bytes, are the full path's. */
		if ((iov[i].iov_len && (uint64_t)iov[i].iov_base < UACCESS_MIN) || (ssize_t)iov[i].iov_len < 0 ||
		    (total += (long)iov[i].iov_len) < 0)
			return -1;
	}
	return total ? total : -1;
}

/* kernel_bytes - a call's bytes on host fd host, which cannot wait
 * (nonblock: its description's O_NONBLOCK, as noted; or MSG_DONTWAIT),
 * else VFILE_MID_PASS (the full path parks). A socket call goes as
 * sendmsg or recvmsg, the others as writev or readv. Sockets a fork moved
 * into the kernel (a server's clients, after a prefork) and memcached's
 * sendmsg to its clients outside took two %fs changes a call without
 * FSGSBASE. */
static long kernel_bytes(int host, bool wr, bool sock_call, struct iovec *iov, long n, long flags, bool nonblock)
{
	if (!nonblock && !(sock_call && (flags & MSG_DONTWAIT)))
		return VFILE_MID_PASS;
	/* A bad pointer is EFAULT's, which page 0 mapped (zpoline) hides
	 * from the kernel: the full path's. */
	for (long i = 0; i < n; i++)
		if (iov[i].iov_len && (uint64_t)iov[i].iov_base < UACCESS_MIN)
			return VFILE_MID_PASS;
	long r;
	if (sock_call) {
		struct msghdr h = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		r = raw_syscall3(wr ? SYS_sendmsg : SYS_recvmsg, host, (long)&h, flags | MSG_DONTWAIT);
	} else {
		r = raw_syscall3(wr ? SYS_writev : SYS_readv, host, (long)iov, n);
	}
	/* Cut by a host signal: the full path's restart rules. */
	return r == -EINTR ? VFILE_MID_PASS : r;
}

long mid_io(struct uthread *ut, long nr, const long a[6])
{
	struct iovec iov[MID_IOV];
	long n = 1, flags = 0, len;
	bool wr = nr == SYS_write || nr == SYS_writev || nr == SYS_sendto || nr == SYS_sendmsg;
	bool sock_call = nr == SYS_recvfrom || nr == SYS_sendto || nr == SYS_sendmsg;
	switch (nr) {
	case SYS_read:
	case SYS_write:
		if ((len = flat_len((uint64_t)a[1], (size_t)a[2], 1)) < 0)
			return VFILE_MID_PASS;
		iov[0] = (struct iovec){ (void *)a[1], (size_t)len };
		break;
	case SYS_readv:
	case SYS_writev:
		n = a[2];
		if (take_iov(iov, (uint64_t)a[1], n) < 0)
			return VFILE_MID_PASS;
		break;
	case SYS_recvfrom:
	case SYS_sendto:
		/* An address is the full path's. */
		if (a[4] || (len = flat_len((uint64_t)a[1], (size_t)a[2], 0)) < 0)
			return VFILE_MID_PASS;
		iov[0] = (struct iovec){ (void *)a[1], (size_t)len };
		flags = a[3];
		break;
	case SYS_sendmsg: {
		struct msghdr h;
		if ((uint64_t)a[1] < UACCESS_MIN || copy_from_user(&h, a[1], sizeof(h)) || h.msg_name ||
		    h.msg_controllen || take_iov(iov, (uint64_t)h.msg_iov, (long)h.msg_iovlen) < 0)
			return VFILE_MID_PASS;
		n = (long)h.msg_iovlen;
		flags = a[2];
		break;
	}
	default:
		return VFILE_MID_PASS;
	}
	/* Other flags, 0 bytes (a no-op or a probe, by kind) and bad
	 * pointers (EFAULT's rules) are the full path's. */
	if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) || !iov[0].iov_len || (uint64_t)iov[0].iov_base < UACCESS_MIN)
		return VFILE_MID_PASS;
	/* A host fd: a kernel file's sendmsg (lean.c), or an object a fork
	 * moved into the kernel, whose calls go to its host fd (objcall); not
	 * an object that keeps a kernel socket beside (a datagram socket's,
	 * for peers outside): its own ops. */
	struct fdent *fe = fdt_ent(ut->proc->fdt, (int)a[0]);
	int host = fe ? __atomic_load_n(&fe->host, __ATOMIC_ACQUIRE) : -1;
	bool held;
	if (host >= 0 && !__atomic_load_n(&fe->obj, __ATOMIC_ACQUIRE))
		return kernel_bytes(host, wr, sock_call, iov, n, flags, fdent_o_nonblock(fe));
	if (host >= 0) {
		struct vfile *o = mid_hold_any(ut, (int)a[0], &held);
		long r = o && vfile_in_kernel(o) ? kernel_bytes(host, wr, sock_call, iov, n, flags, fdent_o_nonblock(fe))
						 : VFILE_MID_PASS;
		if (o)
			mid_release(ut, o, held);
		return r;
	}
	struct vfile *f = mid_hold(ut, (int)a[0], &held);
	long r = VFILE_MID_PASS;
	if (f && f->ops->mid_io && (!sock_call || f->sock) &&
	    (f->flags & O_ACCMODE) != (wr ? O_RDONLY : O_WRONLY))
		r = f->ops->mid_io(f, wr, iov, (int)n, (int)flags);
	if (f)
		mid_release(ut, f, held);
	return r;
}

/* plain_host - the host fd at vfd when it has no object, else -1. */
static int plain_host(struct uthread *ut, int vfd)
{
	struct fdent *fe = fdt_ent(ut->proc->fdt, vfd);
	if (!fe)
		return -1;
	/* The host fd before the object, as installs write them the other
	 * way round: a host fd seen with no object is no earlier file's. */
	int host = __atomic_load_n(&fe->host, __ATOMIC_ACQUIRE);
	return host >= 0 && !__atomic_load_n(&fe->obj, __ATOMIC_ACQUIRE) ? host : -1;
}

/* poll_probe - the kernel's answer to adding host fd host to an epoll set
 * (the vCPU's own scratch one, taken out again): 0, -EPERM for a file
 * that cannot be polled, or another error. */
static long poll_probe(int host)
{
	struct vcpu *v = vcpu_self();
	if (v->probe_epfd < 0) {
		long p = raw_syscall3(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0);
		if (p < 0)
			return p;
		v->probe_epfd = (int)p;
	}
	struct epoll_event ev = { .events = EPOLLIN };
	long r = raw_syscall6(SYS_epoll_ctl, v->probe_epfd, EPOLL_CTL_ADD, host, (long)&ev, 0, 0);
	if (r == 0)
		raw_syscall6(SYS_epoll_ctl, v->probe_epfd, EPOLL_CTL_DEL, host, 0, 0, 0);
	return r;
}

long mid_epoll_ctl(struct uthread *ut, const long a[6])
{
	struct epoll_event ev;
	int op = (int)a[1];
	if ((op != EPOLL_CTL_ADD && op != EPOLL_CTL_DEL && op != EPOLL_CTL_MOD) ||
	    (op != EPOLL_CTL_DEL && copy_from_user(&ev, a[3], sizeof(ev))))
		return VFILE_MID_PASS;
	int set_host = plain_host(ut, (int)a[0]), host = plain_host(ut, (int)a[2]);
	/* Two kernel files: the kernel's call, its checks (EPERM, EINVAL). */
	if (set_host >= 0 && host >= 0)
		return raw_syscall6(SYS_epoll_ctl, set_host, op, host, (long)&ev, 0, 0);
	bool held_set, held;
	struct vfile *set = mid_hold(ut, (int)a[0], &held_set);
	/* A regular file most often cannot be polled (not sysfs's, nor
	 * FUSE's): EPERM, as the kernel says of it, before any other check of
	 * Linux's but the fds' own (Go's os.Open offers each file it opens to
	 * its netpoller: caddy, once a request). */
	if (is_eventpoll(set) && host >= 0 && fdent_regular_file(fdt_ent(ut->proc->fdt, (int)a[2])) &&
	    poll_probe(host) == -EPERM) {
		mid_release(ut, set, held_set);
		return -EPERM;
	}
	struct vfile *f = is_eventpoll(set) && host < 0 ? mid_hold(ut, (int)a[2], &held) : NULL;
	long r = VFILE_MID_PASS;
	if (f && f->ops->poll && eventpoll_ctl_mid(set, op, f, (int)a[2], op == EPOLL_CTL_DEL ? NULL : &ev) == 0)
		r = 0;
	else if (is_eventpoll(set) && host >= 0 && (r = eventpoll_ctl_kernel_mid(set, op, host, &ev)) == -EAGAIN)
		r = VFILE_MID_PASS;
	if (f)
		mid_release(ut, f, held);
	if (set)
		mid_release(ut, set, held_set);
	return r;
}

long mid_close(struct uthread *ut, const long a[6])
{
	/* Locks the file's last close drops (posix_locks_closed): the full
	 * path's; so is an object's put, which may release it. */
	if (__atomic_load_n(&ut->proc->plocks, __ATOMIC_ACQUIRE))
		return VFILE_MID_PASS;
	int host = fdt_remove_plain(ut->proc->fdt, (int)a[0]);
	if (host == -EAGAIN)
		return VFILE_MID_PASS;
	if (host < 0)
		return host;
	/* Linux: the fd is gone even if close reports an error (EINTR, EIO). */
	long r = raw_syscall3(SYS_close, host, 0, 0);
	return r == -EINTR ? 0 : r;
}

long mid_query(struct uthread *ut, long nr, const long a[6])
{
	/* Bad pointers: EFAULT's rules are the full path's. */
	if (nr == SYS_getsockopt ? (uint64_t)a[3] < UACCESS_MIN || (uint64_t)a[4] < UACCESS_MIN
				 : (uint64_t)a[2] < UACCESS_MIN)
		return VFILE_MID_PASS;
	bool held;
	struct vfile *f = mid_hold(ut, (int)a[0], &held);
	long r = VFILE_MID_PASS;
	if (f && f->ops->mid_call)
		r = f->ops->mid_call(f, nr, a);
	if (f)
		mid_release(ut, f, held);
	return r;
}

/* sendfile_kernel - sendfile between two kernel files, in place where the
 * full path would make it so (sys/kcall.c's issue: into a file whose
 * O_NONBLOCK is set, a socket or pipe that then never waits; not into a
 * regular file noted only as never waiting, whose long copy is a
 * worker's), else VFILE_MID_PASS. nginx serving clients
 * outside: the full path's two %fs changes and F_GETFL, three kernel
 * calls a request, where there are no FSGSBASE. */
static long sendfile_kernel(struct uthread *ut, int out, int in, const long a[6])
{
	/* The note read after the host fd (plain_host), which installs write
	 * last: never an earlier file's. */
	if (!fdent_o_nonblock(fdt_ent(ut->proc->fdt, (int)a[0])) || fsize_limited(ut->proc) ||
	    (a[2] && (uint64_t)a[2] < UACCESS_MIN))
		return VFILE_MID_PASS;
	long r = raw_syscall6(SYS_sendfile, out, in, a[2], a[3], 0, 0);
	/* Cut by a host signal: the full path's restart rules. */
	return r == -EINTR ? VFILE_MID_PASS : r;
}

long mid_sendfile(struct uthread *ut, const long a[6])
{
	long count = a[3];
	int in = plain_host(ut, (int)a[1]), out_host = plain_host(ut, (int)a[0]);
	if (in >= 0 && out_host >= 0)
		return sendfile_kernel(ut, out_host, in, a);
	int64_t off;
	/* The file position's own sendfile (no offset), a count of 0 and the
	 * bad pointers are the full path's. */
	if (in < 0 || count <= 0 || (uint64_t)a[2] < UACCESS_MIN || copy_from_user(&off, a[2], sizeof(off)) ||
	    off < 0)
		return VFILE_MID_PASS;
	bool held;
	struct vfile *out = mid_hold(ut, (int)a[0], &held);
	long done = 0, r = VFILE_MID_PASS;
	/* Into a non-blocking socket (a blocking one may park: the full path;
	 * an eventfd is EINVAL there). */
	if (out && out->sock && out->ops->mid_io && (out->flags & O_NONBLOCK) && (out->flags & O_ACCMODE) != O_RDONLY) {
		char *buf = vcpu_self()->bounce;
		while (done < count) {
			long n = count - done < VCPU_BOUNCE ? count - done : VCPU_BOUNCE;
			long got = raw_syscall6(SYS_pread64, in, (long)buf, n, off + done, 0, 0);
			if (got <= 0) {
				r = got ? VFILE_MID_PASS : 0; /* an error: the full path reports it */
				break;
			}
			struct iovec iov = { buf, (size_t)got };
			long sent = out->ops->mid_io(out, true, &iov, 1, MSG_DONTWAIT);
			if (sent < 0) {
				r = sent;
				break;
			}
			done += sent;
			if (sent < got)
				break; /* full: the rest of what was read stays in the file */
		}
	}
	if (out)
		mid_release(ut, out, held);
	if (!done)
		return r;
	off += done;
	return copy_to_user(a[2], &off, sizeof(off)) ? -EFAULT : done;
}

long mid_epoll_wait(struct uthread *ut, long nr, const long a[6])
{
	int max = (int)a[2], timeout = (int)a[3];
	/* A timeout's timer must not grow its heap (realloc). */
	if ((nr == SYS_epoll_pwait && a[4]) || eventpoll_wait_args(a[1], max) || (uint64_t)a[1] < UACCESS_MIN ||
	    !timeout || (timeout > 0 && !timer_room()))
		return VFILE_MID_PASS;
	bool held;
	struct vfile *f = mid_hold(ut, (int)a[0], &held);
	long r = VFILE_MID_PASS;
	if (is_eventpoll(f)) {
		struct vfile *outer = ut->held.file;
		ut->held.file = f;
		/* The lean gate looked at the set a moment ago (vcpu.ep_looked). */
		vcpu_self()->ep_looked = 0;
		signal_arm_wait(ut, ~ut->sigmask);
		r = eventpoll_wait_mid(f, (uint64_t)a[1], max, wait_end_ms(timeout).deadline);
		ut->held.file = outer;
		/* -EAGAIN: kwait's, right after a look (the gate's or the
		 * loop's), which the full path need not make again; -EINTR:
		 * the signal rules (restart, EINTR) are the full path's, which
		 * finds the signal at once. */
		if (r == -EAGAIN)
			vcpu_self()->ep_looked = 1;
		if (r == -EAGAIN || r == -EINTR)
			r = VFILE_MID_PASS;
	}
	if (f)
		mid_release(ut, f, held);
	return r;
}

long mid_clock_gettime(struct uthread *ut, const long a[6])
{
	clockid_t clk = (clockid_t)a[0];
	struct timespec ts;
	if ((uint64_t)a[1] < UACCESS_MIN)
		return VFILE_MID_PASS;
	/* The caller's thread clock once its program's threads are counted
	 * (haproxy reads it each turn of its loop; the vDSO cannot). */
	if (clk == CLOCK_THREAD_CPUTIME_ID && __atomic_load_n(&ut->proc->cpu_acct, __ATOMIC_ACQUIRE)) {
		ts = timespec_add_ns((struct timespec){ 0, 0 }, (long)cputime_thread_ns(ut, ut));
	} else if (clk >= 0 && clk != CLOCK_THREAD_CPUTIME_ID) {
		/* The host's clocks (the process's CPU time is the host process's). */
		long r = raw_syscall3(SYS_clock_gettime, clk, (long)&ts, 0);
		if (r < 0)
			return r;
	} else {
		return VFILE_MID_PASS; /* ids of other programs and threads */
	}
	return copy_to_user(a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

/* dev_alias - a relative path that names a program's fd from /dev (cwd
 * or dirfd /dev: gzip opens "/dev/", then "stdin"): the full path maps it
 * (procfs.c absolute). */
static bool dev_alias(const char h[8])
{
	static const char *const names[] = { "stdin", "stdout", "stderr", "fd/" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *n = names[i];
		unsigned j = 0;
		while (n[j] && h[j] == n[j])
			j++;
		if (!n[j] && (n[j - 1] == '/' || !h[j] || h[j] == '/'))
			return true;
	}
	return false;
}

long mid_openat(struct uthread *ut, const long a[6])
{
	int dirfd = (int)a[0];
	uint64_t path = (uint64_t)a[1];
	long flags = a[2];
	char h[8];
	const char *cwd = ut->proc->cwd;
	/* A file made (the program's umask), O_PATH, what may name a
	 * program's /proc entry or fd (the full path's procfs_open), a bad
	 * pointer: the full path's. */
	if ((flags & (O_CREAT | __O_TMPFILE | O_PATH)) || path < UACCESS_MIN || copy_from_user(h, path, sizeof(h)) ||
	    procfs_under(h) || procfs_may_alias(h))
		return VFILE_MID_PASS;
	int hdir = dirfd == AT_FDCWD ? ut->proc->cwd_fd : plain_host(ut, dirfd);
	if (h[0] != '/' && (hdir < 0 || (dirfd == AT_FDCWD && cwd && procfs_under(cwd)) || dev_alias(h)))
		return VFILE_MID_PASS;
	/* A blocking open of a FIFO waits for its other end, a device's may
	 * do anything: regular files and directories only (the full path's
	 * check for a FIFO is this stat too). A name that is not there is not
	 * there. A non-blocking open waits for nothing, and the full path
	 * makes it as it is whatever it names: no stat first (nginx opens
	 * each file it serves so: a kernel call a request less). */
	bool nonblock = flags & O_NONBLOCK;
	struct stat st;
	if (!nonblock) {
		long r = raw_syscall6(SYS_newfstatat, hdir, path, (long)&st,
				      (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0, 0, 0);
		if (r == -ENOENT || r == -ENOTDIR)
			return r;
		if (r || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			return VFILE_MID_PASS; /* O_NOFOLLOW's link (ELOOP) too */
	}
	struct fdtable *t = ut->proc->fdt;
	int vfd = fdt_reserve(t);
	if (vfd < 0)
		return VFILE_MID_PASS; /* the table grows, or EMFILE: the full path */
	uint32_t gen = __atomic_load_n(&fdt_flags_gen, __ATOMIC_ACQUIRE);
	long host = raw_syscall6(SYS_openat, hdir, path, flags, 0, 0, 0);
	if (host < 0) {
		fdt_unreserve(t, vfd);
		/* Cut by a host signal (a slow file system): the full path
		 * issues it again and applies the signal rules. */
		return host == -EINTR ? VFILE_MID_PASS : host;
	}
	/* As sys_file.c's open_call: a file that never waits is noted so,
	 * from the stat above rather than a kernel call more (only a name
	 * replaced between the two by one that waits would be noted wrong);
	 * noted before the number is the file's, so the note is never
	 * another file's that took the number after a close. */
	bool file = !nonblock && fdt_file_never_waits(&st);
	fdt_fill_reserved(t, vfd, (int)host);
	fdt_note_nonblock(t, vfd, (int)host, gen, nonblock, file);
	return vfd;
}
