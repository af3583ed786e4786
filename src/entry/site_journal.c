/* site_journal.c - call sites one host process of an instance learned, told to the others. */
#include "entry/site_journal.h"

#include <stddef.h>
#include <sys/mman.h>

/*
 * A ring in shared anonymous memory, mapped before the first fork so that
 * every process of the instance has it. A writer takes an index (a
 * fetch-add on head), writes its slot and then stamps it with index + 1;
 * a reader takes a slot whose stamp is the index it expects, unchanged
 * while it copied it, and whose check matches its contents. Anything else
 * is skipped, never waited for: a slot being written (or whose writer was
 * killed halfway), one a writer a whole ring ahead reused, one a writer
 * stopped for a whole ring wrote late over a newer note (torn: its check
 * fails). Losing a note only costs a trap, later.
 */
#define NOTES 4096

struct slot {
	uint64_t stamp; /* index + 1 once written; 0 while being written */
	uint64_t check; /* of the rest (check_of) */
	int32_t writer; /* its host pid: a process skips its own */
	struct site_note n;
};

static struct journal {
	uint64_t head;
	struct slot slot[NOTES];
} *journal;
static uint64_t cursor; /* this process's next index to read (a child's: its parent's) */

void site_journal_init(void)
{
	void *m = mmap(NULL, sizeof(*journal), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	journal = m == MAP_FAILED ? NULL : m;
}

static uint64_t check_of(uint64_t stamp, int32_t writer, const struct site_note *n)
{
	uint64_t h = stamp * 0x9e3779b97f4a7c15ull;
	h = (h ^ n->file) * 0xff51afd7ed558ccdull;
	h = (h ^ ((uint64_t)n->off << 32 | (uint64_t)(uint16_t)n->nr << 16 | (uint64_t)n->pre << 8 | n->post)) * 0xc4ceb9fe1a85ec53ull;
	return (h ^ (uint32_t)writer) * 0x9e3779b97f4a7c15ull;
}

void site_journal_add(const struct site_note *n, int self)
{
	if (!journal)
		return;
	uint64_t i = __atomic_fetch_add(&journal->head, 1, __ATOMIC_RELAXED);
	struct slot *s = &journal->slot[i % NOTES];
	__atomic_store_n(&s->stamp, 0, __ATOMIC_RELAXED);
	/* The zero stamp is seen before the new contents (a reader that
	 * copied old contents under the old stamp then sees it changed). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->writer = self;
	s->n = *n;
	s->check = check_of(i + 1, self, n);
	__atomic_store_n(&s->stamp, i + 1, __ATOMIC_RELEASE);
}

bool site_journal_next(struct site_note *n, int self)
{
	if (!journal)
		return false;
	uint64_t head = __atomic_load_n(&journal->head, __ATOMIC_ACQUIRE);
	if (head - cursor > NOTES)
		cursor = head - NOTES; /* lapped: the oldest are gone */
	while (cursor < head) {
		struct slot *s = &journal->slot[cursor % NOTES];
		uint64_t want = ++cursor;
		if (__atomic_load_n(&s->stamp, __ATOMIC_ACQUIRE) != want)
			continue;
		struct slot copy = *s;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->stamp, __ATOMIC_RELAXED) != want || copy.writer == self ||
		    copy.check != check_of(want, copy.writer, &copy.n))
			continue;
		*n = copy.n;
		return true;
	}
	return false;
}
