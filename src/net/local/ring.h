/* ring.h - a single-producer single-consumer byte ring over iovecs. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "net/local/iov_iter.h"

/* How bytes cross between the ring and an iovec: 0 or -EFAULT. The runtime
 * passes pg_uaccess_copy (app buffers may be bad pointers); tests pass
 * NULL for memcpy, or a copy that fails on purpose. */
typedef long (*ring_copy_fn)(void *dst, const void *src, size_t n);

/* head and tail count bytes since the start and never wrap back (size_t
 * does not overflow in practice: 2^64 bytes); the offset in buf is
 * index & mask. used = tail - head, 0 <= used <= cap.
 * The producer owns tail, the consumer owns head; each reads the other's
 * with acquire and keeps a stale copy on its own cache line so that the
 * common case touches no line the other side writes. */
struct ring {
	_Alignas(64) size_t tail;	/* producer writes; consumer reads */
	size_t head_seen;		/* producer's last view of head */
	_Alignas(64) size_t head;	/* consumer writes; producer reads */
	size_t tail_seen;		/* consumer's last view of tail */
	_Alignas(64) unsigned char *buf;
	size_t mask;			/* cap - 1 */
	ring_copy_fn copy;
};

#define RING_MIN_CAP 64u
#define RING_MAX_CAP (1u << 30)

int ring_init(struct ring *r, size_t cap, ring_copy_fn copy);	/* 0, -EINVAL, -ENOMEM */
void ring_fini(struct ring *r);
static inline size_t ring_cap(const struct ring *r) { return r->mask + 1; }
size_t ring_round_cap(size_t cap);	/* the capacity ring_init would pick */

/* Consumer side. */
size_t ring_used(struct ring *r);			/* bytes readable now */
ssize_t ring_read(struct ring *r, struct iov_iter *to, size_t max);	/* consume */
ssize_t ring_peek(struct ring *r, size_t skip, struct iov_iter *to, size_t max);
size_t ring_discard(struct ring *r, size_t max);	/* consume without copying */

/* Producer side. */
size_t ring_space(struct ring *r);			/* bytes writable now */
ssize_t ring_write(struct ring *r, struct iov_iter *from, size_t max);
/* ring_write in two steps, to attach something to the bytes before the
 * consumer can see them: copy (unpublished), then publish n bytes. */
ssize_t ring_produce(struct ring *r, struct iov_iter *from, size_t max);
void ring_commit(struct ring *r, size_t n);

/* Either side, any thread: a snapshot (exact only when both sides rest). */
size_t ring_used_any(const struct ring *r);

/* Both sides excluded by the caller: new capacity, contents kept in order.
 * -EBUSY when they would not fit (as F_SETPIPE_SZ). */
int ring_resize(struct ring *r, size_t cap);
