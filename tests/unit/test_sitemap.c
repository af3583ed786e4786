/* test_sitemap.c - unit tests of entry/sitemap: put, get, forget by range, and the rebuild that drops forgotten keys. */
#include <stdint.h>

#include "entry/sitemap.h"
#include "unit.h"

static int vals[4];
static uint64_t forgot_keys[64];
static int nforgot;

static void note(uint64_t key, void *val)
{
	(void)val;
	if (nforgot < 64)
		forgot_keys[nforgot] = key;
	nforgot++;
}

static void clear_all(void)
{
	sitemap_forget(0, UINT64_MAX, NULL);
}

UNIT_TEST(put_get_replace)
{
	clear_all();
	CHECK(sitemap_empty());
	CHECK(sitemap_get(0x1000) == NULL);
	sitemap_put(0x1000, &vals[0]);
	sitemap_put(0x2000, &vals[1]);
	CHECK(!sitemap_empty());
	CHECK(sitemap_get(0x1000) == &vals[0]);
	CHECK(sitemap_get(0x2000) == &vals[1]);
	CHECK(sitemap_get(0x1001) == NULL);
	sitemap_put(0x1000, &vals[2]); /* same key: a new value */
	CHECK(sitemap_get(0x1000) == &vals[2]);
}

UNIT_TEST(forget_range_only)
{
	clear_all();
	for (uint64_t k = 0x100; k < 0x110; k++)
		sitemap_put(k, &vals[k & 3]);
	nforgot = 0;
	sitemap_forget(0x104, 0x108, note); /* [start, end) */
	CHECK_EQ(nforgot, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(forgot_keys[i], 0x104 + i); /* in order */
	CHECK(sitemap_get(0x103) == &vals[3]);
	CHECK(sitemap_get(0x104) == NULL);
	CHECK(sitemap_get(0x107) == NULL);
	CHECK(sitemap_get(0x108) == &vals[0]);
	/* Put again where it was forgotten. */
	sitemap_put(0x105, &vals[1]);
	CHECK(sitemap_get(0x105) == &vals[1]);
	nforgot = 0;
	sitemap_forget(0x104, 0x108, note);
	CHECK_EQ(nforgot, 1);
}

/* Far more keys come and go than the table holds: forgotten keys must not
 * fill it (the rebuild), and the live ones survive every rebuild. */
UNIT_TEST(churn_keeps_room_and_live_keys)
{
	clear_all();
	for (uint64_t k = 1; k <= 100; k++)
		sitemap_put(k * 16, &vals[0]); /* long-lived */
	uint64_t base = 1ull << 32;
	for (int round = 0; round < 200; round++) {
		uint64_t lo = base + (uint64_t)round * 0x100000;
		for (uint64_t k = 0; k < 1000; k++) {
			CHECK(sitemap_has_room());
			sitemap_put(lo + k * 8, &vals[1]);
		}
		CHECK(sitemap_get(lo + 8 * 999) == &vals[1]);
		sitemap_forget(lo, lo + 0x100000, NULL);
		CHECK(sitemap_get(lo) == NULL);
	}
	for (uint64_t k = 1; k <= 100; k++)
		CHECK(sitemap_get(k * 16) == &vals[0]);
	CHECK(sitemap_get(base) == NULL);
}

/* The table starts small and doubles: every key put before a growth is
 * still found after it, up to the largest table. */
UNIT_TEST(growth_keeps_every_key)
{
	clear_all();
	uint64_t n = 0;
	for (; sitemap_has_room(); n++) {
		sitemap_put(0x400000 + n * 5, &vals[n & 3]);
		if ((n & (n + 1)) == 0) /* after each power of two, all of them */
			for (uint64_t k = 0; k <= n; k++)
				CHECK(sitemap_get(0x400000 + k * 5) == &vals[k & 3]);
	}
	CHECK(n >= 40000); /* the largest table holds tens of thousands */
	for (uint64_t k = 0; k < n; k++)
		CHECK(sitemap_get(0x400000 + k * 5) == &vals[k & 3]);
	CHECK(sitemap_get(0x400000 + n * 5) == NULL);
	clear_all();
}
