/* test_ring.c - the SPSC ring alone: wrap-around, iovecs, peek, resize, faults, 2-thread stress. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "net/local/ring.h"
#include "test.h"

static ssize_t w1(struct ring *r, const void *buf, size_t n)
{
	struct iovec v = { (void *)buf, n };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	return ring_write(r, &it, n);
}

static ssize_t r1(struct ring *r, void *buf, size_t n)
{
	struct iovec v = { buf, n };
	struct iov_iter it;
	iov_iter_init(&it, &v, 1);
	return ring_read(r, &it, n);
}

static void test_ring_basic(void)
{
	struct ring r;
	CHECK_EQ(ring_init(&r, 100, NULL), 0);
	CHECK_EQ(ring_cap(&r), 128);
	CHECK_EQ(ring_used(&r), 0);
	CHECK_EQ(ring_space(&r), 128);
	char buf[200], out[200];
	for (int i = 0; i < 200; i++)
		buf[i] = (char)i;
	CHECK_EQ(w1(&r, buf, 200), 128);	/* partial: full */
	CHECK_EQ(w1(&r, buf, 1), 0);
	CHECK_EQ(r1(&r, out, 100), 100);
	CHECK(!memcmp(out, buf, 100));
	CHECK_EQ(w1(&r, buf + 128, 72), 72);	/* wraps */
	CHECK_EQ(ring_used(&r), 100);
	CHECK_EQ(r1(&r, out, 200), 100);
	CHECK(!memcmp(out, buf + 100, 100));
	ring_fini(&r);
}

static void test_ring_iovec_peek(void)
{
	struct ring r;
	CHECK_EQ(ring_init(&r, 64, NULL), 0);
	char a[10] = "0123456789", b[0], c[30];
	memset(c, 'x', sizeof(c));
	struct iovec v[3] = { { a, 10 }, { b, 0 }, { c, 30 } };
	struct iov_iter it;
	iov_iter_init(&it, v, 3);
	CHECK_EQ(ring_write(&r, &it, SIZE_MAX), 40);
	CHECK_EQ(it.left, 0);
	/* skip the first 40 then wrap: write 40 more after reading 40 */
	char o1[5], o2[7];
	struct iovec ov[2] = { { o1, 5 }, { o2, 7 } };
	iov_iter_init(&it, ov, 2);
	CHECK_EQ(ring_peek(&r, 3, &it, SIZE_MAX), 12);
	CHECK(!memcmp(o1, "34567", 5));
	CHECK(!memcmp(o2, "89xxxxx", 7));
	CHECK_EQ(ring_used(&r), 40);	/* peek consumed nothing */
	CHECK_EQ(ring_discard(&r, 40), 40);
	iov_iter_init(&it, v, 3);
	CHECK_EQ(ring_write(&r, &it, SIZE_MAX), 40);	/* wraps at 64 */
	char big[64];
	CHECK_EQ(r1(&r, big, 64), 40);
	CHECK(!memcmp(big, "0123456789", 10));
	ring_fini(&r);
}

static void test_ring_resize(void)
{
	struct ring r;
	CHECK_EQ(ring_init(&r, 64, NULL), 0);
	char buf[128], out[128];
	for (int i = 0; i < 128; i++)
		buf[i] = (char)(i * 7);
	CHECK_EQ(w1(&r, buf, 50), 50);
	CHECK_EQ(r1(&r, out, 30), 30);
	CHECK_EQ(w1(&r, buf + 50, 14), 14);	/* wrapped: 34 bytes queued */
	CHECK_EQ(ring_resize(&r, 128), 0);
	CHECK_EQ(w1(&r, buf + 64, 60), 60);	/* 94 queued */
	CHECK_EQ(ring_resize(&r, 64), -EBUSY);
	CHECK_EQ(r1(&r, out, 60), 60);
	CHECK(!memcmp(out, buf + 30, 60));	/* 34 left */
	CHECK_EQ(ring_resize(&r, 4096), 0);
	CHECK_EQ(ring_cap(&r), 4096);
	CHECK_EQ(ring_used(&r), 34);
	CHECK_EQ(r1(&r, out, 64), 34);
	CHECK(!memcmp(out, buf + 90, 34));
	CHECK_EQ(ring_resize(&r, 64), 0);	/* empty: shrink */
	CHECK_EQ(ring_space(&r), 64);
	ring_fini(&r);
}

