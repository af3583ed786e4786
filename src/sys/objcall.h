/* objcall.h - calls on fds with a user-space object, routed to its ops. */
#pragma once
#include <stdbool.h>

struct uthread;
struct sysent;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vfile;

/* Returned when the call goes on as for a kernel file (the entry's host fd,
 * or the fd table's own handler: close, dup...). */
#define OBJCALL_PASS (-4096 - 4)

/**
 * objcall - serve call nr, whose first argument (A_FD or A_DIRFD) names an
 * fd with an object, through that object's ops. Returns the app's result
 * or OBJCALL_PASS.
 */
long objcall(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);

/* objcall_io - read or write len bytes of the runtime's buffer buf on f as
 * call e would (blocking as the file does, interrupted as e is); flags:
 * MSG_DONTWAIT, MSG_PEEK (reads). Bytes moved or -errno. */
long objcall_io(struct uthread *ut, const struct sysent *e, struct vfile *f, bool wr, void *buf,
		size_t len, int flags);

/* f's file type (S_IFIFO, S_IFSOCK...) as its stat op says; 0 without one. */
unsigned objcall_file_type(struct vfile *f);

struct stat;
/* objcall_statx_out - what statx gives of a file whose stat is st, to
 * the program's buffer ubuf: 0 or -EFAULT. */
long objcall_statx_out(const struct stat *st, uint64_t ubuf);
