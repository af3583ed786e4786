/* moved_names.c - what a TCP connection that became a kernel AF_UNIX pair still is, for every host process of the instance. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "net/sock.h"

/*
 * A connection between fused programs that leaves its process (a fork, or
 * SCM_RIGHTS to a kernel socket) becomes a kernel AF_UNIX socketpair
 * (leave.c), whose object answers for its names still (nsock_kept). An
 * end passed on to another host process arrives there as that AF_UNIX
 * socket alone: getsockname said AF_UNIX, and libuv took it for a pipe
 * (its ipc_tcp_connection test; node's cluster passes connections so).
 * So each end's names go into a table that every host process of the
 * instance shares (made at start, before any fork), by the kernel
 * socket's inode: a process that receives such a file makes it a socket
 * object again, moved, with those names. Records are overwritten in
 * turn; a socket's inode is not given again while it lives.
 */
#define RECORDS 1024

struct record {
	uint64_t ino;			/* 0: free; written last */
	unsigned seq;			/* odd while written */
	int family;
	uint32_t locallen, peerlen;
	struct sockaddr_in6 local, peer; /* the larger of the two families */
};

struct table {
	unsigned next;
	struct record rec[RECORDS];
};

static struct table *table;

void moved_names_init(void)
{
	struct table *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t != MAP_FAILED)
		table = t;
}

static uint64_t ino_of(int k)
{
	struct stat st;
	return raw_syscall3(SYS_fstat, k, (long)&st, 0) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

void moved_names_note(const struct nsock *s, int k)
{
	uint64_t ino;
	if (!table || s->proto != CHAN_TCP || !(ino = ino_of(k)))
		return;
	struct record *r = &table->rec[__atomic_fetch_add(&table->next, 1, __ATOMIC_RELAXED) % RECORDS];
	__atomic_store_n(&r->ino, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_ACQ_REL);
	r->family = s->family;
	r->locallen = s->locallen <= sizeof(r->local) ? s->locallen : 0;
	r->peerlen = s->peerlen <= sizeof(r->peer) ? s->peerlen : 0;
	memcpy(&r->local, &s->local, r->locallen);
	memcpy(&r->peer, &s->peer, r->peerlen);
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->ino, ino, __ATOMIC_RELEASE);
}

/* find - the record of inode ino, copied whole into *out. */
static bool find(uint64_t ino, struct record *out)
{
	for (int i = 0; table && ino && i < RECORDS; i++) {
		struct record *r = &table->rec[i];
		if (__atomic_load_n(&r->ino, __ATOMIC_ACQUIRE) != ino)
			continue;
		unsigned seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		memcpy(out, r, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(seq & 1) && __atomic_load_n(&r->seq, __ATOMIC_RELAXED) == seq &&
		    __atomic_load_n(&r->ino, __ATOMIC_RELAXED) == ino)
			return true;
	}
	return false;
}

struct vfile *moved_names_adopt(int host)
{
	struct record r;
	if (!table || !find(ino_of(host), &r))
		return NULL;
	long fl = raw_syscall3(SYS_fcntl, host, F_GETFL, 0);
	long k = raw_syscall3(SYS_fcntl, host, F_DUPFD_CLOEXEC, 0);
	struct nsock *s = k >= 0 && fl >= 0 ? nsock_new(r.family, SOCK_STREAM, IPPROTO_TCP, (int)fl) : NULL;
	if (!s) {
		if (k >= 0)
			raw_syscall3(SYS_close, k, 0, 0);
		return NULL;
	}
	memcpy(&s->local, &r.local, r.locallen);
	memcpy(&s->peer, &r.peer, r.peerlen);
	s->locallen = r.locallen;
	s->peerlen = r.peerlen;
	s->state = NS_KERNEL;
	s->names_kept = true;
	spin_lock(&s->vf.poll_head.lock);
	vfile_moved_locked(&s->vf, (int)k);
	spin_unlock(&s->vf.poll_head.lock);
	return &s->vf;
}
