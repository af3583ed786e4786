/* unix.c - AF_UNIX names: socket files, abstract names, autobind, and finding a local peer. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "net/sock.h"

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

/* The name table's key: the socket file's inode (as Linux finds a path
 * socket: any path to the same file reaches it) or the abstract name. */
struct ukey {
	char kind; /* 'P' path, 'A' abstract */
	unsigned char b[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
};

static uint32_t path_key(struct ukey *k, const struct stat *st)
{
	k->kind = 'P';
	memcpy(k->b, &st->st_dev, sizeof(st->st_dev));
	memcpy(k->b + sizeof(st->st_dev), &st->st_ino, sizeof(st->st_ino));
	return 1 + sizeof(st->st_dev) + sizeof(st->st_ino);
}

static uint32_t abstract_key(struct ukey *k, const struct sockaddr_un *a, uint32_t len)
{
	k->kind = 'A';
	memcpy(k->b, a->sun_path, len - SUN_OFF);
	return 1 + len - SUN_OFF;
}

/* kpath_rel - path (n bytes) under directory fd dir through its /proc link,
 * or with n 0 the file of fd dir itself; false if that does not fit. */
static bool kpath_rel(struct unix_kname *k, int dir, const char *path, size_t n)
{
	char tmp[sizeof(k->sa.sun_path) + 1];
	int w = snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d%s%.*s", dir, n ? "/" : "", (int)n, path);
	if (w < 0 || (size_t)w >= sizeof(k->sa.sun_path))
		return false;
	memcpy(k->sa.sun_path, tmp, (size_t)w + 1);
	k->len = SUN_OFF + (uint32_t)w + 1;
	return true;
}

/* same_dir - do directory fds a and b name one directory? */
static bool same_dir(int a, int b)
{
	struct stat sa, sb;
	return !raw_syscall6(SYS_newfstatat, a, (long)"", (long)&sa, AT_EMPTY_PATH, 0, 0) &&
	       !raw_syscall6(SYS_newfstatat, b, (long)".", (long)&sb, 0, 0, 0) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * kernel_path - a relative path names a file under the program's cwd,
 * not the host's: the kernel gets it through the cwd's /proc link. When
 * that makes it too long for a sun_path (Linux takes 107 bytes relative
 * to any cwd; the link costs ~17), the file is reached through an O_PATH
 * fd opened here: of the file itself to connect to it (the kernel follows
 * the /proc link to the socket), of its directory to make it (bind). The
 * path ends at len even without a NUL (libzmq's and libdbus's addresses
 * count none): past it sa is zeroed, so its sun_path is a C string.
 * A program whose cwd is the host's gets its path as it gave it.
 * 0, or -errno of that open (ENOENT, EACCES, ENOTDIR, as the kernel's own
 * walk would say), -ENAMETOOLONG (a bind whose last component alone is
 * too long for that) or -EINVAL (longer than a sockaddr_un, as Linux).
 */
static long kernel_path(struct uthread *ut, const struct sockaddr_un *a, uint32_t len, bool make,
			struct unix_kname *k)
{
	memset(&k->sa, 0, sizeof(k->sa));
	memcpy(&k->sa, a, len < sizeof(k->sa) ? len : sizeof(k->sa));
	k->len = len;
	k->fd = -1;
	if (len > sizeof(struct sockaddr_un)) /* unix_mkname's EINVAL */
		return -EINVAL;
	int cwd = ut ? net_hooks->cwd_fd(ut) : AT_FDCWD;
	if (len <= SUN_OFF || !a->sun_path[0] || a->sun_path[0] == '/' || cwd == AT_FDCWD)
		return 0;
	size_t n = strnlen(a->sun_path, len - SUN_OFF);
	if (kpath_rel(k, cwd, a->sun_path, n) || same_dir(cwd, AT_FDCWD))
		return 0; /* the latter: as given, the host's cwd being the program's */
	char path[sizeof(a->sun_path) + 1];
	memcpy(path, a->sun_path, n);
	path[n] = 0;
	char *slash = strrchr(path, '/');
	if (make && !slash)
		return -ENAMETOOLONG;
	if (make)
		*slash = 0;
	long d = raw_syscall6(SYS_openat, cwd, (long)path, O_PATH | O_CLOEXEC | (make ? O_DIRECTORY : 0), 0, 0, 0);
	if (d < 0)
		return d;
	k->fd = (int)d;
	return kpath_rel(k, k->fd, make ? slash + 1 : "", make ? strlen(slash + 1) : 0) ? 0 : -ENAMETOOLONG;
}

uint32_t unix_name_as_given(struct sockaddr_un *a, uint32_t len)
{
	static const char link[] = "/proc/self/fd/";
	struct stat st;
	char path[sizeof(a->sun_path) + 1];
	size_t n = len > SUN_OFF ? strnlen(a->sun_path, len - SUN_OFF) : 0;
	if (a->sun_family != AF_UNIX || n <= sizeof(link) - 1 || memcmp(a->sun_path, link, sizeof(link) - 1))
		return len;
	memcpy(path, a->sun_path, n);
	path[n] = 0;
	struct ukey k;
	struct nsock *s = stat(path, &st) == 0 && S_ISSOCK(st.st_mode) ? names_find(&k, path_key(&k, &st), NULL, false)
									 : NULL;
	if (!s)
		return len;
	uint32_t given = s->locallen <= sizeof(*a) ? s->locallen : 0;
	if (given)
		memcpy(a, &s->local, given);
	nsock_put(s);
	return given ? given : len;
}

static void kpath_done(struct unix_kname *k)
{
	if (k->fd >= 0)
		raw_syscall3(SYS_close, k->fd, 0, 0);
	k->fd = -1;
}

/* publish - an abstract or autobound name into the table (paths are
 * published at bind, keyed by the file the kernel made). */
static long publish(struct nsock *s)
{
	const struct sockaddr_un *a = (const struct sockaddr_un *)&s->local;
	if (s->locallen <= SUN_OFF || a->sun_path[0])
		return 0;
	struct ukey k;
	return names_publish(s, &k, abstract_key(&k, a, s->locallen));
}

/* The kernel's name of the bound kernel socket (abstract and autobind
 * names), read back into s->local. */
static void read_name(struct nsock *s)
{
	socklen_t l = sizeof(s->local);
	if (!raw_syscall3(SYS_getsockname, s->kfd, (long)&s->local, (long)&l))
		s->locallen = l;
}

/* bound_as_given - s, bound at path a (len bytes) by the kernel through
 * the name k: its name reads back as given, and its file gets the mode
 * Linux gives it (0777 less the program's umask: the runtime made it,
 * whose umask is not the program's). */
static void bound_as_given(struct nsock *s, struct uthread *ut, const struct sockaddr_un *a, uint32_t len,
			   const struct unix_kname *k)
{
	size_t n = strnlen(a->sun_path, len - SUN_OFF);
	memcpy(&s->local, a, SUN_OFF + n);
	((struct sockaddr_un *)&s->local)->sun_path[n] = 0;
	s->locallen = SUN_OFF + n + 1;
	if (ut)
		raw_syscall6(SYS_fchmodat, AT_FDCWD, (long)k->sa.sun_path, 0777 & ~net_hooks->umask(ut), 0, 0, 0);
}

static long unix_bind(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len)
{
	if (!sa)
		return s->published ? 0 : publish(s);
	const struct sockaddr_un *a = sa;
	struct unix_kname ka;
	long r = kernel_path(ut, a, len, true, &ka);
	/* The kernel makes the socket file (EADDRINUSE, ENOENT, EACCES as
	 * Linux) or takes the abstract name against the whole host. */
	if (!r)
		r = raw_syscall3(SYS_bind, s->kfd, (long)&ka.sa, ka.len);
	if (r) {
		kpath_done(&ka);
		return r;
	}
	if (len <= SUN_OFF || a->sun_path[0]) {
		read_name(s);
		if (len > SUN_OFF) {
			bound_as_given(s, ut, a, len, &ka);
			struct stat st;
			struct ukey k;
			bool made = !stat(ka.sa.sun_path, &st);
			kpath_done(&ka);
			return made ? names_publish(s, &k, path_key(&k, &st)) : 0;
		}
	} else {
		memcpy(&s->local, a, len);
		s->locallen = len;
	}
	return publish(s);
}

static long unix_autobind(struct nsock *s, const void *dst)
{
	if (s->locallen > SUN_OFF || !s->passcred)
		return 0;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	long r = raw_syscall3(SYS_bind, s->kfd, (long)&a, sizeof(sa_family_t));
	if (r)
		return r;
	read_name(s);
	if (nsock_is_dgram(s))
		nsock_kwatch_once(s); /* as inet_autobind's */
	return publish(s);
}

static struct nsock *unix_lookup(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len,
				 bool listener, long *err)
{
	const struct sockaddr_un *a = sa;
	if (len < sizeof(sa_family_t) || a->sun_family != AF_UNIX) {
		*err = -EINVAL;
		return NULL;
	}
	if (len <= SUN_OFF || len > sizeof(struct sockaddr_un)) { /* unix_mkname */
		*err = -EINVAL;
		return NULL;
	}
	struct ukey k;
	uint32_t kl;
	if (a->sun_path[0]) {
		struct unix_kname ka;
		long r = kernel_path(ut, a, len, false, &ka);
		char path[sizeof(ka.sa.sun_path) + 1];
		size_t n = strnlen(ka.sa.sun_path, sizeof(ka.sa.sun_path));
		memcpy(path, ka.sa.sun_path, n);
		path[n] = 0;
		struct stat st;
		if (r || stat(path, &st)) {
			*err = r ? r : -errno;
			kpath_done(&ka);
			return NULL;
		}
		if (!S_ISSOCK(st.st_mode)) {
			*err = -ECONNREFUSED;
			kpath_done(&ka);
			return NULL;
		}
		/* Connecting and sending need write permission on the socket
		 * file, as Linux checks; the vCPU runs with the program's ids. */
		long acc = raw_syscall6(SYS_faccessat2, AT_FDCWD, (long)path, W_OK, AT_EACCESS, 0, 0);
		kpath_done(&ka);
		if (acc == -EACCES || acc == -EPERM) {
			*err = acc;
			return NULL;
		}
		kl = path_key(&k, &st);
	} else {
		kl = abstract_key(&k, a, len);
	}
	struct nsock *p = names_find(&k, kl, NULL, listener);
	bool listens = p || !listener;
	if (!p && !(listener && (p = names_find(&k, kl, NULL, false))))
		return NULL;
	/* Linux: EPROTOTYPE for a socket of another type (a datagram one
	 * bound there too), else ECONNREFUSED for one that does not listen. */
	if (p->type != s->type || !listens) {
		*err = p->type != s->type ? -EPROTOTYPE : -ECONNREFUSED;
		nsock_put(p);
		return NULL;
	}
	return p;
}

long unix_connect_outside(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len)
{
	int kfd = nsock_kfd(s);
	if (kfd < 0)
		return kfd;
	struct unix_kname ka;
	long r = kernel_path(ut, sa, len, false, &ka);
	if (!r)
		r = raw_syscall3(SYS_connect, kfd, (long)&ka.sa, ka.len); /* kfd is non-blocking */
	kpath_done(&ka);
	if (r == 0) /* connected: the kernel's from now on */
		return nsock_to_kernel(s) == VFILE_BECAME_KERNEL ? VFILE_BECAME_KERNEL_DONE : 0;
	if (r == -EAGAIN) /* a full backlog outside: the kernel's wait, as the program asked */
		return nsock_to_kernel(s);
	return r;
}

/*
 * A socket moved into the kernel is the kernel's for good, but a path its
 * program names relative to its cwd is still to be resolved there, not
 * in the host process's cwd: connect, bind, sendto and sendmsg get the
 * name kernel_path makes of it (a datagram sent outside, a stream whose
 * outside listener's backlog was full, and any call after a fork moved
 * the socket). The bytes and their buffers stay the program's.
 */
long unix_kernel_args(struct vfile *f, struct uthread *ut, long nr, const long a[6], struct unix_kargs *k)
{
	if ((nr != SYS_connect && nr != SYS_bind && nr != SYS_sendto && nr != SYS_sendmsg) || !f->sock ||
	    nsock_of(f)->family != AF_UNIX || net_hooks->cwd_fd(ut) == AT_FDCWD)
		return VFILE_NOOP;
	memcpy(k->a, a, sizeof(k->a));
	int at = nr == SYS_sendto ? 4 : 1; /* the address and its length after it */
	uint64_t uaddr;
	uint32_t len;
	if (nr == SYS_sendmsg) {
		if (copy_from_user(&k->h, a[1], sizeof(k->h)))
			return VFILE_NOOP; /* the kernel's EFAULT */
		uaddr = (uint64_t)k->h.msg_name;
		len = k->h.msg_namelen;
	} else {
		uaddr = (uint64_t)a[at];
		len = (uint32_t)a[at + 1];
	}
	struct sockaddr_un *sa = &k->given;
	/* No name, an abstract or absolute one, or one the kernel refuses
	 * (a bad pointer or length): the kernel's as given. */
	if (!uaddr || len <= SUN_OFF || len > sizeof(*sa) || copy_from_user(sa, uaddr, len) ||
	    sa->sun_family != AF_UNIX || !sa->sun_path[0] || sa->sun_path[0] == '/')
		return VFILE_NOOP;
	k->givenlen = len;
	long r = kernel_path(ut, sa, len, nr == SYS_bind, &k->name);
	if (r)
		return r;
	if (nr == SYS_sendmsg) {
		k->h.msg_name = &k->name.sa;
		k->h.msg_namelen = k->name.len;
		k->a[1] = (long)&k->h;
	} else {
		k->a[at] = (long)&k->name.sa;
		k->a[at + 1] = k->name.len;
	}
	return 0;
}

void unix_kargs_done(struct vfile *f, struct uthread *ut, long nr, long r, struct unix_kargs *k)
{
	if (nr == SYS_bind && !r) /* read back by nsock_kept */
		bound_as_given(nsock_of(f), ut, &k->given, k->givenlen, &k->name);
	kpath_done(&k->name);
}

static void unix_names(struct nsock *cli, struct nsock *srv, struct nsock *l, const void *dst, uint32_t len)
{
	cli->peer = srv->local = l->local;
	cli->peerlen = srv->locallen = l->locallen;
	srv->peer = cli->local;
	srv->peerlen = cli->locallen ? cli->locallen : sizeof(sa_family_t);
	srv->peer.ss_family = AF_UNIX;
}

const struct nfamily unix_family = {
	.names = unix_names,
	.bind = unix_bind,
	.lookup = unix_lookup,
	.autobind = unix_autobind,
};
