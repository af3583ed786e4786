/* vfile.h - user-space file objects behind a program's fd. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct uthread;
struct vfile;

/* An op gets the call's arguments after the fd (read: buf, count;
 * getdents64: buf, count; lseek: offset, whence). */
typedef long (*vfile_op_t)(struct vfile *f, struct uthread *ut, long a1, long a2);

/* What a user-space object serves itself; a NULL op means the call goes to
 * the host fd of the entry as for any kernel-backed file. */
struct vfile_ops {
	vfile_op_t read;
	vfile_op_t getdents64;
	vfile_op_t lseek;
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
