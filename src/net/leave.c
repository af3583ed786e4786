/* leave.c - a socket object leaves the process (a fork, SCM_RIGHTS to a kernel socket): its kernel twin. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "net/sock.h"
#include "sched/sched.h"

/*
 * What becomes of each kind (the fd entries then take a dup of the kernel
 * file: fdt_settle):
 *  - a socket not connected to a local peer (new, bound, or already served
 *    by its kernel socket): that kernel socket, its name withdrawn from the
 *    local table, so local connects reach it through the kernel too;
 *  - a listener: its kernel listener, which already takes the outside
 *    peers; each local connection queued at it is made again through
 *    that listener (queued_to_kernel), so that whichever process accepts
 *    gets it, and its client end becomes that connection's kernel socket;
 *  - a connected stream or seqpacket socket and its peer, together: a
 *    kernel AF_UNIX socketpair of that type, each direction's unread data
 *    written into it first, shutdowns and a closed peer carried over. A
 *    TCP pair becomes an AF_UNIX stream: the bytes, their order, EOF and
 *    EPIPE are the same; its names, family, protocol and TCP options are
 *    the socket's still (nsock_kept: a forked backend's getpeername and
 *    TCP_NODELAY, postgres's);
 *  - an AF_UNIX datagram pair (socketpair, or two connected to each other
 *    alone): a kernel datagram pair, each one's queued datagrams sent in;
 *  - a UDP socket with datagrams queued: its kernel socket, each datagram
 *    sent to it again from its sender's kernel socket (its source kept);
 *  - a datagram socket connected to a bound local peer (or one that
 *    left): its kernel socket connected to the peer's name (UDP: the
 *    address it gave, which the peer's twin holds);
 *  - anything else (AF_UNIX datagrams queued at a socket that is no
 *    pair's, one connected to an unbound peer, a
 *    connect under way, a listener
 *    with connectors waiting for room) stays: -EBUSY, and a forked child
 *    sees EBADF for it.
 */

static int dup_cloexec(int fd)
{
	return (int)raw_syscall3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
}

/* moved - f is kernel file k from now on (it owns k). */
static void moved(struct nsock *s, int k)
{
	long fl = raw_syscall3(SYS_fcntl, k, F_GETFL, 0);
	if (fl >= 0)
		raw_syscall3(SYS_fcntl, k, F_SETFL, (fl & ~O_NONBLOCK) | (s->vf.flags & O_NONBLOCK));
	spin_lock(&s->vf.poll_head.lock);
	vfile_moved_locked(&s->vf, k);
	spin_unlock(&s->vf.poll_head.lock);
}

/* The sockets a drain moves, and the kernel fds they become: a socket
 * queued on its own connection (sent over itself) goes as its new fd. */
struct drain_self {
	const struct vfile *obj[2];
	int k[2];
};

/* rights_fds - the files of a queued SCM_RIGHTS record as host fds to send
 * on (a user-space object moves into the kernel, as one sent outside
 * does): into fds, their count. One that cannot move, or that leads
 * back to a socket this move holds, is left out. */
static unsigned rights_fds(struct chan_anc_out *o, const struct drain_self *self, int *fds)
{
	unsigned n = 0;
	for (unsigned i = 0; i < o->nfiles; i++) {
		struct net_file *nf = o->files[i];
		int h = nf->host;
		for (int j = 0; h < 0 && self && j < 2; j++)
			if (nf->obj == self->obj[j])
				h = self->k[j];
		if (h < 0 && nf->obj && nf->obj->ops->host_file)
			h = nf->obj->ops->host_file(nf->obj);
		if (h >= 0)
			fds[n++] = h;
	}
	return n;
}

/* drain - what waits for end e to read, written into kernel socket k (whose
 * peer e becomes), files passed with it as SCM_RIGHTS again (they were
 * dropped: a server that forked before its recvmsg had the bytes and no
 * fd): 0, or -errno (the kernel socket's buffer was made large enough
 * first for the bytes; a record the kernel refuses, with its files, is
 * lost with the move). */
