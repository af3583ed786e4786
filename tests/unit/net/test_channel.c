/* test_channel.c - channel semantics, each case checked against what Linux 6.x does. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "net/local/channel.h"
#include "test.h"

#define IN_BITS  (EPOLLIN | EPOLLRDNORM)
#define OUT_BITS (EPOLLOUT | EPOLLWRNORM)

static ssize_t snd(struct chan_end *e, const void *buf, size_t n)
{
	struct iovec v = { (void *)buf, n };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	return chan_send(e, &it, NULL, 0);
}

static ssize_t snd_anc(struct chan_end *e, const void *buf, size_t n, const struct chan_anc *anc)
{
	struct iovec v = { (void *)buf, n };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	return chan_send(e, &it, anc, 0);
}

static ssize_t rcv(struct chan_end *e, void *buf, size_t n, int flags, int *mflags)
{
	struct iovec v = { buf, n };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	int mf;
	return chan_recv(e, &it, NULL, flags, mflags ? mflags : &mf);
}

static ssize_t rcv_anc(struct chan_end *e, void *buf, size_t n, int flags, struct chan_anc_out *anc, int *mflags)
{
	struct iovec v = { buf, n };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	return chan_recv(e, &it, anc, flags, mflags);
}

static int puts_count;
static void count_put(void *f) { puts_count++; }
static const struct chan_hooks hooks = { NULL, count_put };

/* close with unread data: the peer reads its data, then ECONNRESET once,
 * then EOF; writes EPIPE; poll IN|OUT|ERR|HUP|RDHUP, then no ERR. */
static void reset_case(enum chan_proto proto, bool error_first)
{
	struct channel c;
	CHECK_EQ(chan_init(&c, proto, 0, &hooks), 0);
	struct chan_end *a = &c.end[0], *b = &c.end[1];
	CHECK_EQ(snd(b, "yo", 2), 2);
	CHECK_EQ(snd(a, "hi", 2), 2);
	chan_close(a);
	uint32_t m = chan_poll(b);
	CHECK(m & EPOLLIN);
	CHECK(m & EPOLLOUT);
	CHECK(m & EPOLLERR);
	CHECK(m & EPOLLHUP);
	CHECK(m & EPOLLRDHUP);
	char buf[16];
	if (error_first) {
		CHECK_EQ(rcv(b, buf, sizeof(buf), 0, NULL), -ECONNRESET);
		CHECK_EQ(rcv(b, buf, sizeof(buf), 0, NULL), 2);
	} else {
		CHECK_EQ(rcv(b, buf, sizeof(buf), 0, NULL), 2);
		CHECK_EQ(rcv(b, buf, sizeof(buf), 0, NULL), -ECONNRESET);
	}
	CHECK(!memcmp(buf, "hi", 2));
	CHECK_EQ(rcv(b, buf, sizeof(buf), 0, NULL), 0);
	CHECK_EQ(snd(b, "x", 1), -EPIPE);
	CHECK_EQ(snd(b, "x", 1), -EPIPE);
	CHECK_EQ(chan_take_error(b), 0);
	CHECK_EQ(chan_poll(b) & EPOLLERR, 0);
	chan_close(b);
	chan_fini(&c);
}

static void test_unix_stream_reset(void) { reset_case(CHAN_UNIX_STREAM, false); }
static void test_tcp_reset(void) { reset_case(CHAN_TCP, false); }
static void test_seqpacket_reset_error_first(void) { reset_case(CHAN_UNIX_SEQPACKET, true); }

static void test_tcp_send_error_first(void)
{
	/* tcp_sendmsg reports sk_err before SEND_SHUTDOWN */
	struct channel c;
	CHECK_EQ(chan_init(&c, CHAN_TCP, 0, NULL), 0);
	CHECK_EQ(snd(&c.end[1], "a", 1), 1);
	chan_close(&c.end[0]);
	CHECK_EQ(snd(&c.end[1], "x", 1), -ECONNRESET);
	CHECK_EQ(snd(&c.end[1], "x", 1), -EPIPE);
	chan_fini(&c);
}

