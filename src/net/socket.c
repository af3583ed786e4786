/* socket.c - the user-space socket object: lifetime, backend choice, connect/accept, options, names. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/sockios.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "net/procnet.h"
#include "net/sock.h"
#include "sched/kwait.h"

const struct net_hooks *net_hooks;
static const struct chan_hooks chan_hooks = { .copy = uaccess_copy_app, .file_put = (void (*)(void *))net_file_put };

void net_init(const struct net_hooks *hooks)
{
	net_hooks = hooks;
	moved_names_init();
}

void net_after_fork(void)
{
	names_forget_all();
}

void net_file_put(struct net_file *nf)
{
	if (!nf)
		return;
	vfile_put(nf->obj);
	if (nf->host >= 0)
		raw_syscall3(SYS_close, nf->host, 0, 0);
	free(nf);
}

uint64_t net_deadline(uint64_t rel)
{
	if (!rel)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec + rel;
}

/* The channel's readiness callback: push it to the object's poll head,
 * where parked readers/writers and poll/epoll callbacks hang; urgent data
 * tells the owner first, as tcp_urg does before the data is queued. */
static void on_ready(void *arg, uint32_t mask)
{
	if (mask & CHAN_URGENT)
		vfile_urgent(arg);
	vfile_notify(arg, mask & ~CHAN_URGENT);
}

/* A UNIX dgram queue has room again (or its reader left): the senders
 * waiting for it hear it (Linux's peer_wait). */
static void queue_room(void *arg, uint32_t mask)
{
	struct nqueue *q = arg;
	waitq_wake(&q->senders, -1, mask);
}

/* On its txq's senders: the queue s sends to has room. */
static void on_room(struct wq_entry *w, uint32_t events)
{
	struct nsock *s = (struct nsock *)((char *)w - __builtin_offsetof(struct nsock, room_w));
	vfile_notify(&s->vf, EPOLLOUT | EPOLLWRNORM | (events & EPOLLERR));
}

static bool queue_admits(void *arg)
{
	return chan_dir_admits(&((struct nqueue *)arg)->d);
}

long nsock_wait_room(struct uthread *ut, struct nqueue *q, uint64_t deadline)
{
	return net_hooks->wait_until(ut, &q->senders, WQ_ALL, queue_admits, q, deadline);
}

long nsock_wait(struct uthread *ut, struct vfile *f, uint32_t events, uint64_t deadline)
{
	struct vfile_wait_for w = { f, events };
	return net_hooks->wait_until(ut, &f->poll_head, events, vfile_ready_for, &w, deadline);
}

static enum chan_proto proto_of(int family, int type)
{
	if (family == AF_UNIX)
		return type == SOCK_STREAM ? CHAN_UNIX_STREAM : type == SOCK_DGRAM ? CHAN_UNIX_DGRAM
									: CHAN_UNIX_SEQPACKET;
	return type == SOCK_STREAM ? CHAN_TCP : CHAN_UDP;
}

bool nsock_is_dgram(const struct nsock *s)
{
	return s->proto == CHAN_UNIX_DGRAM || s->proto == CHAN_UDP;
}

struct nsock *nsock_new(int family, int type, int protocol, int flags)
{
	struct nsock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	vfile_init(&s->vf, &nsock_ops, O_RDWR | (flags & O_NONBLOCK));
	s->vf.sock = &nsock_sops;
	s->fam = family == AF_UNIX ? &unix_family : &inet_family;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->proto = proto_of(family, type);
	s->ino = vfile_new_ino();
	s->kfd = -1;
	s->shadow = -1;
	if (nsock_is_dgram(s)) {
		s->rxq = calloc(1, sizeof(*s->rxq));
		if (!s->rxq || chan_dir_init(&s->rxq->d, s->proto, 0, &chan_hooks)) {
			free(s->rxq);
			free(s);
			return NULL;
		}
		s->rxq->refs = 1;
		s->rxq->family = family;
		chan_set_space_notify(&s->rxq->d, queue_room, s->rxq);
		chan_end_init(&s->dend, s->proto, &s->rxq->d, NULL);
		chan_set_notify(&s->dend, on_ready, &s->vf);
		s->end = &s->dend;
	}
	procnet_add(s);
	return s;
}

void nqueue_put(struct nqueue *q)
{
	if (q && __atomic_sub_fetch(&q->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		chan_dir_fini(&q->d);
		free(q);
	}
}

static void nchan_put(struct nchan *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		chan_fini(&c->c);
		free(c);
	}
}

void nsock_put(struct nsock *s)
{
	vfile_put(s ? &s->vf : NULL);
}

