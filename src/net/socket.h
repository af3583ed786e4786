/* socket.h - user-space sockets: what the syscall layer creates and lends them. */
#pragma once
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fs/vfile.h"
#include "net/local/channel.h"

struct uthread;
struct waitq;

/* A file passed with SCM_RIGHTS: a user-space object, a host fd (dup'ed
 * for the message), or a host fd with an object. */
struct net_file {
	struct vfile *obj;	/* with its reference, or NULL */
	int host;		/* owned, or -1 */
};

/* What net needs from the layers above it (proc, sys), lent once at start:
 * net never includes them. */
struct net_hooks {
	/* The caller's program's virtual credentials. */
	void (*cred)(struct uthread *ut, struct chan_cred *c);
	/* The caller's fd as a file to pass (SCM_RIGHTS); -EBADF. */
	long (*fd_file)(struct uthread *ut, int fd, struct net_file **out);
	/* A received file into the caller's table: the new fd or -errno
	 * (the file is consumed either way). */
	long (*fd_install)(struct uthread *ut, struct net_file *nf, int cloexec);
	/* Park on wait queue q (woken by wakes meeting events) until
	 * ready(arg) (sched/waitq.h's waitq_wait_until) or deadline (ns, 0:
	 * none), as a blocking call waits: 0, -EINTR (a handler runs: give
	 * up, or return the progress made), -ETIMEDOUT. Restarts under
	 * SA_RESTART itself. */
	long (*wait_until)(struct uthread *ut, struct waitq *q, uint32_t events, bool (*ready)(void *arg),
			   void *arg, uint64_t deadline);
	/* The program's cwd as a host O_PATH fd (relative AF_UNIX paths), or
	 * AT_FDCWD when it is the host process's own. */
	int (*cwd_fd)(struct uthread *ut);
	/* The program's umask (socket files it binds). */
	unsigned (*umask)(struct uthread *ut);
	/* Host fds the kernel delivered in a control buffer's SCM_RIGHTS
	 * (a datagram from another process) become the caller's, in place
	 * (sys/inflight.h: those that cannot are closed, *len cut, MSG_CTRUNC
	 * set in *mflags): 0 or -errno. */
	long (*rights_in)(struct uthread *ut, char *ctl, size_t *len, int *mflags);
};

void net_init(const struct net_hooks *hooks);
/* In a forked child: no socket here is findable by name any more. The
 * forking program's own moved into the kernel (their names with them);
 * every other program's stays in the parent, where a connect from here
 * must reach it, through the kernel; a copy found here would take the
 * connection and never answer (threads blocked in accept held their
 * sockets, so closing the others' fds did not unpublish them). */
void net_after_fork(void);
/* moved_names_adopt - host, a file received from another process, is an
 * end of a TCP connection between fused programs that became a kernel
 * AF_UNIX pair: a socket object of it that answers with its names (a
 * reference), else NULL. */
struct vfile *moved_names_adopt(int host);
void net_file_put(struct net_file *nf);

/* socket(2) and socketpair(2) for the families served in user space:
 * NULL with *err = -EAFNOSUPPORT (or other) when the kernel should serve
 * it. type carries SOCK_NONBLOCK (SOCK_CLOEXEC is the caller's). */
struct vfile *net_socket(struct uthread *ut, int family, int type, int protocol, long *err);
long net_socketpair(struct uthread *ut, int family, int type, int protocol, struct vfile *sv[2]);


/* "local" or "kernel": --trace and fdinfo name the backend. */
const char *net_backend(struct vfile *f);
/* net_tcp_state - for MSG_FASTOPEN: 0 if socket object f is a TCP stream
 * that is neither connected nor listening (it may connect), -EISCONN if
 * connected, 1 for any other socket. */
int net_tcp_state(struct vfile *f);

/* An AF_UNIX name as the kernel is to resolve it: the sockaddr and its
 * length, and the O_PATH fd it may name (-1: none). */
struct unix_kname {
	struct sockaddr_un sa;
	uint32_t len;
	int fd;
};
/* A call's arguments with the program's relative AF_UNIX name made one the
 * kernel resolves the same (the sendmsg header copied to point at it),
 * and that name as the program gave it. */
struct unix_kargs {
	long a[6];
	struct msghdr h;
	struct unix_kname name;
	struct sockaddr_un given;
	uint32_t givenlen;
};
/* unix_kernel_args - for connect, bind, sendto or sendmsg on an AF_UNIX
 * socket f moved into the kernel: 0 with k->a the arguments for the
 * kernel instead (unix_kargs_done after the call, result r), VFILE_NOOP
 * when a's are right as they are, or -errno of the name's lookup. */
long unix_kernel_args(struct vfile *f, struct uthread *ut, long nr, const long a[6], struct unix_kargs *k);
void unix_kargs_done(struct vfile *f, struct uthread *ut, long nr, long r, struct unix_kargs *k);
