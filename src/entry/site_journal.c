/* site_journal.c - call sites one host process of an instance learned, told to the others. */
#include "entry/site_journal.h"

#include <stddef.h>
#include <sys/mman.h>

/*
 * A ring in shared anonymous memory, mapped before the first fork so that
 * every process of the instance has it. A writer takes an index (a
 * fetch-add on head), writes its slot and then stamps it with index + 1;
 * a reader takes a slot whose stamp is the index it expects and did not
 * change while it copied it (a writer a whole ring ahead may reuse it: that
 * note is skipped, as is any the reader was lapped on). Losing a note only
 * costs a trap, later.
 */
#define NOTES 4096

struct slot {
	uint64_t stamp; /* index + 1 once written; 0 while being written */
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
		uint64_t stamp = __atomic_load_n(&s->stamp, __ATOMIC_ACQUIRE);
		/* Not written yet: looked at next time, unless its writer
		 * has long been overtaken (it died halfway). */
		if ((stamp == 0 || stamp < cursor + 1) && head - cursor < NOTES / 16)
			return false;
		struct slot copy = *s;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		bool same = __atomic_load_n(&s->stamp, __ATOMIC_RELAXED) == stamp;
		cursor++;
		if (stamp == cursor && same && copy.writer != self) {
			*n = copy.n;
			return true;
		}
	}
	return false;
}
