/* ring.c - the SPSC byte ring: index arithmetic, copies and their barriers. */
#include "net/local/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static long copy_memcpy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

size_t ring_round_cap(size_t cap)
{
	if (cap < RING_MIN_CAP)
		cap = RING_MIN_CAP;
	if (cap > RING_MAX_CAP)
		cap = RING_MAX_CAP;
	size_t p = RING_MIN_CAP;
	while (p < cap)
		p <<= 1;
	return p;
}

int ring_init(struct ring *r, size_t cap, ring_copy_fn copy)
{
	memset(r, 0, sizeof(*r));
	cap = ring_round_cap(cap);
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->mask = cap - 1;
	r->copy = copy ? copy : copy_memcpy;
	return 0;
}

void ring_fini(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
}

size_t ring_used(struct ring *r)
{
	/* ACQUIRE pairs with the producer's RELEASE store of tail: once we
	 * see the new tail, the bytes it covers are visible too. */
	r->tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	return r->tail_seen - r->head;
}

size_t ring_space(struct ring *r)
{
	/* ACQUIRE pairs with the consumer's RELEASE store of head: the
	 * consumer's copies out of the bytes it freed are complete before we
	 * overwrite them. */
	r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	return r->mask + 1 - (r->tail - r->head_seen);
}

/* Space for want bytes, from the cached head when it is enough: the common
 * case of a ring with room touches no line the consumer writes. */
static size_t space_for(struct ring *r, size_t want)
{
	size_t space = r->mask + 1 - (r->tail - r->head_seen);
	return space >= want ? space : ring_space(r);
}

size_t ring_used_any(const struct ring *r)
{
	/* Load head first: tail only grows, so tail - head read in this order
	 * never underflows, and never exceeds cap by more than a concurrent
	 * write; clamp for the reader of a snapshot. */
	size_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	size_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	size_t used = tail - head;
	return used > r->mask + 1 ? r->mask + 1 : used;
}

/* Copy n bytes between ring offset pos (wrapping) and the cursor.
 * 0, or -EFAULT with *done = bytes copied before the faulting piece. */
static long copy_out(struct ring *r, size_t pos, struct iov_iter *to, size_t n, size_t *done)
{
	*done = 0;
	while (n) {
		void *dst;
		size_t seg = iov_iter_seg(to, &dst);
		size_t off = pos & r->mask;
		size_t chunk = r->mask + 1 - off;	/* up to the end of buf */
		if (chunk > seg)
			chunk = seg;
		if (chunk > n)
			chunk = n;
		if (r->copy(dst, r->buf + off, chunk))
			return -EFAULT;
		iov_iter_advance(to, chunk);
		pos += chunk;
		n -= chunk;
		*done += chunk;
	}
	return 0;
}

static long copy_in(struct ring *r, size_t pos, struct iov_iter *from, size_t n, size_t *done)
{
	*done = 0;
	while (n) {
		void *src;
		size_t seg = iov_iter_seg(from, &src);
		size_t off = pos & r->mask;
		size_t chunk = r->mask + 1 - off;
		if (chunk > seg)
			chunk = seg;
		if (chunk > n)
			chunk = n;
		if (r->copy(r->buf + off, src, chunk))
			return -EFAULT;
		iov_iter_advance(from, chunk);
		pos += chunk;
		n -= chunk;
		*done += chunk;
	}
	return 0;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

ssize_t ring_peek(struct ring *r, size_t skip, struct iov_iter *to, size_t max)
{
	size_t used = ring_used(r);
	if (skip >= used)
		return 0;
	size_t n = min3(used - skip, to->left, max), done;
	if (copy_out(r, r->head + skip, to, n, &done) && !done)
		return -EFAULT;
	return done;
}

ssize_t ring_read(struct ring *r, struct iov_iter *to, size_t max)
{
	size_t used = r->tail_seen - r->head;
	if (used < to->left && used < max)
		used = ring_used(r);
	size_t n = min3(used, to->left, max), done;
	long err = copy_out(r, r->head, to, n, &done);
	/* RELEASE: our reads of these bytes are done before the producer can
	 * see the space (its ACQUIRE load of head) and overwrite it. */
	__atomic_store_n(&r->head, r->head + done, __ATOMIC_RELEASE);
	return err && !done ? -EFAULT : (ssize_t)done;
}

size_t ring_discard(struct ring *r, size_t max)
{
	size_t used = ring_used(r);
	size_t n = used < max ? used : max;
	/* RELEASE for the same reason as ring_read (no bytes were read, but
	 * the store must not become visible before the ACQUIRE that found
	 * them, which RELEASE also orders). */
	__atomic_store_n(&r->head, r->head + n, __ATOMIC_RELEASE);
	return n;
}

ssize_t ring_produce(struct ring *r, struct iov_iter *from, size_t max)
{
	size_t want = from->left < max ? from->left : max;
	size_t n = min3(space_for(r, want), from->left, max), done;
	long err = copy_in(r, r->tail, from, n, &done);
	return err && !done ? -EFAULT : (ssize_t)done;
}

void ring_commit(struct ring *r, size_t n)
{
	/* RELEASE: the bytes are in buf before the consumer sees the tail
	 * that covers them (its ACQUIRE load of tail). */
	__atomic_store_n(&r->tail, r->tail + n, __ATOMIC_RELEASE);
}

ssize_t ring_write(struct ring *r, struct iov_iter *from, size_t max)
{
	ssize_t n = ring_produce(r, from, max);
	if (n > 0)
		ring_commit(r, n);
	return n;
}

int ring_resize(struct ring *r, size_t cap)
{
	size_t used = r->tail - r->head;	/* both sides are excluded */
	cap = ring_round_cap(cap);
	if (used > cap)
		return -EBUSY;
	if (cap == r->mask + 1)
		return 0;
	unsigned char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	/* head and tail keep their values (callers may hold stream offsets,
	 * e.g. ancillary records): each byte moves to its index & new mask.
	 * Plain copies: the caller holds off both sides, and the lock it used
	 * orders these stores before either side's next access. */
	size_t pos = r->head, left = used;
	while (left) {
		size_t from = pos & r->mask, to = pos & (cap - 1);
		size_t n = r->mask + 1 - from;
		if (n > cap - to)
			n = cap - to;
		if (n > left)
			n = left;
		memcpy(buf + to, r->buf + from, n);
		pos += n;
		left -= n;
	}
	free(r->buf);
	r->buf = buf;
	r->mask = cap - 1;
	r->head_seen = r->head;
	r->tail_seen = r->tail;
	return 0;
}