static int drain(struct chan_end *e, int k, bool msgs, const struct drain_self *self)
{
	struct {
		char buf[1 << 16];
		void *files[CHAN_MAX_FILES];
		int fds[CHAN_MAX_FILES];
		union { /* aligned for a cmsghdr */
			struct cmsghdr h;
			char b[CMSG_SPACE(CHAN_MAX_FILES * sizeof(int))];
		} ctl;
	} *d = malloc(sizeof(*d));
	int r = d ? 0 : -ENOMEM;
	while (!r) {
		struct iovec v = { d->buf, sizeof(d->buf) };
		struct iov_iter it;
		iov_iter_init(&it, &v, 1);
		int mflags = 0;
		struct chan_anc_out o = { .files = d->files, .max_files = CHAN_MAX_FILES };
		ssize_t got = chan_recv(e, &it, &o, MSG_DONTWAIT, &mflags);
		if (got <= 0) /* empty (-EAGAIN), EOF, or a pending reset: done */
			break;
		unsigned nfds = rights_fds(&o, self, d->fds);
		for (ssize_t off = 0; off < got && !r;) {
			struct iovec sv = { d->buf + off, (size_t)(got - off) };
			struct msghdr m = { .msg_iov = &sv, .msg_iovlen = 1 };
			if (nfds && !off) { /* with the record's first byte, as it came */
				m.msg_control = &d->ctl;
				m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
				d->ctl.h = (struct cmsghdr){ .cmsg_len = CMSG_LEN(nfds * sizeof(int)),
							     .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS };
				memcpy(CMSG_DATA(&d->ctl.h), d->fds, nfds * sizeof(int));
			}
			long w = raw_syscall3(SYS_sendmsg, k, (long)&m, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w <= 0)
				r = w < 0 ? (int)w : -ENOBUFS;
			off += msgs ? got : w;
		}
		/* The kernel holds what it carries: ours go. */
		for (unsigned i = 0; i < o.nfiles; i++)
			net_file_put(o.files[i]);
	}
	free(d);
	return r;
}

/* big_buffers - room in k for all that is drained into it: its send
 * buffer's size before, which carry_options puts back. */
static int big_buffers(int k)
{
	int was = nsock_int(k, SOL_SOCKET, SO_SNDBUF), sz = 1 << 22;
	if (raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, SO_SNDBUFFORCE, (long)&sz, sizeof(sz), 0) < 0)
		raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, SO_SNDBUF, (long)&sz, sizeof(sz), 0);
	return was;
}

/* set_size - SO_SNDBUF or SO_RCVBUF of k to size, as getsockopt said it
 * (Linux doubles what is set). */
static void set_size(int k, int opt, int size)
{
	int half = size / 2, force = opt == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
	if (size > 0 && raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, force, (long)&half, sizeof(half), 0) < 0)
		raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, opt, (long)&half, sizeof(half), 0);
}

/* The options a program may have set on a socket, held by its kernel
 * socket (kfd) until it leaves: the kernel pair that takes its place gets
 * them (a receive timeout lost at a fork blocked a read for good, a lost
 * SO_PASSCRED lost the credentials). TCP's integer ones stay the
 * socket's own (nsock_kept): those a program sets, where they differ from
 * a new connection's. */
static const int carried_sol[] = { SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD, SO_KEEPALIVE, SO_PASSCRED, SO_RCVLOWAT,
				   SO_PRIORITY,     SO_LINGER,       SO_OOBINLINE, SO_REUSEADDR, SO_BROADCAST };
static const int carried_tcp[] = { TCP_NODELAY,	 TCP_CORK,	   TCP_KEEPIDLE,   TCP_KEEPINTVL,
				   TCP_KEEPCNT,	 TCP_LINGER2,	   TCP_DEFER_ACCEPT, TCP_QUICKACK,
				   TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT };

/* Linux's value of TCP option opt on a new connection. */
static int tcp_default(int opt)
{
	switch (opt) {
	case TCP_MAXSEG: return 65483; /* loopback's MTU less the headers */
	case TCP_KEEPIDLE: return 7200;
	case TCP_KEEPINTVL: return 75;
	case TCP_KEEPCNT: return 9;
	case TCP_SYNCNT: return 6;
	case TCP_LINGER2: return 60;
	case TCP_QUICKACK: return 1;
	default: return 0;
	}
}

/* carry_options - s becomes kernel socket k, whose send buffer was sndbuf
 * before draining. */
