/* channel.c - in-memory channels: stream rings, message queues, shutdown, reset, readiness. */
#include "net/local/channel.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* An end's shutdown bits, as Linux's sk_shutdown. */
#define SHUT_RCV  1u
#define SHUT_SEND 2u
#define SHUT_MASK 3u

/* A datagram (msg dirs) or an ancillary record over stream bytes
 * [start, start+len) (streams). Payload and file array follow it. */
struct chan_msg {
	struct chan_msg *next;
	size_t len;
	size_t start;
	size_t cost;
	bool has_cred;
	struct chan_cred cred;
	unsigned nfiles;
	void **files;
	uint32_t addrlen;
	unsigned char *addr;	/* after the files, addrlen bytes */
	uint32_t dstlen;
	unsigned char *dst;	/* after the address, dstlen bytes */
	uint8_t hops, tclass;	/* chan_anc's */
	int64_t stamp;
	unsigned char data[];
};

/* --- small helpers ---------------------------------------------------- */

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define OR(p, v)	__atomic_fetch_or((p), (v), __ATOMIC_ACQ_REL)
#define XCHG(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)

static bool is_stream(const struct chan_dir *d) { return !d->is_msg; }
static bool is_dgram(unsigned proto) { return proto == CHAN_UNIX_DGRAM || proto == CHAN_UDP; }
static bool is_unix_conn(unsigned proto) { return proto == CHAN_UNIX_STREAM || proto == CHAN_UNIX_SEQPACKET; }

static long copy_memcpy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

static ring_copy_fn copy_of(const struct chan_dir *d)
{
	return d->hooks && d->hooks->copy ? d->hooks->copy : copy_memcpy;
}

static void file_put(const struct chan_dir *d, void *f)
{
	if (d->hooks && d->hooks->file_put)
		d->hooks->file_put(f);
}

/* Copy n bytes from one cursor to the other: bytes done (< n on fault). */
static size_t iov_copy(ring_copy_fn copy, struct iov_iter *to, struct iov_iter *from, size_t n)
{
	size_t done = 0;
	while (done < n) {
		void *dst, *src;
		size_t a = iov_iter_seg(to, &dst), b = iov_iter_seg(from, &src);
		size_t chunk = a < b ? a : b;
		if (chunk > n - done)
			chunk = n - done;
		if (copy(dst, src, chunk))
			break;
		iov_iter_advance(to, chunk);
		iov_iter_advance(from, chunk);
		done += chunk;
	}
	return done;
}

static size_t copy_to_iter(ring_copy_fn copy, struct iov_iter *to, const void *buf, size_t n, bool *fault)
{
	struct iovec v = { (void *)buf, n };
	struct iov_iter from;
	iov_iter_init(&from, &v, 1);
	size_t done = iov_copy(copy, to, &from, n);
	*fault = done < n;
	return done;
}

size_t chan_msg_cost(size_t len)
{
	/* An skb's truesize: data rounded to 64 plus skb_shared_info (320)
	 * and the sk_buff (256); small ones come from the 512 kmalloc
	 * bucket, so 768 is the floor. With this, a socketpair(AF_UNIX,
	 * SOCK_DGRAM) queues 278 small datagrams before EAGAIN, as Linux. */
	size_t c = ((len + 63) & ~(size_t)63) + 576;
	return c < 768 ? 768 : c;
}

/* --- notification ------------------------------------------------------ */

/* What a change of one kind can bring, as the keys of Linux's wake-ups
 * (sock_def_readable, sk_write_space): an epoll item waiting for other
 * events gets no edge from it. A change of state (shutdown, close, an
 * error) says all there is. */
#define NOTE_IN (EPOLLIN | EPOLLRDNORM | EPOLLRDBAND | EPOLLPRI)
#define NOTE_OUT (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND)
#define NOTE_ALL (~0u)

static void end_notify(struct chan_end *e, uint32_t kind)
{
	if (!e)
		return;
	chan_notify_fn fn = LOAD(&e->notify);
	uint32_t m = fn ? chan_poll(e) & kind : 0;
	/* Nothing of that kind to tell: no wake-up (a state change always). */
	if (fn && (m || kind == NOTE_ALL))
		fn(LOAD(&e->notify_arg), m);
}

static void space_notify(struct chan_dir *d)
{
	end_notify(d->writer, NOTE_OUT);
	chan_notify_fn fn = LOAD(&d->space_fn);
	if (fn)
		fn(LOAD(&d->space_arg), EPOLLOUT | EPOLLWRNORM);
}

void chan_set_notify(struct chan_end *e, chan_notify_fn fn, void *arg)
{
	/* arg first: a notifier that sees fn sees its arg. */
	STORE(&e->notify_arg, arg);
	STORE(&e->notify, fn);
}

void chan_set_space_notify(struct chan_dir *d, chan_notify_fn fn, void *arg)
{
	STORE(&d->space_arg, arg);
	STORE(&d->space_fn, fn);
}

/* --- set-up --------------------------------------------------------- */

/* Linux's defaults: pipe 16 pages; net.core.{r,w}mem_default 212992;
 * a TCP receive buffer grows well past its 128 KiB start, so 256 KiB. */
static size_t default_cap(unsigned proto)
{
	switch (proto) {
	case CHAN_PIPE: return 65536;
	case CHAN_TCP: return 262144;
	default: return 212992;
	}
}

/* Writable when free >= wrlowat:
 *  pipe: a free page (pipe_poll: !pipe_full);
 *  UNIX: sk_wmem_alloc << 2 <= sk_sndbuf, i.e. used <= cap/4;
 *  TCP: sk_stream_wspace >= sk_stream_min_wspace, i.e. free >= used/2;
 *  UDP: always (a datagram that does not fit is dropped). */
static void set_wrlowat(struct chan_dir *d)
{
	size_t cap = d->limit;
	switch (d->proto) {
	case CHAN_PIPE: d->wrlowat = 4096 < cap ? 4096 : cap; break;
	case CHAN_TCP: d->wrlowat = cap / 3; break;
	case CHAN_UDP: d->wrlowat = 0; break;
	default: d->wrlowat = cap - cap / 4; break;
	}
	if (d->proto != CHAN_UDP && !d->wrlowat)
		d->wrlowat = 1;
}

