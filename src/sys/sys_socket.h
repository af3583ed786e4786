/* sys_socket.h - the syscall layer's side of user-space sockets. */
#pragma once

struct uthread;
struct vfile;

/* Lend net/ what it needs from proc and sys (once, at start). */
void sys_socket_init(void);

/* A socket object handed itself over to its kernel socket: every fd of
 * the caller's program naming f now holds a dup of it. 0 or -errno. */
long sys_socket_to_kernel(struct uthread *ut, struct vfile *f);

/* sys_socket_fastopen - sendto or sendmsg (nr, args a) with MSG_FASTOPEN
 * on socket object f: the answer, or VFILE_NOOP when it is no TCP socket
 * that may connect (the flag means nothing there). */
long sys_socket_fastopen(struct uthread *ut, struct vfile *f, long nr, const long a[6]);
