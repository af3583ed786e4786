/* vfile.h - user-space file objects behind a program's fd: ops tables and poll heads. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/socket.h>
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
 * An op answers VFILE_NOOP for a command it does not serve (ioctl, fcntl),
 * which means the same.
 */
#define VFILE_NOOP (-4096 - 5)
/* mid_io's "not here": the full path serves the call. */
#define VFILE_MID_PASS (-4096 - 7)

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
	/* A blocking stream write that queued part of its bytes and must wait
	 * for room adds them here and answers -EAGAIN: objcall waits and calls
	 * again (the op skips what is done), and a signal ends the call with
	 * this count, as Linux's pipe_write and sock_sendmsg return. */
	size_t done;
	bool rw;              /* read, readv, writev...: 0 bytes is a no-op (not for write, recv, send) */
};

/* Which SIGIO a kind of file raises for O_ASYNC (Linux's fasync op). */
enum vfile_fasync {
	FASYNC_NONE,  /* none (eventfd, epoll...): F_SETFL drops O_ASYNC, FIOASYNC says ENOTTY */
	FASYNC_READY, /* for what became ready: POLL_IN, POLL_OUT, POLL_HUP, POLL_ERR (sockets) */
	FASYNC_IN,    /* always POLL_IN (a pipe's read end: pipe_write, pipe_release) */
	FASYNC_OUT,   /* always POLL_OUT (its write end: pipe_read, pipe_release) */
};

struct vfile_ops {
	const char *name;     /* "[signalfd]": /proc/self/fd shows anon_inode:NAME */
	enum vfile_fasync fasync;
	/* read/write park themselves when the file blocks (sockets: timeouts,
	 * partial progress): their -EAGAIN is final, not "wait and retry". */
	bool waits;
	long (*read)(struct vfile *f, struct uthread *ut, struct vmsg *m);
	long (*write)(struct vfile *f, struct uthread *ut, struct vmsg *m);
	/* A plain read or write of the app's buffers in iov (read, write,
	 * readv, writev, recvfrom and sendto without an address, sendmsg
	 * without one or control data; flags MSG_DONTWAIT and MSG_NOSIGNAL)
	 * served on the gate's mid path, which runs on the app's %fs where a
	 * kernel call is needed to change it (sys/mid_io.c): no library code,
	 * nothing that parks. Bytes, -EAGAIN for a non-blocking file with
	 * nothing to move, or VFILE_MID_PASS, having changed nothing, for the
	 * full path to serve it. */
	long (*mid_io)(struct vfile *f, bool wr, const struct iovec *iov, int iovcnt, int flags);
	/* A query on the mid path, as mid_io (getsockopt, ioctl: call nr
	 * with the app's arguments a): the answer, or VFILE_MID_PASS for
	 * one it does not keep at hand. */
	long (*mid_call)(struct vfile *f, long nr, const long a[6]);
	/* The events ready now (EPOLLIN...). Called under the poll head's
	 * lock by waiters, without it by epoll and poll (under their own
	 * locks): it must not sleep or take that lock. NULL: always ready
	 * (or, with a host fd, the kernel file's readiness). */
	uint32_t (*poll)(struct vfile *f);
	long (*ioctl)(struct vfile *f, struct uthread *ut, unsigned cmd, uint64_t arg);
	long (*stat)(struct vfile *f, struct stat *st);
	/* fcntl commands of this kind of file (F_GETPIPE_SZ...); the generic
	 * ones (flags, fd flags, dup) are objcall's. */
	long (*fcntl)(struct vfile *f, struct uthread *ut, int cmd, uint64_t arg);
	/* F_SETFL changed the status flags (f->flags holds the new ones). */
	void (*setfl)(struct vfile *f);
	long (*getdents64)(struct vfile *f, struct uthread *ut, uint64_t ubuf, size_t count);
	long (*lseek)(struct vfile *f, int64_t off, int whence);
	/* A host fd whose readability is part of this file's (an epoll set's
	 * kernel members): waiters on the file watch it too. */
	int (*wait_fd)(struct vfile *f);
	/* A host fd that stands for the file where only a host fd can go (an
	 * fd passed through a kernel socket, a fork that makes the child
	 * another host process), owned by the file; -errno. A pipe or eventfd
	 * moves into the kernel for it (vfile_moved_locked). */
	int (*host_file)(struct vfile *f);
	/* Opened again through /proc/<pid>/fd/N (or /dev/fd/N) with open
	 * flags: the file that open gives, with a reference; NULL if it
	 * cannot be (ENXIO, as Linux's anonymous inodes). */
	struct vfile *(*reopen)(struct vfile *f, int flags);
	/* Extra lines of /proc/self/fdinfo/N (Linux's show_fdinfo). */
	int (*fdinfo)(struct vfile *f, char *buf, size_t size);
	/* The last fd of the open file description is gone (it has left every
	 * epoll set by then). */
	void (*release)(struct vfile *f);
	/* The object describes the process that reads it (signalfd: its
	 * signals), or keeps what both processes share in the kernel (an
	 * epoll set: fork_prepare), so the child's copy of it is right as it
	 * is (after vfile_after_fork and its after_fork). */
	bool fork_copies;
	/* Before a fork, for an object that fork_copies: what parent and
	 * child must share moves into the kernel. */
	void (*fork_prepare)(struct vfile *f);
	/* In the child, on its copy: state of the parent's other threads
	 * (waiters) forgotten. */
	void (*after_fork)(struct vfile *f);
};