static void nsock_release(struct vfile *f)
{
	struct nsock *s = nsock_of(f);
	procnet_remove(s);
	if (s->published)
		names_unpublish(s);
	nsock_synq_leave(s);
	nsock_listen_stop(s);
	if (s->end) {
		if ((s->linger0 && s->proto == CHAN_TCP) || s->embryo)
			chan_abort(s->end);
		else
			chan_close(s->end);
	}
	nchan_put(s->chan);
	nsock_set_txq(s, NULL);
	nqueue_put(s->rxq);
	kwait_unwatch(&s->kwatch); /* before its fd number can be reused */
	if (s->kfd >= 0)
		raw_syscall3(SYS_close, s->kfd, 0, 0);
	if (s->shadow >= 0)
		raw_syscall3(SYS_close, s->shadow, 0, 0);
	free(s);
}

/* lazy_socket - nsock_lazy_socket; prep (if any) readies the new socket
 * for s before anyone sees it. */
static int lazy_socket(int *slot, int family, int type, int protocol, void (*prep)(struct nsock *, int),
		       struct nsock *s)
{
	int fd = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	long r = raw_syscall3(SYS_socket, family, type | SOCK_CLOEXEC, protocol);
	if (r < 0)
		return (int)r;
	if (prep)
		prep(s, (int)r);
	int none = -1;
	if (!__atomic_compare_exchange_n(slot, &none, (int)r, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		raw_syscall3(SYS_close, r, 0, 0); /* another thread's came first */
		return none;
	}
	return (int)r;
}

int nsock_lazy_socket(int *slot, int family, int type, int protocol)
{
	return lazy_socket(slot, family, type, protocol, NULL, NULL);
}

void nsock_own_options(struct nsock *s, int k)
{
	int one = 1;
	for (int i = 0; i < 2; i++) {
		uint64_t ns = i ? s->sndtimeo : s->rcvtimeo;
		struct timeval tv = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull / 1000) };
		if (ns)
			raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, i ? SO_SNDTIMEO_OLD : SO_RCVTIMEO_OLD, (long)&tv,
				     sizeof(tv), 0);
	}
	if (s->linger0) {
		struct linger lg = { 1, 0 };
		raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, SO_LINGER, (long)&lg, sizeof(lg), 0);
	}
	if (s->oobinline)
		raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, SO_OOBINLINE, (long)&one, sizeof(one), 0);
	if (s->passcred)
		raw_syscall6(SYS_setsockopt, k, SOL_SOCKET, SO_PASSCRED, (long)&one, sizeof(one), 0);
}

int nsock_kfd(struct nsock *s)
{
	return lazy_socket(&s->kfd, s->family, s->type | SOCK_NONBLOCK, s->protocol, nsock_own_options, s);
}

static void kernel_ready(struct wq_entry *w, uint32_t events)
{
	nsock_kernel_ready((struct nsock *)((char *)w - offsetof(struct nsock, kwatch)));
}

void nsock_kernel_ready(struct nsock *s)
{
	/* One edge until a consumer saw it empty again (nsock_kwatch). */
	if (!__atomic_exchange_n(&s->kready, true, __ATOMIC_ACQ_REL))
		vfile_notify(&s->vf, EPOLLIN | EPOLLRDNORM | EPOLLERR);
}

void nsock_kwatch(struct nsock *s)
{
	__atomic_store_n(&s->kready, false, __ATOMIC_RELEASE);
	s->kwatch.func = kernel_ready;
	s->kwatch.events = EPOLLIN;
	/* Armed on a ready fd, it fires at once: nothing slips in between. */
	kwait_watch_background(s->kfd, &s->kwatch);
}

void nsock_kwatch_once(struct nsock *s)
{
	if (!__atomic_exchange_n(&s->kwatched, true, __ATOMIC_ACQ_REL))
		nsock_kwatch(s);
}

/* nsock_to_kernel - from now on the kernel socket is the socket (a peer
 * outside the instance): it already holds the options and the name. */
long nsock_to_kernel(struct nsock *s)
{
	int kfd = nsock_kfd(s);
	if (kfd < 0)
		return kfd;
	long fl = raw_syscall3(SYS_fcntl, kfd, F_GETFL, 0);
	if (fl >= 0)
		raw_syscall3(SYS_fcntl, kfd, F_SETFL, (fl & ~O_NONBLOCK) | (s->vf.flags & O_NONBLOCK));
	if (s->published)
		names_unpublish(s);
	if (nsock_is_dgram(s) && s->rxq)
		__atomic_store_n(&s->rxq->reader_left, true, __ATOMIC_RELEASE);
	s->state = NS_KERNEL;
	return VFILE_BECAME_KERNEL;
}

const char *net_backend(struct vfile *f)
{
	return f->sock == &nsock_sops && nsock_of(f)->state == NS_KERNEL ? "kernel" : "local";
}

/* ---- connections ---- */

