/* fd_owner.h - F_SETOWN/F_GETOWN(_EX): the program's ids in, the program's ids out. */
#pragma once
#include <stdbool.h>

struct uthread;
struct vfile;

/* fd_owner_cmd - is cmd one of F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX? */
bool fd_owner_cmd(int cmd);
/* fd_owner_fcntl - serve cmd with arg for the program's fd: the owner is
 * kept in object f if there is one, else set on host fd hfd as the kernel
 * can name it. The fcntl result or -errno. */
long fd_owner_fcntl(struct uthread *ut, struct vfile *f, int hfd, int cmd, long arg);
