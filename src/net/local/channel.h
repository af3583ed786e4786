/* channel.h - the one in-memory channel behind pipes, local sockets and UDP. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/spinlock.h"
#include "net/local/iov_iter.h"
#include "net/local/ring.h"

/* Who the channel acts as: each fixes the Linux rules that differ (which
 * error comes first, what shutdown(SHUT_RD) does, when poll says HUP/OUT,
 * whether closing with unread data resets the peer). Measured on Linux 6.x:
 * closing a TCP *or UNIX stream/seqpacket* socket with unread data gives
 * the peer ECONNRESET once (after its queued data for streams, before it
 * for seqpacket), then EOF. */
enum chan_proto {
	CHAN_PIPE,		/* pipe/pipe2: dir[0] only; end[0] reads, end[1] writes */
	CHAN_UNIX_STREAM,
	CHAN_UNIX_SEQPACKET,
	CHAN_UNIX_DGRAM,
	CHAN_TCP,
	CHAN_UDP,
};

/* SCM_CREDENTIALS: the sender's virtual ids. */
struct chan_cred {
	int32_t pid;
	uint32_t uid, gid;
};

#define CHAN_MAX_FILES 253	/* SCM_MAX_FD */

/* What a sender attaches. files are opaque file objects (one reference
 * each): on success the channel owns them (it hands them to a reader or
 * drops them with hooks->file_put); on failure the caller still does. */
struct chan_anc {
	void *const *files;
	unsigned nfiles;
	bool has_cred;
	struct chan_cred cred;
	/* The sender's address (datagrams: recvfrom's source), or NULL. */
	const void *addr;
	uint32_t addrlen;
	/* Where it was sent (UDP: IP_PKTINFO's address), or NULL. */
	const void *dst;
	uint32_t dstlen;
	/* UDP: what the IP header would carry, for IP_RECVTTL and the
	 * like: TTL or hop limit, TOS or traffic class; and when it was sent
	 * (CLOCK_REALTIME ns, SO_TIMESTAMP), 0 if no reader asked. */
	uint8_t hops, tclass;
	int64_t stamp;
};

#define CHAN_ADDR_MAX 128	/* sizeof(struct sockaddr_storage) */
#define CHAN_DST_MAX 28		/* sizeof(struct sockaddr_in6) */

/* What a receiver gets. The caller gives the array; files beyond
 * max_files are put and MSG_CTRUNC is set, as Linux's scm_detach_fds.
 * With MSG_PEEK the pointers are lent, not given: take your own
 * reference (Linux dups them too). */
struct chan_anc_out {
	void **files;
	unsigned max_files;
	unsigned nfiles;	/* out */
	bool has_cred;		/* out */
	struct chan_cred cred;	/* out */
	unsigned char addr[CHAN_ADDR_MAX];	/* out: the sender's address */
	uint32_t addrlen;	/* out: 0 if the sender gave none */
	unsigned char dst[CHAN_DST_MAX];	/* out: where it was sent */
	uint32_t dstlen;	/* out: 0 if not told */
	uint8_t hops, tclass;	/* out: as sent */
	int64_t stamp;		/* out: as sent */
};

struct chan_hooks {
	ring_copy_fn copy;		/* NULL: memcpy; runtime: pg_uaccess_copy */
	void (*file_put)(void *file);	/* drop a file object nobody received */
};

/* Readiness callback: mask is the end's EPOLL* mask right after an event
 * that may have made something ready. It fires on every arrival of data
 * (with the queue at or past SO_RCVLOWAT: as Linux's sock_def_readable,
 * so EPOLLET sees more data on a non-empty queue), on every transition
 * into readiness (space crossed the write low-water mark, shutdown,
 * close, reset, error), and may also fire spuriously.
 * It does not fire when readiness goes away. Treat mask as Linux's wake
 * key: wake whoever waits on any of these bits, then let them re-poll.
 * Called from the thread that caused the event, without channel locks held
 * (except the caller's own waitq lock ordering) -- it must not block.
 * Waiting side: register on the poll head, then re-check with chan_poll();
 * the channel's edge checks issue a seq_cst fence after publishing, so the
 * waiter needs one (any locked instruction, e.g. the waitq's lock) between
 * registering and re-checking. */
typedef void (*chan_notify_fn)(void *arg, uint32_t mask);
/* In a callback's mask beside EPOLLPRI: urgent data just came (TCP's
 * MSG_OOB; its owner gets SIGURG once per byte sent, not at each later
 * wake-up while it waits). A bit no poll reports. */
#define CHAN_URGENT EPOLLMSG

struct chan_msg;	/* a datagram, or an ancillary record of a stream */
struct chan_end;

/* A reader parked in recv with its buffer: a writer that finds the ring
 * empty copies straight into it (see chan_read_arm). */
struct chan_pending {
	struct iov_iter *to;
	size_t done;		/* bytes written into to by the writer */
	int state;		/* CHAN_PENDING_* (atomic) */
};
enum { CHAN_PENDING_ARMED = 1, CHAN_PENDING_FILLING, CHAN_PENDING_DONE, CHAN_PENDING_CANCELED };

