/* sock.h - the socket object inside net/: state shared by the unix and inet halves. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/spinlock.h"
#include "sched/waitq.h"
#include "net/local/channel.h"
#include "net/socket.h"

extern const struct net_hooks *net_hooks;

/* NS_CONNECTING: a stream waiting for room in a local listener's queue. */
enum nstate { NS_NEW, NS_LISTEN, NS_CONNECTING, NS_CONNECTED, NS_KERNEL };

/* A connected pair's channel: freed when both ends are closed. */
struct nchan {
	struct channel c;
	int refs;
	bool passcred;	/* an end has SO_PASSCRED: every send carries credentials */
};

/* A datagram socket's receive queue: senders connected to it hold it. */
struct nqueue {
	struct chan_dir d;
	int refs;
	int family;	/* its reader's: the sender's address as it sees it */
	/* UNIX dgram senders that wait for room in d (nsock.room_w), as
	 * Linux's peer_wait: connected ones, and blocked sendto's. */
	struct waitq senders;
	/* Its reader moved into the kernel (a fork): senders connected to it
	 * follow it there (leave.c dgram_sender_to_kernel). */
	bool reader_left;
	/* Its reader asked for SO_TIMESTAMP(NS): senders stamp each datagram. */
	bool stamp;
};

struct nsock;

/* The receive cmsgs a datagram socket asked for (nsock.rx_cmsgs). */
enum { RX_PKTINFO = 1, RX_PKTINFO6 = 2, RX_TTL = 4, RX_TOS = 8, RX_HOPLIMIT = 16, RX_TCLASS = 32 };

/* The family's half (unix.c, inet.c): names and where a peer is. */
struct nfamily {
	/* bind the kernel socket, then publish the name: 0 or -errno */
	long (*bind)(struct nsock *s, struct uthread *ut, const void *addr, uint32_t len);
	/* the bound socket at addr, with a reference (listener or dgram),
	 * NULL: no local one (-> the kernel), or *err for a local refusal */
	struct nsock *(*lookup)(struct nsock *s, struct uthread *ut, const void *addr, uint32_t len,
				bool listener, long *err);
	/* before listen/connect/send of an unbound socket (autobind); dst:
	 * where it goes (inet binds the loopback it uses), or NULL */
	long (*autobind)(struct nsock *s, const void *dst);
	/* a stream connection was made: both ends' names as Linux shows them */
	void (*names)(struct nsock *cli, struct nsock *srv, struct nsock *l, const void *dst, uint32_t len);
};

struct nsock {
	struct vfile vf;	/* first: the fd table's object */
	const struct nfamily *fam;
	int family, type, protocol;
	uint8_t proto;		/* enum chan_proto */
	enum nstate state;	/* atomic where read without the lock (poll) */
	uint64_t ino;
	spinlock_t lock;	/* state, accept queue, peer */
	/* The uthread moving it into the kernel (nsock_host_file, lock
	 * held), or NULL: a file in flight that leads back to it during that
	 * move is left out, not waited for (it waited on its own lock). */
	struct uthread *mover;

	/* Connected streams: one end of a channel. */
	struct nchan *chan;
	struct chan_end *end;
	/* Datagrams: the own queue and end; tx set by connect. */
	struct nqueue *rxq, *txq;
	/* UNIX dgram: on the senders of room_q, its txq (which holds the
	 * reference): its writers hear when that queue has room again. */
	struct nqueue *room_q;
	struct wq_entry room_w;
	struct chan_end dend;

	/* Listener: pending connections (their server-side sockets). */
	struct nsock **acq;
	unsigned acq_head, acq_len, acq_cap;
	int backlog;
	struct nsock *synq;	/* connectors waiting for room (listen.c) */

	/* Connector: its place in a listener's synq; connect_told: a
	 * nonblocking connect answered EINPROGRESS (the next one says 0). */
	struct nsock *syn_l, *syn_next;
	bool connect_told;
	int err;		/* a failed connect's error (SO_ERROR), positive */

