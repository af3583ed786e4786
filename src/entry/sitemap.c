/* sitemap.c - the map from code addresses to rewritten call sites: lock-free readers (signal handlers), one writer at a time. */
#include "entry/sitemap.h"

#include <stdlib.h>
#include <string.h>

#include "core/bigdata.h"

/*
 * Open addressing, read without a lock: a key, once in a table, stays there
 * (its probe chain must stay whole for a reader walking it), and a key
 * forgotten keeps its slot with a NULL value; the same address put again
 * takes that slot back. keys[] lists the live keys in order, so that a
 * range of code going away finds its keys quickly.
 *
 * A table is the first `mask + 1` slots of one of two static arrays: it
 * starts at SITEMAP_MIN slots and doubles when 3/4 full. Only the pages of
 * a table's slots in use are ever touched, which matters at every fork: a
 * hash spreads a few hundred sites over as many pages, and each present
 * page is copied into the child and torn down at its exit.
 *
 * A rebuild (growth, or forgotten slots a quarter of the table as programs
 * exec and their images land at new addresses) puts the live keys into the
 * other array and readers switch to it; a table never shrinks. A reader
 * holds a table only for one lookup; the array left is cleared at the next
 * rebuild, later.
 */
#define SITEMAP_MIN (1u << 10)
#define SITEMAP_MAX (1u << 16)

struct slot {
	uint64_t key;
	void *val;
};
struct table {
	struct slot *slots;
	unsigned mask;     /* slots - 1, a power of two minus one */
};
static struct slot arrays[2][SITEMAP_MAX] PG_BIG;
static struct table tables[2] = { { arrays[0], SITEMAP_MIN - 1 }, { arrays[1], SITEMAP_MIN - 1 } };
static struct table *table = &tables[0];
static unsigned used;    /* slots of `table` holding a key, live or forgotten */
static uint64_t *keys;   /* the live keys, sorted */
static size_t nkeys, capkeys;

static unsigned hash(uint64_t k, unsigned mask)
{
	return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> 48) & mask;
}

static struct slot *probe(const struct table *t, uint64_t key)
{
	for (unsigned i = hash(key, t->mask);; i = (i + 1) & t->mask)
		if (!t->slots[i].key || t->slots[i].key == key)
			return &t->slots[i];
}

void *sitemap_get(uint64_t key)
{
	const struct table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	for (unsigned i = hash(key, t->mask);; i = (i + 1) & t->mask) {
		uint64_t k = __atomic_load_n(&t->slots[i].key, __ATOMIC_ACQUIRE);
		if (!k)
			return NULL;
		if (k == key)
			return __atomic_load_n(&t->slots[i].val, __ATOMIC_ACQUIRE);
	}
}

bool sitemap_empty(void)
{
	return !__atomic_load_n(&nkeys, __ATOMIC_RELAXED);
}

/* 3/4 of the largest table at most: probes stay short. */
bool sitemap_has_room(void)
{
	return used < SITEMAP_MAX / 4 * 3 && (nkeys < capkeys || capkeys < SITEMAP_MAX);
}

static size_t key_index(uint64_t key)
{
	size_t lo = 0, hi = nkeys;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* insert - into t, which no reader sees yet or which readers may walk:
 * the value is there before the key (release). */
static void insert(const struct table *t, uint64_t key, void *val)
{
	struct slot *s = probe(t, key);
	if (s->key == key) {
		__atomic_store_n(&s->val, val, __ATOMIC_RELEASE);
		return;
	}
	s->val = val;
	used++;
	__atomic_store_n(&s->key, key, __ATOMIC_RELEASE);
}

/* rebuild - the live keys into a table of `slots` in the other array,
 * which readers then use. */
static void rebuild(unsigned slots)
{
	const struct table *old = table;
	struct table *t = old == &tables[0] ? &tables[1] : &tables[0];
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots)); /* all it used */
	t->mask = slots - 1;
	used = 0;
	for (size_t i = 0; i < nkeys; i++)
		insert(t, keys[i], probe(old, keys[i])->val);
	__atomic_store_n(&table, t, __ATOMIC_RELEASE);
}

/* grown - the table has room for one more key: 3/4 full at most. */
static void grown(void)
{
	unsigned slots = table->mask + 1;
	if (used + 1 > slots / 4 * 3 && slots < SITEMAP_MAX)
		rebuild(slots * 2);
}

void sitemap_put(uint64_t key, void *val)
{
	if (nkeys == capkeys) {
		size_t cap = capkeys ? capkeys * 2 : 256;
		uint64_t *k = realloc(keys, cap * sizeof(*k));
		if (!k)
			return;
		keys = k;
		capkeys = cap;
	}
	size_t at = key_index(key);
	if (at == nkeys || keys[at] != key) {
		memmove(keys + at + 1, keys + at, (nkeys - at) * sizeof(*keys));
		keys[at] = key;
		nkeys++;
	}
	grown();
	insert(table, key, val);
}

void sitemap_forget(uint64_t start, uint64_t end, void (*each)(uint64_t key, void *val))
{
	size_t from = key_index(start), to = from;
	for (; to < nkeys && keys[to] < end; to++) {
		struct slot *s = probe(table, keys[to]);
		void *val = s->val;
		__atomic_store_n(&s->val, NULL, __ATOMIC_RELEASE);
		if (each && val)
			each(keys[to], val);
	}
	if (to == from)
		return; /* nothing in range (and keys may not exist yet) */
	memmove(keys + from, keys + to, (nkeys - to) * sizeof(*keys));
	nkeys -= to - from;
	unsigned slots = table->mask + 1;
	if (used - nkeys > slots / 4)
		rebuild(slots);
}