/*
 * A TCP ring grows as Linux autotunes a loopback connection's buffers
 * (tcp_wmem and tcp_rmem, up to 4 and 6 MiB: a writer whose reader does
 * not read gets ~3.9 MB in before it would block). With 256 KiB alone, two
 * programs that both write a megabyte before reading (an echo client's
 * sendall against a server echoing as it reads) wait for each other for
 * ever. A write that finds the ring full doubles it, up to TCP_GROWN_CAP,
 * unless the program chose a size (SO_SNDBUF/SO_RCVBUF lock Linux's
 * autotuning too); a connection whose reader keeps up keeps its 256 KiB.
 */
#define TCP_GROWN_CAP (4u << 20)

static bool growable(struct chan_dir *d)
{
	return d->proto == CHAN_TCP && !LOAD(&d->sized) && d->limit < TCP_GROWN_CAP;
}

static void set_limits(struct chan_dir *d, size_t cap)
{
	if (is_stream(d)) {
		d->limit = ring_cap(&d->ring);
	} else {
		d->limit = cap;
		/* UNIX dgram: len > sk_sndbuf - 32 is EMSGSIZE; UDP: 65507. */
		d->max_msg = d->proto == CHAN_UDP ? 65507 : cap - 32;
	}
	set_wrlowat(d);
}

int chan_dir_init(struct chan_dir *d, enum chan_proto proto, size_t cap, const struct chan_hooks *hooks)
{
	memset(d, 0, sizeof(*d));
	d->proto = proto;
	d->hooks = hooks;
	d->is_msg = proto == CHAN_UNIX_SEQPACKET || is_dgram(proto);
	d->rcvlowat = 1;
	if (!cap)
		cap = default_cap(proto);
	if (!d->is_msg) {
		int err = ring_init(&d->ring, cap, copy_of(d));
		if (err)
			return err;
	}
	set_limits(d, cap);
	return 0;
}

static void msg_free(struct chan_dir *d, struct chan_msg *m)
{
	for (unsigned i = 0; i < m->nfiles; i++)
		file_put(d, m->files[i]);
	free(m);
}

/* Drop everything queued (the reader is gone). Returns bytes dropped. */
static size_t dir_purge(struct chan_dir *d)
{
	size_t dropped;
	spin_lock(&d->qlock);
	struct chan_msg *m = d->qhead;
	d->qhead = d->qtail = NULL;
	dropped = is_stream(d) ? 0 : d->qpayload + d->qlen;
	d->qbytes = d->qlen = d->qpayload = 0;
	spin_unlock(&d->qlock);
	while (m) {
		struct chan_msg *next = m->next;
		msg_free(d, m);
		m = next;
	}
	if (is_stream(d))
		dropped = ring_discard(&d->ring, SIZE_MAX);
	return dropped;
}

void chan_dir_fini(struct chan_dir *d)
{
	dir_purge(d);
	if (is_stream(d))
		ring_fini(&d->ring);
}

void chan_end_init(struct chan_end *e, enum chan_proto proto, struct chan_dir *rx, struct chan_dir *tx)
{
	memset(e, 0, sizeof(*e));
	e->proto = proto;
	e->rx = rx;
	e->tx = tx;
	if (rx)
		rx->reader = e;
	/* A lone queue may have many writers: only a connected dir names one. */
	if (tx && !is_dgram(proto))
		tx->writer = e;
}

int chan_init(struct channel *c, enum chan_proto proto, size_t cap, const struct chan_hooks *hooks)
{
	memset(c, 0, sizeof(*c));
	int err = chan_dir_init(&c->dir[0], proto, cap, hooks);
	if (err)
		return err;
	if (proto == CHAN_PIPE) {
		chan_end_init(&c->end[0], proto, &c->dir[0], NULL);
		chan_end_init(&c->end[1], proto, NULL, &c->dir[0]);
	} else {
		err = chan_dir_init(&c->dir[1], proto, cap, hooks);
		if (err) {
			chan_dir_fini(&c->dir[0]);
			return err;
		}
		chan_end_init(&c->end[0], proto, &c->dir[0], &c->dir[1]);
		chan_end_init(&c->end[1], proto, &c->dir[1], &c->dir[0]);
		/* dgram pairs are connected both ways: each dir has one writer */
		c->dir[0].writer = &c->end[1];
		c->dir[1].writer = &c->end[0];
	}
	c->end[0].peer = &c->end[1];
	c->end[1].peer = &c->end[0];
	return 0;
}

void chan_fini(struct channel *c)
{
	chan_dir_fini(&c->dir[0]);
	if (c->end[0].proto != CHAN_PIPE)
		chan_dir_fini(&c->dir[1]);
}

size_t chan_capacity(const struct chan_dir *d)
{
	return d->limit;
}

/* ring_set_cap - a stream's ring of (about) bytes, its contents kept; or,
 * with grow, a full TCP ring that may grow, twice as large (-EAGAIN: it
 * may not, or is not full any more). */
static int ring_set_cap(struct chan_dir *d, size_t bytes, bool grow)
{
	/* The only place both sides of a ring are stopped: readers and the
	 * writer hold these for a copy at most, never while parked. */
	spin_lock(&d->rlock);
	spin_lock(&d->wlock);
	/* A reader armed for direct copy holds no ring state: no check. */
	int err = grow && (!growable(d) || ring_space(&d->ring)) ? -EAGAIN
		  : ring_resize(&d->ring, grow ? d->limit * 2 : bytes);
	if (!err)
		set_limits(d, bytes); /* a stream's limit: its ring's */
	spin_unlock(&d->wlock);
	spin_unlock(&d->rlock);
	return err;
}

/* stream_grow - a full TCP ring doubled (growable): whether it grew. */
static bool stream_grow(struct chan_dir *d)
{
	return growable(d) && ring_set_cap(d, 0, true) == 0;
}

int chan_set_capacity(struct chan_dir *d, size_t bytes)
{
	if (!bytes)
		return -EINVAL;
	if (!is_stream(d)) {
		spin_lock(&d->qlock);
		set_limits(d, bytes);
		spin_unlock(&d->qlock);
		space_notify(d);
		return 0;
	}
	STORE(&d->sized, true);
	int err = ring_set_cap(d, bytes, false);
	if (!err)
		space_notify(d);
	return err;
}

