/* pidspace.c - the instance's virtual pid space, shared by its host processes. */
#include "proc/pidspace.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/*
 * Virtual pids and tids must be unique across the instance, and a forked
 * child is another host process that allocates on its own: the counter and
 * a bitmap of taken ids live in one MAP_SHARED mapping made before any
 * fork, so every host process of the instance takes ids from the same
 * space with atomics (no lock to leave held by a process that dies). The
 * bitmap covers the kernel's PID_MAX_LIMIT: the first program's pid is the
 * host pid of pegasus, anywhere below that. 512 KiB reserved; only the
 * pages of ids in use are ever touched.
 */
#define PID_SPACE_MAX (1 << 22) /* the kernel's PID_MAX_LIMIT on 64-bit */
#define PID_FIRST 1000          /* where the counter starts and wraps to */

struct pidspace {
	int next;                       /* the counter: the next id to try */
	uint64_t taken[PID_SPACE_MAX / 64];
};

static struct pidspace *space;

/* get - the shared space, made at the first use (before any fork: the
 * first program takes its pid before it runs). NULL if it cannot be. */
static struct pidspace *get(void)
{
	struct pidspace *s = __atomic_load_n(&space, __ATOMIC_ACQUIRE);
	if (s)
		return s;
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (s == MAP_FAILED)
		return NULL;
	s->next = PID_FIRST;
	struct pidspace *old = NULL;
	if (!__atomic_compare_exchange_n(&space, &old, s, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(s, sizeof(*s));
		return old;
	}
	return s;
}

bool pidspace_claim(int pid)
{
	struct pidspace *s = get();
	if (!s || pid <= 0 || pid >= PID_SPACE_MAX)
		return false;
	uint64_t bit = 1ull << (pid % 64);
	return !(__atomic_fetch_or(&s->taken[pid / 64], bit, __ATOMIC_ACQ_REL) & bit);
}

int pidspace_alloc(void)
{
	struct pidspace *s = get();
	if (!s)
		return -ENOMEM;
	for (int tries = 0; tries < PID_SPACE_MAX; tries++) {
		int pid = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
		if (pid >= PID_SPACE_MAX) {
			/* Wrap, as Linux does past pid_max: whoever sees the
			 * counter past the end puts it back. */
			int cur = __atomic_load_n(&s->next, __ATOMIC_RELAXED);
			while (cur >= PID_SPACE_MAX &&
			       !__atomic_compare_exchange_n(&s->next, &cur, PID_FIRST, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				;
			continue;
		}
		if (pidspace_claim(pid))
			return pid;
	}
	return -EAGAIN;
}

void pidspace_free(int pid)
{
	struct pidspace *s = get();
	if (s && pid > 0 && pid < PID_SPACE_MAX)
		__atomic_fetch_and(&s->taken[pid / 64], ~(1ull << (pid % 64)), __ATOMIC_RELEASE);
}
