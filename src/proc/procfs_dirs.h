/* procfs_dirs.h - the numbered directories of /proc/<pid>: fd/ and task/. */
#pragma once

struct vfile;

enum numdir_kind {
	NUMDIR_FD,   /* fd/: the program's fd numbers */
	NUMDIR_TASK, /* task/: its threads' virtual tids */
};

/* procfs_numdir - the directory of program pid opened with flags: a host
 * fd of the host's own (fstat and the rest) and in *obj the object that
 * lists it (a program of another host process: as proc/remote.h reads it). */
long procfs_numdir(int pid, enum numdir_kind kind, int flags, struct vfile **obj);
/* procfs_numdir_path - the /proc path such a directory's fd names
 * (names relative to it are its program's fds, not the host's), or NULL
 * for another file. */
const char *procfs_numdir_path(const struct vfile *f);