static void test_clean_close(void)
{
	char buf[8];
	struct channel c;
	/* UNIX: peer sees HUP at once; recv 0; send EPIPE */
	CHECK_EQ(chan_init(&c, CHAN_UNIX_STREAM, 0, NULL), 0);
	chan_close(&c.end[0]);
	uint32_t m = chan_poll(&c.end[1]);
	CHECK_EQ(m & (EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP | EPOLLERR), EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP);
	CHECK_EQ(rcv(&c.end[1], buf, 8, 0, NULL), 0);
	CHECK_EQ(snd(&c.end[1], "x", 1), -EPIPE);
	chan_fini(&c);
	/* TCP: FIN only: IN|OUT|RDHUP; the first write "succeeds" (the RST
	 * comes back), the next is EPIPE; then HUP */
	CHECK_EQ(chan_init(&c, CHAN_TCP, 0, NULL), 0);
	chan_close(&c.end[0]);
	m = chan_poll(&c.end[1]);
	CHECK_EQ(m & (EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP | EPOLLERR), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	CHECK_EQ(rcv(&c.end[1], buf, 8, 0, NULL), 0);
	CHECK_EQ(snd(&c.end[1], "x", 1), 1);
	CHECK_EQ(snd(&c.end[1], "x", 1), -EPIPE);
	m = chan_poll(&c.end[1]);
	CHECK_EQ(m & (EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP | EPOLLERR), EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP);
	chan_fini(&c);
}

static void test_shutdown(void)
{
	char buf[8];
	for (int proto = CHAN_UNIX_STREAM; proto <= CHAN_TCP; proto += CHAN_TCP - CHAN_UNIX_STREAM) {
		struct channel c;
		CHECK_EQ(chan_init(&c, proto, 0, NULL), 0);
		struct chan_end *a = &c.end[0], *b = &c.end[1];
		CHECK_EQ(chan_poll(a) & (OUT_BITS | IN_BITS | EPOLLHUP), OUT_BITS);
		CHECK_EQ(snd(a, "abc", 3), 3);
		CHECK_EQ(chan_shutdown(a, SHUT_WR), 0);
		CHECK_EQ(chan_poll(a) & (EPOLLOUT | EPOLLIN | EPOLLHUP | EPOLLRDHUP), EPOLLOUT);
		CHECK_EQ(chan_poll(b) & (EPOLLOUT | EPOLLIN | EPOLLHUP | EPOLLRDHUP), EPOLLIN | EPOLLOUT | EPOLLRDHUP);
		CHECK_EQ(rcv(b, buf, 8, 0, NULL), 3);	/* data before EOF */
		CHECK_EQ(rcv(b, buf, 8, 0, NULL), 0);
		CHECK_EQ(snd(a, "x", 1), -EPIPE);
		CHECK_EQ(snd(b, "x", 1), 1);	/* half-close: the other way works */
		CHECK_EQ(rcv(a, buf, 8, 0, NULL), 1);
		/* SHUT_RD by b: UNIX tells a (EPIPE); TCP does not */
		CHECK_EQ(chan_shutdown(a, SHUT_RD), 0);
		CHECK_EQ(snd(b, "y", 1), proto == CHAN_TCP ? 1 : -EPIPE);
		CHECK_EQ(rcv(a, buf, 8, 0, NULL), proto == CHAN_TCP ? 1 : 0);
		CHECK_EQ(chan_shutdown(a, 7), -EINVAL);
		chan_close(a);
		chan_close(b);
		chan_fini(&c);
	}
}

static void test_pipe(void)
{
	struct channel c;
	CHECK_EQ(chan_init(&c, CHAN_PIPE, 0, &hooks), 0);
	struct chan_end *r = &c.end[0], *w = &c.end[1];
	CHECK_EQ(chan_capacity(&c.dir[0]), 65536);
	CHECK_EQ(chan_poll(r), 0);
	CHECK_EQ(chan_poll(w), OUT_BITS);
	static char big[70000];
	CHECK_EQ(snd(w, big, 65536 - 100), 65536 - 100);
	CHECK_EQ(chan_poll(w), 0);		/* less than a page free */
	CHECK_EQ(snd(w, big, 200), -EAGAIN);	/* <= PIPE_BUF: whole or nothing */
	CHECK_EQ(snd(w, big, PIPE_BUF + 1), 100);	/* > PIPE_BUF: partial */
	CHECK_EQ(snd(w, big, 1), -EAGAIN);
	CHECK_EQ(chan_inq(r), 65536);
	char buf[5000];
	CHECK_EQ(rcv(r, buf, 5000, 0, NULL), 5000);
	CHECK_EQ(chan_poll(w), OUT_BITS);
	CHECK_EQ(snd(w, big, PIPE_BUF), PIPE_BUF);
	CHECK_EQ(chan_send(r, NULL, NULL, 0), -EBADF);
	/* F_SETPIPE_SZ below the queued bytes: EBUSY; above: kept */
	CHECK_EQ(chan_set_capacity(&c.dir[0], 4096), -EBUSY);
	CHECK_EQ(chan_set_capacity(&c.dir[0], 1 << 20), 0);
	CHECK_EQ(chan_capacity(&c.dir[0]), 1 << 20);
	CHECK_EQ(chan_inq(r), 65536 - 5000 + PIPE_BUF);
	chan_close(w);
	CHECK_EQ(chan_poll(r), IN_BITS | EPOLLHUP);
	size_t total = 0;
	ssize_t n;
	while ((n = rcv(r, buf, sizeof(buf), 0, NULL)) > 0)
		total += n;
	CHECK_EQ(n, 0);
	CHECK_EQ(total, 65536 - 5000 + PIPE_BUF);
	chan_close(r);
	chan_fini(&c);

	CHECK_EQ(chan_init(&c, CHAN_PIPE, 0, NULL), 0);
	chan_close(&c.end[0]);
	CHECK_EQ(chan_poll(&c.end[1]), OUT_BITS | EPOLLERR);
	CHECK_EQ(snd(&c.end[1], "x", 1), -EPIPE);
	chan_close(&c.end[1]);
	chan_fini(&c);
}

static void test_dgram(void)
{
	struct channel c;
	CHECK_EQ(chan_init(&c, CHAN_UNIX_DGRAM, 0, &hooks), 0);
	struct chan_end *a = &c.end[0], *b = &c.end[1];
	char buf[64];
	int mf;
	CHECK_EQ(snd(a, "hello", 5), 5);
	CHECK_EQ(snd(a, "", 0), 0);		/* zero-length datagram */
	CHECK_EQ(snd(a, "world!", 6), 6);
	CHECK_EQ(chan_inq(b), 5);		/* FIONREAD: next datagram */
	CHECK_EQ(rcv(b, buf, 3, MSG_PEEK, &mf), 3);
	CHECK_EQ(mf, MSG_TRUNC);
	CHECK_EQ(rcv(b, buf, 3, MSG_TRUNC, &mf), 5);	/* full length, rest dropped */
	CHECK(!memcmp(buf, "hel", 3));
	CHECK_EQ(mf, MSG_TRUNC);
	CHECK_EQ(chan_inq(b), 0);
	CHECK_EQ(chan_poll(b) & IN_BITS, IN_BITS);
	CHECK_EQ(rcv(b, buf, 64, 0, &mf), 0);	/* the empty one, not EOF */
	CHECK_EQ(rcv(b, buf, 64, 0, &mf), 6);
	CHECK_EQ(mf, 0);
	CHECK_EQ(rcv(b, buf, 64, 0, &mf), -EAGAIN);
	/* a socketpair queues 278 small datagrams, as Linux (sk_sndbuf
	 * 212992, truesize 768 each) */
	int k = 0;
	while (snd(a, "abc", 3) == 3)
		k++;
	CHECK_EQ(k, 278);
	CHECK_EQ(snd(a, "abc", 3), -EAGAIN);
	CHECK_EQ(chan_poll(a) & EPOLLOUT, 0);
	static char huge[212992];
	CHECK_EQ(snd(b, huge, sizeof(huge)), -EMSGSIZE);
	CHECK_EQ(snd(b, huge, sizeof(huge) - 32), (ssize_t)sizeof(huge) - 32);
	/* read until writable again: unix_writable wants usage <= 1/4 */
	int reads = 0;
	while (!(chan_poll(a) & EPOLLOUT)) {
		CHECK_EQ(rcv(b, buf, 64, 0, &mf), 3);
		reads++;
	}
	CHECK(reads > 200 && reads < 278);
	chan_close(b);	/* dgram: the peer learns on send */
	CHECK_EQ(snd(a, "x", 1), -ECONNREFUSED);
	chan_close(a);
	chan_fini(&c);
}

static void test_udp_drop_and_sendto(void)
{
	struct chan_dir q;
	struct chan_end rx, tx;
	CHECK_EQ(chan_dir_init(&q, CHAN_UDP, 8192, NULL), 0);
	chan_end_init(&rx, CHAN_UDP, &q, NULL);
	chan_end_init(&tx, CHAN_UDP, NULL, NULL);
	CHECK_EQ(chan_send(&tx, NULL, NULL, 0), -ENOTCONN);
	static char dg[65508];
	struct iovec v = { dg, 100 };
	struct iov_iter it;
	int sent = 0;
	for (int i = 0; i < 50; i++) {
		iov_iter_init(&it, &v, 1);
		CHECK_EQ(chan_sendto(&q, &it, NULL, 0), 100);	/* full: dropped, still "sent" */
		sent++;
	}
	v.iov_len = sizeof(dg);
	iov_iter_init(&it, &v, 1);
	CHECK_EQ(chan_sendto(&q, &it, NULL, 0), -EMSGSIZE);
	int got = 0;
	char buf[200];
	while (rcv(&rx, buf, sizeof(buf), 0, NULL) == 100)
		got++;
	CHECK(got > 0 && got < sent);
	CHECK_EQ(got, (8192 + 767) / 768);	/* admitted while usage < budget */
	CHECK(chan_poll(&tx) & EPOLLOUT);
	chan_close(&rx);
	chan_dir_fini(&q);
}

static void test_scm_rights_dgram(void)
{
	struct channel c;
	puts_count = 0;
	CHECK_EQ(chan_init(&c, CHAN_UNIX_DGRAM, 0, &hooks), 0);
	void *files[3] = { (void *)1, (void *)2, (void *)3 };
	struct chan_anc anc = { files, 3, true, { 1001, 1000, 1000 } };
	CHECK_EQ(snd_anc(&c.end[0], "m", 1, &anc), 1);
	CHECK_EQ(snd_anc(&c.end[0], "n", 1, &anc), 1);
	void *got[2];
	struct chan_anc_out out = { got, 2 };
	char buf[4];
	int mf;
	CHECK_EQ(rcv_anc(&c.end[1], buf, 4, MSG_PEEK, &out, &mf), 1);	/* lent */
	CHECK_EQ(out.nfiles, 2);
	CHECK_EQ(mf, MSG_CTRUNC);
	CHECK_EQ(puts_count, 0);
	CHECK_EQ(rcv_anc(&c.end[1], buf, 4, 0, &out, &mf), 1);
	CHECK_EQ(out.nfiles, 2);
	CHECK(got[0] == (void *)1 && got[1] == (void *)2);
	CHECK_EQ(mf, MSG_CTRUNC);
	CHECK_EQ(puts_count, 1);	/* the third did not fit: put */
	CHECK(out.has_cred);
	CHECK_EQ(out.cred.pid, 1001);
	chan_close(&c.end[1]);		/* the unread message's files are put */
	CHECK_EQ(puts_count, 4);
	chan_close(&c.end[0]);
	chan_fini(&c);
}

static void test_scm_rights_stream(void)
{
	struct channel c;
	puts_count = 0;
	CHECK_EQ(chan_init(&c, CHAN_UNIX_STREAM, 0, &hooks), 0);
	void *files[1] = { (void *)7 };
	struct chan_anc anc = { files, 1, false };
	CHECK_EQ(snd(&c.end[0], "plain", 5), 5);
	CHECK_EQ(snd_anc(&c.end[0], "FDS", 3, &anc), 3);
	CHECK_EQ(snd(&c.end[0], "after", 5), 5);
	void *got[4];
	struct chan_anc_out out = { got, 4 };
	char buf[32];
	int mf;
	/* plain bytes merge into the fd-carrying bytes, then the read stops */
	CHECK_EQ(rcv_anc(&c.end[1], buf, 32, 0, &out, &mf), 8);
	CHECK(!memcmp(buf, "plainFDS", 8));
	CHECK_EQ(out.nfiles, 1);
	CHECK(got[0] == (void *)7);
	CHECK_EQ(rcv_anc(&c.end[1], buf, 32, 0, &out, &mf), 5);
	CHECK_EQ(out.nfiles, 0);
	/* a record survives a ring resize (offsets are kept) */
	CHECK_EQ(snd(&c.end[0], "xx", 2), 2);
	CHECK_EQ(snd_anc(&c.end[0], "yy", 2, &anc), 2);
	CHECK_EQ(chan_set_capacity(&c.dir[1], 1 << 20), 0);
	CHECK_EQ(rcv_anc(&c.end[1], buf, 1, 0, &out, &mf), 1);	/* "x" */
	CHECK_EQ(out.nfiles, 0);
	CHECK_EQ(rcv_anc(&c.end[1], buf, 32, 0, &out, &mf), 3);	/* "xyy" */
	CHECK_EQ(out.nfiles, 1);
	chan_close(&c.end[0]);
	chan_close(&c.end[1]);
	chan_fini(&c);
	CHECK_EQ(puts_count, 0);
}

static int notes;
static uint32_t last_mask;
static void note(void *arg, uint32_t mask)
{
	notes++;
	last_mask = mask;
	*(int *)arg += 1;
}

static void test_notify_edges(void)
{
	struct channel c;
	CHECK_EQ(chan_init(&c, CHAN_UNIX_STREAM, 4096, NULL), 0);
	int ra = 0, wa = 0;
	chan_set_notify(&c.end[1], note, &ra);	/* reader of dir[1] */
	chan_set_notify(&c.end[0], note, &wa);	/* its writer */
	static char big[8192];
	char buf[4096];
	CHECK_EQ(snd(&c.end[0], "a", 1), 1);
	CHECK_EQ(ra, 1);			/* empty -> readable */
	CHECK(last_mask & EPOLLIN);
	CHECK_EQ(snd(&c.end[0], "b", 1), 1);
	CHECK_EQ(ra, 2);			/* every arrival, as sock_def_readable */
	CHECK_EQ(snd(&c.end[0], big, 8192), 4094);	/* partial write, ring full */
	CHECK_EQ(ra, 3);
	CHECK_EQ(wa, 0);
	CHECK_EQ(chan_poll(&c.end[0]) & EPOLLOUT, 0);
	CHECK_EQ(rcv(&c.end[1], buf, 100, 0, NULL), 100);
	CHECK_EQ(wa, 0);			/* 100 free < 3/4 of 4096 */
	CHECK_EQ(rcv(&c.end[1], buf, 3000, 0, NULL), 3000);
	CHECK_EQ(wa, 1);			/* crossed the low-water mark */
	CHECK(last_mask & EPOLLOUT);
	CHECK_EQ(rcv(&c.end[1], buf, 4096, 0, NULL), 996);
	CHECK_EQ(wa, 2);			/* unix: every read while writable (unix_write_space) */
	chan_shutdown(&c.end[0], SHUT_WR);
	CHECK_EQ(ra, 4);
	CHECK(last_mask & EPOLLRDHUP);
	chan_close(&c.end[1]);
	chan_close(&c.end[0]);
	chan_fini(&c);
}

static void test_rcvlowat_tcp(void)
{
	struct channel c;
	CHECK_EQ(chan_init(&c, CHAN_TCP, 0, NULL), 0);
	int ra = 0;
	chan_set_notify(&c.end[1], note, &ra);
	chan_set_rcvlowat(&c.dir[1], 10);
	ra = 0;
	CHECK_EQ(snd(&c.end[0], "12345", 5), 5);
	CHECK_EQ(ra, 0);
	CHECK_EQ(chan_poll(&c.end[1]) & EPOLLIN, 0);
	CHECK_EQ(snd(&c.end[0], "67890", 5), 5);
	CHECK_EQ(ra, 1);
	CHECK(chan_poll(&c.end[1]) & EPOLLIN);
	char buf[4];
	/* recv still returns what is there (the caller loops for the target) */
	CHECK_EQ(rcv(&c.end[1], buf, 4, 0, NULL), 4);
	CHECK_EQ(chan_inq(&c.end[1]), 6);
	CHECK_EQ(chan_outq(&c.end[0]), 0);	/* TCP: acked once in the peer's queue */
	CHECK_EQ(rcv(&c.end[1], buf, 4, MSG_TRUNC, NULL), 4);	/* TCP: discarded */
	CHECK_EQ(chan_inq(&c.end[1]), 2);
	chan_close(&c.end[0]);
	chan_close(&c.end[1]);
	chan_fini(&c);
}

static void test_direct_copy(void)
{
	struct channel c;
	CHECK_EQ(chan_init(&c, CHAN_UNIX_STREAM, 4096, NULL), 0);
	int ra = 0;
	chan_set_notify(&c.end[1], note, &ra);
	char dst[16] = { 0 };
	struct iovec v = { dst, sizeof(dst) };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	struct chan_pending p;
	CHECK_EQ(chan_read_arm(&c.end[1], &p, &it), 0);
	struct chan_pending p2;
	CHECK_EQ(chan_read_arm(&c.end[1], &p2, &it), -EBUSY);
	CHECK_EQ(snd(&c.end[0], "direct-and-more-than-16", 23), 23);
	CHECK_EQ(ra, 1);
	CHECK(last_mask & EPOLLIN);
	CHECK_EQ(chan_read_disarm(&c.end[1], &p), 16);
	CHECK(!memcmp(dst, "direct-and-more-", 16));
	char rest[16];
	CHECK_EQ(rcv(&c.end[1], rest, 16, 0, NULL), 7);	/* the tail went to the ring */
	CHECK(!memcmp(rest, "than-16", 7));
	/* bytes already in the ring: arming is refused, order kept */
	CHECK_EQ(snd(&c.end[0], "r", 1), 1);
	iov_iter_init(&it, &v, 1);
	CHECK_EQ(chan_read_arm(&c.end[1], &p, &it), -EAGAIN);
	CHECK_EQ(rcv(&c.end[1], rest, 16, 0, NULL), 1);
	/* armed then cancelled (timeout): nothing delivered, later bytes in the ring */
	iov_iter_init(&it, &v, 1);
	CHECK_EQ(chan_read_arm(&c.end[1], &p, &it), 0);
	CHECK_EQ(chan_read_disarm(&c.end[1], &p), 0);
	CHECK_EQ(snd(&c.end[0], "z", 1), 1);
	CHECK_EQ(rcv(&c.end[1], rest, 16, 0, NULL), 1);
	/* pipes: an atomic write bigger than the armed buffer goes to the ring */
	struct channel pc;
	CHECK_EQ(chan_init(&pc, CHAN_PIPE, 0, NULL), 0);
	iov_iter_init(&it, &v, 1);
	CHECK_EQ(chan_read_arm(&pc.end[0], &p, &it), 0);
	CHECK_EQ(snd(&pc.end[1], "0123456789abcdefXYZ", 19), 19);
	CHECK_EQ(chan_read_disarm(&pc.end[0], &p), 0);
	CHECK_EQ(rcv(&pc.end[0], rest, 16, 0, NULL), 16);
	chan_close(&pc.end[0]);
	chan_close(&pc.end[1]);
	chan_fini(&pc);
	chan_close(&c.end[0]);
	chan_close(&c.end[1]);
	chan_fini(&c);
}

const struct test_case channel_tests[] = {
	{ "unix_stream_reset", test_unix_stream_reset },
	{ "tcp_reset", test_tcp_reset },
	{ "seqpacket_reset_error_first", test_seqpacket_reset_error_first },
	{ "tcp_send_error_first", test_tcp_send_error_first },
	{ "clean_close", test_clean_close },
	{ "shutdown", test_shutdown },
	{ "pipe", test_pipe },
	{ "dgram", test_dgram },
	{ "udp_drop_and_sendto", test_udp_drop_and_sendto },
	{ "scm_rights_dgram", test_scm_rights_dgram },
	{ "scm_rights_stream", test_scm_rights_stream },
	{ "notify_edges", test_notify_edges },
	{ "rcvlowat_tcp", test_rcvlowat_tcp },
	{ "direct_copy", test_direct_copy },
	{ NULL, NULL },
};
