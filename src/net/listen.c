/* listen.c - local stream connections: listen, the accept queue, connects waiting for room, accept. */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "net/sock.h"

/*
 * A connect to a local listener makes the connection at once (both ends
 * and their channel) and queues the server's end for accept. When the
 * queue is full, as Linux drops the SYN and the client retries, the client
 * waits on the listener's list of connectors (its SYN queue): each accept
 * that makes room completes the oldest one and wakes it through its own
 * poll head (EPOLLOUT), so a blocking connect, poll and epoll all see it.
 */

/* establish - connect cli to listener l: the server's end joins the accept
 * queue. l->lock held, room checked. 0 or -ENOMEM. */
static long establish(struct nsock *cli, struct nsock *l, const void *dst, uint32_t len)
{
	struct nsock *srv = nsock_new(l->family, l->type, l->protocol, 0);
	if (!srv || nsock_link(cli, srv)) {
		nsock_put(srv);
		return -ENOMEM;
	}
	srv->cred = l->cred;
	srv->passcred = l->passcred;
	srv->oobinline = l->oobinline; /* sk_clone_lock copies the flags */
	srv->rcvtimeo = l->rcvtimeo;   /* and the timeouts (a blocking read of
					* an accepted socket waited for good) */
	srv->sndtimeo = l->sndtimeo;
	srv->linger0 = l->linger0;
	srv->accepted_end = true;
	srv->v6only_shown = l->v6only_shown;
	chan_set_oobinline(srv->end, srv->oobinline);
	nsock_inherit_options(srv, l);
	srv->peercred = cli->cred;
	srv->has_peercred = cli->has_peercred = true;
	cli->peercred = l->cred;
	cli->fam->names(cli, srv, l, dst, len);
	if (cli->passcred || l->passcred)
		cli->chan->passcred = true;
	l->acq[(l->acq_head + l->acq_len++) % l->acq_cap] = srv;
	__atomic_store_n(&srv->queued_in, l, __ATOMIC_RELEASE);
	__atomic_store_n(&cli->state, NS_CONNECTED, __ATOMIC_RELEASE);
	return 0;
}

/* synq_unlink - take c off its listener's connectors; l->lock held. */
static bool synq_unlink(struct nsock *l, struct nsock *c)
{
	for (struct nsock **p = &l->synq; *p; p = &(*p)->syn_next) {
		if (*p == c) {
			*p = c->syn_next;
			c->syn_next = NULL;
			return true;
		}
	}
	return false;
}

/* Connectors and their listener's pointer to them change under this one
 * lock (before any listener's lock): a connector closing, its listener
 * closing and an accept making room may race, and all are rare. */
static spinlock_t synq_lock;

/* admit - complete waiting connectors while the accept queue has room (or
 * refuse them all: the listener is going), then wake them. */
static void admit(struct nsock *l, bool refuse)
{
	if (!__atomic_load_n(&l->synq, __ATOMIC_ACQUIRE))
		return;
	struct nsock *done[16];
	unsigned n = 0;
	spin_lock(&synq_lock);
	spin_lock(&l->lock);
	while (l->synq && n < 16 && (refuse || !acq_full(l))) {
		struct nsock *c = l->synq;
		l->synq = c->syn_next;
		c->syn_next = NULL;
		c->syn_l = NULL;
		if (!nsock_tryget(c))
			continue; /* closing: nothing to tell it */
		if (refuse || establish(c, l, &c->peer, c->peerlen)) {
			c->err = ECONNREFUSED;
			__atomic_store_n(&c->state, NS_NEW, __ATOMIC_RELEASE);
		}
		done[n++] = c;
	}
	spin_unlock(&l->lock);
	spin_unlock(&synq_lock);
	for (unsigned i = 0; i < n; i++) {
		vfile_notify(&done[i]->vf, EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP);
		nsock_put(done[i]);
	}
	if (n && !refuse)
		vfile_notify(&l->vf, EPOLLIN | EPOLLRDNORM);
	if (n == 16)
		admit(l, refuse);
}

void nsock_synq_leave(struct nsock *c)
{
	spin_lock(&synq_lock);
	struct nsock *l = c->syn_l;
	if (l) {
		spin_lock(&l->lock);
		synq_unlink(l, c);
		spin_unlock(&l->lock);
		c->syn_l = NULL;
	}
	spin_unlock(&synq_lock);
}