	/* Names: the kernel socket holds the bound one (getsockname). */
	struct sockaddr_storage local, peer;
	uint32_t locallen, peerlen;	/* 0: unnamed / not connected */
	bool published;		/* in the name table */
	void *name_key;		/* names.c's entry */

	/* Credentials of this end's opener and of the peer at connect. */
	struct chan_cred cred, peercred;
	bool has_peercred;
	bool passcred;
	bool oobinline;		/* SO_OOBINLINE: its reads take TCP's urgent byte in the stream */

	/* The kernel socket: binds, ports, options; or the whole socket
	 * once state is NS_KERNEL. -1 until needed (pairs, accepted). */
	int kfd;
	/* Its readiness pushed to the poll head (a listener's outside peers,
	 * a datagram socket's outside senders): kready is set when kwait
	 * saw it readable, cleared (and the watch re-armed) by the consumer
	 * that finds it empty. */
	struct wq_entry kwatch;
	bool kready, kwatched;
	bool kpeer;		/* UDP connected to outside the instance: sends go to the kernel socket */
	/* Moved into the kernel as one end of a socketpair (leave.c): its
	 * names are still local and peer, not the AF_UNIX pair's. */
	bool names_kept;
	/* TCP's options set since (leave.c nsock_kept): bit n, option n. */
	uint32_t tcp_set;
	int tcp_opt[32];		/* up to TCP_NOTSENT_LOWAT (25) */
	int shadow;			/* and its IP options' kernel socket (leave.c), -1: none yet */
	uint64_t rcvtimeo, sndtimeo;	/* ns, 0: none */
	bool linger0;			/* SO_LINGER {1, 0}: close resets */
	bool embryo;			/* dropped from a listener's queue unaccepted: resets */
	/* The listener whose accept queue holds it (a server side not yet
	 * accepted), or NULL; set and cleared under that listener's lock. */
	struct nsock *queued_in;
	bool rcvbuf_set, sndbuf_set;	/* the rings follow SO_RCVBUF/SO_SNDBUF */
	uint32_t inherit;		/* options set that an accepted socket takes (socket.c inherited[]) */
	bool accepted_end;		/* a TCP connection's server end (loopback.c answers as one) */
	/* A v6 TCP socket's IPV6_V6ONLY as Linux would read it (+1; 0:
	 * its twin's): a client's before the bind its connect made, a
	 * listener's once it listens, an accepted end's its listener's (a
	 * bind to ::1 set the twin's). */
	uint8_t v6only_shown;
	struct nsock *all_prev, *all_next;	/* every socket (procnet.c) */
	/* The cmsgs a datagram in memory brings (sockio.c), as the kernel
	 * twin reads the options back: IP_PKTINFO, IPV6_RECVPKTINFO,
	 * IP_RECVTTL... (RX_* bits); SO_TIMESTAMP's kind (the option set,
	 * which is its cmsg's type; 0: none). */
	uint8_t rx_cmsgs;
	int stamp_opt;
	/* What its datagrams' IP header would carry: its IP_TTL or
	 * IPV6_UNICAST_HOPS, IP_TOS or IPV6_TCLASS, read back when set
	 * (hdr_set; else Linux's 64 and 0). */
	bool hdr_set;
	uint8_t hdr_hops, hdr_tclass;
};

static inline struct nsock *nsock_of(struct vfile *f)
{
	return (struct nsock *)f;
}

