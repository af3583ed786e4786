/* procdir.h - the /proc directory as the instance's programs list it. */
#pragma once
#include <stdbool.h>

struct vfile;

/* procdir_is_root - does path (of dirfd) name /proc itself? */
bool procdir_is_root(int dirfd, const char *path);
/* procdir_open - /proc opened with flags: a host fd of the directory (fstat,
 * fchdir, openat relative to it), and in *obj the object that lists it. */
long procdir_open(int flags, struct vfile **obj);
/* procdir_is - is f the /proc directory of procdir_open? */
bool procdir_is(const struct vfile *f);
/* procdir_open_pid - program vpid's /proc directory, open as host fd host
 * (the host's directory of its process): host, with in *obj the object
 * that makes paths relative to it the program's. */
long procdir_open_pid(int vpid, long host, int flags, struct vfile **obj);
/* procdir_path - the /proc path an fd of these directories names, or NULL. */
const char *procdir_path(const struct vfile *f);
