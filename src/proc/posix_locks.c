/* posix_locks.c - POSIX record locks as OFD locks on a description of each program's own. */
#include "proc/posix_locks.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/forkhot.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "proc/pidspace.h"
#include "proc/remote.h"
#include "proc/vproc.h"
#include "sched/offload.h"

/* Every program's list (vproc.plocks): locking is rare, one lock will do.
 * Held across the non-blocking fcntl calls, never a waiting one. */
FORK_HOT static spinlock_t lists = SPINLOCK_INIT;
static uint64_t serials;

static int file_id(int host, struct stat *st)
{
	return (int)raw_syscall6(SYS_newfstatat, host, (long)"", (long)st, AT_EMPTY_PATH, 0, 0);
}

static struct plock_file *find(struct vproc *p, const struct stat *st)
{
	for (struct plock_file *f = p->plocks; f; f = f->next)
		if (f->dev == st->st_dev && f->ino == st->st_ino)
			return f;
	return NULL;
}

/* reopen - a description of p's own for the file behind host: read and
 * write if the file allows it (one description serves every lock type),
 * else the access host has. */
static int reopen(int host, int accmode)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", host);
	long r = raw_syscall6(SYS_openat, AT_FDCWD, (long)path, O_RDWR | O_CLOEXEC | O_NOCTTY, 0, 0, 0);
	if (r < 0 && accmode != O_RDWR)
		r = raw_syscall6(SYS_openat, AT_FDCWD, (long)path, accmode | O_CLOEXEC | O_NOCTTY, 0, 0, 0);
	return (int)r;
}

/* owner_of - the lists' holder (other than p) of a description of this
 * file: who F_GETLK names for a conflicting OFD lock (lists held). */
static int owner_of(const struct vproc *p, const struct stat *st)
{
	for (int i = 0; i < vproc_count(); i++) {
		struct vproc *q = vproc_at(i);
		if (q && q != p && find(q, st))
			return q->pid;
	}
	return -1;
}

/* owner_elsewhere - the same among programs in other host processes (a
 * forked child), whose lists are there: the kernel names no owner of an
 * OFD lock (-1), not even in /proc/locks. Lists not held: it reads other
 * processes' memory, a call each. */
static int owner_elsewhere(const struct vproc *p, const struct stat *st)
{
	int pids[256];
	int n = pidspace_forked() ? pidspace_list(pids, 256) : 0;
	for (int i = 0; i < n; i++) {
		struct prog_info pi;
		if (pids[i] != p->pid && remote_of(pids[i], &pi) && remote_locks(&pi, st->st_dev, st->st_ino))
			return pids[i];
	}
	return -1;
}