static void attach_end(struct nsock *s, struct nchan *c, int side)
{
	s->chan = c;
	s->end = &c->c.end[side];
	chan_set_notify(s->end, on_ready, &s->vf);
	chan_set_oobinline(s->end, s->oobinline);
	/* Sizes set before the connection was made (they were ignored). */
	if (s->rcvbuf_set || s->sndbuf_set)
		nsock_apply_sizes(s);
}

long nsock_link(struct nsock *a, struct nsock *b)
{
	struct nchan *c = calloc(1, sizeof(*c));
	if (!c || chan_init(&c->c, a->proto, 0, &chan_hooks)) {
		free(c);
		return -ENOMEM;
	}
	c->refs = 2;
	attach_end(a, c, 0);
	attach_end(b, c, 1);
	/* a's state is its caller's to publish (an accept may complete it) */
	b->state = NS_CONNECTED;
	return 0;
}

void nsock_set_txq(struct nsock *s, struct nqueue *q)
{
	struct nqueue *old = s->txq;
	/* UDP never waits for room: a full receiver drops. */
	bool watch = s->proto == CHAN_UNIX_DGRAM;
	spin_lock(&s->lock);
	if (watch && s->room_q)
		waitq_remove(&s->room_w);
	s->txq = q;
	s->dend.tx = q ? &q->d : NULL;
	s->room_q = watch ? q : NULL;
	if (s->room_q) {
		s->room_w = (struct wq_entry){ .events = WQ_ALL, .func = on_room };
		waitq_add(&q->senders, &s->room_w);
	}
	spin_unlock(&s->lock);
	nqueue_put(old);
}

void nsock_connect_dgram(struct nsock *s, struct nsock *peer)
{
	__atomic_add_fetch(&peer->rxq->refs, 1, __ATOMIC_RELAXED);
	nsock_set_txq(s, peer->rxq);
	memcpy(&s->peer, &peer->local, peer->locallen);
	s->peerlen = peer->locallen;
	s->peercred = peer->cred;
	s->has_peercred = true;
}

