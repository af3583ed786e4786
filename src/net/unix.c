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

/* kernel_path - a relative path names a file under the program's cwd,
 * not the host's: the kernel gets it through the cwd's /proc link. The
 * path ends at len even without a NUL (libzmq's and libdbus's addresses
 * count none): out is zeroed past it, so its sun_path is a C string. */
static uint32_t kernel_path(struct uthread *ut, const struct sockaddr_un *a, uint32_t len,
			    struct sockaddr_un *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out, a, len < sizeof(*out) ? len : sizeof(*out));
	int cwd = ut ? net_hooks->cwd_fd(ut) : AT_FDCWD;
	if (len <= SUN_OFF || !a->sun_path[0] || a->sun_path[0] == '/' || cwd == AT_FDCWD)
		return len;
	char tmp[sizeof(out->sun_path) + 1];
	size_t n = strnlen(a->sun_path, len - SUN_OFF);
	int w = snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d/%.*s", cwd, (int)n, a->sun_path);
	if (w < 0 || (size_t)w >= sizeof(out->sun_path))
		return len; /* too long to say so: the host's cwd it is */
	memcpy(out->sun_path, tmp, (size_t)w + 1);
	return SUN_OFF + (uint32_t)w + 1;
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

static long unix_bind(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len)
{
	if (!sa)
		return s->published ? 0 : publish(s);
	const struct sockaddr_un *a = sa;
	struct sockaddr_un ka;
	uint32_t klen = kernel_path(ut, a, len, &ka);
	/* The kernel makes the socket file (EADDRINUSE, ENOENT, EACCES as
	 * Linux) or takes the abstract name against the whole host. */
	long r = raw_syscall3(SYS_bind, s->kfd, (long)&ka, klen);
	if (r)
		return r;
	if (len <= SUN_OFF || a->sun_path[0]) {
		read_name(s);
		if (len > SUN_OFF) { /* a path reads back as given */
			size_t n = strnlen(a->sun_path, len - SUN_OFF);
			memcpy(&s->local, a, SUN_OFF + n);
			((struct sockaddr_un *)&s->local)->sun_path[n] = 0;
			s->locallen = SUN_OFF + n + 1;
			/* Made by the runtime, whose umask is not the program's:
			 * the mode Linux gives it (0777 less the umask). */
			if (ut)
				raw_syscall6(SYS_fchmodat, AT_FDCWD, (long)ka.sun_path,
					     0777 & ~net_hooks->umask(ut), 0, 0, 0);
			struct stat st;
			struct ukey k;
			if (!stat(ka.sun_path, &st))
				return names_publish(s, &k, path_key(&k, &st));
			return 0;
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
	if (len <= SUN_OFF) {
		*err = -EINVAL;
		return NULL;
	}
	struct ukey k;
	uint32_t kl;
	if (a->sun_path[0]) {
		struct sockaddr_un ka;
		kernel_path(ut, a, len, &ka);
		char path[sizeof(ka.sun_path) + 1];
		size_t n = strnlen(ka.sun_path, sizeof(ka.sun_path));
		memcpy(path, ka.sun_path, n);
		path[n] = 0;
		struct stat st;
		if (stat(path, &st)) {
			*err = -errno;
			return NULL;
		}
		if (!S_ISSOCK(st.st_mode)) {
			*err = -ECONNREFUSED;
			return NULL;
		}
		/* Connecting and sending need write permission on the socket
		 * file, as Linux checks; the vCPU runs with the program's ids. */
		long acc = raw_syscall6(SYS_faccessat2, AT_FDCWD, (long)path, W_OK, AT_EACCESS, 0, 0);
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
	struct sockaddr_un ka;
	uint32_t klen = kernel_path(ut, sa, len, &ka);
	long r = raw_syscall3(SYS_connect, kfd, (long)&ka, klen); /* kfd is non-blocking */
	if (r == 0) /* connected: the kernel's from now on */
		return nsock_to_kernel(s) == VFILE_BECAME_KERNEL ? VFILE_BECAME_KERNEL_DONE : 0;
	if (r == -EAGAIN) /* a full backlog outside: the kernel's wait, as the program asked */
		return nsock_to_kernel(s);
	return r;
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