static void carry_options(struct nsock *s, int k, int sndbuf)
{
	int o = s->kfd;
	set_size(k, SO_SNDBUF, s->sndbuf_set && o >= 0 ? nsock_int(o, SOL_SOCKET, SO_SNDBUF) : sndbuf);
	if (o < 0) {
		nsock_own_options(s, k); /* none set on it: what it took from its listener */
		return;
	}
	if (s->rcvbuf_set)
		set_size(k, SO_RCVBUF, nsock_int(o, SOL_SOCKET, SO_RCVBUF));
	for (size_t i = 0; i < sizeof(carried_sol) / sizeof(carried_sol[0]); i++) {
		char v[16];
		socklen_t l = sizeof(v);
		if (!raw_syscall6(SYS_getsockopt, o, SOL_SOCKET, carried_sol[i], (long)v, (long)&l, 0))
			raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, carried_sol[i], (long)v, l, 0);
	}
	for (size_t i = 0; s->proto == CHAN_TCP && i < sizeof(carried_tcp) / sizeof(carried_tcp[0]); i++) {
		int opt = carried_tcp[i], v = nsock_int(o, IPPROTO_TCP, opt);
		if (v != tcp_default(opt)) {
			s->tcp_opt[opt] = v;
			__atomic_or_fetch(&s->tcp_set, 1u << opt, __ATOMIC_RELEASE);
		}
	}
}

/* peer_of - the other end of s's channel, referenced, or NULL if closed. */
static struct nsock *peer_of(struct nsock *s)
{
	struct channel *c = &s->chan->c;
	struct chan_end *other = s->end == &c->end[0] ? &c->end[1] : &c->end[0];
	struct nsock *peer = NULL;
	if (__atomic_load_n(&s->chan->refs, __ATOMIC_ACQUIRE) == 2 && other->notify_arg) {
		peer = nsock_of(other->notify_arg);
		if (!nsock_tryget(peer))
			peer = NULL;
	}
	return peer;
}

/* via_listener - s, the client of a connection its listener has not
 * accepted yet: the listener moves into the kernel first, which makes the
 * connection again through its kernel listener, s's end included (a pair
 * instead left the accepting child an empty connection, and the epoll set
 * that watched s a kernel fd the listener's move closed: postfix's master
 * and its own trigger connections). s's kernel fd, or -EBUSY. */
static int via_listener(struct nsock *s, struct nsock *peer)
{
	struct nsock *l = peer ? __atomic_load_n(&peer->queued_in, __ATOMIC_ACQUIRE) : NULL;
	if (!l || !nsock_tryget(l))
		return -EBUSY;
	int r = nsock_host_file(&l->vf);
	nsock_put(l);
	return r >= 0 && vfile_in_kernel(&s->vf) ? s->vf.kfd : -EBUSY;
}

/* pair_to_kernel - s's connection and, if still open, its peer's end. */
static int pair_to_kernel(struct nsock *s)
{
	struct channel *c = &s->chan->c;
	int side = s->end == &c->end[0] ? 0 : 1;
	struct nsock *peer = peer_of(s);
	int vl = via_listener(s, peer);
	if (vl >= 0) {
		nsock_put(peer);
		return vl;
	}
	int type = s->proto == CHAN_UNIX_SEQPACKET ? SOCK_SEQPACKET : SOCK_STREAM;
	int k[2];
	long r = raw_syscall6(SYS_socketpair, AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, (long)k, 0, 0);
	if (r < 0)
		goto out;
	/* dir[i] carries data to end[i]: into k[1 - i], which k[i] reads. */
	int sndbuf[2] = { 0, 0 };
	struct drain_self self = { { &s->vf, peer ? &peer->vf : NULL }, { k[side], k[1 - side] } };
	for (int i = 0; i < 2 && !r; i++) {
		sndbuf[1 - i] = big_buffers(k[1 - i]);
		r = drain(&c->end[i], k[1 - i], type == SOCK_SEQPACKET, &self);
	}
	if (r < 0) {
		raw_syscall3(SYS_close, k[0], 0, 0);
		raw_syscall3(SYS_close, k[1], 0, 0);
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		uint32_t st = __atomic_load_n(&c->dir[i].state, __ATOMIC_ACQUIRE);
		if (st & CHAN_WR_SHUT)
			raw_syscall3(SYS_shutdown, k[1 - i], SHUT_WR, 0);
		if (st & CHAN_RD_SHUT)
			raw_syscall3(SYS_shutdown, k[i], SHUT_RD, 0);
	}
	carry_options(s, k[side], sndbuf[side]);
	moved(s, k[side]);
	s->names_kept = true;
	moved_names_note(s, k[side]);
	if (peer) {
		carry_options(peer, k[1 - side], sndbuf[1 - side]);
		moved(peer, k[1 - side]);
		peer->names_kept = true;
		moved_names_note(peer, k[1 - side]);
	} else
		raw_syscall3(SYS_close, k[1 - side], 0, 0);
out:
	nsock_put(peer);
	return r < 0 ? (int)r : s->vf.kfd;
}