/* state bits of a direction */
#define CHAN_WR_SHUT	1u	/* writer shut down or closed: EOF once drained */
#define CHAN_RD_SHUT	2u	/* reader did shutdown(SHUT_RD) */
#define CHAN_RD_GONE	4u	/* reader closed: writers get EPIPE/ECONNREFUSED */

/* One direction: bytes (a ring) or messages (a queue) from writers to a
 * reader. Producer and consumer share no lock on the stream path:
 *  - rlock serialises readers among themselves (several app threads may
 *    read one fd); wlock serialises writers (PIPE_BUF atomicity, one
 *    producer for the SPSC ring). Neither is taken by the other side,
 *    except once by a reader leaving a direct-copy wait (chan_read_disarm).
 *  - qlock guards the message list: a UNIX dgram socket has many senders
 *    and the reader unlinks, so a lock-free SPSC ring is not enough. Its
 *    critical sections are a few pointer and counter updates: payloads
 *    are copied outside it. Streams use it only for ancillary records. */
struct chan_dir {
	spinlock_t rlock;
	spinlock_t wlock;
	spinlock_t qlock;
	uint8_t proto;		/* enum chan_proto */
	bool is_msg;		/* datagrams/seqpacket: messages, not a ring */
	uint32_t state;		/* CHAN_* bits, atomic */

	struct ring ring;	/* streams */

	/* Under qlock: messages (msg dirs) or ancillary records (streams). */
	struct chan_msg *qhead, *qtail;
	size_t qbytes;		/* msg dirs: sum of costs (sk_rmem_alloc-like) */
	size_t qlen;		/* messages/records queued */
	size_t qpayload;	/* msg dirs: payload bytes queued (SIOCINQ) */

	size_t limit;		/* msg dirs: byte budget; streams: ring capacity */
	size_t max_msg;		/* largest datagram (EMSGSIZE beyond) */
	size_t rcvlowat;	/* SO_RCVLOWAT (poll uses it for TCP only) */
	size_t wrlowat;		/* writable when free >= wrlowat */
	uint64_t urg;		/* TCP urgent data: its state, byte and mark (channel.c URG_*), or 0 */
	bool oobinline;		/* the reader's SO_OOBINLINE: the urgent byte stays in the stream */
	bool sized;		/* TCP: a size was set (SO_SNDBUF/SO_RCVBUF): the ring does not grow */

	struct chan_pending *pending;	/* atomic: a parked reader's buffer */

	struct chan_end *reader, *writer;	/* ends to notify (may be NULL) */
	chan_notify_fn space_fn;	/* extra writers' wake (dgram senders) */
	void *space_arg;
	const struct chan_hooks *hooks;
};

/* A socket's (or pipe end's) view: what it reads, what it writes, its
 * pending error (sk_err), its readiness callback. */
struct chan_end {
	struct chan_dir *rx, *tx;
	struct chan_end *peer;		/* connected peer, for resets */
	int err;			/* positive errno, atomic; reported once */
	uint32_t shut;			/* sk_shutdown: 1 RCV, 2 SEND (atomic) */
	uint8_t proto;
	chan_notify_fn notify;		/* atomic pair: set with chan_set_notify */
	void *notify_arg;
};

/* A connected pair: dir[i] carries data to end[i]. For CHAN_PIPE only
 * dir[0] exists: end[0] is the read end, end[1] the write end. */
struct channel {
	struct chan_dir dir[2];
	struct chan_end end[2];
};

/* --- set-up --------------------------------------------------------- */
/* cap: the ring size (streams) or byte budget (messages) of each
 * direction; 0 picks Linux's default for proto. 0 or -ENOMEM. */
int chan_init(struct channel *c, enum chan_proto proto, size_t cap, const struct chan_hooks *hooks);
void chan_fini(struct channel *c);	/* both ends closed: frees what is left */

/* A lone receive queue (unbound/unconnected dgram socket) and its end. */
int chan_dir_init(struct chan_dir *d, enum chan_proto proto, size_t cap, const struct chan_hooks *hooks);
void chan_dir_fini(struct chan_dir *d);
void chan_end_init(struct chan_end *e, enum chan_proto proto, struct chan_dir *rx, struct chan_dir *tx);

void chan_set_notify(struct chan_end *e, chan_notify_fn fn, void *arg);
void chan_set_space_notify(struct chan_dir *d, chan_notify_fn fn, void *arg);

/* SO_RCVBUF / SO_SNDBUF / F_SETPIPE_SZ: new ring size or byte budget.
 * A ring is copied under both locks; -EBUSY if queued bytes would not fit.
 * Returns 0 or -errno; chan_capacity() gives what was chosen. */
int chan_set_capacity(struct chan_dir *d, size_t bytes);
size_t chan_capacity(const struct chan_dir *d);
void chan_set_rcvlowat(struct chan_dir *d, size_t lowat);	/* 0 means 1, as Linux */