void nsock_listen_stop(struct nsock *l)
{
	spin_lock(&l->lock);
	struct nsock **q = l->acq;
	unsigned head = l->acq_head, len = l->acq_len, cap = l->acq_cap;
	l->acq = NULL;
	l->acq_head = l->acq_len = l->acq_cap = 0;
	if (l->state == NS_LISTEN) /* a name no connect finds (names_find) */
		__atomic_store_n(&l->state, NS_NEW, __ATOMIC_RELEASE);
	spin_unlock(&l->lock);
	admit(l, true);
	/* Pending connections nobody accepted: their clients see a reset
	 * (inet_csk_listen_stop; unix_release_sock of an embryo). */
	for (unsigned i = 0; i < len; i++) {
		struct nsock *p = q[(head + i) % cap];
		__atomic_store_n(&p->queued_in, NULL, __ATOMIC_RELEASE);
		p->embryo = true;
		nsock_put(p);
	}
	free(q);
}

/* connect_now - the accept queue has room: connect. l->lock held, and
 * released here. */
static long connect_now(struct nsock *s, struct nsock *l, const void *dst, uint32_t len, bool nonblock)
{
	long r = establish(s, l, dst, len);
	spin_unlock(&l->lock);
	if (r)
		return r;
	vfile_notify(&l->vf, EPOLLIN | EPOLLRDNORM);
	if (s->proto == CHAN_TCP && nonblock) { /* loopback TCP answers EINPROGRESS too */
		s->connect_told = true;
		return -EINPROGRESS;
	}
	return 0;
}

long nsock_connect_stream(struct nsock *s, struct uthread *ut, struct nsock *l, const void *dst, uint32_t len)
{
	bool nonblock = s->vf.flags & O_NONBLOCK, tcp = s->proto == CHAN_TCP;
	spin_lock(&l->lock);
	if (l->state == NS_LISTEN && !acq_full(l) && !l->synq)
		return connect_now(s, l, dst, len, nonblock);
	spin_unlock(&l->lock);
	if (!tcp && nonblock && l->state == NS_LISTEN) /* unix_stream_connect: a full backlog */
		return -EAGAIN;
	spin_lock(&synq_lock);
	spin_lock(&l->lock);
	if (l->state != NS_LISTEN || (!acq_full(l) && !l->synq)) {
		spin_unlock(&synq_lock);
		if (l->state == NS_LISTEN)
			return connect_now(s, l, dst, len, nonblock);
		spin_unlock(&l->lock);
		return -ECONNREFUSED;
	}
	/* Full: wait among the listener's connectors, oldest first. */
	memcpy(&s->peer, dst, len);
	s->peerlen = len;
	struct nsock **p = &l->synq;
	while (*p)
		p = &(*p)->syn_next;
	*p = s;
	s->syn_l = l; /* no reference: the listener's release refuses us first */
	s->state = NS_CONNECTING;
	spin_unlock(&l->lock);
	spin_unlock(&synq_lock);
	if (nonblock) {
		s->connect_told = true;
		return -EINPROGRESS;
	}
	return nsock_connect_wait(s, ut);
}

long nsock_connect_wait(struct nsock *s, struct uthread *ut)
{
	long r = nsock_wait(ut, &s->vf, EPOLLOUT, net_deadline(s->sndtimeo));
	if (s->proto != CHAN_TCP) /* a UNIX connect that failed leaves no trace */
		nsock_synq_leave(s);
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != NS_CONNECTING) {
		int e = s->err;
		s->err = 0;
		return -e;
	}
	if (s->proto != CHAN_TCP) {
		s->state = NS_NEW;
		s->peerlen = 0;
		return r == -ETIMEDOUT ? -EAGAIN : r;
	}
	/* TCP goes on connecting in the background, as Linux's SYN_SENT. */
	s->connect_told = true;
	return r == -ETIMEDOUT ? -EINPROGRESS : r;
}

/* name_moved - does s's kernel socket, TCP (an AF_UNIX one's kernel name
 * is a host path, not the program's), now hold another name than the one
 * published? Then that one is s's name. A TCP listener shut down
 * (inet_shutdown) let its ephemeral port go; its next listen took one. */
static bool name_moved(struct nsock *s)
{
	struct sockaddr_storage now;
	socklen_t nl = sizeof(now);
	if (raw_syscall3(SYS_getsockname, s->kfd, (long)&now, (long)&nl) ||
	    (nl == s->locallen && !memcmp(&now, &s->local, nl)))
		return false;
	memcpy(&s->local, &now, nl);
	s->locallen = nl;
	return true;
}