/* The kernel's default net.unix.max_dgram_qlen: more queued datagrams
 * than this might not fit in a kernel pair's queue. */
#define KERNEL_DGRAM_QLEN 10

/* dgram_pair_to_kernel - s and its peer, AF_UNIX datagram sockets connected
 * to each other alone (socketpair): a kernel datagram pair, what each has
 * queued sent into it first. -EBUSY when s is no such pair. */
static int dgram_pair_to_kernel(struct nsock *s)
{
	struct nqueue *tx = s->txq;
	struct chan_end *pe = tx ? tx->d.reader : NULL;
	if (s->family != AF_UNIX || !pe || !pe->notify_arg || __atomic_load_n(&tx->refs, __ATOMIC_ACQUIRE) != 2 ||
	    __atomic_load_n(&s->rxq->refs, __ATOMIC_ACQUIRE) != 2)
		return -EBUSY;
	struct nsock *peer = nsock_of(pe->notify_arg);
	if (!nsock_tryget(peer))
		return -EBUSY;
	int k[2], r = -EBUSY;
	if (peer->txq != s->rxq || vfile_in_kernel(&peer->vf) || s->rxq->d.qlen > KERNEL_DGRAM_QLEN ||
	    tx->d.qlen > KERNEL_DGRAM_QLEN ||
	    (r = (int)raw_syscall6(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, (long)k, 0, 0)) < 0)
		goto out;
	int sndbuf0 = big_buffers(k[0]), sndbuf1 = big_buffers(k[1]);
	struct drain_self self = { { &s->vf, &peer->vf }, { k[0], k[1] } };
	if ((r = drain(&s->dend, k[1], true, &self)) < 0 || (r = drain(&peer->dend, k[0], true, &self)) < 0) {
		raw_syscall3(SYS_close, k[0], 0, 0);
		raw_syscall3(SYS_close, k[1], 0, 0);
		goto out;
	}
	carry_options(s, k[0], sndbuf0);
	carry_options(peer, k[1], sndbuf1);
	moved(s, k[0]);
	moved(peer, k[1]);
	s->names_kept = peer->names_kept = true;
	r = k[0];
out:
	nsock_put(peer);
	return r;
}

/* queue_to_kernel - the datagrams queued at s, sent again to its kernel
 * socket (at to) each from its sender's kernel socket, so that its source
 * stays; one whose sender is gone is dropped, as UDP may, or (AF_UNIX,
 * which keeps them) sent from an unnamed socket. 0 or -errno (what was
 * not sent stays queued). */
static int queue_to_kernel(struct nsock *s, const struct sockaddr_storage *to, socklen_t tolen)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	int anon = s->family == AF_UNIX
			   ? (int)raw_syscall3(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)
			   : -1;
	big_buffers(s->kfd);
	for (;;) {
		struct iovec v = { buf, cap };
		struct iov_iter it;
		iov_iter_init(&it, &v, 1);
		struct chan_anc_out o = { 0 };
		int mflags = 0;
		ssize_t got = chan_recv(&s->dend, &it, &o, MSG_DONTWAIT, &mflags);
		if (got < 0)
			break;
		long err = 0;
		struct nsock *from = o.addrlen ? s->fam->lookup(s, NULL, o.addr, o.addrlen, false, &err) : NULL;
		int via = from && from->kfd >= 0 ? from->kfd : anon;
		if (via >= 0)
			raw_syscall6(SYS_sendto, via, (long)buf, got, MSG_DONTWAIT, (long)to, tolen);
		nsock_put(from);
	}
	if (anon >= 0)
		raw_syscall3(SYS_close, anon, 0, 0);
	free(buf);
	return 0;
}

