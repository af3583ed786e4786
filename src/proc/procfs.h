/* procfs.h - /proc/self and /proc/<vpid> as the program expects them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct uthread;

/* Files of /proc about the caller: generated when read (cmdline, comm,
 * environ, status, stat, maps, limits: a host fd of the host's own file,
 * and in *obj the object that makes them), or the host's /proc/self/... in
 * place of /proc/<vpid>/... Returns a host fd, -errno, or -ENOSYS if path
 * is not ours to serve. */
struct vfile;
long procfs_open(struct uthread *ut, int dirfd, const char *path, int flags, struct vfile **obj);
/* Might a path starting with these 8 bytes name a program's fd through
 * /dev (/dev/fd/N, /dev/stdin...), or be a relative "proc/..." that may be
 * /proc? Then procfs_path has its host name.
 * No library call (the lean path asks, on the program's %fs). */
bool procfs_may_alias(const char *head);

/* procfs_under - "/proc", alone or as the first part of path p (no library
 * call: the lean and mid paths ask). */
static inline bool procfs_under(const char *p)
{
	return p[0] == '/' && p[1] == 'p' && p[2] == 'r' && p[3] == 'o' && p[4] == 'c' && (!p[5] || p[5] == '/');
}

/* readlink of /proc/self/exe, /proc/self, /proc/<vpid>/...: the length
 * copied to the app's buffer, -errno, or -ENOSYS if not ours. */
long procfs_readlink(struct uthread *ut, int dirfd, const char *path, long ubuf, size_t size);

/* procfs_fd_alone - the caller's fd that path names through /dev/fd/N,
 * /proc/self/fd/N or /proc/<its pid>/fd/N when that fd is an object with
 * no host file (a pipe, a socket, an eventfd of the runtime's), whose
 * magic link the kernel cannot follow; else -1. */
int procfs_fd_alone(struct uthread *ut, int dirfd, const char *path);

/* procfs_path - a /proc path of a call the kernel serves (stat, access,
 * statx...) as the host names it: /proc/<vpid>/... and /proc/self/... of
 * the instance's programs; nofollow: the call does not follow a last link
 * (lstat: exe, cwd and root are links). 0 with the path in out, -errno,
 * or -ENOSYS if path is not ours to map. */
long procfs_path(struct uthread *ut, int dirfd, const char *path, bool nofollow, char *out, size_t size);

/* procfs_under_proc - is absolute path /proc or below it? */
bool procfs_under_proc(const char *path);