long posix_lock(struct vproc *p, int host, int cmd, struct flock *lock)
{
	struct stat st;
	long fl = raw_syscall3(SYS_fcntl, host, F_GETFL, 0);
	if (fl < 0)
		return fl;
	if (fl & O_PATH)
		return -EBADF;
	if (file_id(host, &st) < 0 || !S_ISREG(st.st_mode))
		return POSIX_LOCK_KERNEL;
	int acc = (int)fl & O_ACCMODE;
	/* Linux's checks: the type, and the fd's access for it. */
	if (lock->l_type != F_RDLCK && lock->l_type != F_WRLCK && lock->l_type != F_UNLCK)
		return -EINVAL;
	if (cmd != F_GETLK && ((lock->l_type == F_RDLCK && acc == O_WRONLY) ||
			       (lock->l_type == F_WRLCK && acc == O_RDONLY)))
		return -EBADF;
	/* The offset is the program's description's, not ours. */
	if (lock->l_whence == SEEK_CUR) {
		long pos = raw_syscall3(SYS_lseek, host, 0, SEEK_CUR);
		if (pos < 0)
			return pos;
		lock->l_start += pos;
		lock->l_whence = SEEK_SET;
	}
	lock->l_pid = 0; /* OFD locks want 0 */
	spin_lock(&lists);
	struct plock_file *f = find(p, &st);
	if (!f && lock->l_type == F_UNLCK && cmd != F_GETLK) {
		spin_unlock(&lists);
		return 0; /* nothing of p's on it */
	}
	if (f && f->ofd < 0) {
		spin_unlock(&lists);
		return POSIX_LOCK_KERNEL;
	}
	/* A test with nothing of p's on the file: through a description of
	 * its own for the moment (the program's may hold an OFD lock of its
	 * own making, which a POSIX test sees). */
	int tmp = !f && cmd == F_GETLK ? reopen(host, acc) : -1;
	int on = f ? f->ofd : tmp;
	if (on < 0 && cmd == F_GETLK) {
		spin_unlock(&lists);
		return POSIX_LOCK_KERNEL;
	}
	if (on < 0) {
		/* Where no description of p's own can be opened (a root-owned
		 * file after setuid or chroot), the kernel's own lock serves,
		 * noted so that p's unlocks go there too, and only p's: the
		 * host process's lock is every fused program's. */
		int ofd = reopen(host, acc);
		f = malloc(sizeof(*f));
		if (!f) {
			spin_unlock(&lists);
			if (ofd >= 0)
				raw_syscall3(SYS_close, ofd, 0, 0);
			return -ENOLCK;
		}
		*f = (struct plock_file){ st.st_dev, st.st_ino, ofd, ++serials, p->plocks };
		__atomic_store_n(&p->plocks, f, __ATOMIC_RELEASE); /* posix_locks_closed reads it unlocked */
		if (ofd < 0) {
			spin_unlock(&lists);
			return POSIX_LOCK_KERNEL;
		}
		on = ofd;
	}
	long r;
	if (cmd == F_SETLKW) {
		/* A waiting lock waits on a worker, on a dup: a close meanwhile
		 * (the close rule) leaves it a description to wait on, and the
		 * lock it gets then goes with the dup, as Linux's re-check. */
		long dup = raw_syscall3(SYS_fcntl, f->ofd, F_DUPFD_CLOEXEC, 0);
		uint64_t serial = f->serial;
		spin_unlock(&lists);
		if (dup < 0)
			return dup;
		const long a[6] = { dup, F_OFD_SETLKW, (long)lock };
		r = offload_syscall(SYS_fcntl, a);
		spin_lock(&lists);
		bool kept = false;
		for (struct plock_file *g = p->plocks; g; g = g->next)
			kept |= g->serial == serial;
		spin_unlock(&lists);
		raw_syscall3(SYS_close, dup, 0, 0);
		/* Closed meanwhile: the lock went with the dup (Linux: EBADF). */
		return !r && !kept && lock->l_type != F_UNLCK ? -EBADF : r;
	}
	r = raw_syscall3(SYS_fcntl, on, cmd == F_GETLK ? F_OFD_GETLK : F_OFD_SETLK, (long)lock);
	if (!r && cmd == F_GETLK && lock->l_type != F_UNLCK && lock->l_pid == -1)
		lock->l_pid = owner_of(p, &st);
	spin_unlock(&lists);
	if (!r && cmd == F_GETLK && lock->l_type != F_UNLCK && lock->l_pid == -1)
		lock->l_pid = owner_elsewhere(p, &st);
	if (tmp >= 0)
		raw_syscall3(SYS_close, tmp, 0, 0);
	return r;
}

/* drop - f leaves p's list (lists held); its description closes after. */
static int drop(struct vproc *p, struct plock_file *f)
{
	for (struct plock_file **pp = &p->plocks; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			__atomic_store_n(pp, f->next, __ATOMIC_RELEASE);
			break;
		}
	}
	int ofd = f->ofd;
	free(f);
	return ofd;
}

void posix_locks_closed(struct vproc *p, int host)
{
	struct stat st;
	if (!__atomic_load_n(&p->plocks, __ATOMIC_ACQUIRE) || file_id(host, &st) < 0)
		return;
	spin_lock(&lists);
	struct plock_file *f = find(p, &st);
	int ofd = f ? drop(p, f) : -1;
	spin_unlock(&lists);
	if (ofd >= 0)
		raw_syscall3(SYS_close, ofd, 0, 0); /* the last fd of it: its locks go */
}

/* take_all - p's list, emptied (lists held). */
static struct plock_file *take_all(struct vproc *p)
{
	spin_lock(&lists);
	struct plock_file *all = p->plocks;
	__atomic_store_n(&p->plocks, NULL, __ATOMIC_RELEASE);
	spin_unlock(&lists);
	return all;
}

void posix_locks_release(struct vproc *p)
{
	for (struct plock_file *f = take_all(p), *next; f; f = next) {
		next = f->next;
		if (f->ofd >= 0)
			raw_syscall3(SYS_close, f->ofd, 0, 0);
		free(f);
	}
}

void posix_locks_after_fork(struct vproc *p)
{
	/* The lock word may have been held by another thread at the fork. */
	lists.locked = 0;
	posix_locks_release(p);
}
