/* vfile.h - user-space file objects behind a program's fd. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct uthread;
struct vfile;

/* What a user-space object serves itself; a NULL op means the call goes to
 * the host fd of the entry as for any kernel-backed file. */
struct vfile_ops {
	long (*read)(struct vfile *f, struct uthread *ut, uint64_t ubuf, unsigned long count);
	long (*getdents64)(struct vfile *f, struct uthread *ut, uint64_t ubuf, unsigned long count);
	long (*lseek)(struct vfile *f, struct uthread *ut, long off, int whence);
	void (*release)(struct vfile *f);
};

struct vfile {
	const struct vfile_ops *ops;
	int refs;        /* fd entries pointing here (dup) */
	/* Objects whose host fd must stay non-blocking keep the program's
	 * O_NONBLOCK here; fcntl F_GETFL/F_SETFL show and set this one. */
	bool virt_nonblock;
	bool nonblock;
};

static inline struct vfile *vfile_get(struct vfile *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

static inline void vfile_put(struct vfile *f)
{
	if (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0 && f->ops->release)
		f->ops->release(f);
}