/* listener_address - where a kernel socket connects to reach l's kernel
 * socket: its bound name, a wildcard address made loopback. */
static socklen_t kernel_address(struct nsock *l, struct sockaddr_storage *to)
{
	socklen_t len = sizeof(*to);
	if (raw_syscall3(SYS_getsockname, l->kfd, (long)to, (long)&len) < 0)
		return 0;
	struct sockaddr_in *in = (struct sockaddr_in *)to;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)to;
	if (to->ss_family == AF_INET && !in->sin_addr.s_addr)
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (to->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
		in6->sin6_addr = in6addr_loopback;
	return len;
}

/* queued_to_kernel - srv, queued at a listener whose kernel listener is at
 * to: its connection made again there by a new kernel socket, what the
 * client sent written in first and its shutdowns carried over; the client
 * (if still open) is that socket from now on. The kernel's accept then
 * gives the server's end. 0 or -errno. */
static int queued_to_kernel(struct nsock *srv, const struct sockaddr_storage *to, socklen_t tolen)
{
	struct channel *c = &srv->chan->c;
	int side = srv->end == &c->end[0] ? 0 : 1;
	int k = (int)raw_syscall3(SYS_socket, to->ss_family, srv->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k < 0)
		return k;
	big_buffers(k);
	long r = raw_syscall3(SYS_connect, k, (long)to, tolen);
	if (r == -EINPROGRESS) {
		/* Loopback: the handshake is done before long. */
		struct pollfd p = { .fd = k, .events = POLLOUT };
		r = raw_syscall3(SYS_poll, (long)&p, 1, 1000) == 1 && !(p.revents & POLLERR) ? 0 : -ETIMEDOUT;
	}
	/* The client becomes k, in flight on its own connection too. */
	struct nsock *cli = peer_of(srv);
	if (!r)
		r = drain(&c->end[side], k, srv->type == SOCK_SEQPACKET,
			  &(struct drain_self){ { cli ? &cli->vf : NULL, NULL }, { k, -1 } });
	if (r < 0) {
		raw_syscall3(SYS_close, k, 0, 0);
		nsock_put(cli);
		return (int)r;
	}
	if (__atomic_load_n(&c->dir[side].state, __ATOMIC_ACQUIRE) & CHAN_WR_SHUT)
		raw_syscall3(SYS_shutdown, k, SHUT_WR, 0);
	if (__atomic_load_n(&c->dir[1 - side].state, __ATOMIC_ACQUIRE) & CHAN_RD_SHUT)
		raw_syscall3(SYS_shutdown, k, SHUT_RD, 0);
	if (cli)
		moved(cli, k);
	else
		raw_syscall3(SYS_close, k, 0, 0); /* closed: the server reads what it sent, then EOF */
	nsock_put(cli);
	return 0;
}

/* listener_to_kernel - l's queued local connections into its kernel
 * listener, oldest first (l->lock held). 0 or -errno (those not moved
 * stay queued). */
static int listener_to_kernel(struct nsock *l)
{
	struct sockaddr_storage to;
	socklen_t tolen = kernel_address(l, &to);
	if (!tolen)
		return -EBUSY;
	while (l->acq_len) {
		struct nsock *srv = l->acq[l->acq_head];
		int r = queued_to_kernel(srv, &to, tolen);
		if (r < 0)
			return r;
		l->acq_head = (l->acq_head + 1) % l->acq_cap;
		l->acq_len--;
		__atomic_store_n(&srv->queued_in, NULL, __ATOMIC_RELEASE);
		nsock_put(srv);
	}
	return 0;
}

/* dgram_queue_to_kernel - a UDP or bound AF_UNIX datagram socket's queued
 * datagrams into its kernel socket (s->lock held): true if done. */
static bool dgram_queue_to_kernel(struct nsock *s)
{
	struct sockaddr_storage to;
	socklen_t tolen = (s->proto == CHAN_UDP || s->proto == CHAN_UNIX_DGRAM) && s->kfd >= 0
				  ? kernel_address(s, &to) : 0;
	return tolen > sizeof(sa_family_t) && queue_to_kernel(s, &to, tolen) == 0;
}