long net_socketpair(struct uthread *ut, int family, int type, int protocol, struct vfile *sv[2])
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (family != AF_UNIX)
		return -EAFNOSUPPORT; /* Linux has socketpair for AF_UNIX only */
	if (base != SOCK_STREAM && base != SOCK_DGRAM && base != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	int fl = (type & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	struct nsock *a = nsock_new(family, base, protocol, fl), *b = nsock_new(family, base, protocol, fl);
	if (!a || !b) {
		nsock_put(a);
		nsock_put(b);
		return -ENOMEM;
	}
	net_hooks->cred(ut, &a->cred);
	b->cred = a->cred;
	if (nsock_is_dgram(a)) {
		nsock_connect_dgram(a, b);
		nsock_connect_dgram(b, a);
	} else if (nsock_link(a, b)) {
		nsock_put(a);
		nsock_put(b);
		return -ENOMEM;
	} else {
		a->state = NS_CONNECTED;
	}
	a->peercred = b->peercred = a->cred;
	a->has_peercred = b->has_peercred = true;
	a->peerlen = b->peerlen = a->locallen = b->locallen = sizeof(sa_family_t);
	a->peer.ss_family = b->peer.ss_family = a->local.ss_family = b->local.ss_family = AF_UNIX;
	sv[0] = &a->vf;
	sv[1] = &b->vf;
	return 0;
}

struct vfile *net_socket(struct uthread *ut, int family, int type, int protocol, long *err)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	bool inet_ok = (family == AF_INET || family == AF_INET6) &&
		       ((base == SOCK_STREAM && (!protocol || protocol == IPPROTO_TCP)) ||
			(base == SOCK_DGRAM && (!protocol || protocol == IPPROTO_UDP)));
	bool unix_ok = family == AF_UNIX && (base == SOCK_STREAM || base == SOCK_DGRAM || base == SOCK_SEQPACKET);
	if (!inet_ok && !unix_ok) {
		*err = -EAFNOSUPPORT; /* the kernel serves it (and says what is wrong) */
		return NULL;
	}
	/* The kernel socket comes first: its errors (EMFILE, EACCES) are Linux's.
	 * Nonblocking: the runtime only asks it what is there (an outside
	 * peer at accept) and never waits in it, until it becomes the socket. */
	long k = raw_syscall3(SYS_socket, family, base | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	if (k < 0) {
		*err = k;
		return NULL;
	}
	struct nsock *s = nsock_new(family, base, protocol, (type & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	if (!s) {
		raw_syscall3(SYS_close, k, 0, 0);
		*err = -ENOMEM;
		return NULL;
	}
	s->kfd = (int)k;
	net_hooks->cred(ut, &s->cred);
	return &s->vf;
}

/* ---- connect ---- */

/* wildcard - is the address part of s's name the wildcard (not bound to
 * one address)? */
static bool wildcard(const struct nsock *s)
{
	if (s->family == AF_INET)
		return ((const struct sockaddr_in *)&s->local)->sin_addr.s_addr == htonl(INADDR_ANY);
	return s->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&s->local)->sin6_addr);
}

/* source_for - a connected UDP socket's name is the source address of the
 * route to its peer, as Linux reports it (glibc's getaddrinfo sorts its
 * answers by it, and asserts a v4-mapped source for a v4-mapped peer: it
 * aborted, and apache2 with it). For a local peer, a throwaway kernel
 * socket connected there tells which; the port stays s's. */
static void source_for(struct nsock *s, const void *dst, uint32_t len)
{
	if (!wildcard(s))
		return;
	long t = raw_syscall3(SYS_socket, s->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t < 0)
		return;
	struct sockaddr_in6 src;
	socklen_t sl = sizeof(src);
	if (!raw_syscall3(SYS_connect, t, (long)dst, len) && !raw_syscall3(SYS_getsockname, t, (long)&src, (long)&sl)) {
		if (s->family == AF_INET)
			((struct sockaddr_in *)&s->local)->sin_addr = ((struct sockaddr_in *)&src)->sin_addr;
		else
			((struct sockaddr_in6 *)&s->local)->sin6_addr = src.sin6_addr;
	}
	raw_syscall3(SYS_close, t, 0, 0);
}

/* udp_connect_kernel - a UDP socket's peer is outside the instance: the
 * kernel socket connects (its errors, its filter), sends go out of it, and
 * local peers can still reach its port. Its name is then the kernel's. */
static long udp_connect_kernel(struct nsock *s, uint64_t addr, uint32_t len)
{
	long r = s->fam->autobind(s, NULL);
	if (r)
		return r;
	r = raw_syscall3(SYS_connect, s->kfd, addr, len);
	if (r)
		return r;
	socklen_t nl = sizeof(s->local);
	if (!raw_syscall3(SYS_getsockname, s->kfd, (long)&s->local, (long)&nl))
		s->locallen = nl;
	nsock_set_txq(s, NULL);
	s->peerlen = len;
	s->kpeer = true;
	copy_from_user(&s->peer, addr, len);
	nsock_kwatch_once(s);
	return 0;
}

static long nsock_connect(struct vfile *f, struct uthread *ut, uint64_t addr, uint32_t len)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	unsigned char sa[CHAN_ADDR_MAX];
	if (len > sizeof(sa))
		return -EINVAL;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (copy_from_user(sa, addr, len))
		return -EFAULT;
	sa_family_t af = *(sa_family_t *)sa;
	if (nsock_is_dgram(s) && af == AF_UNSPEC) { /* dissolve the association */
		s->kpeer = false;
		nsock_set_txq(s, NULL);
		s->peerlen = 0;
		if (s->family == AF_UNIX)
			return 0;
		/* An ephemeral port goes with the association (__udp_disconnect):
		 * the kernel unhashes it, and the next send binds again. */
		long r = raw_syscall3(SYS_connect, s->kfd, addr, len);
		struct sockaddr_in6 now;
		socklen_t nl = sizeof(now);
		if (!r && !raw_syscall3(SYS_getsockname, s->kfd, (long)&now, (long)&nl) && !now.sin6_port) {
			if (s->published)
				names_unpublish(s);
			s->locallen = 0;
		}
		return r;
	}
	switch (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) {
	case NS_LISTEN: /* EISCONN for TCP, EINVAL for UNIX: the kernel's */
		return raw_syscall3(SYS_connect, s->kfd, addr, len);
	case NS_CONNECTING:
		if (s->vf.flags & O_NONBLOCK)
			return -EALREADY;
		return nsock_connect_wait(s, ut);
	case NS_CONNECTED:
		if (s->connect_told) { /* the connect that said EINPROGRESS is done */
			s->connect_told = false;
			return 0;
		}
		return -EISCONN;
	default:
		break;
	}
	s->err = 0; /* an earlier failed connect's, untold: this one tries again */
	long err = 0;
	bool unix_stream = s->family == AF_UNIX && !nsock_is_dgram(s);
	if (unix_stream)
		names_meet_lock(); /* until it connects outside, if no listener is here */
	struct nsock *peer = s->fam->lookup(s, ut, sa, len, !nsock_is_dgram(s), &err);
	if (!peer && !err && unix_stream)
		err = unix_connect_outside(s, ut, sa, len);
	if (unix_stream)
		names_meet_unlock();
	if (err || (!peer && unix_stream))
		return err;
	if (!peer && s->proto == CHAN_UDP)
		return udp_connect_kernel(s, addr, len);
	if (!peer)
		return nsock_to_kernel(s);
	s->kpeer = false;
	long r = s->fam->autobind(s, sa);
	if (!r && nsock_is_dgram(s)) {
		nsock_connect_dgram(s, peer);
		if (s->family != AF_UNIX) { /* the destination as given, as Linux reports it */
			memcpy(&s->peer, sa, len);
			s->peerlen = len;
			source_for(s, sa, len);
		}
	} else if (!r) {
		r = nsock_connect_stream(s, ut, peer, sa, len);
	}
	nsock_put(peer);
	return r;
}

