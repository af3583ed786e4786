/* inflight.h - user-space objects of fds passed by SCM_RIGHTS through kernel sockets. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct uthread;

/*
 * The kernel carries a passed fd's host file, not its object (an epoll set
 * is a host fd and an object). Sending records the object with a host fd
 * of its own on that file; receiving finds it again by comparing files
 * (kcmp KCMP_FILE) and installs the host fd with it. A message that is
 * never received keeps its record (a reference and a host fd).
 */

/* inflight_send - the host fd to put in the message for vfd; -EBADF. */
long inflight_send(struct uthread *ut, long vfd);
/* inflight_recv - a received host fd becomes the program's lowest free
 * number, with its object if it was sent with one; -errno. */
long inflight_recv(struct uthread *ut, long host);
/* inflight_map_rights - the fds of every SCM_RIGHTS message of a control
 * buffer of *len bytes, rewritten in place: to_host, program fds to host
 * fds (sending; -EBADF for one that is not the program's); otherwise
 * received host fds to program fds, and where one cannot be had, the rest
 * closed, *len cut after those given and MSG_CTRUNC set in *mflags (only
 * receiving: NULL when sending), as Linux does. 0 or -errno. */
long inflight_map_rights(struct uthread *ut, char *ctl, size_t *len, bool to_host, int *mflags);
