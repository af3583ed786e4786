/* regions.c - which program owns each piece of the address space. */
#include "mm/regions.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>

#include "core/forkhot.h"
#include "core/log.h"
#include "core/spinlock.h"

/* A sorted array of disjoint [start, end) ranges with their owner: the
 * number of mappings of a few programs is small, and changes are rare next
 * to the calls that only look. */
struct region {
	uint64_t start, end;
	struct vproc *owner;
};

FORK_HOT static spinlock_t lock = SPINLOCK_INIT;
static struct region *r;
static size_t n, cap;

/* first index whose end > addr */
static size_t find(uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void insert_at(size_t i, struct region x)
{
	if (n == cap) {
		cap = cap ? cap * 2 : 256;
		r = realloc(r, cap * sizeof(*r));
		if (!r)
			pg_die("out of memory");
	}
	memmove(&r[i + 1], &r[i], (n - i) * sizeof(*r));
	r[i] = x;
	n++;
}

static void erase_at(size_t i)
{
	memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(*r));
	n--;
}

/* cut - remove [s, e) from whatever owns it, splitting ranges (locked);
 * whether anything was recorded there. */
static bool cut(uint64_t s, uint64_t e)
{
	size_t i = find(s);
	bool any = false;
	while (i < n && r[i].start < e) {
		struct region x = r[i];
		any = true;
		if (x.start < s && x.end > e) { /* split in two */
			r[i].end = s;
			insert_at(i + 1, (struct region){ e, x.end, x.owner });
			break;
		}
		if (x.start < s) {
			r[i].end = s;
			i++;
		} else if (x.end > e) {
			r[i].start = e;
			break;
		} else {
			erase_at(i);
		}
	}
	return any;
}

void (*regions_unmapped_hook)(uint64_t start, uint64_t len);
void (*regions_code_mapped_hook)(uint64_t at, uint64_t len, int host_fd, uint64_t off);

void regions_add(struct vproc *p, uint64_t start, uint64_t len)
{
	uint64_t end = (start + len + 4095) & ~4095ull;
	if (end <= start)
		return; /* nothing (an empty record would stop take() from progressing) */
	spin_lock(&lock);
	bool replaced = cut(start, end);
	insert_at(find(start), (struct region){ start, end, p });
	spin_unlock(&lock);
	/* A MAP_FIXED over recorded memory may have replaced code; a fresh
	 * range had none (what was there went through let_go()). */
	if (replaced && regions_unmapped_hook)
		regions_unmapped_hook(start, end - start);
}

/* take - the first piece of [start, end) that is p's (others: that is not
 * p's), cut out of the table: true, the piece in [*s, *e). */
static bool take(struct vproc *p, bool others, uint64_t start, uint64_t end, uint64_t *s, uint64_t *e)
{
	bool found = false;
	spin_lock(&lock);
	for (size_t i = find(start); i < n && r[i].start < end && !found; i++) {
		if ((r[i].owner == p) == others)
			continue;
		*s = r[i].start > start ? r[i].start : start;
		*e = r[i].end < end ? r[i].end : end;
		cut(*s, *e);
		found = true; /* s < e: find() gave r[i].end > start, the loop r[i].start < end */
	}
	spin_unlock(&lock);
	return found;
}

static uint64_t end_of(uint64_t start, uint64_t len)
{
	return len ? (start + len + 4095) & ~4095ull : UINT64_MAX;
}

/*
 * let_go - p's pieces of [start, start + len) (others: every other
 * program's) leave the table, their sites forgotten, and with kernel_too
 * are unmapped, each one after it left the table: from the moment the
 * kernel may give the range to another program (an mmap on another vCPU),
 * nothing here names it as the old owner's. Cut after the munmap, the record could be the new owner's
 * already (threads spawning at once on 2 vCPUs: a new ld.so lost its
 * regions and its mprotect failed with ENOMEM).
 *
 * The search goes on from the end of the piece just unmapped, never from
 * the start again: once unmapped, a piece may be mapped anew by another
 * thread, of this program too, and recorded as p's; a search from the
 * start took that new mapping as well. (Four threads of one program
 * spawning at once: one thread's munmap of its spawn stack, held up
 * between two pieces, unmapped the stack another thread had just mapped
 * at the same address, under its running spawn child: SIGSEGV, "stack
 * smashing detected", or an exec that failed with errno 0.)
 */
static void let_go(struct vproc *p, bool others, uint64_t start, uint64_t len, bool kernel_too)
{
	uint64_t s, e, end = end_of(start, len);
	for (uint64_t from = start; take(p, others, from, end, &s, &e); from = e) {
		if (regions_unmapped_hook)
			regions_unmapped_hook(s, e - s);
		if (kernel_too)
			munmap((void *)s, e - s);
	}
}

