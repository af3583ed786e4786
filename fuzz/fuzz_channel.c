/* fuzz_channel.c - libFuzzer target: input bytes drive ops on a channel; invariants abort. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/local/channel.h"

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

static int files_out;
static void put(void *f) { files_out--; }
static const struct chan_hooks hooks = { NULL, put };

/* Streams carry a running byte sequence: every byte read must be the next
 * one expected for its direction (no loss, no reordering, no duplication),
 * every file sent is either received or put exactly once. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const int protos[] = { CHAN_PIPE, CHAN_UNIX_STREAM, CHAN_UNIX_SEQPACKET, CHAN_UNIX_DGRAM, CHAN_TCP };
	int proto = protos[data[0] % 5];
	struct channel c;
	if (chan_init(&c, proto, 64 << (data[0] / 5 % 8), &hooks))
		return 0;
	bool is_stream = proto == CHAN_PIPE || proto == CHAN_UNIX_STREAM || proto == CHAN_TCP;
	unsigned char wseq[2] = { 0, 0 }, rseq[2] = { 0, 0 };
	bool closed[2] = { false, false };
	files_out = 0;
	static unsigned char buf[70000], out[70000];
	void *fds[4] = { (void *)1, (void *)2, (void *)3, (void *)4 };
	for (size_t i = 1; i + 2 < size; i += 3) {
		int end = data[i] & 1, op = (data[i] >> 1) % 8;
		size_t n = (size_t)data[i + 1] << (data[i + 2] % 9);
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (closed[end])
			continue;
		struct chan_end *e = &c.end[end];
		int dir = proto == CHAN_PIPE ? 0 : 1 - end;	/* the dir end writes */
		struct iovec v[2] = { { buf, n / 3 }, { buf + n / 3, n - n / 3 } };
		struct iov_iter it;
		iov_iter_init(&it, v, 2);
		switch (op) {
		case 0:
		case 1: {	/* send, with files on op 1 */
			for (size_t k = 0; k < n; k++)
				buf[k] = wseq[dir] + k;
			struct chan_anc anc = { fds, 1 + data[i + 2] % 4, true, { 1, 2, 3 } };
			bool with = op == 1 && proto != CHAN_TCP && proto != CHAN_PIPE;
			ssize_t r = chan_send(e, &it, with ? &anc : NULL, 0);
			ASSERT(r <= (ssize_t)n);
			if (r >= 0 && with && (r > 0 || !is_stream))
				files_out += anc.nfiles;
			if (r > 0 && is_stream)
				wseq[dir] += r;
			if (r >= 0 && !is_stream && proto != CHAN_UNIX_DGRAM)
				ASSERT(r == (ssize_t)n);
			if (op == 1 && proto == CHAN_TCP) /* urgent, out of line: not in the sequence */
				(void)chan_send_urg(e, 0x55);
			break;
		}
		case 2:
		case 3: {	/* recv / peek */
			void *got[2];
			struct chan_anc_out ao = { got, 2 };
			int mf;
			struct iovec ov = { out, n };
			iov_iter_init(&it, &ov, 1);
			ssize_t r = chan_recv(e, &it, &ao, op == 3 ? MSG_PEEK : 0, &mf);
			ASSERT(r <= (ssize_t)n);
			ASSERT(ao.nfiles <= 2);
			int rdir = proto == CHAN_PIPE ? 0 : end;
			if (r > 0 && is_stream) {
				for (ssize_t k = 0; k < r; k++)
					ASSERT(out[k] == (unsigned char)(rseq[rdir] + k));
				if (op == 2)
					rseq[rdir] += r;
			}
			if (op == 2)
				files_out -= ao.nfiles;
			break;
		}
		case 4:
			ASSERT(chan_shutdown(e, data[i + 2] % 3) == 0);
			break;
		case 5:
			chan_close(e);
			closed[end] = true;
			break;
		case 6:
			(void)chan_poll(e);
			(void)chan_inq(e);
			(void)chan_outq(e);
			(void)chan_take_error(e);
			if (proto == CHAN_TCP) {
				(void)chan_at_mark(e);
				int u = chan_recv_urg(e, data[i + 2] & 1);
				ASSERT(u == -EINVAL || u == 0x55);
			}
			break;
		default:
			if (is_stream)
				(void)chan_set_capacity(&c.dir[dir], (size_t)data[i + 1] << (data[i + 2] % 12));
			break;
		}
	}
	for (int k = 0; k < 2; k++)
		if (!closed[k])
			chan_close(&c.end[k]);
	chan_fini(&c);
	ASSERT(files_out == 0);	/* every file received or put once */
	return 0;
}
