/* futex.c - futexes served in user space: wait queues keyed by address. */
#include "sched/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "core/bigdata.h"
#include "core/rawsys.h"
#include "core/spinlock.h"
#include "mm/uaccess.h"
#include "sched/offload.h"
#include "sched/waitq.h"
#include "core/timeutil.h"

/*
 * All fused programs share one address space, so a futex is named by its
 * address alone, private or shared. (Two programs mapping the same file
 * MAP_SHARED at different addresses would not meet on it; see
 * docs/DECISIONS.md.)
 */

/* A waiter is keyed by its address, with bit 0 set for a shared futex:
 * private and shared waits never meet (Linux). */
static uint64_t key_of(uint64_t uaddr, bool shared)
{
	return uaddr | shared;
}

struct bucket {
	struct waitq q;
} __attribute__((aligned(64)));

#define NBUCKETS 256
static struct bucket buckets[NBUCKETS] PG_BIG;
/* The buckets ever used: a fork's child clears those alone, without reading
 * (and so faulting in) the pages of the others. */
static uint64_t used[NBUCKETS / 64] __attribute__((aligned(64))); /* read by every wait: a line of its own */

static struct waitq *bucket_of(uint64_t uaddr)
{
	uint64_t h = (uaddr >> 2) * 0x9e3779b97f4a7c15ull;
	unsigned i = h >> 56;
	if (!(__atomic_load_n(&used[i / 64], __ATOMIC_RELAXED) & (1ull << i % 64)))
		__atomic_fetch_or(&used[i / 64], 1ull << i % 64, __ATOMIC_RELAXED);
	return &buckets[i].q;
}