/* An op's answer when the object handed itself over to a kernel file (a
 * socket whose peer is outside the instance): the caller replaces the
 * fds that name it with that kernel file and serves the call there. */
#define VFILE_BECAME_KERNEL (-4096 - 6)
/* The same once the op has made the call itself, through the kernel file,
 * and it succeeded (an AF_UNIX connect to a listener outside, tried there
 * first so that a refusal leaves the socket local): the caller replaces
 * the fds and the call returns 0. Left for the next call to move, the
 * socket sat in epoll sets as a user-space item no kernel readiness woke. */
#define VFILE_BECAME_KERNEL_DONE (-4096 - 7)

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
	/* Once moved into the kernel, call nr (getsockname, getpeername,
	 * getsockopt, setsockopt) as the socket it was answers it where the
	 * kernel file would not (a TCP pair made an AF_UNIX socketpair);
	 * VFILE_NOOP: the kernel file answers. */
	long (*kept)(struct vfile *f, long nr, const long a[6]);
};

/* An open file description of a user-space object: dup'ed fds share it. */
struct vfile {
	const struct vfile_ops *ops;
	const struct socket_ops *sock;  /* NULL: not a socket */
	int refs;                       /* fd entries pointing here */
	int flags;                      /* status flags: O_NONBLOCK, O_RDWR... (F_GETFL) */
	/* Readiness is pushed here: waiters park on it for the events they
	 * want; callbacks (epoll items, poll and select calls) hang on it. */
	struct waitq poll_head;
	/* Moved into the kernel (host_file: the file left the instance):
	 * kfd is the kernel file, and every call goes there (atomic). */
	bool in_kernel;
	/* fchmod's permission bits, with VFILE_PERM_SET; 0: the kind's own
	 * (in in_kernel's padding: gate.S knows the offsets after it). */
	uint16_t perm;
	int kfd;
	/* F_SETOWN's owner, a virtual id kept as given (sys/fd_owner.c):
	 * owner_type is F_OWNER_TID/PID/PGRP, owner the id (0: none). */
	int owner_type, owner;
	/* F_SETSIG's signal (0: plain SIGIO), and the fd that turned O_ASYNC
	 * on last (what si_fd says, as Linux's fasync_struct keeps it). */
	int sigio_sig, async_fd;
};

/* What an object tells its owner, served by sys/fd_owner.c (this layer
 * cannot reach signals): for O_ASYNC, SIGIO or the F_SETSIG signal for
 * events (Linux's kill_fasync); urgent: SIGURG, TCP's urgent data came
 * (sk_send_sigurg); moved: f became kernel file kfd, which takes over
 * O_ASYNC and the owner. */
struct vfile_owner_ops {
	void (*sigio)(struct vfile *f, uint32_t events);
	void (*urgent)(struct vfile *f);
	void (*moved)(struct vfile *f, int kfd);
};
extern const struct vfile_owner_ops *vfile_owner;

/* vfile_urgent - TCP urgent data arrived for f: SIGURG to its owner. */
void vfile_urgent(struct vfile *f);

#define VFILE_PERM_SET 0x8000u

/* vfile_new_ino - an inode number for a pipe or socket object (what
 * fstat and /proc/self/fd show), far above the kernel's own. */
uint64_t vfile_new_ino(void);

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

/* Is this read or write non-blocking (O_NONBLOCK, or MSG_DONTWAIT)? */
static inline bool vfile_nonblock(const struct vfile *f, const struct vmsg *m)
{
	return (__atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK) || (m->flags & MSG_DONTWAIT);
}

/* vfile_notify - the object's readiness changed: wake its waiters and
 * callbacks for events (those that became ready; 0 if it only dropped,
 * which wakes nobody), and with O_ASYNC signal its owner. Not from a host
 * signal handler (it takes the head's lock). */
void vfile_notify(struct vfile *f, uint32_t events);

/**
 * vfile_wait - park the calling uthread until f is ready for events (per
 * ops->poll), its interrupt word is set (armed by the caller), or the
 * deadline (ns, 0: none). 0 when ready, -EINTR, -ETIMEDOUT.
 */
long vfile_wait(struct vfile *f, uint32_t events, uint64_t deadline);
/* vfile_ready_for - vfile_wait's condition (a waitq_wait_until ready):
 * f of arg, a struct vfile_wait_for, is ready for its events, or moved
 * into the kernel. */
struct vfile_wait_for {
	struct vfile *f;
	uint32_t events;
};
bool vfile_ready_for(void *arg);

static inline bool vfile_in_kernel(const struct vfile *f)
{
	return __atomic_load_n(&f->in_kernel, __ATOMIC_ACQUIRE);
}

/* vfile_moved_locked - for host_file ops that move a file into the kernel,
 * with f's poll head locked, and the object's own lock if its ops take one
 * (so no op runs meanwhile): f is now kernel file kfd, which it owns. Its
 * waiters wake and find out. */
void vfile_moved_locked(struct vfile *f, int kfd);

/* For the poll and wait_fd ops of a file that may have moved: the kernel
 * file's readiness now (no wait), and the fd to wait on (-1: not moved). */
uint32_t vfile_kernel_poll(struct vfile *f);
static inline int vfile_kernel_wait_fd(struct vfile *f)
{
	return vfile_in_kernel(f) ? f->kfd : -1;
}

/* vfile_after_fork - in a forked child, on the copy of an object that
 * fork_copies: no waiters. */
void vfile_after_fork(struct vfile *f);