void chan_set_rcvlowat(struct chan_dir *d, size_t lowat)
{
	STORE(&d->rcvlowat, lowat ? lowat : 1);
	end_notify(d->reader, NOTE_IN);
}

/* --- ancillary data ----------------------------------------------------- */

static struct chan_msg *msg_alloc(size_t len, const struct chan_anc *anc)
{
	unsigned nf = anc ? anc->nfiles : 0;
	uint32_t alen = anc && anc->addr ? anc->addrlen : 0, dlen = anc && anc->dst ? anc->dstlen : 0;
	if (alen > CHAN_ADDR_MAX)
		alen = CHAN_ADDR_MAX;
	if (dlen > CHAN_DST_MAX)
		dlen = CHAN_DST_MAX;
	size_t off = (len + 7) & ~(size_t)7;
	struct chan_msg *m = malloc(sizeof(*m) + off + nf * sizeof(void *) + alen + dlen);
	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->len = len;
	m->cost = chan_msg_cost(len);
	m->files = (void **)(m->data + off);
	m->addr = (unsigned char *)(m->files + nf);
	m->addrlen = alen;
	if (alen)
		memcpy(m->addr, anc->addr, alen);
	m->dst = m->addr + alen;
	m->dstlen = dlen;
	if (dlen)
		memcpy(m->dst, anc->dst, dlen);
	if (anc) {
		m->nfiles = nf;
		memcpy(m->files, anc->files, nf * sizeof(void *));
		m->has_cred = anc->has_cred;
		m->cred = anc->cred;
		m->hops = anc->hops;
		m->tclass = anc->tclass;
		m->stamp = anc->stamp;
	}
	return m;
}

/* Hand m's ancillary data to the reader. On a consuming read the files
 * move (those that do not fit are put: MSG_CTRUNC); a peek lends them. */
static void anc_deliver(struct chan_dir *d, struct chan_msg *m, struct chan_anc_out *out, bool peek, int *mflags)
{
	if (out && m->has_cred) {
		out->has_cred = true;
		out->cred = m->cred;
	}
	if (out && m->addrlen) {
		memcpy(out->addr, m->addr, m->addrlen);
		out->addrlen = m->addrlen;
	}
	if (out && m->dstlen) {
		memcpy(out->dst, m->dst, m->dstlen);
		out->dstlen = m->dstlen;
	}
	if (out) {
		out->hops = m->hops;
		out->tclass = m->tclass;
		out->stamp = m->stamp;
	}
	if (!m->nfiles)
		return;
	unsigned k = out ? out->max_files : 0;
	if (k > m->nfiles)
		k = m->nfiles;
	if (out) {
		memcpy(out->files, m->files, k * sizeof(void *));
		out->nfiles = k;
	}
	if (k < m->nfiles)
		*mflags |= MSG_CTRUNC;
	if (!peek) {
		for (unsigned i = k; i < m->nfiles; i++)
			file_put(d, m->files[i]);
		m->nfiles = 0;
	}
}

/* --- streams ------------------------------------------------------------ */

/* Free space edge: a reader freed bytes; wake writers if free space went
 * from below the write low-water mark to at or above it (true then). */
