/* test_model.c - random op sequences on a channel, checked against a plain reference model. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "net/local/channel.h"
#include "test.h"

/* The model: per direction a byte array (streams) or a list of messages,
 * the writer-shut / reader-shut / reader-gone flags; per end its
 * sk_shutdown bits, pending error and whether it is closed. It follows the
 * Linux rules written in channel.h in the most direct way, with none of the
 * ring, locks or records. */
#define MCAP 256		/* stream ring size */
#define MLIMIT 4096		/* message budget */
#define MAXQ 4096

struct mdir {
	unsigned char bytes[MAXQ];
	size_t used;			/* streams */
	size_t mlen[64], mcount;	/* messages: lengths; payload in bytes[] */
	size_t qbytes;
	bool wr_shut, rd_shut, rd_gone;
};

struct mend {
	int rx, tx;	/* dir index or -1 */
	unsigned shut;
	int err;
	bool closed;
};

struct model {
	int proto;
	bool msg;
	struct mdir d[2];
	struct mend e[2];
};

static void model_init(struct model *m, int proto)
{
	memset(m, 0, sizeof(*m));
	m->proto = proto;
	m->msg = proto == CHAN_UNIX_SEQPACKET || proto == CHAN_UNIX_DGRAM;
	if (proto == CHAN_PIPE) {
		m->e[0] = (struct mend){ 0, -1 };
		m->e[1] = (struct mend){ -1, 0 };
	} else {
		m->e[0] = (struct mend){ 0, 1 };
		m->e[1] = (struct mend){ 1, 0 };
	}
}

static size_t msg_total(struct mdir *d)
{
	size_t t = 0;
	for (size_t i = 0; i < d->mcount; i++)
		t += d->mlen[i];
	return t;
}

static ssize_t model_send(struct model *m, int i, const unsigned char *buf, size_t n)
{
	struct mend *e = &m->e[i];
	if (e->tx < 0)
		return -EBADF;
	struct mdir *d = &m->d[e->tx];
	bool dgram = m->proto == CHAN_UNIX_DGRAM;
	if ((m->proto == CHAN_TCP || dgram) && e->err) {
		int err = e->err;
		e->err = 0;
		return -err;
	}
	if (e->shut & 2)
		return -EPIPE;
	if (m->proto == CHAN_TCP && d->rd_gone) {
		e->err = EPIPE;
		e->shut = 3;
		d->wr_shut = true;
		return n < MCAP ? n : MCAP; /* a send buffer's worth before the reset */
	}
	if (d->rd_gone)
		return dgram ? -ECONNREFUSED : -EPIPE;
	if (m->msg) {
		if (n > MLIMIT - 32)
			return -EMSGSIZE;
		if (d->mcount && d->qbytes >= MLIMIT)
			return -EAGAIN;
		if (d->mcount == 64 || msg_total(d) + n > MAXQ)
			return -ENOSPC;	/* the model's own limit: caller avoids */
		memcpy(d->bytes + msg_total(d), buf, n);
		d->mlen[d->mcount++] = n;
		d->qbytes += chan_msg_cost(n);
		return n;
	}
	if (!n)
		return 0;
	size_t space = MCAP - d->used;
	if (m->proto == CHAN_PIPE && n <= PIPE_BUF && space < n)
		return -EAGAIN;
	size_t k = n < space ? n : space;
	if (!k)
		return -EAGAIN;
	memcpy(d->bytes + d->used, buf, k);
	d->used += k;
	return k;
}

