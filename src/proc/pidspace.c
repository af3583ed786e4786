/* pidspace.c - the instance's virtual pid space, shared by its host processes. */
#include "proc/pidspace.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/rawsys.h"

/*
 * Virtual pids and tids must be unique across the instance, and a forked
 * child is another host process that allocates on its own: the counter and
 * a bitmap of taken ids live in one MAP_SHARED mapping made before any
 * fork, so every host process of the instance takes ids from the same
 * space with atomics (no lock to leave held by a process that dies). The
 * bitmap covers the kernel's PID_MAX_LIMIT: the first program's pid is the
 * host pid of pegasus, anywhere below that. 512 KiB reserved; only the
 * pages of ids in use are ever touched.
 *
 * Beside it, what each program's own process publishes about it (ids,
 * name, where its argv is) for the others' /proc: a table of buckets of 4
 * records by pid (no probe chains, so a freed record is simply free again;
 * a fifth program in one bucket stays unpublished, seen only by its own
 * process), each record under a sequence count its one writer bumps around
 * a change; the parent and group fields apart, written by either side. Which processes exist does not matter: until the first fork
 * every program is this process's, and readers skip the table.
 */
#define PID_SPACE_MAX (1 << 22) /* the kernel's PID_MAX_LIMIT on 64-bit */
#define PID_FIRST 1000          /* where the counter starts and wraps to */

#define PROGS_MAX 4096
#define WAYS 4
#define SLOT_FREE 0

struct prog_slot {
	int pid;                        /* SLOT_FREE or the pid */
	unsigned seq;                   /* odd while its writer changes it */
	/* Its parent and its group, which its parent's process changes too
	 * (setpgid of a child, adoption): each a word stored whole, so that
	 * neither side's write undoes the other's other fields. */
	int ppid;
	uint64_t group;                 /* pgid << 32 | sid */
	struct prog_info info;
};

/* A fork's child learns its pid from its parent here (see fork.c). */
#define HANDOFFS 256
struct handoff {
	int fallback;                   /* 0: free; else the pid if the host's is taken */
	int pid;                        /* 0 until the parent decides */
};

