/* sys_socket.c - socket(2) and socketpair(2) as user-space objects, and the hooks net/ borrows. */
#include "sys/sys_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/hostcred.h"
#include "core/rawsys.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "net/socket.h"
#include "proc/signal.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sched/waitq.h"
#include "sys/inflight.h"
#include "sys/kcall.h"
#include "sys/objcall.h"
#include "sys/sys_fd.h"
#include "sys/systab.h"

static void hook_cred(struct uthread *ut, struct chan_cred *c)
{
	const struct hostcred *ids = __atomic_load_n(&ut->proc->cred, __ATOMIC_ACQUIRE);
	*c = (struct chan_cred){ .pid = ut->proc->pid, .uid = ids->euid, .gid = ids->egid };
}

static long hook_fd_file(struct uthread *ut, int fd, struct net_file **out)
{
	struct fdtable *t = ut->proc->fdt;
	int host = fdt_host(t, fd);
	struct vfile *obj = fdt_obj(t, fd);
	if (host < 0 && !obj)
		return -EBADF;
	struct net_file *nf = malloc(sizeof(*nf));
	if (!nf) {
		vfile_put(obj);
		return -ENOMEM;
	}
	nf->obj = obj;
	nf->host = host >= 0 ? (int)raw_syscall3(SYS_fcntl, host, F_DUPFD_CLOEXEC, 0) : -1;
	if (host >= 0 && nf->host < 0) {
		long r = nf->host;
		nf->host = -1;
		net_file_put(nf);
		return r;
	}
	*out = nf;
	return 0;
}

static long hook_fd_install(struct uthread *ut, struct net_file *nf, int cloexec)
{
	struct fdtable *t = ut->proc->fdt;
	/* A host fd's close-on-exec is its own flag; the dup has it set. */
	if (nf->host >= 0 && !cloexec)
		raw_syscall3(SYS_fcntl, nf->host, F_SETFD, 0);
	long v = nf->obj ? fdt_install_obj(t, nf->host, nf->obj, 0, cloexec ? FD_CLOEXEC : 0)
			 : fdt_install(t, nf->host, 0);
	if (v < 0) {
		net_file_put(nf);
		return v;
	}
	free(nf); /* its object and host fd are the table's now */
	return v;
}

/* As the kernel's ERESTARTSYS: on again after a signal unless a handler
 * runs; a call with a timeout is never restarted (signal(7)). */
static long hook_wait_until(struct uthread *ut, struct waitq *q, uint32_t events, bool (*ready)(void *arg),
			    void *arg, uint64_t deadline)
{
	for (;;) {
		signal_arm_wait(ut, ~ut->sigmask);
		long r = waitq_wait_until(q, events, ready, arg, deadline);
		if (r != -EINTR)
			return r;
		const struct sysent *e = systab_get((long)ut->tf.rax);
		if ((r = signal_interrupted(ut, !deadline && e && !(e->flags & SF_NORESTART))))
			return r;
	}
}

static int hook_cwd_fd(struct uthread *ut)
{
	return ut->proc->cwd_synced ? AT_FDCWD : ut->proc->cwd_fd;
}

static unsigned hook_umask(struct uthread *ut)
{
	return ut->proc->umask;
}

static long hook_rights_in(struct uthread *ut, char *ctl, size_t *len, int *mflags)
{
	return inflight_map_rights(ut, ctl, len, false, mflags);
}

static const struct net_hooks hooks = {
	.cred = hook_cred,
	.fd_file = hook_fd_file,
	.fd_install = hook_fd_install,
	.wait_until = hook_wait_until,
	.cwd_fd = hook_cwd_fd,
	.umask = hook_umask,
	.rights_in = hook_rights_in,
};

void sys_socket_init(void)
{
	net_init(&hooks);
}

long sys_socket_to_kernel(struct uthread *ut, struct vfile *f)
{
	/* As when it leaves the process (host_file): the object is its kernel
	 * socket from now on, and its epoll items and poll waiters follow the
	 * kernel file (an upstream socket nginx put in epoll before connect()
	 * to an outside server never reported the connection when the fds
	 * were just replaced). Every entry naming it takes a dup. */
	int kfd = f->ops->host_file ? f->ops->host_file(f) : -EINVAL;
	if (kfd < 0)
		return kfd;
	struct fdtable *t = ut->proc->fdt;
	for (int v = 0, max = fdt_max(t); v <= max; v++) {
		struct fdent *e = fdt_ent(t, v);
		if (e && __atomic_load_n(&e->obj, __ATOMIC_ACQUIRE) == f && e->host < 0) {
			int h = fdt_settle(t, v);
			if (h < 0)
				return h;
		}
	}
	fdt_flags_changed();
	return 0;
}