/* Take s's reference unless its last close is already running. */
static inline bool nsock_tryget(struct nsock *s)
{
	int r = __atomic_load_n(&s->vf.refs, __ATOMIC_RELAXED);
	while (r > 0)
		if (__atomic_compare_exchange_n(&s->vf.refs, &r, r + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return true;
	return false;
}

extern const struct nfamily unix_family, inet_family;

/* unix_connect_outside - connect stream or seqpacket socket s to a path no
 * socket of the instance listens at, through its kernel socket:
 * VFILE_BECAME_KERNEL_DONE (connected: s is the kernel's from now on),
 * VFILE_BECAME_KERNEL (the kernel's wait for a full backlog) or -errno,
 * a refusal (a stale socket file) leaving s local, so that a retry finds
 * a listener made here since. */
long unix_connect_outside(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len);

/* inet_to_family - addr (v4 or v6) as a socket of family sees it: a v4
 * peer of a v6 socket reads as ::ffff:a.b.c.d, a v4-mapped one of a v4
 * socket as a.b.c.d (out may be in). Its length. */
uint32_t inet_to_family(int family, const struct sockaddr_storage *in, uint32_t len,
			struct sockaddr_storage *out);

/* The accept queue is full past backlog + 1, as Linux's
 * sk_acceptq_is_full (len > max_ack_backlog). */
static inline bool acq_full(const struct nsock *l)
{
	return l->acq_len > (unsigned)l->backlog;
}

extern const struct vfile_ops nsock_ops;
extern const struct socket_ops nsock_sops;

/* socket.c */
struct nsock *nsock_new(int family, int type, int protocol, int flags);
bool nsock_is_dgram(const struct nsock *s);
uint64_t net_deadline(uint64_t rel);	/* CLOCK_MONOTONIC ns, rel from now; 0 for 0 */
/* nsock_put_int - getsockopt's answer v: as much of it as *lenp asks for. */
long nsock_put_int(uint64_t val, uint64_t lenp, int v);
long nsock_put_name(uint64_t addr, uint64_t lenp, const void *name, uint32_t len);
void nsock_apply_sizes(struct nsock *s);
void nsock_put(struct nsock *s);
/* nsock_lazy_socket - the kernel socket in *slot (-1 until then), made at
 * first use (close-on-exec); one even when threads race for it. */
int nsock_lazy_socket(int *slot, int family, int type, int protocol);
int nsock_kfd(struct nsock *s);
/* nsock_own_options - what s already is that a kernel socket k standing
 * for it must say too: the options it took from its listener (establish:
 * sk_clone_lock copies them), its timeouts and flags. Its twin made late
 * (an accepted connection's, at its first option call), the pair a fork
 * moves it into (leave.c). */
void nsock_own_options(struct nsock *s, int k);
/* nsock_int - integer option opt of kernel socket kfd (0 if it has none). */
int nsock_int(int kfd, int level, int opt);
void nsock_kwatch(struct nsock *s);	/* (re-)arm the kernel socket's watch, kready cleared */
void nsock_kwatch_once(struct nsock *s);	/* arm it if it never was */
/* nsock_tcp_state - a TCP socket's state as Linux's sk_state (TCP_INFO,
 * /proc/net/tcp): a connection in memory's from the FINs each side sent. */
uint8_t nsock_tcp_state(struct nsock *s);
/* loopback_fd - a real loopback TCP connection's client or accepted end
 * in family (AF_INET, AF_INET6), made at the first call and kept: the
 * kernel's answers for connections in memory (loopback.c); -ENOTCONN if
 * none could be made. loopback_fds - those made so far, into out: their
 * count (/proc/net lists them as no program's). */
int loopback_fd(int family, bool accepted);
int loopback_fds(int out[4]);
/* nsock_inherit_options - srv, a connection's server end queued at
 * listener l, takes the options l's program set (sk_clone_lock). */
void nsock_inherit_options(struct nsock *srv, const struct nsock *l);
void nsock_kernel_ready(struct nsock *s);	/* the kernel socket has something: kready, wake */
long nsock_link(struct nsock *a, struct nsock *b);	/* a connected stream pair: 0 or -ENOMEM */

/* leave.c: the socket (and a connected peer) moved into the kernel, for a
 * fork or SCM_RIGHTS to a kernel socket: the kernel fd, or -errno. */
int nsock_host_file(struct vfile *f);
/* unix_name_as_given - a from address the kernel gave for a datagram of a
 * bound socket here, through the /proc link of its program's cwd (unix.c
 * kernel_path: it reached the kernel twin before its name was published
 * here): the name as that program gave it, its length. Else len. */
struct sockaddr_un;
uint32_t unix_name_as_given(struct sockaddr_un *a, uint32_t len);

/* moved_names_init, moved_names_note - the instance's table of what the
 * ends of TCP connections that became kernel AF_UNIX pairs still are
 * (moved_names.c): made at start; s's names, for its kernel socket k. */
void moved_names_init(void);
void moved_names_note(const struct nsock *s, int k);

/* nsock_kept - socket_ops.kept: a socket moved into an AF_UNIX pair keeps
 * its names, and a TCP one its family, protocol and TCP options. */
long nsock_kept(struct vfile *f, long nr, const long a[6]);

/* listen.c */
long nsock_listen(struct vfile *f, struct uthread *ut, int backlog);
struct vfile *nsock_accept(struct vfile *f, struct uthread *ut, uint64_t addr, uint64_t lenp, int flags,
			   long *err);
long nsock_connect_stream(struct nsock *s, struct uthread *ut, struct nsock *listener, const void *dst,
			  uint32_t len);
long nsock_connect_wait(struct nsock *s, struct uthread *ut);	/* a blocking connect's wait for room */
void nsock_synq_leave(struct nsock *c);		/* a waiting connector gives up (or closes) */
/* nsock_listen_stop - no longer listening (a close, a shutdown): waiting
 * connectors refused, the accept queue dropped (its clients reset). */
void nsock_listen_stop(struct nsock *l);
void nsock_connect_dgram(struct nsock *s, struct nsock *peer);
/* nqueue_put - a reference on q goes (the last frees it); q may be NULL. */
void nqueue_put(struct nqueue *q);
/* nsock_set_txq - s sends to q from now on (NULL: to no one; q's
 * reference is the caller's, given to s), and hears when q has room. */
void nsock_set_txq(struct nsock *s, struct nqueue *q);
/* nsock_wait - park until f is ready for events or deadline (ns, 0: none),
 * as a blocking call on a file waits (net_hooks.wait_until). */
long nsock_wait(struct uthread *ut, struct vfile *f, uint32_t events, uint64_t deadline);
/* nsock_wait_room - a blocking sendto's wait until q would take a datagram
 * (unix_wait_for_peer): 0, -EINTR or -ETIMEDOUT. */
long nsock_wait_room(struct uthread *ut, struct nqueue *q, uint64_t deadline);
long nsock_to_kernel(struct nsock *s);

/* sockio.c: data and readiness */
long nsock_recv(struct vfile *f, struct uthread *ut, struct vmsg *m);
long nsock_send(struct vfile *f, struct uthread *ut, struct vmsg *m);
long nsock_mid_io(struct vfile *f, bool wr, const struct iovec *iov, int iovcnt, int flags);
long nsock_mid_call(struct vfile *f, long nr, const long a[6]);
uint32_t nsock_poll(struct vfile *f);
long nsock_ioctl(struct vfile *f, struct uthread *ut, unsigned cmd, uint64_t arg);
uint32_t nsock_kernel_poll(int kfd, uint32_t events);	/* the kernel socket's mask now */

/* names.c: one table for every family. key: bytes that name the socket
 * (unix: dev/ino or abstract name; inet: family, port, address). */
long names_publish(struct nsock *s, const void *key, uint32_t keylen);
void names_unpublish(struct nsock *s);
/* In a forked child: every name goes (see net_after_fork). */
void names_forget_all(void);
/* The sockets published at key, wildcard address entries for inet
 * (match(key) by the family's rule); the next one in turn with a
 * reference, or NULL. */
struct nsock *names_find(const void *key, uint32_t keylen,
			 bool (*match)(const void *want, const void *have, uint32_t len),
			 bool listener);
/* names_meet_lock - held by a listener from its kernel listen until it is
 * found listening here, and by a UNIX stream connect from its lookup to
 * its kernel connect: a connect that found no listener here and goes to
 * the kernel cannot meet there a listener of the instance's that started
 * meanwhile (the kernel would join them through the host: SO_PEERCRED
 * named the instance's host process). Taken before any other lock. */
void names_meet_lock(void);
void names_meet_unlock(void);