void regions_remove(struct vproc *p, uint64_t start, uint64_t len)
{
	let_go(p, false, start, len, false);
}

void regions_unmap(struct vproc *p, uint64_t start, uint64_t len)
{
	if (len)
		let_go(p, false, start, len, true);
}

bool regions_owned(struct vproc *p, uint64_t start, uint64_t len)
{
	uint64_t end = (start + len + 4095) & ~4095ull, at = start;
	spin_lock(&lock);
	for (size_t i = find(start); i < n && at < end; i++) {
		if (r[i].start > at || r[i].owner != p)
			break;
		at = r[i].end;
	}
	spin_unlock(&lock);
	return at >= end;
}

uint64_t regions_size(struct vproc *p, uint64_t start, uint64_t len)
{
	uint64_t end = end_of(start, len), sum = 0;
	spin_lock(&lock);
	for (size_t i = find(start); i < n && r[i].start < end; i++) {
		if (r[i].owner != p)
			continue;
		uint64_t s = r[i].start > start ? r[i].start : start;
		uint64_t e = r[i].end < end ? r[i].end : end;
		sum += e - s;
	}
	spin_unlock(&lock);
	return sum;
}

struct vproc *regions_owner(uint64_t addr)
{
	spin_lock(&lock);
	size_t i = find(addr);
	struct vproc *o = i < n && r[i].start <= addr ? r[i].owner : NULL;
	spin_unlock(&lock);
	return o;
}

void regions_each(struct vproc *p, uint64_t start, uint64_t len,
		  void (*fn)(uint64_t s, uint64_t e, void *arg), void *arg)
{
	uint64_t end = end_of(start, len);
	/* Collected first: fn may call back into this module. */
	spin_lock(&lock);
	size_t m = 0;
	struct region *pick = malloc((n ? n : 1) * sizeof(*pick));
	for (size_t i = find(start); pick && i < n && r[i].start < end; i++)
		if (r[i].owner == p)
			pick[m++] = r[i];
	spin_unlock(&lock);
	for (size_t i = 0; i < m; i++)
		fn(pick[i].start > start ? pick[i].start : start, pick[i].end < end ? pick[i].end : end,
		   arg);
	free(pick);
}

void regions_release_others(struct vproc *keep)
{
	let_go(keep, true, 0, 0, true);
}

void regions_reown(struct vproc *from, struct vproc *to)
{
	spin_lock(&lock);
	for (size_t i = 0; i < n; i++)
		if (r[i].owner == from)
			r[i].owner = to;
	spin_unlock(&lock);
}

void regions_release(struct vproc *p)
{
	let_go(p, false, 0, 0, true);
}

static bool dontfork_used;

void regions_note_dontfork(void)
{
	__atomic_store_n(&dontfork_used, true, __ATOMIC_RELAXED);
}

/* unbacked - the first piece of a record in [from, ...) that no mapping
 * of the sorted list m (n_m ranges) covers: true, the piece in [*s, *e). */
static bool unbacked(const uint64_t (*m)[2], size_t n_m, uint64_t from, uint64_t *s, uint64_t *e)
{
	size_t j = 0;
	for (size_t i = find(from); i < n; i++) {
		uint64_t at = r[i].start > from ? r[i].start : from;
		while (at < r[i].end) {
			while (j < n_m && m[j][1] <= at)
				j++;
			if (j == n_m || m[j][0] > at) { /* a hole from at */
				*s = at;
				*e = j < n_m && m[j][0] < r[i].end ? m[j][0] : r[i].end;
				return true;
			}
			at = m[j][1];
		}
	}
	return false;
}

void regions_after_fork(void)
{
	if (!dontfork_used || !n)
		return;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	size_t n_m = 0, cap_m = 256;
	uint64_t (*m)[2] = malloc(cap_m * sizeof(*m));
	char line[512];
	while (m && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (n_m == cap_m) {
			uint64_t (*more)[2] = realloc(m, 2 * cap_m * sizeof(*m));
			if (!more)
				break;
			m = more;
			cap_m *= 2;
		}
		m[n_m][0] = lo;
		m[n_m++][1] = hi;
	}
	fclose(f);
	uint64_t s, e, from = 0;
	int dropped = 0;
	for (bool found = m != NULL; found; from = e) {
		spin_lock(&lock);
		found = unbacked(m, n_m, from, &s, &e);
		if (found)
			cut(s, e);
		spin_unlock(&lock);
		if (found && regions_unmapped_hook)
			regions_unmapped_hook(s, e - s);
		dropped += found;
	}
	free(m);
	if (dropped)
		pg_debug("fork: %d recorded ranges the kernel did not copy (MADV_DONTFORK) dropped", dropped);
}