/* --- data ------------------------------------------------------------ */
/* Never blocks: the caller parks on the poll head and calls again.
 * send returns bytes queued (streams may queue fewer than asked: the caller
 * loops for a blocking write; a PIPE_BUF-atomic pipe write and a message
 * go whole or not at all), or -EAGAIN (full), -EPIPE (shut down / no
 * reader: the caller raises SIGPIPE unless MSG_NOSIGNAL), -ECONNRESET
 * (pending reset), -ECONNREFUSED (dgram reader closed), -EMSGSIZE,
 * -EFAULT. A UDP datagram that does not fit is dropped and "sent". */
ssize_t chan_send(struct chan_end *e, struct iov_iter *from, const struct chan_anc *anc, int flags);
/* To a receive queue that is not this end's tx (unconnected sendto). */
ssize_t chan_sendto(struct chan_dir *d, struct iov_iter *from, const struct chan_anc *anc, int flags);

/* recv: bytes copied (MSG_TRUNC on a datagram: its full length), 0 at EOF
 * (and for a zero-length datagram), -EAGAIN when nothing is there yet,
 * -ECONNRESET/-EPIPE once after a reset, -EFAULT. Flags honoured:
 * MSG_PEEK, MSG_TRUNC (datagrams: full length; TCP: discard without
 * copying). MSG_WAITALL/SO_RCVLOWAT: the caller loops while progress <
 * target; the channel reports each step. *msg_flags gets MSG_TRUNC /
 * MSG_CTRUNC. anc may be NULL (files are then put). */
ssize_t chan_recv(struct chan_end *e, struct iov_iter *to, struct chan_anc_out *anc, int flags, int *msg_flags);

/*
 * chan_mid_recv, chan_mid_send - a byte stream's bytes (TCP, UNIX stream,
 * pipe) moved at once, for the runtime's mid path, where no library code
 * may run (sys/mid_io.c). Only what needs nothing else: no ancillary
 * records queued (a UNIX stream's files or credentials: a sender that
 * passes credentials is the caller's to keep off this path),
 * no pending error or shutdown to report, and for a send that must not
 * stop part way (all), room for every byte. Otherwise -EAGAIN, with
 * nothing changed: the full path (chan_recv, chan_send) serves the call.
 */
ssize_t chan_mid_recv(struct chan_end *e, struct iov_iter *to);
ssize_t chan_mid_send(struct chan_end *e, struct iov_iter *from, bool all);
/* chan_mid_idle - the end's direction (wr: send) merely has no bytes (no
 * room) now: no error, shutdown or EOF to report, so EAGAIN is the answer. */
bool chan_mid_idle(struct chan_end *e, bool wr);

/* Direct copy. A reader about to park (its recv said -EAGAIN) arms its
 * buffer: 0 (armed: park), > 0 (a writer already filled it with that many
 * bytes: disarmed, done), -EAGAIN if data/EOF/an error arrived meanwhile
 * (not armed: recv again), or -EBUSY (another reader is armed: just park). While armed, the
 * first writer that finds the ring empty copies into the buffer instead
 * (ordering holds: it only does so when no bytes precede it) and notifies.
 * After waking (or on timeout/signal) the reader disarms: it returns the
 * bytes the writer put there (>= 0); if 0, read normally. Streams only. */
int chan_read_arm(struct chan_end *e, struct chan_pending *p, struct iov_iter *to);
size_t chan_read_disarm(struct chan_end *e, struct chan_pending *p);

/* TCP urgent data (MSG_OOB): the last byte of an OOB send marks its place
 * in the stream; reads stop at the mark, SIOCATMARK says when the next
 * byte is there, POLLPRI while the byte is unread. Out of line (default)
 * the byte waits apart for recv(MSG_OOB); with the reader's SO_OOBINLINE
 * it is the stream's byte at the mark. A newer one replaces it, as
 * Linux's single urgent pointer. send: 0 or -errno (-EAGAIN: no room for
 * an inline byte); recv: the byte, or -EINVAL when none waits apart. */
int chan_send_urg(struct chan_end *e, unsigned char byte);
int chan_recv_urg(struct chan_end *e, bool peek);
bool chan_at_mark(struct chan_end *e);			/* SIOCATMARK */
void chan_set_oobinline(struct chan_end *e, bool on);	/* SO_OOBINLINE of e's reads */

/* --- state ----------------------------------------------------------- */
int chan_shutdown(struct chan_end *e, int how);	/* SHUT_RD/WR/RDWR: 0 or -EINVAL */
void chan_close(struct chan_end *e);		/* the last reference to this end */
void chan_abort(struct chan_end *e);		/* the same with a reset (TCP's SO_LINGER {1, 0}, an end never accepted) */
uint32_t chan_poll(struct chan_end *e);		/* EPOLL* mask now */
bool chan_dir_admits(struct chan_dir *d);	/* msg_send would take one from an unconnected sender
						 * (or refuse it: its reader is gone) */
int chan_take_error(struct chan_end *e);	/* SO_ERROR: positive errno or 0, cleared */
size_t chan_inq(struct chan_end *e);		/* FIONREAD/SIOCINQ */
size_t chan_outq(struct chan_end *e);		/* SIOCOUTQ: sent, not yet read (TCP: 0, acked once queued) */

/* Bytes a datagram of len costs against the budget (as an skb's truesize). */
size_t chan_msg_cost(size_t len);