/* dgram_sender_to_kernel - s, a datagram socket connected to a bound one
 * of the instance that is not its pair (postfix's master and its postlog
 * socket; a UDP client of a server that forked): the peer moves into the
 * kernel (its bound kernel socket), or moved already, and s becomes its
 * kernel socket connected to that name (a UDP socket: to the address it
 * gave), so that the peer's forked child hears what s sends (it stayed
 * in memory, and was lost). -EBUSY when s is no such socket. */
static int dgram_sender_to_kernel(struct nsock *s)
{
	/* A UDP peer's port is its kernel twin's, bound since its bind, and
	 * watched: the address s gave reaches it, moved or not, open or not. */
	struct sockaddr_storage to = s->peer;
	socklen_t tolen = s->peerlen;
	long r = 0;
	if (s->proto != CHAN_UDP) {
		struct nqueue *tx = s->txq;
		struct chan_end *pe = tx ? tx->d.reader : NULL;
		if (s->family != AF_UNIX || !pe || !pe->notify_arg)
			return -EBUSY;
		struct nsock *peer = nsock_of(pe->notify_arg);
		if (peer == s || !nsock_tryget(peer))
			return -EBUSY;
		/* The peer moves; a path s gave may be relative: its kernel name. */
		int pk = nsock_host_file(&peer->vf);
		tolen = sizeof(to);
		r = pk < 0 ? pk : raw_syscall3(SYS_getsockname, pk, (long)&to, (long)&tolen);
		nsock_put(peer);
	}
	int k = r < 0 ? -1 : nsock_kfd(s);
	if (r >= 0 && (k < 0 || tolen <= sizeof(sa_family_t)))
		r = -EBUSY; /* an unbound peer: no name to connect to */
	if (r >= 0)
		r = raw_syscall3(SYS_connect, k, (long)&to, tolen);
	if (r >= 0 && (r = nsock_to_kernel(s)) == VFILE_BECAME_KERNEL && (r = dup_cloexec(s->kfd)) >= 0)
		moved(s, (int)r);
	return (int)r;
}

int nsock_host_file(struct vfile *f)
{
	struct nsock *s = nsock_of(f);
	if (vfile_in_kernel(f))
		return f->kfd;
	/* Reached again from its own move (via_listener, a file in flight
	 * that leads back to it: a cycle of sockets sent over each other, a
	 * client's own fd on its unaccepted connection): not waited for on
	 * its own lock, the file is left out. */
	struct uthread *me = uthread_self_or_null();
	if (me && __atomic_load_n(&s->mover, __ATOMIC_ACQUIRE) == me)
		return -EBUSY;
	spin_lock(&s->lock);
	__atomic_store_n(&s->mover, me, __ATOMIC_RELEASE);
	long r;
	enum nstate st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if (st == NS_CONNECTED && s->chan)
		r = pair_to_kernel(s);
	else if (nsock_is_dgram(s) && st != NS_KERNEL && s->txq) {
		/* Its peer is local: an unconnected kernel twin broke the
		 * parent's sends. A pair moves as one; a sender to a bound
		 * socket connects to its kernel name. */
		r = dgram_pair_to_kernel(s);
		if (r == -EBUSY)
			r = dgram_sender_to_kernel(s);
	} else if (st == NS_CONNECTING || (st == NS_LISTEN && (s->synq || (s->acq_len && listener_to_kernel(s)))) ||
		 (nsock_is_dgram(s) && st != NS_KERNEL && s->rxq && s->rxq->d.qlen && !dgram_queue_to_kernel(s)))
		r = -EBUSY;
	else if ((r = nsock_to_kernel(s)) == VFILE_BECAME_KERNEL && (r = dup_cloexec(s->kfd)) >= 0)
		moved(s, (int)r);
	__atomic_store_n(&s->mover, NULL, __ATOMIC_RELEASE);
	spin_unlock(&s->lock);
	return r < 0 ? (int)r : f->kfd;
}

/* ---- what a socket moved into an AF_UNIX pair still is ---- */

/* tcp_option - get or set TCP option opt of a moved TCP socket: the
 * integer ones, checked as Linux checks them, kept here (the AF_UNIX pair
 * has none); TCP_CONGESTION is the shadow socket's (below), TCP_INFO and
 * the like the AF_UNIX pair's answer (EOPNOTSUPP). */
