/* sitemap.h - the map from code addresses to rewritten call sites: lock-free readers (signal handlers), one writer at a time. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* sitemap_get - the value at key, or NULL; from any thread, any time. */
void *sitemap_get(uint64_t key);

/* The writers' calls: the caller serialises them (rewrite.c's lock). */

/* sitemap_has_room - may another key be put? */
bool sitemap_has_room(void);
/* sitemap_put - key's value becomes val (a new key if it had none). */
void sitemap_put(uint64_t key, void *val);
/* sitemap_forget - the keys in [start, end) go; each(key, val) is called
 * for each first. */
void sitemap_forget(uint64_t start, uint64_t end, void (*each)(uint64_t key, void *val));
/* sitemap_empty - no key at all (a cheap test before a forget). */
bool sitemap_empty(void);