static bool stream_space_edge(struct chan_dir *d, size_t head_before, size_t freed)
{
	if (!freed)
		return false;
	/* seq_cst fence: our head store (release, in ring_read) is ordered
	 * before the tail load below. Paired with the fence a writer issues
	 * between registering as a waiter and re-checking the space, either
	 * it sees our head or we see its registration's effects (Dekker). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	size_t cap = ring_cap(&d->ring);
	size_t tail = LOAD(&d->ring.tail);
	size_t used_before = tail - head_before;
	size_t free_before = used_before >= cap ? 0 : cap - used_before;
	if (free_before < d->wrlowat && free_before + freed >= d->wrlowat) {
		space_notify(d);
		return true;
	}
	return false;
}

/* stream_send - whole: all of from or nothing (-EAGAIN), decided under
 * wlock (the mid path's blocking send, which must not come back short). */
static ssize_t stream_send(struct chan_dir *d, struct iov_iter *from, const struct chan_anc *anc, bool whole)
{
	size_t n = from->left;
	if (!n)
		return 0;	/* Linux: a zero-length stream write queues nothing */
	/* pipe(7): writes of at most PIPE_BUF bytes are atomic. */
	bool atomic = whole || (d->proto == CHAN_PIPE && n <= PIPE_BUF);
	struct ring *r = &d->ring;
	bool direct = false;
	size_t done = 0;

	spin_lock(&d->wlock);
	if (LOAD(&d->state) & CHAN_RD_GONE) {
		spin_unlock(&d->wlock);
		return -EPIPE;
	}
	size_t tail0 = r->tail;

	/* Direct copy into a parked reader's buffer. Only when the ring is
	 * empty (nothing may overtake bytes already queued), no ancillary
	 * data rides along (it needs a record in the stream) and no urgent
	 * mark waits (a read past it clears it: stream_recv). The ACQUIRE
	 * load of pending pairs with the reader's CAS that armed it, which
	 * came after its last head store: so head below is current. */
	struct chan_pending *p = LOAD(&d->pending);
	if (p && !anc && !LOAD(&d->urg) && LOAD(&p->state) == CHAN_PENDING_ARMED && tail0 == LOAD(&r->head) &&
	    (!atomic || p->to->left >= n)) {
		int armed = CHAN_PENDING_ARMED;
		/* The CAS excludes the reader cancelling (timeout, signal)
		 * while we copy; it then waits for DONE. */
		if (__atomic_compare_exchange_n(&p->state, &armed, CHAN_PENDING_FILLING, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			size_t want = n < p->to->left ? n : p->to->left;
			done = iov_copy(copy_of(d), p->to, from, want);
			p->done = done;
			/* RELEASE: the copied bytes and done are visible to the
			 * reader that sees DONE. */
			STORE(&p->state, CHAN_PENDING_DONE);
			direct = true;
			if (done < want) {	/* fault */
				spin_unlock(&d->wlock);
				end_notify(d->reader, NOTE_IN);
				return done ? (ssize_t)done : -EFAULT;
			}
		}
	}

	size_t rest = n - done;
	if (rest) {
		if (atomic && ring_space(r) < rest) {
			spin_unlock(&d->wlock);
			return -EAGAIN;
		}
		ssize_t w = ring_produce(r, from, rest);
		if (w > 0 && anc) {
			/* The record goes in before the bytes are published:
			 * a reader that sees the bytes sees their record. */
			struct chan_msg *m = msg_alloc(0, anc);
			if (!m) {
				spin_unlock(&d->wlock);
				return done ? (ssize_t)done : -ENOBUFS;
			}
			m->start = r->tail;
			m->len = w;
			spin_lock(&d->qlock);
			if (d->qtail)
				d->qtail->next = m;
			else
				d->qhead = m;
			d->qtail = m;
			d->qlen++;
			spin_unlock(&d->qlock);
		}
		if (w > 0) {
			ring_commit(r, w);
			done += w;
		} else if (w < 0 && !done) {
			spin_unlock(&d->wlock);
			return w;
		}
	}
	size_t tail1 = r->tail;
	spin_unlock(&d->wlock);
	if (!done)
		return -EAGAIN;

	/* Readable. seq_cst fence: our tail store (release) is ordered before
	 * the head load; paired with the fence a reader issues between
	 * registering as a waiter and re-checking, either we see the head it
	 * left the ring at or it sees our tail (Dekker). Every arrival past the
	 * low-water mark notifies, not only the first: Linux wakes the
	 * socket's queue per skb (sock_def_readable), and EPOLLET reports each
	 * one. A stale head only notifies more, never less. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	size_t after = tail1 - LOAD(&r->head);
	size_t lowat = d->proto == CHAN_TCP ? LOAD(&d->rcvlowat) : 1;
	if (direct || after >= lowat) {
		struct chan_end *e = d->reader;
		chan_notify_fn fn = e ? LOAD(&e->notify) : NULL;
		if (fn)	/* direct: the ring may be empty, say IN anyway */
			fn(LOAD(&e->notify_arg), (chan_poll(e) & NOTE_IN) | EPOLLIN | EPOLLRDNORM);
	}
	return done;
}

/* Drop stream records the reader has passed. Caller holds rlock. */
static void stream_drop_records(struct chan_dir *d, size_t head)
{
	struct chan_msg *dead = NULL;
	spin_lock(&d->qlock);
	while (d->qhead && d->qhead->start + d->qhead->len <= head) {
		struct chan_msg *m = d->qhead;
		d->qhead = m->next;
		if (!d->qhead)
			d->qtail = NULL;
		d->qlen--;
		m->next = dead;
		dead = m;
	}
	spin_unlock(&d->qlock);
	while (dead) {
		struct chan_msg *next = dead->next;
		msg_free(d, dead);
		dead = next;
	}
}

/* The urgent word (chan_dir.urg): whether the byte waits apart or was
 * taken (Linux's TCP_URG_VALID, TCP_URG_READ), the byte, and the mark:
 * the ring position of the byte (inline) or of the byte after which it
 * was sent (out of line). One word: a reader sees a mark and its state
 * together. A read stops at the mark and, once past it, clears it
 * (tcp_recvmsg). */
#define URG_VALID	(1ull << 63)
#define URG_READ	(1ull << 62)
#define URG_MARK_BITS	54
#define URG_MARK(u)	((size_t)((u) & ((1ull << URG_MARK_BITS) - 1)))
#define URG_BYTE(u)	((unsigned char)((u) >> URG_MARK_BITS))

static ssize_t stream_recv(struct chan_dir *d, struct iov_iter *to, struct chan_anc_out *anc, int flags, int *mflags)
{
	struct ring *r = &d->ring;
	spin_lock(&d->rlock);
	size_t used = ring_used(r);
	if (!used) {
		spin_unlock(&d->rlock);
		return -EAGAIN;
	}
	size_t head0 = r->head;
	size_t n = used < to->left ? used : to->left;
	bool peek = flags & MSG_PEEK;
	uint64_t urg = LOAD(&d->urg);
	if (urg && URG_MARK(head0) < URG_MARK(urg) && URG_MARK(urg) - URG_MARK(head0) < n)
		n = URG_MARK(urg) - URG_MARK(head0);	/* up to the mark, not past it */

	/* A read that reaches bytes carrying ancillary data stops at their
	 * end and takes the data (Linux: unix_stream_read_generic stops
	 * after an skb with fds; it may merge plain bytes before it). */
	struct chan_msg *rec = NULL;
	if (LOAD(&d->qhead)) {
		spin_lock(&d->qlock);
		rec = d->qhead;
		spin_unlock(&d->qlock);
		/* rec cannot go away: only readers drop records, under rlock. */
		if (rec && rec->start < head0 + n) {
			size_t end = rec->start + rec->len;
			if (end - head0 < n)
				n = end - head0;
		} else {
			rec = NULL;
		}
	}

	ssize_t got;
	if (peek)
		got = ring_peek(r, 0, to, n);
	else if ((flags & MSG_TRUNC) && d->proto == CHAN_TCP)
		got = ring_discard(r, n);	/* tcp(7): MSG_TRUNC discards */
	else
		got = ring_read(r, to, n);
	if (got > 0 && rec)
		anc_deliver(d, rec, anc, peek, mflags);
	if (got > 0 && !peek && rec)
		stream_drop_records(d, r->head);
	if (urg && got > 0 && !peek && URG_MARK(r->head) > URG_MARK(urg))
		__atomic_compare_exchange_n(&d->urg, &urg, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	spin_unlock(&d->rlock);
	bool told = got > 0 && !peek && stream_space_edge(d, head0, got);
	/* A unix stream's writer hears EPOLLOUT, while it can write, each
	 * time a message it sent is read whole (Linux's unix_write_space,
	 * per skb freed); TCP's only when space crosses the low-water mark
	 * (tcp_check_space). The ring keeps no bounds of the writes: every
	 * read tells, so an edge-triggered writer may get an edge Linux
	 * would not give (after a read of part of a message), never miss
	 * one. */
	if (got > 0 && !peek && !told && d->proto == CHAN_UNIX_STREAM)
		end_notify(d->writer, NOTE_OUT);
	return got;
}

/* --- messages ----------------------------------------------------------- */

static size_t msg_free_space(const struct chan_dir *d, size_t qbytes)
{
	return qbytes >= d->limit ? 0 : d->limit - qbytes;
}

/* unix_recvq_full: a UNIX dgram queue holds max_dgram_qlen + 1 (11). */
#define UNIX_DGRAM_QLEN 10

/* mutual: the reader is connected back to the sender (a socketpair), whom
 * unix_dgram_sendmsg exempts from the receive queue's length limit. */
static bool dgram_mutual(const struct chan_end *e, const struct chan_dir *d)
{
	struct chan_end *r = d->reader;
	return r && e->rx && LOAD(&r->tx) == e->rx;
}

static bool dgram_qlen_full(const struct chan_dir *d, bool mutual)
{
	return d->proto == CHAN_UNIX_DGRAM && !mutual &&
	       __atomic_load_n(&d->qlen, __ATOMIC_RELAXED) > UNIX_DGRAM_QLEN;
}

/* msg_full - would d refuse a message now? Admitted while usage is under
 * the budget, as sock_alloc_send_pskb admits while sk_wmem_alloc <
 * sk_sndbuf (the last one may overshoot), and unix_recvq_full's length. */
static bool msg_full(const struct chan_dir *d, bool mutual)
{
	return (__atomic_load_n(&d->qlen, __ATOMIC_RELAXED) &&
		__atomic_load_n(&d->qbytes, __ATOMIC_RELAXED) >= d->limit) ||
	       dgram_qlen_full(d, mutual);
}

static ssize_t msg_send(struct chan_dir *d, struct iov_iter *from, const struct chan_anc *anc, bool mutual)
{
	size_t len = from->left;
	if (len > d->max_msg)
		return -EMSGSIZE;
	bool drop = d->proto == CHAN_UDP;
	/* Unlocked look first, so a sender spinning on a full queue does
	 * not allocate and copy each time; the locked check decides. */
	if (msg_full(d, mutual) && !(LOAD(&d->state) & CHAN_RD_GONE))
		return drop ? (ssize_t)len : -EAGAIN;

	struct chan_msg *m = msg_alloc(len, anc);
	if (!m)
		return -ENOBUFS;
	struct iovec v = { m->data, len };
	struct iov_iter dst;
	iov_iter_init(&dst, &v, 1);
	/* Refused below, the message is not sent: the caller's cursor goes
	 * back, so that a blocking sender's next try sends it whole (it sent
	 * an empty datagram). */
	struct iov_iter unsent = *from;
	if (iov_copy(copy_of(d), &dst, from, len) < len) {
		free(m);	/* files still the caller's */
		return -EFAULT;
	}

	spin_lock(&d->qlock);
	/* Checked under qlock: chan_close sets RD_GONE, then purges under
	 * qlock, so no message can slip in after the purge. */
	if (LOAD(&d->state) & CHAN_RD_GONE) {
		spin_unlock(&d->qlock);
		free(m);
		if (drop)
			return len;
		*from = unsent;
		return d->proto == CHAN_UNIX_SEQPACKET ? -EPIPE : -ECONNREFUSED;
	}
	if (msg_full(d, mutual)) {
		spin_unlock(&d->qlock);
		free(m);
		if (drop)
			return len;
		*from = unsent;
		return -EAGAIN;
	}
	if (d->qtail)
		d->qtail->next = m;
	else
		d->qhead = m;
	d->qtail = m;
	d->qlen++;
	__atomic_store_n(&d->qbytes, d->qbytes + m->cost, __ATOMIC_RELAXED);
	d->qpayload += len;
	spin_unlock(&d->qlock);
	end_notify(d->reader, NOTE_IN); /* every datagram wakes, as sock_def_readable */
	return len;
}

static ssize_t msg_recv(struct chan_dir *d, struct iov_iter *to, struct chan_anc_out *anc, int flags, int *mflags)
{
	bool peek = flags & MSG_PEEK;
	spin_lock(&d->rlock);
	spin_lock(&d->qlock);
	struct chan_msg *m = d->qhead;
	spin_unlock(&d->qlock);
	if (!m) {
		spin_unlock(&d->rlock);
		return -EAGAIN;
	}
	/* m stays put without qlock: writers only append, and only readers
	 * unlink, under rlock, which we hold. The copy runs unlocked. */
	size_t n = m->len < to->left ? m->len : to->left;
	bool fault = false;
	size_t got = copy_to_iter(copy_of(d), to, m->data, n, &fault);
	if (n < m->len)
		*mflags |= MSG_TRUNC;
	if (!fault)
		anc_deliver(d, m, anc, peek, mflags);
	size_t len = m->len;
	if (peek) {
		spin_unlock(&d->rlock);
	} else {
		/* Consumed even on a fault, as Linux's unix_dgram_recvmsg
		 * (the skb is dequeued before the copy). */
		spin_lock(&d->qlock);
		d->qhead = m->next;
		if (!d->qhead)
			d->qtail = NULL;
		size_t qlen = --d->qlen;
		size_t before = d->qbytes;
		__atomic_store_n(&d->qbytes, before - m->cost, __ATOMIC_RELAXED);
		d->qpayload -= len;
		spin_unlock(&d->qlock);
		spin_unlock(&d->rlock);
		size_t free_before = msg_free_space(d, before), free_after = msg_free_space(d, before - m->cost);
		bool qlen_reopened = d->proto == CHAN_UNIX_DGRAM && qlen == UNIX_DGRAM_QLEN;
		msg_free(d, m);
		if (free_before < d->wrlowat && free_after >= d->wrlowat)
			space_notify(d);
		else if ((!free_before && free_after) || qlen_reopened)	/* admission reopened */
			space_notify(d);
	}
	if (fault)
		return -EFAULT;
	return (flags & MSG_TRUNC) ? (ssize_t)len : (ssize_t)got;
}

/* --- ends: errors, shutdown, close, readiness ----------------------------- */

static int take_err(struct chan_end *e)
{
	if (!LOAD(&e->err))
		return 0;
	return XCHG(&e->err, 0);
}

int chan_take_error(struct chan_end *e)
{
	return take_err(e);
}

static ssize_t dir_send(struct chan_dir *d, struct iov_iter *from, const struct chan_anc *anc, bool mutual)
{
	if (d->is_msg)
		return msg_send(d, from, anc, mutual);
	ssize_t r = stream_send(d, from, anc, false);
	/* TCP (no ancillary data): what did not fit goes into a grown ring. */
	while (from->left && (r > 0 || r == -EAGAIN) && stream_grow(d)) {
		ssize_t more = stream_send(d, from, NULL, false);
		if (more < 0)
			break;
		r = r > 0 ? r + more : more;
	}
	return r;
}

ssize_t chan_sendto(struct chan_dir *d, struct iov_iter *from, const struct chan_anc *anc, int flags)
{
	return dir_send(d, from, anc, false);
}

/* TCP, peer closed cleanly (we got its FIN): the first write is accepted
 * and the peer answers with RST, so that write "succeeds" and the next one
 * fails with EPIPE (we are in CLOSE_WAIT, so the error is EPIPE, not
 * ECONNRESET). Linux on loopback does exactly this. The RST is there
 * before more than a send buffer's worth went: a bigger write is cut
 * short (one of 1 GiB took 512 KiB natively; Go's net.Buffers.WriteTo
 * then saw the error of the next). */
static ssize_t tcp_write_after_close(struct chan_end *e, struct iov_iter *from)
{
	size_t n = from->left < e->tx->limit ? from->left : e->tx->limit;
	iov_iter_advance(from, n);
	STORE(&e->err, EPIPE);
	OR(&e->shut, SHUT_MASK);
	OR(&e->tx->state, CHAN_WR_SHUT);
	end_notify(e, NOTE_ALL);
	return n;
}

ssize_t chan_send(struct chan_end *e, struct iov_iter *from, const struct chan_anc *anc, int flags)
{
	struct chan_dir *d = e->tx;
	if (!d)
		return e->proto == CHAN_PIPE ? -EBADF : -ENOTCONN;
	/* Which error first: tcp_sendmsg and sock_alloc_send_pskb (dgram)
	 * report sk_err before anything; unix_stream_sendmsg and the
	 * seqpacket path check SEND_SHUTDOWN first. */
	if (e->proto == CHAN_TCP || is_dgram(e->proto)) {
		int err = take_err(e);
		if (err)
			return -err;
	}
	if (LOAD(&e->shut) & SHUT_SEND)
		return -EPIPE;
	unsigned st = LOAD(&d->state);
	if (e->proto == CHAN_TCP && (st & CHAN_RD_GONE))
		return tcp_write_after_close(e, from);
	if (!d->is_msg && (st & CHAN_RD_GONE))
		return -EPIPE;
	return dir_send(d, from, anc, dgram_mutual(e, d));
}

ssize_t chan_recv(struct chan_end *e, struct iov_iter *to, struct chan_anc_out *anc, int flags, int *msg_flags)
{
	int mflags = 0;
	struct chan_dir *d = e->rx;
	if (anc) {
		anc->nfiles = 0;
		anc->has_cred = false;
		anc->addrlen = anc->dstlen = 0;
	}
	if (msg_flags)
		*msg_flags = 0;
	if (!d)
		return -EBADF;
	/* Datagram paths report sk_err before the queue (seqpacket included:
	 * measured); streams after the queued bytes. */
	if (d->is_msg) {
		int err = take_err(e);
		if (err)
			return -err;
	} else if (!to->left) {
		/* tcp_recvmsg's loop runs once even for 0 bytes: with nothing
		 * to read and no EOF or error, it would block (EAGAIN). */
		if (e->proto == CHAN_TCP && !ring_used(&d->ring) && !(LOAD(&d->state) & (CHAN_WR_SHUT | CHAN_RD_SHUT)) &&
		    !LOAD(&e->err) && !(LOAD(&e->shut) & SHUT_RCV))
			return -EAGAIN;
		return 0;
	}
	/* State before data: a writer sets WR_SHUT after publishing its last
	 * bytes (release), so if we see WR_SHUT here the check below sees
	 * every byte, and "empty + WR_SHUT" really is EOF. */
	unsigned st = LOAD(&d->state);
	unsigned shut = LOAD(&e->shut);
	ssize_t n = d->is_msg ? msg_recv(d, to, anc, flags, &mflags) : stream_recv(d, to, anc, flags, &mflags);
	if (msg_flags)
		*msg_flags = mflags;
	if (n != -EAGAIN)
		return n;
	/* TCP's EPIPE is a reset that came after the peer's FIN (CLOSE_WAIT):
	 * tcp_recvmsg sees the FIN (SOCK_DONE) before sk_err, so EOF, and
	 * the error stays for the next send. */
	if (e->proto == CHAN_TCP && LOAD(&e->err) == EPIPE)
		return 0;
	if (!d->is_msg) {
		int err = take_err(e);
		if (err)
			return -err;
	}
	if ((st & (CHAN_WR_SHUT | CHAN_RD_SHUT)) || (shut & SHUT_RCV))
		return 0;
	return -EAGAIN;
}

/* mid_stream - a byte stream the mid path moves: TCP, UNIX stream, pipe. */
static bool mid_stream(const struct chan_end *e)
{
	return e->proto == CHAN_TCP || e->proto == CHAN_UNIX_STREAM || e->proto == CHAN_PIPE;
}

ssize_t chan_mid_recv(struct chan_end *e, struct iov_iter *to)
{
	struct chan_dir *d = e->rx;
	int mflags;
	if (!d || !mid_stream(e) || !to->left || LOAD(&d->qhead))
		return -EAGAIN;
	return stream_recv(d, to, NULL, 0, &mflags);
}

ssize_t chan_mid_send(struct chan_end *e, struct iov_iter *from, bool all)
{
	struct chan_dir *d = e->tx;
	if (!d || !mid_stream(e) || !from->left || LOAD(&e->err) || (LOAD(&e->shut) & SHUT_SEND) ||
	    (LOAD(&d->state) & CHAN_RD_GONE))
		return -EAGAIN;
	/* More than fits a TCP ring that may grow: the full path's send grows
	 * it (allocating is no mid-path business). Sent short here, a
	 * non-blocking write of 1 MiB came back cut to 256 KiB where Linux's
	 * autotuned buffers take it whole (Java's AsynchronousSocketChannel
	 * then waited). */
	if (from->left > ring_space(&d->ring) && growable(d))
		return -EAGAIN;
	ssize_t r = stream_send(d, from, NULL, all);
	return r < 0 ? -EAGAIN : r; /* -EPIPE: the reader left meanwhile, nothing sent */
}

bool chan_mid_idle(struct chan_end *e, bool wr)
{
	struct chan_dir *d = wr ? e->tx : e->rx;
	if (!d || LOAD(&e->err) || LOAD(&e->shut))
		return false;
	unsigned st = LOAD(&d->state);
	return wr ? !(st & CHAN_RD_GONE) && !ring_space(&d->ring) && !growable(d)
		  : !(st & (CHAN_WR_SHUT | CHAN_RD_SHUT)) && !ring_used(&d->ring);
}

int chan_read_arm(struct chan_end *e, struct chan_pending *p, struct iov_iter *to)
{
	struct chan_dir *d = e->rx;
	if (!d || d->is_msg)
		return -EOPNOTSUPP;
	if (!to->left)
		return -EAGAIN;
	p->to = to;
	p->done = 0;
	p->state = CHAN_PENDING_ARMED;
	struct chan_pending *none = NULL;
	/* ACQ_REL: publishes p's fields (and our earlier head stores) to the
	 * writer's ACQUIRE load of pending. */
	if (!__atomic_compare_exchange_n(&d->pending, &none, p, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -EBUSY;
	/* seq_cst fence: pending is published before we re-read tail and the
	 * state. A writer that published its tail before seeing pending is
	 * caught here (Dekker with the writer's fence in stream_send). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ring_used(&d->ring) || (LOAD(&d->state) & (CHAN_WR_SHUT | CHAN_RD_SHUT)) ||
	    LOAD(&e->err) || (LOAD(&e->shut) & SHUT_RCV)) {
		size_t got = chan_read_disarm(e, p);
		return got ? (int)got : -EAGAIN;
	}
	return 0;
}

size_t chan_read_disarm(struct chan_end *e, struct chan_pending *p)
{
	struct chan_dir *d = e->rx;
	int armed = CHAN_PENDING_ARMED;
	if (!__atomic_compare_exchange_n(&p->state, &armed, CHAN_PENDING_CANCELED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* A writer claimed it: it is copying now; wait for DONE. */
		while (LOAD(&p->state) != CHAN_PENDING_DONE)
			__builtin_ia32_pause();
	}
	STORE(&d->pending, NULL);
	/* Grace period: a writer may have loaded pending == p just before we
	 * cleared it and still be about to read p->state. Writers look at p
	 * only under wlock, so passing through wlock once means none still
	 * holds p, and the caller may reuse it. Slow path only (after a park). */
	spin_lock(&d->wlock);
	spin_unlock(&d->wlock);
	return LOAD(&p->state) == CHAN_PENDING_DONE ? p->done : 0;
}

int chan_shutdown(struct chan_end *e, int how)
{
	unsigned bits;
	switch (how) {
	case SHUT_RD: bits = SHUT_RCV; break;
	case SHUT_WR: bits = SHUT_SEND; break;
	case SHUT_RDWR: bits = SHUT_MASK; break;
	default: return -EINVAL;
	}
	struct chan_end *peer = e->peer;
	OR(&e->shut, bits);
	if ((bits & SHUT_RCV) && e->rx) {
		OR(&e->rx->state, CHAN_RD_SHUT);
		/* UNIX tells the peer (it may send no more: EPIPE); TCP's
		 * SHUT_RD is local and the peer may go on writing. */
		if (is_unix_conn(e->proto) && peer)
			OR(&peer->shut, SHUT_SEND);
	}
	if ((bits & SHUT_SEND) && e->tx && !is_dgram(e->proto)) {
		OR(&e->tx->state, CHAN_WR_SHUT);	/* FIN: EOF once drained */
		if (peer)
			OR(&peer->shut, SHUT_RCV);
	}
	end_notify(e, NOTE_ALL);
	if (peer && !is_dgram(e->proto))
		end_notify(peer, NOTE_ALL);
	return 0;
}

static void close_end(struct chan_end *e, bool abort);

void chan_close(struct chan_end *e)
{
	close_end(e, false);
}

void chan_abort(struct chan_end *e)
{
	close_end(e, true);
}

static void close_end(struct chan_end *e, bool abort)
{
	struct chan_end *peer = e->peer;
	bool wake = true;
	/* Had we sent FIN already? Then a reset finds the peer in CLOSE_WAIT
	 * and it reports EPIPE instead of ECONNRESET (tcp_reset). */
	bool fin_sent = e->tx && (LOAD(&e->tx->state) & CHAN_WR_SHUT);
	size_t unread = 0;
	STORE(&e->notify, NULL);
	OR(&e->shut, SHUT_MASK);
	if (e->rx) {
		OR(&e->rx->state, CHAN_RD_GONE | CHAN_RD_SHUT);
		unread = dir_purge(e->rx);
		e->rx->reader = NULL;
	}
	if (e->tx && !is_dgram(e->proto)) {
		OR(&e->tx->state, CHAN_WR_SHUT);
		e->tx->writer = NULL;
	}
	if (peer) {
		switch (e->proto) {
		case CHAN_UNIX_STREAM:
		case CHAN_UNIX_SEQPACKET:
			/* unix_release_sock: peer gets SHUTDOWN_MASK, and
			 * ECONNRESET if we leave unread data or were never
			 * accepted (an embryo: abort). */
			OR(&peer->shut, SHUT_MASK);
			if (unread || abort)
				STORE(&peer->err, ECONNRESET);
			break;
		case CHAN_TCP:
			if (unread || abort) {	/* tcp_close sends RST instead of FIN */
				STORE(&peer->err, fin_sent ? EPIPE : ECONNRESET);
				OR(&peer->shut, SHUT_MASK);
				if (peer->tx)
					OR(&peer->tx->state, CHAN_WR_SHUT);
			} else {
				OR(&peer->shut, SHUT_RCV);	/* FIN */
				wake = !fin_sent;	/* sent at shutdown: nothing new */
			}
			break;
		case CHAN_PIPE:
			OR(&peer->shut, e->rx ? SHUT_SEND : SHUT_RCV);
			break;
		default:	/* dgram: peers learn on their next send */
			break;
		}
		peer->peer = NULL;
		if (wake)
			end_notify(peer, NOTE_ALL);
	}
	if (e->rx) {
		chan_notify_fn fn = LOAD(&e->rx->space_fn);
		if (fn)	/* dgram senders waiting for room: now ECONNREFUSED */
			fn(LOAD(&e->rx->space_arg), EPOLLOUT | EPOLLERR);
	}
	e->peer = NULL;
}

static bool dir_readable(struct chan_dir *d)
{
	if (d->is_msg)
		return LOAD(&d->qhead) != NULL;
	size_t lowat = d->proto == CHAN_TCP ? LOAD(&d->rcvlowat) : 1;
	return ring_used_any(&d->ring) >= lowat;
}

static bool dir_writable(struct chan_dir *d)
{
	if (d->proto == CHAN_UDP)
		return true;
	size_t free_bytes;
	if (d->is_msg)
		free_bytes = msg_free_space(d, __atomic_load_n(&d->qbytes, __ATOMIC_RELAXED));
	else
		free_bytes = ring_cap(&d->ring) - ring_used_any(&d->ring);
	return free_bytes >= d->wrlowat || growable(d);
}

int chan_send_urg(struct chan_end *e, unsigned char byte)
{
	struct chan_dir *d = e->tx;
	if (!d)
		return -ENOTCONN;
	int err = take_err(e);
	if (err)
		return -err;
	if ((LOAD(&e->shut) & SHUT_SEND) || (LOAD(&d->state) & CHAN_RD_GONE))
		return -EPIPE;
	spin_lock(&d->wlock);
	size_t mark = d->ring.tail;
	if (LOAD(&d->oobinline)) {
		struct iovec v = { &byte, 1 };
		struct iov_iter from;
		iov_iter_init(&from, &v, 1);
		if (ring_write(&d->ring, &from, 1) != 1) {
			spin_unlock(&d->wlock);
			return -EAGAIN;
		}
	}
	STORE(&d->urg, URG_VALID | (uint64_t)byte << URG_MARK_BITS | URG_MARK(mark));
	spin_unlock(&d->wlock);
	struct chan_end *r = d->reader;
	chan_notify_fn fn = r ? LOAD(&r->notify) : NULL;
	if (fn)
		fn(LOAD(&r->notify_arg), (chan_poll(r) & NOTE_IN) | EPOLLPRI | CHAN_URGENT);
	return 0;
}

int chan_recv_urg(struct chan_end *e, bool peek)
{
	struct chan_dir *d = e->rx;
	if (!d || LOAD(&d->oobinline))
		return -EINVAL;
	uint64_t u = LOAD(&d->urg);
	while (u & URG_VALID) {
		if (peek || __atomic_compare_exchange_n(&d->urg, &u, (u & ~URG_VALID) | URG_READ, false,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return URG_BYTE(u);
	}
	return -EINVAL;
}

bool chan_at_mark(struct chan_end *e)
{
	struct chan_dir *d = e->rx;
	uint64_t u = d ? LOAD(&d->urg) : 0;
	return u && URG_MARK(u) == URG_MARK(LOAD(&d->ring.head));
}

void chan_set_oobinline(struct chan_end *e, bool on)
{
	if (e->rx)
		STORE(&e->rx->oobinline, on);
}

uint32_t chan_poll(struct chan_end *e)
{
	uint32_t m = 0;
	struct chan_dir *rx = e->rx, *tx = e->tx;
	if (e->proto == CHAN_PIPE) {	/* pipe_poll */
		if (rx) {
			if (dir_readable(rx))
				m |= EPOLLIN | EPOLLRDNORM;
			if (LOAD(&rx->state) & CHAN_WR_SHUT)
				m |= EPOLLHUP;
		}
		if (tx) {
			if (dir_writable(tx))
				m |= EPOLLOUT | EPOLLWRNORM;
			if (LOAD(&tx->state) & CHAN_RD_GONE)
				m |= EPOLLERR;
		}
		return m;
	}
	unsigned shut = LOAD(&e->shut);
	if (LOAD(&e->err))
		m |= EPOLLERR;
	if (shut == SHUT_MASK)
		m |= EPOLLHUP;
	if (shut & SHUT_RCV)
		m |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (rx && dir_readable(rx))
		m |= EPOLLIN | EPOLLRDNORM;
	if (rx && (LOAD(&rx->urg) & URG_VALID))
		m |= EPOLLPRI;			/* tcp_poll: TCP_URG_VALID */
	bool out;
	if (!tx)
		out = true;			/* unconnected dgram: own sndbuf only */
	else if (e->proto == CHAN_TCP)
		out = (shut & SHUT_SEND) || dir_writable(tx);	/* tcp_poll */
	else	/* unix_writable: ignores shutdown; unix_dgram_poll: and a
		 * peer not connected back whose queue is full (not writable) */
		out = dir_writable(tx) && !dgram_qlen_full(tx, dgram_mutual(e, tx));
	if (out)
		m |= EPOLLOUT | EPOLLWRNORM | (e->proto == CHAN_TCP ? 0 : EPOLLWRBAND);
	return m;
}

bool chan_dir_admits(struct chan_dir *d)
{
	return (LOAD(&d->state) & CHAN_RD_GONE) || !msg_full(d, false);
}

size_t chan_inq(struct chan_end *e)
{
	struct chan_dir *d = e->rx;
	if (!d)
		return 0;
	if (!d->is_msg) {
		/* Out of line, TCP counts to the urgent mark (tcp_ioctl). */
		uint64_t u = LOAD(&d->urg);
		size_t head = URG_MARK(LOAD(&d->ring.head));
		if (u && !LOAD(&d->oobinline) && URG_MARK(u) >= head)
			return URG_MARK(u) - head;
		return ring_used_any(&d->ring);
	}
	size_t n = 0;
	spin_lock(&d->qlock);
	if (d->proto == CHAN_UNIX_SEQPACKET)
		n = d->qpayload;	/* unix_inq_len: all bytes for seqpacket */
	else if (d->qhead)
		n = d->qhead->len;	/* dgram: the next datagram */
	spin_unlock(&d->qlock);
	return n;
}

size_t chan_outq(struct chan_end *e)
{
	struct chan_dir *d = e->tx;
	/* TCP counts bytes not yet acked: in the peer's queue they are. */
	if (!d || e->proto == CHAN_TCP)
		return 0;
	if (!d->is_msg)
		return ring_used_any(&d->ring);
	return __atomic_load_n(&d->qpayload, __ATOMIC_RELAXED);
}
