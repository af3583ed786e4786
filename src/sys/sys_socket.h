/* sys_socket.h - the syscall layer's side of user-space sockets. */
#pragma once

struct uthread;
struct vfile;

/* Lend net/ what it needs from proc and sys (once, at start). */
void sys_socket_init(void);

/* A socket object handed itself over to its kernel socket: every fd of
 * the caller's program naming f now holds a dup of it. 0 or -errno. */
long sys_socket_to_kernel(struct uthread *ut, struct vfile *f);
