/* pipe.h - pipe(2) as user-space file objects over an in-memory channel. */
#pragma once
#include <stddef.h>

struct vfile;

/* pipe_new - the read end (ends[0]) and write end (ends[1]) of a new pipe,
 * one reference each; flags: O_NONBLOCK (O_CLOEXEC is the fds'). 0 or -errno. */
int pipe_new(int flags, struct vfile *ends[2]);

/* pipe_room - bytes of free pages in f's pipe (what Linux lets a splice
 * into it read: do_splice_read); 0 if f is no user-space pipe. */
size_t pipe_room(struct vfile *f);