static ssize_t model_recv(struct model *m, int i, unsigned char *buf, size_t n, bool peek)
{
	struct mend *e = &m->e[i];
	if (e->rx < 0)
		return -EBADF;
	struct mdir *d = &m->d[e->rx];
	if (m->msg) {
		if (e->err) {
			int err = e->err;
			e->err = 0;
			return -err;
		}
		if (d->mcount) {
			size_t len = d->mlen[0], k = len < n ? len : n;
			memcpy(buf, d->bytes, k);
			if (!peek) {
				memmove(d->bytes, d->bytes + len, msg_total(d) - len);
				memmove(d->mlen, d->mlen + 1, (d->mcount - 1) * sizeof(size_t));
				d->mcount--;
				d->qbytes -= chan_msg_cost(len);
			}
			return k;
		}
	} else {
		/* TCP's 0-byte recv with nothing queued, no EOF and no error
		 * would block (tcp_recvmsg's loop runs once): EAGAIN. */
		if (!n)
			return m->proto == CHAN_TCP && !d->used && !d->wr_shut && !d->rd_shut && !(e->shut & 1) &&
					       !e->err
				       ? -EAGAIN
				       : 0;
		if (d->used) {
			size_t k = d->used < n ? d->used : n;
			memcpy(buf, d->bytes, k);
			if (!peek) {
				memmove(d->bytes, d->bytes + k, d->used - k);
				d->used -= k;
			}
			return k;
		}
		/* TCP's EPIPE is a reset after the peer's FIN: EOF, the error
		 * kept for a send. */
		if (m->proto == CHAN_TCP && e->err == EPIPE)
			return 0;
		if (e->err) {
			int err = e->err;
			e->err = 0;
			return -err;
		}
	}
	if (d->wr_shut || d->rd_shut || (e->shut & 1))
		return 0;
	return -EAGAIN;
}

static bool unix_conn(int proto) { return proto == CHAN_UNIX_STREAM || proto == CHAN_UNIX_SEQPACKET; }

static void model_shutdown(struct model *m, int i, int how)
{
	struct mend *e = &m->e[i], *p = &m->e[1 - i];
	bool peer = !p->closed;
	unsigned bits = how == SHUT_RD ? 1 : how == SHUT_WR ? 2 : 3;
	e->shut |= bits;
	if ((bits & 1) && e->rx >= 0) {
		m->d[e->rx].rd_shut = true;
		if (unix_conn(m->proto) && peer)
			p->shut |= 2;
	}
	if ((bits & 2) && e->tx >= 0 && m->proto != CHAN_UNIX_DGRAM) {
		m->d[e->tx].wr_shut = true;
		if (peer)
			p->shut |= 1;
	}
}

static void model_close(struct model *m, int i)
{
	struct mend *e = &m->e[i], *p = &m->e[1 - i];
	bool peer = !p->closed;
	bool fin_sent = e->tx >= 0 && m->d[e->tx].wr_shut;
	size_t unread = 0;
	e->shut = 3;
	e->closed = true;
	if (e->rx >= 0) {
		struct mdir *d = &m->d[e->rx];
		d->rd_gone = d->rd_shut = true;
		unread = m->msg ? d->mcount : d->used;
		d->used = d->mcount = d->qbytes = 0;
	}
	if (e->tx >= 0 && m->proto != CHAN_UNIX_DGRAM)
		m->d[e->tx].wr_shut = true;
	if (!peer)
		return;
	if (unix_conn(m->proto)) {
		p->shut = 3;
		if (unread)
			p->err = ECONNRESET;
	} else if (m->proto == CHAN_TCP) {
		if (unread) {
			p->err = fin_sent ? EPIPE : ECONNRESET;
			p->shut = 3;
			if (p->tx >= 0)
				m->d[p->tx].wr_shut = true;
		} else {
			p->shut |= 1;
		}
	} else if (m->proto == CHAN_PIPE) {
		p->shut |= e->rx >= 0 ? 2 : 1;
	}
}

static uint64_t rng;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const op_names[] = { "send", "recv", "peek", "shutdown", "close", "inq" };

