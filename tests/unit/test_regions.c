/* test_regions.c - unit tests of mm/regions: owners, unmapping only one's own, and unmaps racing with new mappings. */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "mm/regions.h"
#include "unit.h"

#define PAGE 4096ul

static int prog_a, prog_b;
#define A ((struct vproc *)&prog_a)
#define B ((struct vproc *)&prog_b)

static void forget_all(void)
{
	regions_unmapped_hook = NULL;
	regions_remove(A, 0, 0);
	regions_remove(B, 0, 0);
}

static char *map(size_t pages)
{
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	return m;
}

/* mapped - is the page at p mapped (mincore fails with ENOMEM if not)? */
static int mapped(const char *p)
{
	unsigned char v;
	return mincore((void *)p, PAGE, &v) == 0;
}

UNIT_TEST(owner_and_split)
{
	forget_all();
	char *m = map(3);
	regions_add(A, (uint64_t)m, 3 * PAGE);
	CHECK(regions_owner((uint64_t)m + PAGE) == A);
	CHECK(regions_owned(A, (uint64_t)m, 3 * PAGE));
	regions_add(B, (uint64_t)m + PAGE, PAGE); /* a MAP_FIXED by another over the middle */
	CHECK(regions_owner((uint64_t)m) == A);
	CHECK(regions_owner((uint64_t)m + PAGE) == B);
	CHECK(regions_owner((uint64_t)m + 2 * PAGE) == A);
	CHECK(!regions_owned(A, (uint64_t)m, 3 * PAGE));
	regions_unmap(A, (uint64_t)m, 3 * PAGE);
	CHECK(!mapped(m) && !mapped(m + 2 * PAGE));
	CHECK(mapped(m + PAGE)); /* B's page is not A's to unmap */
	CHECK(regions_owner((uint64_t)m + PAGE) == B);
	regions_unmap(B, (uint64_t)m + PAGE, PAGE);
	CHECK(!mapped(m + PAGE));
	CHECK(regions_owner((uint64_t)m + PAGE) == NULL);
}

/* The hook runs for each piece before the kernel unmaps it: by the second
 * piece, the first is unmapped already, and another thread of the same
 * program may have mapped it again and recorded it. */
static char *again_at;
static int hook_calls;

static void map_first_again(uint64_t start, uint64_t len)
{
	(void)len;
	if (hook_calls++ != 1)
		return;
	CHECK(!mapped(again_at));
	void *m = mmap(again_at, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == again_at);
	regions_add(A, (uint64_t)m, PAGE);
	CHECK(start > (uint64_t)again_at);
}

UNIT_TEST(unmap_spares_what_is_mapped_behind_it)
{
	forget_all();
	char *m = map(3);
	regions_add(A, (uint64_t)m, PAGE);
	regions_add(B, (uint64_t)m + PAGE, PAGE); /* two pieces of A's, apart */
	regions_add(A, (uint64_t)m + 2 * PAGE, PAGE);
	again_at = m;
	hook_calls = 0;
	regions_unmapped_hook = map_first_again;
	regions_unmap(A, (uint64_t)m, 3 * PAGE);
	regions_unmapped_hook = NULL;
	CHECK_EQ(hook_calls, 2);
	/* The new mapping is the other thread's: it stays, recorded. */
	CHECK(mapped(m));
	CHECK(regions_owner((uint64_t)m) == A);
	CHECK(!mapped(m + 2 * PAGE));
	CHECK(regions_owner((uint64_t)m + 2 * PAGE) == NULL);
	regions_unmap(A, (uint64_t)m, PAGE);
	regions_unmap(B, (uint64_t)m + PAGE, PAGE);
}

UNIT_TEST(remove_forgets_without_unmapping)
{
	forget_all();
	char *m = map(2);
	regions_add(A, (uint64_t)m, 2 * PAGE);
	regions_remove(A, (uint64_t)m, PAGE);
	CHECK(regions_owner((uint64_t)m) == NULL);
	CHECK(regions_owner((uint64_t)m + PAGE) == A);
	CHECK(mapped(m));
	munmap(m, PAGE);
	regions_release(A);
	CHECK(!mapped(m + PAGE));
	CHECK(regions_owner((uint64_t)m + PAGE) == NULL);
}
