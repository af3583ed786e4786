/* iov_iter.h - a cursor over an iovec array: how far a copy has got. */
#pragma once
#include <stddef.h>
#include <sys/uio.h>

/* The cursor never writes to the array: the app's iovec stays as it was. */
struct iov_iter {
	const struct iovec *iov;	/* current segment */
	int nr;				/* segments left, the current one included */
	size_t off;			/* bytes already used of the current segment */
	size_t left;			/* bytes left in all segments */
};

static inline void iov_iter_init(struct iov_iter *it, const struct iovec *iov, int nr)
{
	it->iov = iov;
	it->nr = nr;
	it->off = 0;
	it->left = 0;
	for (int i = 0; i < nr; i++)
		it->left += iov[i].iov_len;
	/* Skip leading empty segments so that iov_iter_seg() is never empty
	 * while bytes are left. */
	while (it->nr && it->iov->iov_len == 0) {
		it->iov++;
		it->nr--;
	}
}

/* The contiguous piece the cursor points at (0 bytes when done). */
static inline size_t iov_iter_seg(const struct iov_iter *it, void **base)
{
	if (!it->nr) {
		*base = NULL;
		return 0;
	}
	*base = (char *)it->iov->iov_base + it->off;
	return it->iov->iov_len - it->off;
}

static inline void iov_iter_advance(struct iov_iter *it, size_t n)
{
	it->left -= n;
	while (n) {
		size_t seg = it->iov->iov_len - it->off;
		if (n < seg) {
			it->off += n;
			return;
		}
		n -= seg;
		it->iov++;
		it->nr--;
		it->off = 0;
	}
	while (it->nr && it->iov->iov_len == 0) {
		it->iov++;
		it->nr--;
	}
}