/* Lock two buckets in a fixed order. */
static void lock2(struct waitq *a, struct waitq *b)
{
	if (a == b) {
		spin_lock(&a->lock);
	} else if (a < b) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

static void unlock2(struct waitq *a, struct waitq *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

static int wake_locked(struct waitq *b, uint64_t uaddr, bool shared, int n, uint32_t bitset)
{
	if (n <= 0)
		n = 1; /* Linux wakes one for nr_wake 0 */
	return waitq_wake_key_locked(b, key_of(uaddr, shared), n, bitset);
}

/*
 * Once a program has forked, a futex word in MAP_SHARED memory may be
 * shared with another host process (a process-shared semaphore or mutex:
 * python's multiprocessing locks), which no wait queue here can reach. So
 * from then on shared futexes go to the kernel as well: a wait is the
 * kernel's (offloaded: it blocks a worker, not a vCPU), a wake wakes both
 * the waiters queued here before and the kernel's, and the other shared
 * ops are the kernel's. Private futexes stay here: no other process has
 * them.
 */
static bool shared_in_kernel;

void futex_shared_to_kernel(void)
{
	/* Written once: a page a fork left copy-on-write is not faulted on
	 * again by every later fork (core/forkhot.h). */
	if (!__atomic_load_n(&shared_in_kernel, __ATOMIC_ACQUIRE))
		__atomic_store_n(&shared_in_kernel, true, __ATOMIC_RELEASE);
}

static bool kernel_side(bool shared)
{
	return shared && __atomic_load_n(&shared_in_kernel, __ATOMIC_ACQUIRE);
}

bool futex_in_kernel(int op)
{
	return kernel_side(!(op & FUTEX_PRIVATE_FLAG));
}

long futex_wake(uint64_t uaddr, bool shared, int n, uint32_t bitset)
{
	if (uaddr & 3)
		return -EINVAL;
	struct waitq *b = bucket_of(uaddr);
	spin_lock(&b->lock);
	int r = wake_locked(b, uaddr, shared, n, bitset);
	spin_unlock(&b->lock);
	if (kernel_side(shared) && r < n) {
		long k = raw_syscall6(SYS_futex, uaddr, FUTEX_WAKE_BITSET, n - r, 0, 0, bitset);
		if (k > 0)
			r += (int)k;
	}
	return r;
}

static long futex_wait(uint64_t uaddr, bool shared, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	if (!bitset)
		return -EINVAL;
	struct waitq *b = bucket_of(uaddr);
	struct wq_entry w = { .key = key_of(uaddr, shared), .events = bitset };
	uint32_t cur;

	spin_lock(&b->lock);
	/* The value check and the queueing are atomic with respect to wakers,
	 * which take the same lock: no wakeup between them is lost. */
	if (copy_from_user(&cur, uaddr, 4)) {
		spin_unlock(&b->lock);
		return -EFAULT;
	}
	if (cur != val) {
		spin_unlock(&b->lock);
		return -EAGAIN;
	}
	/* A requeue may move w to another bucket: the queue finds it there. */
	return waitq_park(b, &w, deadline, true);
}

static long futex_requeue(uint64_t uaddr, uint64_t uaddr2, bool shared, int nwake, int nmove,
			  const uint32_t *cmp)
{
	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	struct waitq *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	lock2(b1, b2);
	if (cmp) {
		uint32_t cur;
		if (copy_from_user(&cur, uaddr, 4)) {
			unlock2(b1, b2);
			return -EFAULT;
		}
		if (cur != *cmp) {
			unlock2(b1, b2);
			return -EAGAIN;
		}
	}
	int done = nwake ? wake_locked(b1, uaddr, shared, nwake, FUTEX_BITSET_MATCH_ANY) : 0;
	int moved = waitq_requeue_locked(b1, b2, key_of(uaddr, shared), key_of(uaddr2, shared), nmove);
	unlock2(b1, b2);
	return done + moved;
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg), wake uaddr, and wake uaddr2
 * too if the old value passes the comparison. */
static long futex_wake_op(uint64_t uaddr, uint64_t uaddr2, bool shared, int nwake, int nwake2,
			  uint32_t op3)
{
	int op = (op3 >> 28) & 7, cmp = (op3 >> 24) & 15;
	int oparg = ((int)(op3 << 8)) >> 20, cmparg = ((int)(op3 << 20)) >> 20;
	if (op3 & (FUTEX_OP_OPARG_SHIFT << 28))
		oparg = 1 << (oparg & 31);
	struct waitq *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	lock2(b1, b2);
	uint32_t old;
	if (copy_from_user(&old, uaddr2, 4)) {
		unlock2(b1, b2);
		return -EFAULT;
	}
	uint32_t nv;
	switch (op) {
	case FUTEX_OP_SET: nv = oparg; break;
	case FUTEX_OP_ADD: nv = old + oparg; break;
	case FUTEX_OP_OR: nv = old | oparg; break;
	case FUTEX_OP_ANDN: nv = old & ~oparg; break;
	case FUTEX_OP_XOR: nv = old ^ oparg; break;
	default:
		unlock2(b1, b2);
		return -ENOSYS;
	}
	/* Atomic against app threads running on other vCPUs. */
	for (;;) {
		long seen = cmpxchg_user(uaddr2, old, nv);
		if (seen < 0) {
			unlock2(b1, b2);
			return -EFAULT;
		}
		if ((uint32_t)seen == old)
			break;
		old = seen;
		switch (op) {
		case FUTEX_OP_ADD: nv = old + oparg; break;
		case FUTEX_OP_OR: nv = old | oparg; break;
		case FUTEX_OP_ANDN: nv = old & ~oparg; break;
		case FUTEX_OP_XOR: nv = old ^ oparg; break;
		}
	}
	int ok;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ: ok = (int)old == cmparg; break;
	case FUTEX_OP_CMP_NE: ok = (int)old != cmparg; break;
	case FUTEX_OP_CMP_LT: ok = (int)old < cmparg; break;
	case FUTEX_OP_CMP_LE: ok = (int)old <= cmparg; break;
	case FUTEX_OP_CMP_GT: ok = (int)old > cmparg; break;
	case FUTEX_OP_CMP_GE: ok = (int)old >= cmparg; break;
	default:
		unlock2(b1, b2);
		return -ENOSYS;
	}
	int r = wake_locked(b1, uaddr, shared, nwake, FUTEX_BITSET_MATCH_ANY);
	if (ok)
		r += wake_locked(b2, uaddr2, shared, nwake2, FUTEX_BITSET_MATCH_ANY);
	unlock2(b1, b2);
	return r;
}

/* timeout_deadline - the CLOCK_MONOTONIC deadline of a futex timeout:
 * relative for FUTEX_WAIT, absolute on the chosen clock for WAIT_BITSET. */
static long timeout_deadline(uint64_t utime, bool absolute, bool realtime, uint64_t *out)
{
	*out = 0;
	if (!utime)
		return 0;
	struct timespec ts;
	if (copy_from_user(&ts, utime, sizeof(ts)))
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	*out = absolute ? deadline_at(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts)
			: deadline_after(&ts);
	if (!*out)
		*out = 1;
	return 0;
}

/*
 * PI futexes: the word holds its owner's tid (FUTEX_TID_MASK), which
 * glibc's PI mutexes take and give back with a compare-and-swap, calling
 * here only when that fails. Priorities are not inherited: one scheduler
 * runs every uthread, and real-time classes are the host's. Nor is
 * ownership handed over at an unlock: the unlocker frees the word and
 * wakes one waiter, which takes it as any locker would. Whoever takes the
 * word here marks it FUTEX_WAITERS (others may be parked), so that its
 * unlock comes back here to wake them.
 */
#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

/* lock_pi_once - with b locked: take uaddr for tid (0), refuse (-errno),
 * find the word changed under it (2: look again), or wait for an unlock
 * (1: b unlocked by the wait, look again). */
static long lock_pi_once(struct waitq *b, uint64_t uaddr, bool shared, int tid, uint64_t deadline, bool try)
{
	uint32_t cur;
	if (copy_from_user(&cur, uaddr, 4))
		return -EFAULT;
	if ((cur & FUTEX_TID_MASK) == (uint32_t)tid)
		return -EDEADLK;
	if (!(cur & FUTEX_TID_MASK)) { /* free, or its owner died (robust: OWNER_DIED kept) */
		uint32_t mine = (uint32_t)tid | (cur & FUTEX_OWNER_DIED) | FUTEX_WAITERS;
		long old = cmpxchg_user(uaddr, cur, mine);
		return old < 0 ? old : old == cur ? 0 : 2;
	}
	if (try)
		return -EWOULDBLOCK;
	if (!(cur & FUTEX_WAITERS) && cmpxchg_user(uaddr, cur, cur | FUTEX_WAITERS) != cur)
		return 2;
	/* Not interruptible: Linux restarts a LOCK_PI after a signal's
	 * handler, and glibc would take an EINTR for the lock. */
	struct wq_entry w = { .key = key_of(uaddr, shared), .events = FUTEX_BITSET_MATCH_ANY };
	long r = waitq_park(b, &w, deadline, false);
	return r ? r : 1; /* -ETIMEDOUT; -EINTR: its program is ending */
}

static long lock_pi(uint64_t uaddr, bool shared, int tid, uint64_t deadline, bool try)
{
	struct waitq *b = bucket_of(uaddr);
	for (;;) {
		spin_lock(&b->lock);
		long r = lock_pi_once(b, uaddr, shared, tid, deadline, try);
		if (r != 1)
			spin_unlock(&b->lock);
		if (r <= 0)
			return r;
	}
}

static long unlock_pi(uint64_t uaddr, bool shared, int tid)
{
	struct waitq *b = bucket_of(uaddr);
	spin_lock(&b->lock);
	uint32_t cur;
	long r = copy_from_user(&cur, uaddr, 4) ? -EFAULT : 0;
	if (!r && (cur & FUTEX_TID_MASK) != (uint32_t)tid)
		r = -EPERM;
	/* Only lockers here change a word with an owner, under this lock. */
	if (!r && (r = cmpxchg_user(uaddr, cur, 0)) >= 0)
		r = r == cur ? 0 : -EAGAIN;
	if (!r)
		wake_locked(b, uaddr, shared, 1, FUTEX_BITSET_MATCH_ANY);
	spin_unlock(&b->lock);
	return r;
}

long futex_op(uint64_t uaddr, int op, uint32_t val, uint64_t utime,
	      uint64_t uaddr2, uint32_t val3, int tid)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	bool shared = !(op & FUTEX_PRIVATE_FLAG);
	if (uaddr & 3)
		return -EINVAL;
	/* As this kernel: CLOCK_REALTIME only for WAIT_BITSET and LOCK_PI2. */
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	bool pi = cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_TRYLOCK_PI || cmd == FUTEX_UNLOCK_PI;
	uint64_t deadline;
	long r;
	/* A shared PI futex another host process may hold names its owner by
	 * a tid the kernel does not know: refused, as before PI was served. */
	if (pi && kernel_side(shared))
		return -ENOSYS;
	if (kernel_side(shared) && cmd != FUTEX_WAKE && cmd != FUTEX_WAKE_BITSET) {
		long a[6] = { (long)uaddr, op, val, (long)utime, (long)uaddr2, val3 };
		if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)
			return offload_syscall(SYS_futex, a);
		return raw_syscall6(SYS_futex, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		r = timeout_deadline(utime, cmd == FUTEX_WAIT_BITSET, realtime, &deadline);
		return r ? r : futex_wait(uaddr, shared, val, deadline, val3);
	case FUTEX_WAKE:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAKE_BITSET:
		return val3 ? futex_wake(uaddr, shared, (int)val, val3) : -EINVAL;
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, uaddr2, shared, (int)val, (int)utime, NULL);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, uaddr2, shared, (int)val, (int)utime, &val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, uaddr2, shared, (int)val, (int)utime, val3);
	case FUTEX_LOCK_PI: /* an absolute CLOCK_REALTIME time */
	case FUTEX_LOCK_PI2: /* absolute, CLOCK_MONOTONIC unless asked */
		r = timeout_deadline(utime, true, cmd == FUTEX_LOCK_PI || realtime, &deadline);
		return r ? r : lock_pi(uaddr, shared, tid, deadline, false);
	case FUTEX_TRYLOCK_PI:
		return lock_pi(uaddr, shared, tid, 0, true);
	case FUTEX_UNLOCK_PI:
		return unlock_pi(uaddr, shared, tid);
	default:
		/* WAIT_REQUEUE_PI and CMP_REQUEUE_PI (glibc 2.36's condition
		 * variables use neither): refused. */
		return -ENOSYS;
	}
}

