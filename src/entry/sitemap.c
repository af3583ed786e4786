/* sitemap.c - the map from code addresses to rewritten call sites: lock-free readers (signal handlers), one writer at a time. */
#include "entry/sitemap.h"

#include <stdlib.h>
#include <string.h>

/*
 * Open addressing, read without a lock: a key, once in a table, stays there
 * (its probe chain must stay whole for a reader walking it), and a key
 * forgotten keeps its slot with a NULL value; the same address put again
 * takes that slot back. keys[] lists the live keys in order, so that a
 * range of code going away finds its keys quickly.
 *
 * Forgotten slots pile up as programs exec (each image lands at new
 * addresses): once they are a quarter of the table, the live keys are put
 * into the other table and readers switch to it. A reader holds a table
 * only for one lookup; the table left is cleared at the next rebuild, at
 * least SITEMAP_SIZE / 4 forgotten keys later.
 */
#define SITEMAP_SIZE (1u << 16)

struct slot {
	uint64_t key;
	void *val;
};
static struct slot tables[2][SITEMAP_SIZE];
static struct slot *table = tables[0];
static unsigned used;    /* slots of `table` holding a key, live or forgotten */
static uint64_t *keys;   /* the live keys, sorted */
static size_t nkeys, capkeys;

static unsigned hash(uint64_t k)
{
	return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> 48) & (SITEMAP_SIZE - 1);
}

static struct slot *probe(struct slot *t, uint64_t key)
{
	for (unsigned i = hash(key);; i = (i + 1) & (SITEMAP_SIZE - 1))
		if (!t[i].key || t[i].key == key)
			return &t[i];
}

void *sitemap_get(uint64_t key)
{
	struct slot *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	for (unsigned i = hash(key);; i = (i + 1) & (SITEMAP_SIZE - 1)) {
		uint64_t k = __atomic_load_n(&t[i].key, __ATOMIC_ACQUIRE);
		if (!k)
			return NULL;
		if (k == key)
			return __atomic_load_n(&t[i].val, __ATOMIC_ACQUIRE);
	}
}

bool sitemap_empty(void)
{
	return !__atomic_load_n(&nkeys, __ATOMIC_RELAXED);
}

/* 3/4 of the table at most: probes stay short. */
bool sitemap_has_room(void)
{
	return used < SITEMAP_SIZE / 4 * 3 && (nkeys < capkeys || capkeys < SITEMAP_SIZE);
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
static void insert(struct slot *t, uint64_t key, void *val)
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
	insert(table, key, val);
}

/* rebuild - the live keys into the other table, which readers then use. */
static void rebuild(void)
{
	struct slot *old = table, *t = table == tables[0] ? tables[1] : tables[0];
	memset(t, 0, sizeof(tables[0]));
	used = 0;
	for (size_t i = 0; i < nkeys; i++)
		insert(t, keys[i], probe(old, keys[i])->val);
	__atomic_store_n(&table, t, __ATOMIC_RELEASE);
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
	if (used - nkeys > SITEMAP_SIZE / 4)
		rebuild();
}
