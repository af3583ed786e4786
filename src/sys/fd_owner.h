/* fd_owner.h - a file's owner: F_SETOWN/F_GETOWN(_EX) in virtual ids, and the SIGIO and SIGURG objects send it. */
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
/* fd_owner_init - objects signal their owners through here (O_ASYNC,
 * F_SETSIG, urgent data: fs/vfile.h's vfile_owner). */
void fd_owner_init(void);