static long nsock_bind(struct vfile *f, struct uthread *ut, uint64_t addr, uint32_t len)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	unsigned char sa[CHAN_ADDR_MAX];
	if (len > sizeof(sa))
		len = sizeof(sa) + 1; /* the kernel says EINVAL */
	else if (copy_from_user(sa, addr, len))
		return -EFAULT;
	if (s->published || s->state != NS_NEW)
		return raw_syscall3(SYS_bind, nsock_kfd(s), addr, len); /* Linux's EINVAL */
	long r = s->fam->bind(s, ut, len <= sizeof(sa) ? sa : NULL, len);
	if (!r && nsock_is_dgram(s))
		nsock_kwatch_once(s); /* senders outside the instance reach the name too */
	return r;
}

/* ---- shutdown, names ---- */

static long nsock_shutdown(struct vfile *f, struct uthread *ut, int how)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (s->end && (s->state == NS_CONNECTED || nsock_is_dgram(s)))
		return chan_shutdown(s->end, how);
	long r = raw_syscall3(SYS_shutdown, nsock_kfd(s), how, 0);
	if (r || s->state != NS_LISTEN)
		return r;
	/* inet_shutdown: a TCP listener shut for reading disconnects (its
	 * kernel half has: CLOSE, so poll says HUP), refusing what waits;
	 * listen() may start it again. */
	if (s->proto == CHAN_TCP && how != SHUT_WR)
		nsock_listen_stop(s);
	vfile_notify(f, EPOLLIN | EPOLLHUP);
	return 0;
}