/* One random run: returns 0, or the step that diverged. */
static int model_run(int proto, int steps, char *why, size_t whylen)
{
	struct channel c;
	struct model m;
	model_init(&m, proto);
	if (chan_init(&c, proto, m.msg ? MLIMIT : MCAP, NULL))
		return -1;
	/* channel and model must agree on the message budget */
	if (m.msg)
		chan_set_capacity(&c.dir[0], MLIMIT), chan_set_capacity(&c.dir[1], MLIMIT);
	/* A TCP ring of a size set does not grow (the model's is fixed). */
	if (proto == CHAN_TCP)
		chan_set_capacity(&c.dir[0], MCAP), chan_set_capacity(&c.dir[1], MCAP);
	unsigned char out[600], a[600], b[600];
	unsigned char seq = 0;
	for (int s = 0; s < steps; s++) {
		int i = rnd(2);
		if (m.e[i].closed)
			i = 1 - i;
		if (m.e[i].closed)
			break;
		int op = rnd(100);
		op = op < 40 ? 0 : op < 75 ? 1 : op < 85 ? 2 : op < 92 ? 5 : op < 98 ? 3 : 4;
		ssize_t got, want;
		size_t n = rnd(4) ? rnd(64) : rnd(sizeof(out));
		switch (op) {
		case 0:
			for (size_t k = 0; k < n; k++)
				out[k] = seq++;
			want = model_send(&m, i, out, n);
			if (want == -ENOSPC)
				continue;
			{
				struct iovec v = { out, n };
				struct iov_iter it;
				iov_iter_init(&it, &v, 1);
				got = chan_send(&c.end[i], &it, NULL, 0);
			}
			break;
		case 1:
		case 2: {
			memset(a, 0, sizeof(a));
			memset(b, 0, sizeof(b));
			want = model_recv(&m, i, a, n, op == 2);
			struct iovec v = { b, n };
			struct iov_iter it;
			iov_iter_init(&it, &v, 1);
			int mf;
			got = chan_recv(&c.end[i], &it, NULL, op == 2 ? MSG_PEEK : 0, &mf);
			if (got == want && got > 0 && memcmp(a, b, got)) {
				snprintf(why, whylen, "step %d: %s end %d: data differs", s, op_names[op], i);
				return s + 1;
			}
			break;
		}
		case 3: {
			int how = rnd(3);
			model_shutdown(&m, i, how);
			got = chan_shutdown(&c.end[i], how);
			want = 0;
			break;
		}
		case 4:
			model_close(&m, i);
			chan_close(&c.end[i]);
			got = want = 0;
			break;
		default: {
			struct mend *e = &m.e[i];
			want = 0;
			if (e->rx >= 0) {
				struct mdir *d = &m.d[e->rx];
				want = !m.msg ? d->used : proto == CHAN_UNIX_SEQPACKET ? msg_total(d) : d->mcount ? d->mlen[0] : 0;
			}
			got = chan_inq(&c.end[i]);
			/* readiness: IN and HUP */
			uint32_t pm = chan_poll(&c.end[i]);
			bool in = want > 0 || (e->rx >= 0 && m.msg && m.d[e->rx].mcount);
			bool hup;
			if (proto == CHAN_PIPE) {
				hup = e->rx >= 0 && m.d[e->rx].wr_shut;
			} else {
				in = in || (e->shut & 1);
				hup = e->shut == 3;
			}
			if (!!(pm & EPOLLIN) != in || !!(pm & EPOLLHUP) != hup) {
				snprintf(why, whylen, "step %d: poll end %d = %#x, model IN %d HUP %d", s, i, pm, in, hup);
				return s + 1;
			}
		}
		}
		if (got != want) {
			snprintf(why, whylen, "step %d: %s end %d n %zu: channel %zd, model %zd", s, op_names[op], i, n, got, want);
			return s + 1;
		}
	}
	if (!m.e[0].closed)
		chan_close(&c.end[0]);
	if (!m.e[1].closed)
		chan_close(&c.end[1]);
	chan_fini(&c);
	return 0;
}

static void test_model_random(void)
{
	static const int protos[] = { CHAN_PIPE, CHAN_UNIX_STREAM, CHAN_UNIX_SEQPACKET, CHAN_UNIX_DGRAM, CHAN_TCP };
	static const char *const names[] = { "pipe", "unix_stream", "seqpacket", "unix_dgram", "tcp" };
	char why[200];
	for (unsigned p = 0; p < sizeof(protos) / sizeof(protos[0]); p++) {
		for (int run = 0; run < 2000; run++) {
			uint64_t seed = 0x9e3779b97f4a7c15ull * (run + 1) + p;
			rng = seed;
			int bad = model_run(protos[p], 300, why, sizeof(why));
			if (bad) {
				fprintf(stderr, "  %s seed %#llx: %s\n", names[p], (unsigned long long)seed, why);
				CHECK(!bad);
			}
		}
	}
}

const struct test_case model_tests[] = {
	{ "model_random_ops", test_model_random },
	{ NULL, NULL },
};