struct pidspace {
	int next;                       /* the counter: the next id to try */
	int forked;                     /* a fork made another host process */
	int outside[3];                 /* pegasus's parent, group and session: taken, not the instance's */
	uint64_t taken[PID_SPACE_MAX / 64];
	struct prog_slot progs[PROGS_MAX];
	struct handoff handoffs[HANDOFFS];
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

void pidspace_keep_outside(int pid)
{
	struct pidspace *s = get();
	for (int i = 0; s && i < 3; i++)
		if (!s->outside[i] && pidspace_claim(pid)) {
			s->outside[i] = pid;
			return;
		}
}

bool pidspace_outside_known(int pid)
{
	struct pidspace *s = __atomic_load_n(&space, __ATOMIC_ACQUIRE);
	for (int i = 0; s && pid > 0 && i < 3; i++)
		if (pid == s->outside[i])
			return true;
	return false;
}

bool pidspace_outside(int pid)
{
	struct pidspace *s = __atomic_load_n(&space, __ATOMIC_ACQUIRE);
	if (!s || pid <= 0 || pid >= PID_SPACE_MAX)
		return true;
	for (int i = 0; i < 3; i++)
		if (pid == s->outside[i])
			return true;
	return !(__atomic_load_n(&s->taken[pid / 64], __ATOMIC_ACQUIRE) >> (pid % 64) & 1);
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

/* bucket - the WAYS records pid may have. */
static struct prog_slot *bucket(struct pidspace *s, int pid)
{
	return &s->progs[(unsigned)pid % (PROGS_MAX / WAYS) * WAYS];
}

/* find - pid's record, or NULL. */
static struct prog_slot *find(struct pidspace *s, int pid)
{
	struct prog_slot *b = bucket(s, pid);
	for (int i = 0; i < WAYS; i++)
		if (__atomic_load_n(&b[i].pid, __ATOMIC_ACQUIRE) == pid)
			return &b[i];
	return NULL;
}

static uint64_t group_word(int pgid, int sid)
{
	return (uint64_t)(uint32_t)pgid << 32 | (uint32_t)sid;
}

void pidspace_publish(const struct prog_info *pi)
{
	struct pidspace *s = get();
	if (!s || pi->pid <= 0)
		return;
	struct prog_slot *sl = find(s, pi->pid), *b = bucket(s, pi->pid);
	bool is_new = !sl;
	for (int i = 0; !sl && i < WAYS; i++) {
		int v = SLOT_FREE;
		/* Claimed before it is written: readers check the sequence. */
		if (__atomic_compare_exchange_n(&b[i].pid, &v, pi->pid, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			sl = &b[i];
	}
	if (!sl)
		return; /* a full bucket: that program's /proc shows only in its own process */
	__atomic_add_fetch(&sl->seq, 1, __ATOMIC_ACQ_REL);
	if (is_new) {
		__atomic_store_n(&sl->ppid, pi->ppid, __ATOMIC_RELAXED);
		__atomic_store_n(&sl->group, group_word(pi->pgid, pi->sid), __ATOMIC_RELAXED);
	}
	sl->info = *pi;
	__atomic_add_fetch(&sl->seq, 1, __ATOMIC_RELEASE);
}

void pidspace_set_group(int pid, int pgid, int sid)
{
	struct pidspace *s = get();
	struct prog_slot *sl = s && pid > 0 ? find(s, pid) : NULL;
	if (sl)
		__atomic_store_n(&sl->group, group_word(pgid, sid), __ATOMIC_RELEASE);
}

void pidspace_set_ppid(int pid, int ppid)
{
	struct pidspace *s = get();
	struct prog_slot *sl = s && pid > 0 ? find(s, pid) : NULL;
	if (sl)
		__atomic_store_n(&sl->ppid, ppid, __ATOMIC_RELEASE);
}

bool pidspace_forked(void)
{
	struct pidspace *s = __atomic_load_n(&space, __ATOMIC_ACQUIRE);
	return s && __atomic_load_n(&s->forked, __ATOMIC_RELAXED);
}

bool pidspace_lookup(int pid, struct prog_info *out)
{
	struct pidspace *s = get();
	struct prog_slot *sl = s && pid > 0 ? find(s, pid) : NULL;
	/* The writer may be preempted mid-change: a bounded wait. */
	for (int tries = 0; sl && tries < 1000; tries++) {
		unsigned seq = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		*out = sl->info;
		out->ppid = __atomic_load_n(&sl->ppid, __ATOMIC_ACQUIRE);
		uint64_t group = __atomic_load_n(&sl->group, __ATOMIC_ACQUIRE);
		out->pgid = (int)(group >> 32);
		out->sid = (int)(uint32_t)group;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sl->seq, __ATOMIC_RELAXED) == seq &&
		    __atomic_load_n(&sl->pid, __ATOMIC_RELAXED) == pid && out->pid == pid)
			return true;
	}
	return false;
}

bool pidspace_find_host(int host_pid, struct prog_info *out)
{
	/* A forked child's pid is its host pid, unless that was taken. */
	if (pidspace_lookup(host_pid, out) && out->host_pid == host_pid)
		return true;
	struct pidspace *s = get();
	for (int i = 0; s && host_pid > 0 && i < PROGS_MAX; i++) {
		int v = __atomic_load_n(&s->progs[i].pid, __ATOMIC_ACQUIRE);
		if (v > 0 && __atomic_load_n(&s->progs[i].info.host_pid, __ATOMIC_RELAXED) == host_pid &&
		    pidspace_lookup(v, out) && out->host_pid == host_pid)
			return true;
	}
	return false;
}

int pidspace_subreaper_in(int host_pid)
{
	struct pidspace *s = get();
	struct prog_info pi;
	for (int i = 0; s && host_pid > 0 && i < PROGS_MAX; i++) {
		int v = __atomic_load_n(&s->progs[i].pid, __ATOMIC_ACQUIRE);
		if (v > 0 && __atomic_load_n(&s->progs[i].info.host_pid, __ATOMIC_RELAXED) == host_pid &&
		    pidspace_lookup(v, &pi) && pi.host_pid == host_pid && pi.subreaper)
			return v;
	}
	return 0;
}

int pidspace_list(int *pids, int max)
{
	struct pidspace *s = get();
	int n = 0;
	for (int i = 0; s && i < PROGS_MAX && n < max; i++) {
		int v = __atomic_load_n(&s->progs[i].pid, __ATOMIC_ACQUIRE);
		if (v > 0)
			pids[n++] = v;
	}
	return n;
}

bool pidspace_host_shared(int host_pid)
{
	struct pidspace *s = get();
	int n = 0;
	for (int i = 0; s && i < PROGS_MAX && n < 2; i++)
		if (__atomic_load_n(&s->progs[i].pid, __ATOMIC_ACQUIRE) > 0)
			n += (__atomic_load_n(&s->progs[i].info.host_pid, __ATOMIC_RELAXED) == host_pid) +
			     (__atomic_load_n(&s->progs[i].info.stood_in_at, __ATOMIC_RELAXED) == host_pid);
	return n > 1;
}

void pidspace_unpublish(int pid)
{
	struct pidspace *s = get();
	struct prog_slot *sl = s && pid > 0 ? find(s, pid) : NULL;
	if (sl)
		__atomic_store_n(&sl->pid, SLOT_FREE, __ATOMIC_RELEASE);
}

bool pidspace_unpublish_gone(int pid, int host_pid)
{
	struct pidspace *s = get();
	struct prog_slot *sl = s && pid > 0 ? find(s, pid) : NULL;
	/* Read again at the last moment: its program may have moved to a
	 * live process since (a stand-in's pid, back here). */
	if (!sl || __atomic_load_n(&sl->info.host_pid, __ATOMIC_ACQUIRE) != host_pid)
		return false;
	__atomic_store_n(&sl->pid, SLOT_FREE, __ATOMIC_RELEASE);
	return true;
}

long pidspace_check_host(const struct prog_info *pi)
{
	int host = pi->host_pid;
	if (host <= 0 || host == (int)raw_syscall3(SYS_getpid, 0, 0, 0))
		return 0;
	long r = raw_syscall3(SYS_kill, host, 0, 0);
	if (r == -ESRCH && pidspace_unpublish_gone(pi->pid, host))
		pidspace_free(pi->pid);
	return r;
}

bool pidspace_lookup_live(int pid, struct prog_info *out)
{
	return pidspace_lookup(pid, out) && pidspace_check_host(out) != -ESRCH;
}

void pidspace_free(int pid)
{
	struct pidspace *s = get();
	if (!s || pid <= 0 || pid >= PID_SPACE_MAX)
		return;
	__atomic_fetch_and(&s->taken[pid / 64], ~(1ull << (pid % 64)), __ATOMIC_RELEASE);
}

void pidspace_note_fork(void)
{
	struct pidspace *s = get();
	if (s)
		__atomic_store_n(&s->forked, 1, __ATOMIC_RELAXED);
}

int pidspace_handoff_open(int fallback)
{
	struct pidspace *s = get();
	pidspace_note_fork();
	for (int i = 0; s && i < HANDOFFS; i++) {
		struct handoff *h = &s->handoffs[(fallback + i) % HANDOFFS];
		int free = 0;
		if (__atomic_compare_exchange_n(&h->fallback, &free, fallback, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			__atomic_store_n(&h->pid, 0, __ATOMIC_RELEASE);
			return (fallback + i) % HANDOFFS;
		}
	}
	return -1;
}

void pidspace_handoff_give(int slot, int pid)
{
	if (slot < 0)
		return;
	struct handoff *h = &space->handoffs[slot];
	__atomic_store_n(&h->pid, pid, __ATOMIC_RELEASE);
	/* A shared futex: the waiter is another process. */
	raw_syscall3(SYS_futex, &h->pid, FUTEX_WAKE, 1);
}

int pidspace_handoff_take(int slot, int fallback, int parent)
{
	if (slot < 0)
		return fallback;
	struct handoff *h = &space->handoffs[slot];
	int pid;
	while (!(pid = __atomic_load_n(&h->pid, __ATOMIC_ACQUIRE))) {
		/* A parent killed before it gave the answer never will. */
		if (raw_syscall3(SYS_getppid, 0, 0, 0) != parent)
			return fallback;
		struct timespec tick = { 0, 50 * 1000 * 1000 };
		raw_syscall6(SYS_futex, &h->pid, FUTEX_WAIT, 0, &tick, 0, 0);
	}
	__atomic_store_n(&h->fallback, 0, __ATOMIC_RELEASE);
	return pid;
}

void pidspace_handoff_close(int slot)
{
	if (slot >= 0)
		__atomic_store_n(&space->handoffs[slot].fallback, 0, __ATOMIC_RELEASE);
}