long nsock_put_name(uint64_t addr, uint64_t lenp, const void *name, uint32_t len)
{
	if (!addr)
		return 0;
	uint32_t have;
	if (copy_from_user(&have, lenp, sizeof(have)))
		return -EFAULT;
	if ((int)have < 0)
		return -EINVAL;
	if (copy_to_user(addr, name, have < len ? have : len) || copy_to_user(lenp, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

static long nsock_getsockname(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	if (s->locallen)
		return nsock_put_name(addr, lenp, &s->local, s->locallen);
	return raw_syscall3(SYS_getsockname, nsock_kfd(s), addr, lenp);
}

uint8_t nsock_tcp_state(struct nsock *s)
{
	enum nstate st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if (st == NS_LISTEN)
		return TCP_LISTEN;
	if (st != NS_CONNECTED || !s->end)
		return TCP_CLOSE;
	/* What each side sent: a FIN (or, both at once, a reset). On
	 * loopback every FIN is acknowledged at once, and a socket whose both
	 * sides are done is CLOSE (its TIME_WAIT is another sock's). */
	bool fin_sent = __atomic_load_n(&s->end->tx->state, __ATOMIC_ACQUIRE) & CHAN_WR_SHUT;
	bool fin_got = __atomic_load_n(&s->end->rx->state, __ATOMIC_ACQUIRE) & CHAN_WR_SHUT;
	return fin_sent && fin_got ? TCP_CLOSE : fin_sent ? TCP_FIN_WAIT2 : fin_got ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
}

static long nsock_getpeername(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	if (!s->peerlen || (s->state != NS_CONNECTED && !s->txq && !s->kpeer))
		return -ENOTCONN;
	if (s->proto == CHAN_TCP && nsock_tcp_state(s) == TCP_CLOSE) /* inet_getname: reset, or both sides shut */
		return -ENOTCONN;
	return nsock_put_name(addr, lenp, &s->peer, s->peerlen);
}

/* ---- options: the kernel socket validates and keeps them ---- */

static uint64_t timeo_ns(int kfd, int opt)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);
	if (raw_syscall6(SYS_getsockopt, kfd, SOL_SOCKET, opt, (long)&tv, (long)&l, 0))
		return 0;
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000;
}

int nsock_int(int kfd, int level, int opt)
{
	int v = 0;
	socklen_t l = sizeof(v);
	raw_syscall6(SYS_getsockopt, kfd, level, opt, (long)&v, (long)&l, 0);
	return v;
}

/* Apply the kernel's view of buffer sizes to the rings: Linux doubles
 * the value asked and so does the kernel socket; half is payload. */
void nsock_apply_sizes(struct nsock *s)
{
	if (s->kfd < 0 || !s->end)
		return;
	int rcv = nsock_int(s->kfd, SOL_SOCKET, SO_RCVBUF), snd = nsock_int(s->kfd, SOL_SOCKET, SO_SNDBUF);
	if (s->end->rx && rcv > 0 && s->rcvbuf_set)
		chan_set_capacity(s->end->rx, (size_t)rcv);
	if (s->end->tx && snd > 0 && s->sndbuf_set && !nsock_is_dgram(s))
		chan_set_capacity(s->end->tx, (size_t)snd);
}

/* Options an accepted socket takes from its listener, as Linux's
 * sk_clone_lock copies the whole sock: bit i of nsock.inherit is
 * inherited[i], set once the listener's program set it. */
static const struct {
	int level, opt;
} inherited[] = {
	{ SOL_SOCKET, SO_KEEPALIVE },	 { SOL_SOCKET, SO_LINGER },	     { SOL_SOCKET, SO_RCVBUF },
	{ SOL_SOCKET, SO_SNDBUF },	 { SOL_SOCKET, SO_RCVLOWAT },	     { SOL_SOCKET, SO_PRIORITY },
	{ SOL_SOCKET, SO_MARK },	 { IPPROTO_TCP, TCP_NODELAY },	     { IPPROTO_TCP, TCP_KEEPIDLE },
	{ IPPROTO_TCP, TCP_KEEPINTVL },	 { IPPROTO_TCP, TCP_KEEPCNT },	     { IPPROTO_TCP, TCP_USER_TIMEOUT },
	{ IPPROTO_TCP, TCP_CONGESTION }, { IPPROTO_TCP, TCP_WINDOW_CLAMP }, { IPPROTO_TCP, TCP_NOTSENT_LOWAT },
	{ IPPROTO_TCP, TCP_MAXSEG },
};

static uint32_t inherit_bit(int level, int opt)
{
	if (level == SOL_SOCKET && (opt == SO_RCVBUFFORCE || opt == SO_SNDBUFFORCE))
		opt = opt == SO_RCVBUFFORCE ? SO_RCVBUF : SO_SNDBUF;
	for (unsigned i = 0; i < sizeof(inherited) / sizeof(inherited[0]); i++)
		if (inherited[i].level == level && inherited[i].opt == opt)
			return 1u << i;
	return 0;
}

void nsock_inherit_options(struct nsock *srv, const struct nsock *l)
{
	/* TCP's: an AF_UNIX connection's server end is a new sock. */
	uint32_t bits = l->proto == CHAN_TCP ? __atomic_load_n(&l->inherit, __ATOMIC_RELAXED) : 0;
	int lk = __atomic_load_n(&l->kfd, __ATOMIC_ACQUIRE);
	int k = bits && lk >= 0 ? nsock_kfd(srv) : -1;
	if (k < 0)
		return;
	for (unsigned i = 0; i < sizeof(inherited) / sizeof(inherited[0]); i++) {
		char v[64];
		socklen_t n = sizeof(v);
		if (!(bits & 1u << i) ||
		    raw_syscall6(SYS_getsockopt, lk, inherited[i].level, inherited[i].opt, (long)v, (long)&n, 0))
			continue;
		/* A buffer size reads back doubled, and is doubled when set. */
		if (inherited[i].level == SOL_SOCKET && (inherited[i].opt == SO_RCVBUF || inherited[i].opt == SO_SNDBUF))
			*(int *)v /= 2;
		raw_syscall6(SYS_setsockopt, k, inherited[i].level, inherited[i].opt, (long)v, n, 0);
	}
	srv->inherit = bits;
	srv->rcvbuf_set = l->rcvbuf_set;
	srv->sndbuf_set = l->sndbuf_set;
	nsock_apply_sizes(srv);
	if ((bits & inherit_bit(SOL_SOCKET, SO_RCVLOWAT)) && srv->end && srv->end->rx)
		chan_set_rcvlowat(srv->end->rx, (size_t)nsock_int(k, SOL_SOCKET, SO_RCVLOWAT));
}

/* option_fd - the kernel socket that holds s's options, or -errno
 * (VFILE_BECAME_KERNEL: the whole socket is that kernel socket now). */
static int option_fd(struct nsock *s)
{
	return s->state == NS_KERNEL ? VFILE_BECAME_KERNEL : nsock_kfd(s);
}

/* datagram_option - what a datagram socket's option set means for the
 * datagrams in memory (sockio.c deliver_control, dgram_send): read back
 * from the twin, which checked it. */
static void datagram_option(struct nsock *s, int kfd, int level, int opt)
{
	static const struct {
		int level, opt, bit;
	} rx[] = { { IPPROTO_IP, IP_PKTINFO, RX_PKTINFO },
		   { IPPROTO_IPV6, IPV6_RECVPKTINFO, RX_PKTINFO6 },
		   { IPPROTO_IP, IP_RECVTTL, RX_TTL },
		   { IPPROTO_IP, IP_RECVTOS, RX_TOS },
		   { IPPROTO_IPV6, IPV6_RECVHOPLIMIT, RX_HOPLIMIT },
		   { IPPROTO_IPV6, IPV6_RECVTCLASS, RX_TCLASS } };
	for (unsigned i = 0; i < sizeof(rx) / sizeof(rx[0]); i++)
		if (rx[i].level == level && rx[i].opt == opt)
			s->rx_cmsgs = nsock_int(kfd, level, opt) > 0 ? s->rx_cmsgs | rx[i].bit : s->rx_cmsgs & ~rx[i].bit;
	if ((level == IPPROTO_IP && (opt == IP_TTL || opt == IP_TOS)) ||
	    (level == IPPROTO_IPV6 && (opt == IPV6_UNICAST_HOPS || opt == IPV6_TCLASS))) {
		/* read back once here, not at each send (sockio.c ip_header) */
		bool v6 = s->family == AF_INET6;
		s->hdr_hops = (uint8_t)nsock_int(kfd, level, v6 ? IPV6_UNICAST_HOPS : IP_TTL);
		s->hdr_tclass = (uint8_t)nsock_int(kfd, level, v6 ? IPV6_TCLASS : IP_TOS);
		s->hdr_set = true;
	}
	if (level != SOL_SOCKET || (opt != SO_TIMESTAMP_OLD && opt != SO_TIMESTAMP_NEW && opt != SO_TIMESTAMPNS_OLD &&
				    opt != SO_TIMESTAMPNS_NEW))
		return;
	/* One kind at a time, as sock_set_timestamp: the last set wins; an
	 * unset of the kind in force ends it. */
	bool ns = opt == SO_TIMESTAMPNS_OLD || opt == SO_TIMESTAMPNS_NEW;
	bool cur_ns = s->stamp_opt == SO_TIMESTAMPNS_OLD || s->stamp_opt == SO_TIMESTAMPNS_NEW;
	if (nsock_int(kfd, level, opt) > 0)
		s->stamp_opt = opt;
	else if (s->stamp_opt && ns == cur_ns)
		s->stamp_opt = 0;
	if (s->rxq)
		__atomic_store_n(&s->rxq->stamp, s->stamp_opt != 0, __ATOMIC_RELEASE);
}

static long nsock_setsockopt(struct vfile *f, struct uthread *ut, int level, int opt, uint64_t val,
			     uint32_t len)
{
	struct nsock *s = nsock_of(f);
	int kfd = option_fd(s);
	if (kfd < 0)
		return kfd;
	/* One address space: the kernel reads the app's value itself. */
	long r = raw_syscall6(SYS_setsockopt, kfd, level, opt, val, len, 0);
	if (!r)
		__atomic_or_fetch(&s->inherit, inherit_bit(level, opt), __ATOMIC_RELAXED);
	if (!r && nsock_is_dgram(s))
		datagram_option(s, kfd, level, opt);
	if (r || level != SOL_SOCKET)
		return r;
	switch (opt) {
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		s->rcvbuf_set = true;
		nsock_apply_sizes(s);
		break;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE:
		s->sndbuf_set = true;
		nsock_apply_sizes(s);
		break;
	case SO_RCVLOWAT:
		if (s->end && s->end->rx)
			chan_set_rcvlowat(s->end->rx, (size_t)nsock_int(kfd, SOL_SOCKET, SO_RCVLOWAT));
		break;
	case SO_OOBINLINE:
		s->oobinline = nsock_int(kfd, SOL_SOCKET, SO_OOBINLINE) > 0;
		if (s->end)
			chan_set_oobinline(s->end, s->oobinline);
		break;
	case SO_PASSCRED:
		s->passcred = nsock_int(kfd, SOL_SOCKET, SO_PASSCRED);
		if (s->chan && s->passcred)
			__atomic_store_n(&s->chan->passcred, true, __ATOMIC_RELAXED);
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		s->rcvtimeo = timeo_ns(kfd, SO_RCVTIMEO_OLD);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		s->sndtimeo = timeo_ns(kfd, SO_SNDTIMEO_OLD);
		break;
	case SO_LINGER: {
		struct linger lg;
		socklen_t l = sizeof(lg);
		if (!raw_syscall6(SYS_getsockopt, kfd, SOL_SOCKET, SO_LINGER, (long)&lg, (long)&l, 0))
			s->linger0 = lg.l_onoff && !lg.l_linger;
		break;
	}
	}
	return 0;
}

long nsock_put_int(uint64_t val, uint64_t lenp, int v)
{
	uint32_t len;
	if (copy_from_user(&len, lenp, sizeof(len)))
		return -EFAULT;
	if ((int)len < 0)
		return -EINVAL;
	if (len > sizeof(v))
		len = sizeof(v);
	if (copy_to_user(val, &v, len) || copy_to_user(lenp, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

/* path_option - what a TCP connection in memory asks of a real loopback
 * connection's (loopback.c): what the path makes of it (its MSS, window
 * clamp, MTU, TCP_INFO's scales and options; a window clamp the program
 * set is its own); its own kernel socket never connected, and said 536
 * and ENOTCONN. A TCP_MAXSEG set once connected changes nothing, as on
 * Linux, where it only bounds a handshake to come. TCP_INFO's counters
 * (bytes, segments, RTT) are that idle connection's: near zero, as the
 * unconnected socket's were. */
static bool path_option(struct nsock *s, int level, int opt)
{
	if (s->proto != CHAN_TCP || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != NS_CONNECTED)
		return false;
	if (level == IPPROTO_TCP && opt == TCP_WINDOW_CLAMP)
		return !(s->inherit & inherit_bit(level, opt));
	return (level == IPPROTO_TCP && (opt == TCP_INFO || opt == TCP_MAXSEG)) || (level == IPPROTO_IP && opt == IP_MTU) ||
	       (level == IPPROTO_IPV6 && (opt == IPV6_MTU || opt == IPV6_PATHMTU));
}

static long nsock_getsockopt(struct vfile *f, struct uthread *ut, int level, int opt, uint64_t val,
			     uint64_t lenp)
{
	struct nsock *s = nsock_of(f);
	int kfd = option_fd(s);
	if (kfd < 0)
		return kfd;
	if (level == SOL_SOCKET) {
		switch (opt) {
		case SO_ERROR: {
			int e = s->end ? chan_take_error(s->end) : __atomic_exchange_n(&s->err, 0, __ATOMIC_ACQ_REL);
			/* A stream connected in memory: its kernel socket never
			 * connected, and has no error to tell (nginx asks once a
			 * request of its upstream's connection). */
			if (!e && !(s->end && __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == NS_CONNECTED))
				e = nsock_int(kfd, SOL_SOCKET, SO_ERROR);
			if (s->kready && !(nsock_kernel_poll(kfd, EPOLLIN) & (EPOLLIN | EPOLLERR)))
				nsock_kwatch(s); /* the error was all there was */
			return nsock_put_int(val, lenp, e);
		}
		case SO_ACCEPTCONN:
			return nsock_put_int(val, lenp, s->state == NS_LISTEN);
		case SO_PEERCRED: {
			if (!s->has_peercred)
				break;
			struct ucred uc = { .pid = s->peercred.pid, .uid = s->peercred.uid, .gid = s->peercred.gid };
			uint32_t len;
			if (copy_from_user(&len, lenp, sizeof(len)))
				return -EFAULT;
			if (len > sizeof(uc))
				len = sizeof(uc);
			if (copy_to_user(val, &uc, len) || copy_to_user(lenp, &len, sizeof(len)))
				return -EFAULT;
			return 0;
		}
		}
	}
	if (level == IPPROTO_IPV6 && opt == IPV6_V6ONLY && s->v6only_shown)
		return nsock_put_int(val, lenp, s->v6only_shown - 1);
	int at = path_option(s, level, opt) ? loopback_fd(s->family, s->accepted_end) : kfd;
	long r = raw_syscall6(SYS_getsockopt, at < 0 ? kfd : at, level, opt, val, lenp, 0);
	if (!r && level == IPPROTO_TCP && opt == TCP_INFO) {
		/* The kernel socket never connected: the state is ours. */
		uint8_t st = nsock_tcp_state(s);
		uint32_t len;
		if (!copy_from_user(&len, lenp, sizeof(len)) && len >= 1)
			r = copy_to_user(val, &st, 1);
	}
	return r;
}

/* ---- the tables ---- */

const struct socket_ops nsock_sops = {
	.bind = nsock_bind,
	.listen = nsock_listen,
	.accept = nsock_accept,
	.connect = nsock_connect,
	.shutdown = nsock_shutdown,
	.getsockopt = nsock_getsockopt,
	.setsockopt = nsock_setsockopt,
	.getsockname = nsock_getsockname,
	.getpeername = nsock_getpeername,
	.kept = nsock_kept,
};

static long nsock_stat(struct vfile *f, struct stat *st)
{
	struct nsock *s = nsock_of(f);
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_ino = s->ino;
	st->st_dev = 8; /* sockfs's anonymous device on Linux: 0:8 */
	return 0;
}

const struct vfile_ops nsock_ops = {
	.name = "socket",
	.fasync = FASYNC_READY,
	.waits = true,
	.read = nsock_recv,
	.write = nsock_send,
	.mid_io = nsock_mid_io,
	.mid_call = nsock_mid_call,
	.poll = nsock_poll,
	.ioctl = nsock_ioctl,
	.stat = nsock_stat,
	.release = nsock_release,
	.host_file = nsock_host_file,
	.wait_fd = vfile_kernel_wait_fd,
};

int net_tcp_state(struct vfile *f)
{
	struct nsock *s = nsock_of(f);
	if (s->proto != CHAN_TCP || s->state == NS_KERNEL || s->state == NS_LISTEN)
		return 1;
	return s->state == NS_NEW ? 0 : -EISCONN;
}
