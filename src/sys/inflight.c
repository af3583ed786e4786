/* inflight.c - user-space objects of fds passed by SCM_RIGHTS through kernel sockets. */
#include "sys/inflight.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "core/spinlock.h"
#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "net/socket.h"
#include "proc/vproc.h"
#include "sched/vcpu.h"
#include "sys/kcall.h"

struct inflight {
	int host;               /* ours, on the sent file: what kcmp compares */
	struct vfile *obj;      /* with the reference the receiver gets */
	struct inflight *next;
};

static spinlock_t lock = SPINLOCK_INIT;
static struct inflight *list;

long inflight_send(struct uthread *ut, long vfd)
{
	int h = fdt_host(ut->proc->fdt, vfd);
	struct vfile *obj = fdt_obj(ut->proc->fdt, vfd);
	if (!obj)
		return h < 0 ? -EBADF : h;
	/* An object alone goes as the host file that stands for it, if any. */
	if (h < 0)
		h = obj->ops->host_file ? obj->ops->host_file(obj) : -EBADF;
	/* Moved into the kernel (a pipe, a socket, an eventfd): that file is
	 * all of it now, whoever receives it. A record would be taken back by
	 * a receiver of this process only: one in another (a forked child, a
	 * multiprocessing forkserver) left it here for good, and its host fd
	 * kept a pipe's write end open (the forkserver never saw EOF and the
	 * instance never ended). */
	if (h >= 0 && vfile_in_kernel(obj)) {
		vfile_put(obj);
		return h;
	}
	struct inflight *x = h < 0 ? NULL : malloc(sizeof(*x));
	long dup = x ? raw_syscall3(SYS_fcntl, h, F_DUPFD_CLOEXEC, 0) : -ENOMEM;
	if (h < 0 || dup < 0) {
		vfile_put(obj);
		free(x);
		return h < 0 ? -EBADF : dup;
	}
	x->obj = obj;
	x->host = (int)dup;
	spin_lock(&lock);
	x->next = list;
	list = x;
	spin_unlock(&lock);
	return h;
}

/* take - the record of host's file, off the list, or NULL. */
static struct inflight *take(int host)
{
	if (!__atomic_load_n(&list, __ATOMIC_ACQUIRE))
		return NULL;
	long pid = raw_syscall3(SYS_getpid, 0, 0, 0);
	spin_lock(&lock);
	struct inflight **pp = &list;
	while (*pp && raw_syscall6(SYS_kcmp, pid, pid, KCMP_FILE, host, (*pp)->host, 0) != 0)
		pp = &(*pp)->next;
	struct inflight *x = *pp;
	if (x)
		*pp = x->next;
	spin_unlock(&lock);
	return x;
}

long inflight_recv(struct uthread *ut, long host)
{
	if (host < 0)
		return host;
	struct inflight *x = take((int)host);
	struct vfile *tcp = x ? NULL : moved_names_adopt((int)host);
	if (tcp) {
		long vfd = fdt_install_obj(ut->proc->fdt, (int)host, tcp, 0, 0);
		if (vfd < 0) {
			raw_syscall3(SYS_close, host, 0, 0);
			vfile_put(tcp);
		}
		return vfd;
	}
	if (!x)
		return kcall_new_fd(ut, host);
	raw_syscall3(SYS_close, x->host, 0, 0);
	long vfd = fdt_install_obj(ut->proc->fdt, (int)host, x->obj, 0, 0);
	if (vfd < 0) {
		raw_syscall3(SYS_close, host, 0, 0);
		vfile_put(x->obj);
	}
	free(x);
	return vfd;
}

/* drop_rights - close the host fds of the SCM_RIGHTS messages from c on,
 * from its index i: received, they cannot be given to the program. */
static void drop_rights(struct msghdr *mh, struct cmsghdr *c, size_t i)
{
	for (; c; c = CMSG_NXTHDR(mh, c), i = 0) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int *fds = (int *)CMSG_DATA(c);
		for (size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i < n; i++)
			raw_syscall3(SYS_close, fds[i], 0, 0);
	}
}

long inflight_map_rights(struct uthread *ut, char *ctl, size_t *len, bool to_host, int *mflags)
{
	struct msghdr mh = { .msg_control = ctl, .msg_controllen = *len };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int *fds = (int *)CMSG_DATA(c);
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			long m = to_host ? inflight_send(ut, fds[i]) : inflight_recv(ut, fds[i]);
			if (m >= 0) {
				fds[i] = (int)m;
				continue;
			}
			if (to_host)
				return -EBADF;
			/* As scm_detach_fds: what fit stays, the rest is closed,
			 * and the message says it was cut (MSG_CTRUNC). */
			drop_rights(&mh, c, i);
			c->cmsg_len = CMSG_LEN(i * sizeof(int));
			*len = i ? (size_t)((char *)c - ctl) + CMSG_SPACE(i * sizeof(int)) : (size_t)((char *)c - ctl);
			*mflags |= MSG_CTRUNC;
			return 0;
		}
	}
	return 0;
}