/* socket(2): AF_UNIX, TCP and UDP are user-space objects (net/ decides
 * at connect or send whether a peer is local); other kinds are the kernel's. */
long sys_socket(struct uthread *ut, const long a[6])
{
	long err = 0;
	struct vfile *f = net_socket(ut, (int)a[0], (int)a[1], (int)a[2], &err);
	if (!f)
		return err == -EAFNOSUPPORT ? kcall(ut, SYS_socket, systab_get(SYS_socket), a) : err;
	long v = fdt_install_obj(ut->proc->fdt, -1, f, 0, (a[1] & SOCK_CLOEXEC) ? FD_CLOEXEC : 0);
	if (v < 0)
		vfile_put(f);
	return v;
}

long sys_socketpair(struct uthread *ut, const long a[6])
{
	struct vfile *sv[2];
	if (a[0] != AF_UNIX)
		return kcall(ut, SYS_socketpair, systab_get(SYS_socketpair), a);
	long r = net_socketpair(ut, (int)a[0], (int)a[1], (int)a[2], sv);
	if (r)
		return r;
	static const int none[2] = { -1, -1 };
	return fd_install_pair(ut, none, sv, (a[1] & SOCK_CLOEXEC) ? FD_CLOEXEC : 0, a[3]);
}

/*
 * TCP Fast Open's implicit connect (unbound's upstream TCP, curl
 * --tcp-fastopen): sendto/sendmsg with MSG_FASTOPEN and an address on an
 * unconnected socket connects and sends. Here it is the connect (local or
 * outside, as connect(2) goes), then a plain send, as Linux without a
 * cookie: a non-blocking call only starts the connect and says
 * EINPROGRESS, the data to be sent again once connected.
 */
/* tfo_client - net.ipv4.tcp_fastopen lets clients use it (bit 1), read once. */
static bool tfo_client(void)
{
	static int on = -1;
	if (on < 0) {
		char v[16] = "";
		int fd = (int)raw_syscall3(SYS_open, (long)"/proc/sys/net/ipv4/tcp_fastopen", O_RDONLY | O_CLOEXEC, 0);
		if (fd >= 0) {
			raw_syscall3(SYS_read, fd, (long)v, sizeof(v) - 1);
			raw_syscall3(SYS_close, fd, 0, 0);
		}
		__atomic_store_n(&on, fd >= 0 && (atoi(v) & 1), __ATOMIC_RELAXED);
	}
	return on;
}

/* on_fd - call nr on a[0] as the entry would serve it: its object's, or
 * (moved into the kernel meanwhile, or none) the kernel's. */
static long on_fd(struct uthread *ut, long nr, const long a[6])
{
	const struct sysent *e = systab_get(nr);
	long r = objcall(ut, nr, e, a);
	return r == OBJCALL_PASS ? kcall_serve(ut, nr, e, a) : r;
}

long sys_socket_fastopen(struct uthread *ut, struct vfile *f, long nr, const long a[6])
{
	int st = net_tcp_state(f);
	if (st)
		return st > 0 ? VFILE_NOOP : st;
	if (!tfo_client())
		return -EOPNOTSUPP;
	struct msghdr h = { 0 };
	if (nr == SYS_sendmsg && copy_from_user(&h, a[1], sizeof(h)))
		return -EFAULT;
	long c[6] = { a[0], nr == SYS_sendto ? a[4] : (long)h.msg_name, nr == SYS_sendto ? a[5] : h.msg_namelen };
	int flags = (int)(nr == SYS_sendto ? a[3] : a[2]);
	long r = on_fd(ut, SYS_connect, c);
	if (r < 0 && r != -EINPROGRESS)
		return r;
	if ((__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK) || (flags & MSG_DONTWAIT))
		return -EINPROGRESS;
	h.msg_name = NULL;
	h.msg_namelen = 0;
	long s[6] = { a[0], nr == SYS_sendto ? a[1] : (long)&h, nr == SYS_sendto ? a[2] : flags & ~MSG_FASTOPEN,
		      flags & ~MSG_FASTOPEN, 0, 0 };
	return on_fd(ut, nr, s);
}
