/* fuzz_sitemap.c - libFuzzer target: input bytes drive puts and forgets on the rewriter's site map, checked against a plain model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry/sitemap.h"

#define ASSERT(c) do { if (!(c)) abort(); } while (0)

/*
 * Keys are drawn from a few "images" (bases) of 4096 addresses each, so
 * ranges overlap, keys come back after being forgotten, and forgetting a
 * whole image (an exec) leaves its slots behind: far more keys pass through
 * than the table holds, which makes it rebuild. The model is one value per
 * key of those images; each op is checked on its keys, and every key of an
 * image after each forget.
 */
#define IMAGES 8
#define SPAN 4096
static uint8_t model[IMAGES][SPAN]; /* 0: no key, else the value's index */
static int vals[256];

static uint64_t base_of(int img, uint32_t gen)
{
	/* A new base each time the image is reloaded: the slots of the old
	 * addresses stay behind as forgotten keys. */
	return ((uint64_t)(img + 1) << 40) + (uint64_t)gen * (SPAN * 16);
}

static uint32_t gens[IMAGES];

static void check_image(int img)
{
	uint64_t b = base_of(img, gens[img]);
	for (int k = 0; k < SPAN; k++) {
		void *v = sitemap_get(b + k);
		ASSERT(model[img][k] ? v == &vals[model[img][k]] : v == NULL);
	}
}

static int live;

static void counted(uint64_t key, void *val)
{
	(void)key;
	ASSERT(val != NULL); /* forgotten keys are not reported again */
	live--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Start from an empty map (what the previous input left is forgotten). */
	sitemap_forget(0, UINT64_MAX, NULL);
	memset(model, 0, sizeof(model));
	live = 0;
	for (size_t i = 0; i + 3 < size; i += 4) {
		int img = data[i] % IMAGES, op = data[i] / IMAGES % 4;
		uint32_t k = ((uint32_t)data[i + 1] << 8 | data[i + 2]) % SPAN;
		uint8_t val = data[i + 3] ? data[i + 3] : 1;
		uint64_t b = base_of(img, gens[img]);
		switch (op) {
		case 0: /* put a run of keys */
		case 1:
			for (uint32_t n = 0; n <= data[i + 3] % 32 && k + n < SPAN; n++) {
				if (!model[img][k + n] && !sitemap_has_room())
					break;
				if (!model[img][k + n])
					live++;
				sitemap_put(b + k + n, &vals[val]);
				model[img][k + n] = val;
			}
			break;
		case 2: { /* forget a range */
			uint32_t end = k + data[i + 3] * 4u;
			if (end > SPAN)
				end = SPAN;
			sitemap_forget(b + k, b + end, counted);
			memset(&model[img][k], 0, end - k);
			check_image(img);
			break;
		}
		case 3: /* the image goes (an exec): forget it all, reload elsewhere */
			sitemap_forget(b, b + SPAN, counted);
			memset(model[img], 0, SPAN);
			check_image(img);
			gens[img]++;
			break;
		}
		for (int d = -1; d <= 1; d++) /* around the key the op touched */
			if ((int)k + d >= 0 && k + d < SPAN)
				ASSERT(sitemap_get(base_of(img, gens[img]) + k + d) ==
				       (model[img][k + d] ? &vals[model[img][k + d]] : NULL));
	}
	int n = 0;
	for (int img = 0; img < IMAGES; img++) {
		check_image(img);
		for (int k = 0; k < SPAN; k++)
			n += model[img][k] != 0;
	}
	ASSERT(n == live);
	ASSERT(sitemap_empty() == (live == 0));
	return 0;
}
