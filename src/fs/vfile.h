/* vfile.h - user-space file objects behind a program's fd: ops tables and poll heads. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "sched/waitq.h"

struct uthread;
struct vfile;

/*
 * An fd entry (fs/fdtable.h) holds a host fd, a host fd and an object (a
 * kernel file with overrides: the object serves the calls it has ops for,
 * the kernel the rest), or an object alone. Any call whose fd argument has
 * an object reaches the object through sys/objcall.c, which turns the many
 * syscall shapes into these few ops (as Linux's file_operations and
 * proto_ops): a new kind of file is one file with an ops table.
 *
 * Ops return -errno; a NULL op means "not supported by this object": the
 * call goes to the host fd if the entry has one, else fails as Linux does
 * for a file without that operation (EINVAL, ENOTTY, ENOTSOCK, ESPIPE).
 */

/* One read or write, whatever call made it: read, readv, pread64,
 * preadv(2), recvfrom, recvmsg, and the write/send family. iov is the
 * runtime's copy of the array; the buffers it names are the app's. */
struct vmsg {
	const struct iovec *iov;
	int iovcnt;
	int64_t off;          /* -1: the file position, else pread/pwrite's */
	int flags;            /* MSG_* of recv/send (0 for read/write) */
	uint64_t name;        /* app address: source (recv) or destination (send), or 0 */
	uint32_t namelen;     /* its size in; for recv, the address's size out */
	uint64_t control;     /* app address of ancillary data, or 0 */
	uint64_t controllen;  /* its size in; for recv, the size used out */
	int out_flags;        /* recvmsg's msg_flags out */
};

struct vfile_ops {
	const char *name;     /* "[signalfd]": /proc/self/fd shows anon_inode:NAME */
	long (*read)(struct vfile *f, struct uthread *ut, struct vmsg *m);
	long (*write)(struct vfile *f, struct uthread *ut, struct vmsg *m);
	/* The events ready now (EPOLLIN...). Called under the poll head's
	 * lock by waiters: it must not sleep or take that lock. */
	uint32_t (*poll)(struct vfile *f);
	long (*ioctl)(struct vfile *f, struct uthread *ut, unsigned cmd, uint64_t arg);
	long (*stat)(struct vfile *f, struct stat *st);
	/* F_SETFL changed the status flags (f->flags holds the new ones). */
	void (*setfl)(struct vfile *f);
	long (*getdents64)(struct vfile *f, struct uthread *ut, uint64_t ubuf, size_t count);
	long (*lseek)(struct vfile *f, int64_t off, int whence);
	/* Extra lines of /proc/self/fdinfo/N (Linux's show_fdinfo). */
	int (*fdinfo)(struct vfile *f, char *buf, size_t size);
	/* The last fd of the last open file description is gone. */
	void (*release)(struct vfile *f);
	/* Before a fork (proc/fork.c), which makes the child another host
	 * process: a host fd (new, close-on-exec) for a kernel object that
	 * takes this object's place and state, so that parent and child keep
	 * sharing it; it then replaces the object in every fd entry naming
	 * it, each with its own FD_CLOEXEC. -errno: the child loses the fd
	 * (EBADF there), as it does for an object without this op. */
	long (*to_kernel)(struct vfile *f);
	/* The object describes the process that reads it (signalfd: its
	 * signals), so the child's copy of it is right as it is. */
	bool fork_copies;
};

/* Sockets: the second table (Linux's proto_ops). Addresses and option
 * values are app addresses; lengths as the syscalls pass them. */
struct socket_ops {
	long (*bind)(struct vfile *f, struct uthread *ut, uint64_t addr, uint32_t len);
	long (*listen)(struct vfile *f, struct uthread *ut, int backlog);
	/* The new connection's object (with its reference), or NULL and -errno. */
	struct vfile *(*accept)(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp,
				int flags, long *err);
	long (*connect)(struct vfile *f, struct uthread *ut, uint64_t addr, uint32_t len);
	long (*shutdown)(struct vfile *f, struct uthread *ut, int how);
	long (*getsockopt)(struct vfile *f, struct uthread *ut, int level, int opt, uint64_t val,
			   uint64_t lenp);
	long (*setsockopt)(struct vfile *f, struct uthread *ut, int level, int opt, uint64_t val,
			   uint32_t len);
	long (*getsockname)(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp);
	long (*getpeername)(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp);
};

/* An open file description of a user-space object: dup'ed fds share it. */
struct vfile {
	const struct vfile_ops *ops;
	const struct socket_ops *sock;  /* NULL: not a socket */
	int refs;                       /* fd entries pointing here */
	int flags;                      /* status flags: O_NONBLOCK, O_RDWR... (F_GETFL) */
	/* Readiness is pushed here: waiters park on it for the events they
	 * want; callbacks (the kernel mirror, later epoll items) hang on it. */
	struct waitq poll_head;
	/* A host eventfd whose readability follows POLLIN, made the first
	 * time the object is handed to a kernel poll, select or epoll. */
	int mirror_fd;
	struct wq_entry mirror;
};

/* vfile_init - a new object with one reference (the caller's). */
void vfile_init(struct vfile *f, const struct vfile_ops *ops, int flags);

static inline struct vfile *vfile_get(struct vfile *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

/* vfile_put - drop a reference; the last one releases the object. */
void vfile_put(struct vfile *f);

/* In every notify: readiness may also have dropped, which callbacks (the
 * mirror) re-check; no parked waiter asks for it (epoll leaves it unused). */
#define VFILE_CHANGED 0x400u /* EPOLLMSG */

/* vfile_notify - the object's readiness changed: wake its waiters for
 * events (those that became ready; 0 if it only dropped) and its
 * callbacks. Not from a host signal handler (it takes the head's lock). */
void vfile_notify(struct vfile *f, uint32_t events);

/**
 * vfile_wait - park the calling uthread until f is ready for events (per
 * ops->poll), its interrupt word is set (armed by the caller), or the
 * deadline (ns, 0: none). 0 when ready, -EINTR, -ETIMEDOUT.
 */
long vfile_wait(struct vfile *f, uint32_t events, uint64_t deadline);

/* vfile_kernel_fd - a host fd the kernel can poll for f's POLLIN (made on
 * first use), until poll and epoll are served in user space; -errno. */
int vfile_kernel_fd(struct vfile *f);

/* vfile_after_fork - in a forked child, on the copy of an object that
 * fork_copies: no waiters, no mirror yet. */
void vfile_after_fork(struct vfile *f);