static int fault_after;
static long faulty_copy(void *dst, const void *src, size_t n)
{
	if (fault_after-- <= 0)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

static void test_ring_fault(void)
{
	struct ring r;
	CHECK_EQ(ring_init(&r, 64, faulty_copy), 0);
	char a[8] = "abcdefgh", b[8] = "ABCDEFGH";
	struct iovec v[2] = { { a, 8 }, { b, 8 } };
	struct iov_iter it;
	iov_iter_init(&it, v, 2);
	fault_after = 1;	/* first segment copies, the second faults */
	CHECK_EQ(ring_write(&r, &it, SIZE_MAX), 8);
	fault_after = 0;
	iov_iter_init(&it, v, 2);
	CHECK_EQ(ring_write(&r, &it, SIZE_MAX), -EFAULT);
	CHECK_EQ(ring_used(&r), 8);
	ring_fini(&r);
}

/* --- 2-thread stress: ~100 MB through a 64 KiB ring, verified --- */

/* The stream is pattern[pos % PAT_LEN]: the consumer checks every byte
 * against where it must be (memcmp, so the check is not the bottleneck),
 * and both sides keep a position-weighted checksum that must agree. */
#define STRESS_BYTES (100ull << 20)
#define PAT_LEN 1000003u	/* prime: chunks never line up with the ring */

static struct ring stress_ring;
static unsigned char *pattern;	/* 2 * PAT_LEN: any slice is contiguous */
static uint64_t prod_sum, cons_sum;
static int stress_bad;
static size_t stress_max_chunk;

static uint64_t sum_slice(uint64_t h, size_t pos, size_t n)
{
	/* sum of byte * (its stream position + 1): independent of chunking */
	for (size_t i = (pos + 4095) & ~(size_t)4095; i < pos + n; i += 4096)
		h += (uint64_t)pattern[i % PAT_LEN] * (i + 1);
	return h;
}

/* The machine is shared (2 cores, other jobs): spin a little, then yield
 * rather than burn the other thread's core. */
static void backoff(void)
{
	static __thread unsigned spins;
	if (++spins % 64)
		__builtin_ia32_pause();
	else
		sched_yield();
}

static void *producer(void *arg)
{
	uint64_t x = 88172645463325252ull, h = 0, sent = 0;
	while (sent < STRESS_BYTES) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = 1 + x % stress_max_chunk;
		if (n > STRESS_BYTES - sent)
			n = STRESS_BYTES - sent;
		const unsigned char *src = pattern + sent % PAT_LEN;
		h = sum_slice(h, sent, n);
		size_t off = 0;
		while (off < n) {
			/* two iovecs, to exercise the split path */
			size_t half = (n - off) / 2;
			struct iovec v[2] = { { (void *)(src + off), half }, { (void *)(src + off + half), n - off - half } };
			struct iov_iter it;
			iov_iter_init(&it, v, 2);
			ssize_t w = ring_write(&stress_ring, &it, SIZE_MAX);
			if (w > 0)
				off += w;
			else
				backoff();
		}
		sent += n;
	}
	prod_sum = h;
	return NULL;
}

static void *consumer(void *arg)
{
	static unsigned char buf[1 << 17];
	uint64_t h = 0, got = 0, x = 12345;
	while (got < STRESS_BYTES) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t want = 1 + x % (stress_max_chunk < sizeof(buf) ? stress_max_chunk : sizeof(buf));
		ssize_t n = r1(&stress_ring, buf, want);
		if (n > 0) {
			if (memcmp(buf, pattern + got % PAT_LEN, n))
				stress_bad = 1;
			h = sum_slice(h, got, n);
			got += n;
		} else {
			backoff();
		}
	}
	cons_sum = h;
	return NULL;
}

double ring_stress_mbps;

static double run_stress(size_t ring_cap_bytes, size_t max_chunk)
{
	stress_max_chunk = max_chunk;
	stress_bad = 0;
	if (ring_init(&stress_ring, ring_cap_bytes, NULL))
		return -1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_t p, c;
	pthread_create(&p, NULL, producer, NULL);
	pthread_create(&c, NULL, consumer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	size_t left = ring_used(&stress_ring);
	ring_fini(&stress_ring);
	return left ? -1 : STRESS_BYTES / 1048576.0 / s;
}

static void test_ring_stress_2threads(void)
{
	pattern = malloc(2 * PAT_LEN);
	CHECK(pattern);
	uint64_t x = 7;
	for (size_t i = 0; i < PAT_LEN; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		pattern[i] = pattern[i + PAT_LEN] = (unsigned char)x;
	}
	/* random chunks up to 64 KiB through a 64 KiB ring, then the bulk
	 * case of the benchmark: 64 KiB-ish chunks through a 256 KiB ring */
	double a = run_stress(65536, 65536);
	printf("  ring stress: 100 MB, random 1..64K chunks, 64K ring: %.0f MB/s, checksums %016llx/%016llx%s\n",
	       a, (unsigned long long)prod_sum, (unsigned long long)cons_sum, stress_bad ? " DATA MISMATCH" : "");
	CHECK(a > 0 && !stress_bad && prod_sum == cons_sum);
	double b = run_stress(262144, 131072);
	printf("  ring stress: 100 MB, random 1..128K chunks, 256K ring: %.0f MB/s%s\n", b, stress_bad ? " DATA MISMATCH" : "");
	CHECK(b > 0 && !stress_bad && prod_sum == cons_sum);
	ring_stress_mbps = b;
	free(pattern);
}

const struct test_case ring_tests[] = {
	{ "ring_basic", test_ring_basic },
	{ "ring_iovec_peek", test_ring_iovec_peek },
	{ "ring_resize", test_ring_resize },
	{ "ring_fault", test_ring_fault },
	{ "ring_stress_2threads", test_ring_stress_2threads },
	{ NULL, NULL },
};