static long tcp_option(struct nsock *s, bool set, int opt, uint64_t val, uint64_t len)
{
	if (opt < 1 || opt > TCP_NOTSENT_LOWAT || opt == TCP_INFO || opt == TCP_CONGESTION ||
	    opt == TCP_MD5SIG)
		return VFILE_NOOP;
	if (!set) {
		uint32_t bit = __atomic_load_n(&s->tcp_set, __ATOMIC_ACQUIRE) & (1u << opt);
		return nsock_put_int(val, len, bit ? s->tcp_opt[opt] : tcp_default(opt));
	}
	int v;
	if (len < sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, val, sizeof(v)))
		return -EFAULT;
	if (((opt == TCP_KEEPIDLE || opt == TCP_KEEPINTVL) && (v < 1 || v > 32767)) ||
	    (opt == TCP_KEEPCNT && (v < 1 || v > 127)))
		return -EINVAL;
	s->tcp_opt[opt] = v;
	__atomic_or_fetch(&s->tcp_set, 1u << opt, __ATOMIC_RELEASE);
	return 0;
}

/* shadow_fd - a kernel TCP socket of s's family, made at first use, that
 * answers the IP, IPv6 and non-integer TCP options of a moved TCP socket
 * (the AF_UNIX pair has none): Linux's checks, defaults and values. */
static int shadow_fd(struct nsock *s)
{
	return nsock_lazy_socket(&s->shadow, s->family, SOCK_STREAM, 0);
}

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#define SO_PEERPIDFD 77
#endif

static bool unix_only(long opt)
{
	return opt == SO_PASSCRED || opt == SO_PEERCRED || opt == SO_PASSSEC || opt == SO_PEERSEC ||
	       opt == SO_PEERGROUPS || opt == SO_PASSPIDFD || opt == SO_PEERPIDFD;
}

long nsock_kept(struct vfile *f, long nr, const long a[6])
{
	struct nsock *s = nsock_of(f);
	/* A path it bound reads back as given: the kernel's may be one under
	 * a /proc link to the program's cwd (unix.c kernel_path). */
	if (nr == SYS_getsockname && s->family == AF_UNIX && s->locallen > offsetof(struct sockaddr_un, sun_path) &&
	    ((struct sockaddr_un *)&s->local)->sun_path[0])
		return nsock_put_name(a[1], a[2], &s->local, s->locallen);
	if (!__atomic_load_n(&s->names_kept, __ATOMIC_ACQUIRE))
		return VFILE_NOOP;
	bool tcp = s->proto == CHAN_TCP;
	switch (nr) {
	case SYS_getpeername:
		/* unnamed: the pair's AF_UNIX says as much */
		return s->peerlen ? nsock_put_name(a[1], a[2], &s->peer, s->peerlen) : VFILE_NOOP;
	case SYS_getsockname:
		return s->locallen ? nsock_put_name(a[1], a[2], &s->local, s->locallen) : VFILE_NOOP;
	case SYS_connect:
		/* connected: the AF_UNIX pair would say EINVAL to an inet name
		 * (ab's second connect after EINPROGRESS) */
		return tcp ? -EISCONN : VFILE_NOOP;
	case SYS_getsockopt:
		if (tcp && a[1] == SOL_SOCKET && (a[2] == SO_DOMAIN || a[2] == SO_PROTOCOL))
			return nsock_put_int(a[3], a[4], a[2] == SO_DOMAIN ? s->family : IPPROTO_TCP);
		/* fall through */
	case SYS_setsockopt:
		/* The socket options of any socket are the pair's; those only
		 * AF_UNIX has (SO_PASSCRED: EOPNOTSUPP on TCP) the shadow's. */
		if (!tcp || (a[1] == SOL_SOCKET && !unix_only(a[2])))
			return VFILE_NOOP;
		if (a[1] == IPPROTO_TCP) {
			long r = tcp_option(s, nr == SYS_setsockopt, (int)a[2], a[3], a[4]);
			if (r != VFILE_NOOP || a[2] != TCP_CONGESTION)
				return r;
		}
		int k = shadow_fd(s);
		return k < 0 ? k : raw_syscall6(nr, k, a[1], a[2], a[3], a[4], 0);
	default:
		return VFILE_NOOP;
	}
}
