/* objcall.h - calls on fds with a user-space object, routed to its ops. */
#pragma once
#include <stdbool.h>

struct uthread;
struct sysent;

/* Returned when the call goes on as for a kernel file (the entry's host fd,
 * or the fd table's own handler: close, dup...). */
#define OBJCALL_PASS (-4096 - 4)

/**
 * objcall - serve call nr, whose first argument (A_FD or A_DIRFD) names an
 * fd with an object, through that object's ops. Returns the app's result
 * or OBJCALL_PASS.
 */
long objcall(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);

struct vfile;
struct vmsg;
/* One read or write through f's op (the caller checked it has one); a
 * blocking file parks on its poll head until it is ready, as the
 * kernel's files wait. */
long objcall_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr, struct vmsg *m);