long nsock_listen(struct vfile *f, struct uthread *ut, int backlog)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	if (nsock_is_dgram(s))
		return raw_syscall3(SYS_listen, s->kfd, backlog, 0); /* Linux's EOPNOTSUPP */
	if (s->state == NS_CONNECTED || s->state == NS_CONNECTING)
		return -EINVAL;
	long r = s->fam->autobind(s, NULL);
	if (r)
		return r;
	/* The kernel listens too: peers outside the instance reach it there. */
	names_meet_lock();
	r = raw_syscall3(SYS_listen, s->kfd, backlog, 0);
	if (r) {
		names_meet_unlock();
		return r;
	}
	if (s->family == AF_INET6) /* fixed once bound: what its accepted ends say (establish) */
		s->v6only_shown = (uint8_t)(nsock_int(s->kfd, IPPROTO_IPV6, IPV6_V6ONLY) + 1);
	if (backlog < 0 || backlog > 4096)
		backlog = 4096; /* net.core.somaxconn */
	spin_lock(&s->lock);
	unsigned cap = (unsigned)backlog + 2;
	if (cap > s->acq_cap) {
		struct nsock **q = calloc(cap, sizeof(*q));
		if (!q) {
			spin_unlock(&s->lock);
			names_meet_unlock();
			return -ENOMEM;
		}
		for (unsigned i = 0; i < s->acq_len; i++)
			q[i] = s->acq[(s->acq_head + i) % s->acq_cap];
		free(s->acq);
		s->acq = q;
		s->acq_head = 0;
		s->acq_cap = cap;
	}
	s->backlog = backlog;
	if (s->family == AF_UNIX) { /* unix_listen: a listener's peer credentials are its own */
		s->peercred = s->cred;
		s->has_peercred = true;
	}
	bool first = s->state != NS_LISTEN;
	s->state = NS_LISTEN;
	spin_unlock(&s->lock);
	if (first && s->published && s->proto == CHAN_TCP && name_moved(s))
		names_unpublish(s); /* published again below, under that name */
	if (first)
		nsock_kwatch(s); /* outside peers wake accept, poll and epoll too */
	if (first && !s->published)
		r = s->fam->bind(s, NULL, NULL, 0); /* publish the name the kernel holds */
	names_meet_unlock();
	admit(s, false); /* a larger backlog makes room */
	return r;
}

struct vfile *nsock_accept(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp, int flags,
			   long *err)
{
	struct nsock *l = nsock_of(f);
	if (l->state != NS_LISTEN && l->state != NS_KERNEL) { /* Linux's EINVAL or EOPNOTSUPP */
		*err = raw_syscall6(SYS_accept4, nsock_kfd(l), addr, lenp, flags, 0, 0);
		return NULL;
	}
	bool nonblock = l->vf.flags & O_NONBLOCK;
	uint64_t deadline = net_deadline(l->rcvtimeo);
	for (;;) {
		/* Moved into the kernel, maybe while this waited (a fork): the
		 * kernel listener is the socket now, and its wait ends at once.
		 * Or shut down meanwhile: the kernel's EINVAL. */
		enum nstate st = __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
		if (st == NS_KERNEL) {
			*err = VFILE_BECAME_KERNEL;
			return NULL;
		}
		if (st != NS_LISTEN) {
			*err = raw_syscall6(SYS_accept4, nsock_kfd(l), addr, lenp, flags, 0, 0);
			return NULL;
		}
		spin_lock(&l->lock);
		struct nsock *s = NULL;
		if (l->acq_len) {
			s = l->acq[l->acq_head];
			l->acq_head = (l->acq_head + 1) % l->acq_cap;
			l->acq_len--;
			__atomic_store_n(&s->queued_in, NULL, __ATOMIC_RELEASE);
		}
		spin_unlock(&l->lock);
		if (s) {
			admit(l, false); /* room for a waiting connect */
			vfile_notify(f, 0); /* readiness may have gone: callbacks re-check */
			long r = nsock_put_name(addr, lenp, &s->peer, s->peerlen);
			if (r) {
				nsock_put(s);
				*err = r;
				return NULL;
			}
			return &s->vf;
		}
		/* A peer from outside the instance, through the kernel listener
		 * (nonblocking: it is only asked what is there). */
		if (__atomic_load_n(&l->kready, __ATOMIC_ACQUIRE)) {
			long k = raw_syscall6(SYS_accept4, l->kfd, addr, lenp, flags, 0, 0);
			/* Seen empty: watch for the next one (armed on a ready fd
			 * it fires at once), so poll never says ready for nothing. */
			if (k == -EAGAIN || !(nsock_kernel_poll(l->kfd, EPOLLIN) & EPOLLIN))
				nsock_kwatch(l);
			if (k != -EAGAIN) {
				*err = k; /* >= 0: a kernel socket */
				return NULL;
			}
			continue;
		}
		if (nonblock) {
			*err = -EAGAIN;
			return NULL;
		}
		/* Local peers and the kernel listener's watch notify the head;
		 * a shutdown makes it HUP. */
		long r = nsock_wait(ut, f, EPOLLIN | EPOLLHUP, deadline);
		if (r) {
			*err = r == -ETIMEDOUT ? -EAGAIN : r;
			return NULL;
		}
	}
}