void futex_after_fork(void)
{
	/* Every waiter was another thread, gone in the child. (Empty buckets
	 * are left untouched: no copy-on-write fault for them.) */
	for (int i = 0; i < NBUCKETS; i++)
		if ((used[i / 64] & (1ull << i % 64)) && (buckets[i].q.head || buckets[i].q.lock.locked))
			memset(&buckets[i], 0, sizeof(buckets[i]));
}

/* robust_release - one futex word a dying thread (tid) may hold: marked
 * OWNER_DIED, one waiter woken, retried if a locker set FUTEX_WAITERS
 * meanwhile (kernel/futex/core.c handle_futex_death). The pending entry,
 * taken half-way (no owner yet), still wakes a waiter. */
static void robust_release(uint64_t word, int tid, bool pending)
{
	uint32_t v;
	for (;;) {
		if (copy_from_user(&v, word, 4))
			return;
		if (pending && !v) {
			futex_wake(word, true, 1, FUTEX_BITSET_MATCH_ANY);
			return;
		}
		if ((v & FUTEX_TID_MASK) != (uint32_t)tid)
			return;
		uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		long was = cmpxchg_user(word, v, nv);
		if (was < 0)
			return;
		if ((uint32_t)was == v)
			break;
	}
	if (v & FUTEX_WAITERS)
		futex_wake(word, true, 1, FUTEX_BITSET_MATCH_ANY);
}

/* Bit 0 of a list pointer says the entry is a PI mutex's: not part of its
 * address (a PI mutex's owner died holding it, and the next locker waited
 * for ever). */
void futex_robust_exit(uint64_t *list, int tid)
{
	struct { uint64_t list; int64_t offset; uint64_t pending; } head;
	uint64_t at = *list;
	*list = 0; /* walked once: a later end of the thread finds nothing */
	if (!at || copy_from_user(&head, at, sizeof(head)))
		return;
	uint64_t entry = head.list & ~1ull, pending = head.pending & ~1ull;
	for (int limit = 2048; entry && entry != at && limit-- > 0;) {
		uint64_t next;
		if (copy_from_user(&next, entry, 8))
			break;
		if (entry != pending)
			robust_release(entry + head.offset, tid, false);
		entry = next & ~1ull;
	}
	if (pending)
		robust_release(pending + head.offset, tid, !(head.pending & 1));
}
