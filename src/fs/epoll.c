/* epoll.c - epoll sets as user-space files: items on poll heads, a ready list, a host epoll for kernel members. */
#include "fs/epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "core/spinlock.h"
#include "fs/vfile.h"
#include "mm/uaccess.h"
#include "sched/kwait.h"
#include "sched/solo.h"
#include "sched/vcpu.h"
#include "sched/waitq.h"

#define EP_MAX_NESTS 4
/* Modes, not events: an item with only these is disabled (ONESHOT fired). */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EXCLUSIVE_OK_BITS \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define CONTAINER(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct eventpoll;

/* A user-space file in a set, keyed by (file, fd) as Linux's epitem. */
struct epitem {
	struct eventpoll *ep;
	struct vfile *file;      /* no reference: the file's last close removes the item */
	int fd;
	uint32_t events;         /* atomic: callbacks read it under the file's head lock */
	uint64_t data;
	struct wq_entry wait;    /* callback on file->poll_head */
	struct wq_entry kw;      /* callback on a nested set's kernel part */
	bool kpart;              /* a nested set with kernel members (atomic) */
	bool moved;              /* its file moved into the kernel: on ep->moved */
	struct epitem *mnext;    /* ep->moved chain */
	struct epitem *hnext;    /* hash chain */
	struct epitem *rdnext, *rdprev;
	bool on_rd;
	struct epitem *nnext;    /* the set's items that are sets */
};

/*
 * Locks, in order: ep_global (ctl, a set's release, a file's last close:
 * item lifetimes across sets, loop checks) → a set's mtx (its items;
 * collections) → poll heads (a member's, then its set's) → a set's wq.lock
 * (the ready list, kready, parked waiters). Callbacks run under a member's
 * head lock and take only wq.lock, then notify the set's own head.
 */
struct eventpoll {
	struct vfile vf;
	int lean_kfd;            /* epoll.h: kfd while every member is a kernel file, else -1 */
	spinlock_t mtx;
	struct waitq wq;         /* waiters in epoll_wait */
	struct epitem *rdhead, *rdtail;
	bool kready;             /* the kernel part fired since the last check */
	bool kfirst;             /* which part a collection takes first: they alternate */
	int kfd;                 /* the private host epoll fd (kernel members), made on first use */
	int nkernel;             /* kernel members added and not deleted: closes are not seen */
	int nblocked;            /* parked waiters: the first watches the kernel parts */
	struct wq_entry kw;      /* callback on kfd's readiness while waiters are parked */
	struct epitem **hash;
	unsigned nbuckets, nitems;
	struct epitem *nested;   /* items that are sets */
	int nkparts;             /* of those, with kernel members (atomic): polled each time */
	/* Members whose files moved into the kernel (a fork, SCM_RIGHTS out):
	 * no callback pushes their readiness any more, so, as kernel parts,
	 * they are polled at each collection and watched through kwait. */
	struct epitem *moved;
	/* Its host epoll fd is shared with another process (a fork's other
	 * side): members added there are not counted here, so nkernel can no
	 * longer say there are none. */
	bool kshared;
	/* Fired ONESHOT members joined to the host epoll fd (see join_kernel)
	 * whose first event has not been dropped yet: while any, the kernel's
	 * events are read back and filtered (kernel_collect), never written
	 * straight by a kernel call (lean_kfd -1, no solo_wait, no lean look). */
	int ndisarmed;
	/* Items deleted, kept for the next add (mtx): an event loop that adds
	 * and deletes an fd per request (redis-benchmark's ae) allocates
	 * nothing, and the gate's mid path, which may not, serves both. */
	struct epitem *spare;
	unsigned nspare;
};

#define SPARE_MAX 64

_Static_assert(offsetof(struct eventpoll, lean_kfd) == offsetof(struct eventpoll_lean, lean_kfd),
	       "struct eventpoll_lean");

static spinlock_t ep_global = SPINLOCK_INIT;


static struct eventpoll *ep_of(struct vfile *f)
{
	return (struct eventpoll *)f;
}

/* Kernel members: how many were added here and not deleted, or at least
 * one once the host epoll fd is shared (the other side's count unknown). */
static int nkernel(const struct eventpoll *ep)
{
	int n = __atomic_load_n(&ep->nkernel, __ATOMIC_ACQUIRE);
	return n ? n : __atomic_load_n(&ep->kshared, __ATOMIC_ACQUIRE);
}

static uint32_t ev_load(const struct epitem *epi)
{
	return __atomic_load_n(&epi->events, __ATOMIC_ACQUIRE);
}

static uint32_t item_poll(const struct epitem *epi)
{
	return epi->file->ops->poll(epi->file) & ev_load(epi) & ~EP_PRIVATE_BITS;
}

/*
 * ---- the ready list ----
 * Changed under wq.lock; items leave it only under mtx too (collections,
 * ep_remove), so a collection (mtx held) may walk it without wq.lock:
 * callbacks only append, and their links are published before the tail
 * that leads to them (rd_add's release stores, the walk's acquire loads).
 */

static void rd_add(struct eventpoll *ep, struct epitem *epi)
{
	if (epi->on_rd)
		return;
	struct epitem *tail = ep->rdtail;
	epi->rdnext = NULL;
	epi->rdprev = tail;
	__atomic_store_n(tail ? &tail->rdnext : &ep->rdhead, epi, __ATOMIC_RELEASE);
	__atomic_store_n(&ep->rdtail, epi, __ATOMIC_RELEASE);
	epi->on_rd = true;
}

static void rd_del(struct eventpoll *ep, struct epitem *epi)
{
	if (!epi->on_rd)
		return;
	if (epi->rdprev)
		epi->rdprev->rdnext = epi->rdnext;
	else
		__atomic_store_n(&ep->rdhead, epi->rdnext, __ATOMIC_RELEASE);
	if (epi->rdnext)
		epi->rdnext->rdprev = epi->rdprev;
	else
		__atomic_store_n(&ep->rdtail, epi->rdprev, __ATOMIC_RELEASE);
	epi->on_rd = false;
}

/* queue_ready - epi has events: onto the ready list, one waiter woken (as
 * Linux's exclusive ep->wq). The set's own head is notified by the caller
 * once it holds no set lock (notify_set). */
/* queue_ready - epi to ep's ready list, one waiter woken: how many were. */
static int queue_ready(struct eventpoll *ep, struct epitem *epi)
{
	spin_lock(&ep->wq.lock);
	rd_add(ep, epi);
	int woken = waitq_wake_locked(&ep->wq, 1, WQ_ALL);
	spin_unlock(&ep->wq.lock);
	return woken;
}

/* The set became readable: whoever polls it (an outer set, poll, select). */
static void notify_set(struct eventpoll *ep)
{
	vfile_notify(&ep->vf, EPOLLIN | EPOLLRDNORM);
}

/* ep_poll_callback - a member's readiness changed (its head locked). */
static void ep_poll_callback(struct wq_entry *e, uint32_t events)
{
	struct epitem *epi = CONTAINER(e, struct epitem, wait);
	uint32_t want = ev_load(epi);
	/* Disabled, or a change that brought nothing it waits for. */
	if (!(want & ~EP_PRIVATE_BITS) || !(events & want))
		return;
	/* EPOLLEXCLUSIVE: a set whose waiter this woke ends the wake-up for
	 * the other exclusive sets (Linux's ewake). */
	e->woke = queue_ready(epi->ep, epi) > 0;
	notify_set(epi->ep);
}

/* A nested set's kernel part fired: poll that member at the next collection. */
static void ep_nested_fired(struct wq_entry *e, uint32_t events)
{
	struct epitem *epi = CONTAINER(e, struct epitem, kw);
	queue_ready(epi->ep, epi);
	notify_set(epi->ep);
}

/* The set's own kernel members fired: its waiters check them. */
static void ep_kernel_fired(struct wq_entry *e, uint32_t events)
{
	struct eventpoll *ep = CONTAINER(e, struct eventpoll, kw);
	spin_lock(&ep->wq.lock);
	ep->kready = true;
	waitq_wake_locked(&ep->wq, -1, WQ_ALL);
	spin_unlock(&ep->wq.lock);
}

/* ---- items by (file, fd) ---- */

static unsigned bucket(const struct eventpoll *ep, const struct vfile *f, int fd)
{
	uint64_t k = ((uint64_t)f >> 4) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(unsigned)fd * 0xff51afd7ed558ccdull;
	return (unsigned)(k >> 32) & (ep->nbuckets - 1);
}

static struct epitem *find(const struct eventpoll *ep, const struct vfile *f, int fd)
{
	if (!ep->nbuckets)
		return NULL;
	struct epitem *x = ep->hash[bucket(ep, f, fd)];
	while (x && (x->file != f || x->fd != fd))
		x = x->hnext;
	return x;
}

static bool hash_grow(struct eventpoll *ep)
{
	unsigned nb = ep->nbuckets ? ep->nbuckets * 2 : 16;
	struct epitem **h = calloc(nb, sizeof(*h));
	if (!h)
		return false;
	struct eventpoll old = { .hash = ep->hash, .nbuckets = ep->nbuckets };
	ep->hash = h;
	ep->nbuckets = nb;
	for (unsigned i = 0; i < old.nbuckets; i++) {
		for (struct epitem *x = old.hash[i], *next; x; x = next) {
			next = x->hnext;
			unsigned b = bucket(ep, x->file, x->fd);
			x->hnext = h[b];
			h[b] = x;
		}
	}
	free(old.hash);
	return true;
}

/* update_lean - what eventpoll_lean_fd says, after the members changed
 * (mtx held): a wait on a set of kernel files only is the kernel's. */
static void update_lean(struct eventpoll *ep)
{
	int kfd = __atomic_load_n(&ep->kfd, __ATOMIC_ACQUIRE);
	__atomic_store_n(&ep->lean_kfd,
			 !ep->nitems && nkernel(ep) && kfd >= 0 && !__atomic_load_n(&ep->ndisarmed, __ATOMIC_ACQUIRE) ? kfd : -1,
			 __ATOMIC_RELEASE);
}

static void hash_del(struct eventpoll *ep, struct epitem *epi)
{
	struct epitem **pp = &ep->hash[bucket(ep, epi->file, epi->fd)];
	while (*pp != epi)
		pp = &(*pp)->hnext;
	*pp = epi->hnext;
	ep->nitems--;
	update_lean(ep);
}

/* ---- the kernel part ---- */

/* A nested set whose kernel part must be looked at (its readiness is
 * pushed by no callback). */
static bool kpart(const struct epitem *x)
{
	return __atomic_load_n(&x->kpart, __ATOMIC_ACQUIRE);
}

/* The nested sets with kernel members, or none without a look at each. */
#define FOR_KPARTS(ep, x) \
	for (struct epitem *x = __atomic_load_n(&(ep)->nkparts, __ATOMIC_ACQUIRE) ? (ep)->nested : NULL; \
	     x; x = x->nnext) \
		if (kpart(x))

/* set_kpart - a nested item's set gained or lost its kernel members (ep_global held). */
static void set_kpart(struct epitem *x, bool on)
{
	if (x->kpart == on)
		return;
	__atomic_store_n(&x->kpart, on, __ATOMIC_RELEASE);
	__atomic_add_fetch(&x->ep->nkparts, on ? 1 : -1, __ATOMIC_ACQ_REL);
}

/* watch - a waiter is about to park (mtx held): the kernel parts it
 * cannot see otherwise are watched through kwait (re-armed if they fired). */
static void watch(struct eventpoll *ep)
{
	if (nkernel(ep))
		kwait_watch(ep->kfd, &ep->kw);
	FOR_KPARTS(ep, x)
		kwait_watch(ep_of(x->file)->kfd, &x->kw);
	for (struct epitem *x = ep->moved; x; x = x->mnext) {
		x->kw.events = ev_load(x) & (EPOLLIN | EPOLLOUT); /* as MOD left it */
		kwait_watch(x->file->kfd, &x->kw);
	}
}

/* to_moved - epi's file moved into the kernel (mtx held): a kernel part. */
static void to_moved(struct eventpoll *ep, struct epitem *epi)
{
	epi->moved = true;
	epi->mnext = ep->moved;
	ep->moved = epi;
	if (ep->nblocked) {
		epi->kw.events = ev_load(epi) & (EPOLLIN | EPOLLOUT);
		kwait_watch(epi->file->kfd, &epi->kw);
	}
}

static void ep_remove(struct eventpoll *ep, struct epitem *epi);
static int make_kfd(struct eventpoll *ep);

/* The data a fired ONESHOT member joins the host epoll fd with: an
 * address of the runtime's, which no program's data names. */
static const char disarmed_tag;
#define DISARMED_DATA ((uint64_t)(uintptr_t)&disarmed_tag)

/* join_kernel - epi's file, as host fd k, joins the set's host epoll fd
 * with epi's events and data, and epi goes (mtx held). False: it stays.
 * A fired ONESHOT member cannot join disarmed (the kernel adds EPOLLERR
 * and EPOLLHUP to every ADD: a pipe whose writer is gone would report
 * HUP): it joins armed for anything under DISARMED_DATA, and its first
 * event, dropped, leaves it disarmed in the kernel, as Linux's is, until
 * a MOD from either side of a fork arms it with the program's data. */
static bool join_kernel(struct eventpoll *ep, struct epitem *epi, int k)
{
	struct epoll_event ev = { .events = ev_load(epi) & ~EPOLLWAKEUP, .data.u64 = epi->data };
	bool disarmed = !(ev.events & ~EP_PRIVATE_BITS);
	if (disarmed) {
		ev.events = EPOLLONESHOT | EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP;
		ev.data.u64 = DISARMED_DATA;
	}
	if (k < 0 || make_kfd(ep) < 0 ||
	    raw_syscall6(SYS_epoll_ctl, ep->kfd, EPOLL_CTL_ADD, k, (long)&ev, 0, 0) < 0)
		return false;
	if (disarmed)
		__atomic_add_fetch(&ep->ndisarmed, 1, __ATOMIC_ACQ_REL);
	ep_remove(ep, epi);
	return true;
}

/* kernel_grew - n members joined the host epoll fd (mtx held): counted,
 * and waiters already parked watch it. */
static void kernel_grew(struct eventpoll *ep, int n)
{
	__atomic_add_fetch(&ep->nkernel, n, __ATOMIC_ACQ_REL);
	update_lean(ep);
	if (ep->nblocked)
		kwait_watch(ep->kfd, &ep->kw);
}

/*
 * item_to_kernel - epi's file moved into the kernel (a fork, SCM_RIGHTS):
 * it becomes a member of the host epoll fd, with its events and data, and
 * epi goes (mtx held). Not when that would give the set its first kernel
 * members while it is in another set: the sets above look at kernel parts
 * they know of (set_kpart, under ep_global); it stays a moved item then,
 * polled at each collection. True when moved.
 */
static bool item_to_kernel(struct eventpoll *ep, struct epitem *epi)
{
	if ((!nkernel(ep) && __atomic_load_n(&ep->vf.poll_head.ncallbacks, __ATOMIC_ACQUIRE)) ||
	    !join_kernel(ep, epi, epi->file->kfd))
		return false;
	kernel_grew(ep, 1);
	return true;
}

static void unwatch(struct eventpoll *ep)
{
	kwait_unwatch(&ep->kw);
	for (struct epitem *x = ep->nested; x; x = x->nnext)
		kwait_unwatch(&x->kw);
	for (struct epitem *x = ep->moved; x; x = x->mnext)
		kwait_unwatch(&x->kw);
}

/* drop_disarmed - the n events the kernel wrote at out, less those of
 * members joined disarmed (join_kernel), which are so now: how many. */
static long drop_disarmed(struct eventpoll *ep, uint64_t out, int n)
{
	const uint64_t size = sizeof(struct epoll_event);
	int kept = 0;
	for (int i = 0; i < n; i++) {
		struct epoll_event e;
		if (copy_from_user(&e, out + i * size, size))
			return kept ? kept : -EFAULT;
		if (e.data.u64 == DISARMED_DATA) {
			if (!__atomic_sub_fetch(&ep->ndisarmed, 1, __ATOMIC_ACQ_REL))
				update_lean(ep);
			continue;
		}
		if (kept != i && copy_to_user(out + kept * size, &e, size))
			return kept ? kept : -EFAULT;
		kept++;
	}
	return kept;
}

/* kernel_collect - one non-blocking look at the kernel members, their
 * events written by the kernel into the program's buffer: how many, or
 * -EFAULT (the kernel keeps them then, as it does its own). */
static int kernel_collect(struct eventpoll *ep, uint64_t out, int max)
{
	/* Cleared before the look: a firing after it is not lost. */
	__atomic_store_n(&ep->kready, false, __ATOMIC_SEQ_CST);
	long r = raw_syscall6(SYS_epoll_wait, ep->kfd, out, max, 0, 0, 0);
	if (r > 0 && __atomic_load_n(&ep->ndisarmed, __ATOMIC_ACQUIRE))
		r = drop_disarmed(ep, out, (int)r);
	return r > 0 || r == -EFAULT ? (int)r : 0;
}

/* ---- collecting events (mtx held) ---- */


/* A collection under way (mtx held). */
#define COLLECT_BATCH 16
struct collection {
	uint64_t out;   /* the program's buffer */
	int max, n;
	/* A member whose file moved into the kernel: made a kernel part (true:
	 * it left the set's items). NULL on the lean gate, which cannot make
	 * the calls that takes: the collection stops there (-EAGAIN). */
	bool (*moved_in)(struct eventpoll *ep, struct epitem *epi);
	int stop;    /* -EFAULT (an event could not be written), -EAGAIN */
	int kept;    /* reported where they are: the list's first items */
	bool batching; /* an item went to the batch: every later one does */
	int nb;
	struct epitem **batch; /* COLLECT_BATCH items to leave the list before their poll */
};

/* report - epi's events rev as the collection's next event. */
static bool report(struct collection *c, const struct epitem *epi, uint32_t rev)
{
	_Static_assert(sizeof(struct epoll_event) == 12, "epoll_event: packed, as put_user_4_8 writes it");
	if (put_user_4_8(c->out + c->n * sizeof(struct epoll_event), rev, epi->data)) {
		c->stop = -EFAULT;
		return false;
	}
	c->n++;
	return true;
}

/* Did epi's file move into the kernel since the last collection? Without
 * moved_in the collection stops there: the full path's turn. */
static bool in_kernel_now(struct collection *c, const struct epitem *epi)
{
	if (epi->moved || !vfile_in_kernel(epi->file))
		return false;
	if (!c->moved_in)
		c->stop = -EAGAIN;
	return true;
}

/* The full path's moved_in: a kernel member, or else a moved item. */
static bool settle_moved(struct eventpoll *ep, struct epitem *epi)
{
	if (item_to_kernel(ep, epi))
		return true;
	to_moved(ep, epi);
	return false;
}

/* rotate - the items reported in place to the list's tail (wq.lock
 * held), before any reported after them: the order Linux's
 * ep_send_events leaves, reported items behind those not looked at. */
static void rotate(struct eventpoll *ep, struct collection *c)
{
	for (; c->kept; c->kept--) {
		struct epitem *h = ep->rdhead;
		rd_del(ep, h);
		rd_add(ep, h);
	}
}

/*
 * flush - the batch off the list, in one hold of wq.lock, then polled:
 * a change of readiness after an item left the list queues it again (its
 * callback), so none is lost (Linux's ep_send_events). Reported
 * level-triggered items, and those not reported for want of room, go back
 * to the tail in the next hold.
 */
static void flush(struct eventpoll *ep, struct collection *c)
{
	struct epitem **b = c->batch;
	int nb = c->nb, back = 0;
	c->nb = 0;
	if (!nb)
		return;
	spin_lock(&ep->wq.lock);
	for (int i = 0; i < nb; i++)
		rd_del(ep, b[i]);
	spin_unlock(&ep->wq.lock);
	for (int i = 0; i < nb; i++) {
		struct epitem *epi = b[i];
		/* Kept for the next call: no room, a fault, a moved file (lean). */
		bool moving = !c->stop && c->n < c->max && in_kernel_now(c, epi);
		if (c->stop || c->n == c->max) {
			b[back++] = epi; /* back <= i: the slot was read */
			continue;
		}
		if (moving && c->moved_in(ep, epi))
			continue; /* a kernel member now: epi is gone */
		uint32_t rev = item_poll(epi);
		if (!rev)
			continue;
		if (!report(c, epi, rev)) {
			b[back++] = epi;
			continue;
		}
		uint32_t ev = ev_load(epi);
		if (ev & EPOLLONESHOT)
			__atomic_store_n(&epi->events, ev & EP_PRIVATE_BITS, __ATOMIC_RELEASE);
		else if (!(ev & EPOLLET))
			b[back++] = epi;
	}
	if (!back && !c->kept)
		return;
	spin_lock(&ep->wq.lock);
	rotate(ep, c);
	for (int i = 0; i < back; i++)
		rd_add(ep, b[i]);
	spin_unlock(&ep->wq.lock);
}

/*
 * user_collect - report from the ready list, each item at most once per
 * call, in list order. Ready level-triggered items at the list's head are
 * reported where they stay, without wq.lock (what a wait on a busy
 * level-triggered set mostly sees); from the first other one on, items
 * leave the list before their poll, a batch at a time (flush). Reported
 * items end behind those not looked at (rotate): round robin under load.
 *
 * Events go straight into the program's buffer; a fault writing one ends
 * the collection, the item kept (Linux's -EFAULT). On the lean gate
 * (moved_in NULL) nothing here may make a library call: an item whose
 * file moved into the kernel ends it too (-EAGAIN: the full path's turn).
 * Returns events, or else that error, or 0.
 */
static int user_collect(struct eventpoll *ep, uint64_t out, int max,
			bool (*moved_in)(struct eventpoll *, struct epitem *))
{
	/* A nested set's kernel part, a moved member: seen only by polling. */
	if (__atomic_load_n(&ep->nkparts, __ATOMIC_ACQUIRE) || ep->moved) {
		spin_lock(&ep->wq.lock);
		FOR_KPARTS(ep, x)
			rd_add(ep, x);
		for (struct epitem *x = ep->moved; x; x = x->mnext)
			rd_add(ep, x);
		spin_unlock(&ep->wq.lock);
	}
	/* The list's end now: items queued after it wait for the next call. */
	struct epitem *last = __atomic_load_n(&ep->rdtail, __ATOMIC_ACQUIRE);
	if (!last)
		return 0;
	struct epitem *batch[COLLECT_BATCH];
	struct collection c = { .out = out, .max = max, .batch = batch, .moved_in = moved_in };
	struct epitem *x = __atomic_load_n(&ep->rdhead, __ATOMIC_ACQUIRE), *next;
	for (;;) {
		for (; x && !c.stop && c.n + c.nb < max; x = next) {
			next = x == last ? NULL : __atomic_load_n(&x->rdnext, __ATOMIC_ACQUIRE);
			bool moving = in_kernel_now(&c, x);
			if (c.stop)
				break;
			if (!c.batching && !moving && !(ev_load(x) & (EPOLLET | EPOLLONESHOT))) {
				uint32_t rev = item_poll(x);
				if (rev) {
					c.kept += report(&c, x, rev);
					continue;
				}
			}
			c.batching = true;
			c.batch[c.nb++] = x;
			if (c.nb == COLLECT_BATCH)
				flush(ep, &c);
		}
		if (c.nb)
			flush(ep, &c);
		if (!x || c.stop || c.n == max)
			break;
	}
	if (x && c.kept) {
		spin_lock(&ep->wq.lock);
		rotate(ep, &c);
		spin_unlock(&ep->wq.lock);
	}
	return c.n ? c.n : c.stop;
}

/* collect - events into the program's buffer: how many, or -EFAULT (or,
 * with no moved_in, -EAGAIN: user_collect). mtx held. */
static int collect_locked(struct eventpoll *ep, uint64_t out, int max,
			  bool (*moved_in)(struct eventpoll *, struct epitem *))
{
	const uint64_t size = sizeof(struct epoll_event);
	/* Alternate which part goes first: neither starves the other. */
	bool kfirst = ep->kfirst && nkernel(ep);
	ep->kfirst = !ep->kfirst;
	int n = 0, r = kfirst ? kernel_collect(ep, out, max) : 0;
	if (r >= 0) {
		n += r;
		r = user_collect(ep, out + n * size, max - n, moved_in);
	}
	if (r >= 0) {
		n += r;
		r = !kfirst && nkernel(ep) && n < max ? kernel_collect(ep, out + n * size, max - n) : 0;
	}
	if (r >= 0)
		n += r;
	/* A fault after some events: those are the answer (the rest are kept). */
	return n ? n : r;
}

static int collect(struct eventpoll *ep, uint64_t out, int max)
{
	spin_lock(&ep->mtx);
	int n = collect_locked(ep, out, max, settle_moved);
	spin_unlock(&ep->mtx);
	return n;
}

long eventpoll_wait_lean(struct vfile *f, uint64_t out, int max)
{
	struct eventpoll *ep = ep_of(f);
	/* Nested sets' kernel parts and moved members are watched through
	 * kwait: the full path's (its own host epoll fd is one call here). */
	if (__atomic_load_n(&ep->nkparts, __ATOMIC_ACQUIRE) || __atomic_load_n(&ep->ndisarmed, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	spin_lock(&ep->mtx);
	int n = ep->moved ? -EAGAIN : collect_locked(ep, out, max, NULL);
	spin_unlock(&ep->mtx);
	return n;
}

/*
 * solo_wait - wait in the set's host epoll fd itself when the vCPU has
 * nothing else to do (sched/solo.h): a forked server's one thread waits as
 * natively, in one call. Its kernel members are all there (no nested set's
 * kernel part, no moved member, which only a look finds); a user-space
 * member's readiness cuts the call short through the waiter hung here.
 * Returns events, 0 at the deadline, -EFAULT, -EINTR (look again) or
 * -EAGAIN (park).
 */
static long solo_wait(struct eventpoll *ep, uint64_t out, int max, uint64_t deadline)
{
	if (!nkernel(ep) || !solo_may(deadline))
		return -EAGAIN;
	spin_lock(&ep->mtx);
	bool whole = nkernel(ep) && !__atomic_load_n(&ep->nkparts, __ATOMIC_ACQUIRE) && !ep->moved &&
		     !__atomic_load_n(&ep->ndisarmed, __ATOMIC_ACQUIRE);
	spin_unlock(&ep->mtx);
	if (!whole)
		return -EAGAIN;
	struct wq_entry w = { .events = WQ_ALL, .func = solo_woken, .ut = uthread_self() };
	solo_arm();
	spin_lock(&ep->wq.lock);
	bool ready = ep->rdhead != NULL;
	if (!ready)
		waitq_add_locked(&ep->wq, &w);
	spin_unlock(&ep->wq.lock);
	if (ready)
		return -EINTR;
	struct timespec ts;
	long r;
	struct pollfd pfd[2] = { { .fd = ep->kfd, .events = POLLIN }, { .fd = kwait_busy_fd(), .events = POLLIN } };
	if (pfd[1].fd < 0) {
		r = solo_call(SYS_epoll_pwait2, ep->kfd, out, max, deadline ? (long)&ts : 0, &ts, deadline);
	} else {
		/* Others' kernel fds are watched (a listener's, for clients
		 * outside): wait on the shared set too, and park when it fires
		 * (its harvest is the scheduler's); this set's events are
		 * collected by a second call. */
		r = solo_call(SYS_ppoll, (long)pfd, 2, deadline ? (long)&ts : 0, 0, &ts, deadline);
		if (r > 0 && pfd[0].revents) {
			r = raw_syscall6(SYS_epoll_wait, ep->kfd, out, max, 0, 0, 0);
			if (r == 0)
				r = -EINTR; /* taken meanwhile: look again */
		} else if (r > 0) {
			r = -EAGAIN;
		}
	}
	waitq_remove(&w);
	return r >= 0 || r == -EINTR || r == -EFAULT ? r : -EAGAIN;
}

/* A blocking wait that kwait would have to watch for (kernel members,
 * nested sets' kernel parts, members moved into the kernel): kwait's
 * watches allocate, which the mid path may not (mtx held). */
static bool needs_kwait(struct eventpoll *ep)
{
	return nkernel(ep) || __atomic_load_n(&ep->nkparts, __ATOMIC_ACQUIRE) || ep->moved ||
	       __atomic_load_n(&ep->ndisarmed, __ATOMIC_ACQUIRE);
}

static long wait_loop(struct vfile *f, uint64_t out, int max, bool block, uint64_t deadline, bool looked,
		      bool mid);

long eventpoll_wait(struct vfile *f, uint64_t out, int max, bool block,
		    uint64_t deadline, bool looked)
{
	return wait_loop(f, out, max, block, deadline, looked, false);
}

long eventpoll_wait_mid(struct vfile *f, uint64_t out, int max, uint64_t deadline)
{
	return wait_loop(f, out, max, true, deadline, true, true);
}

static long wait_loop(struct vfile *f, uint64_t out, int max, bool block, uint64_t deadline, bool looked,
		      bool mid)
{
	struct eventpoll *ep = ep_of(f);
	/* A set kwait would have to watch parks on the full path (mid), but
	 * waits in its host epoll fd (solo_wait) on the mid path too: a server
	 * with its clients outside made two %fs changes a wait, without
	 * FSGSBASE. */
	/* Looks only spare a wait: readiness that comes after one ends the
	 * wait itself (the ready list's check under wq.lock, kwait, the
	 * kernel's own wait), so one just made need not be made again. */
	for (bool look = !(looked && block);; look = true) {
		int n = look ? collect(ep, out, max) : 0;
		if (n || !block)
			return n;
		long r = solo_wait(ep, out, max, deadline);
		if (r > 0 || r == -EFAULT)
			return r;
		if (r == 0) /* timed out: one last look, as below */
			return collect(ep, out, max);
		if (r == -EINTR) /* cut short: look again */
			continue;
		spin_lock(&ep->mtx);
		if (mid && needs_kwait(ep)) {
			spin_unlock(&ep->mtx);
			return -EAGAIN;
		}
		ep->nblocked++;
		watch(ep);
		spin_unlock(&ep->mtx);
		r = 0;
		spin_lock(&ep->wq.lock);
		/* kready counts only while the set has kernel members: only
		 * then does a look (kernel_collect) clear it. Fired, then left
		 * by its last member, it kept this loop from ever parking (a
		 * busy loop that held its vCPU: Go's netpoller, in caddy). A
		 * member added meanwhile wakes the wait when it fires. */
		if (!ep->rdhead && !(ep->kready && nkernel(ep))) {
			struct wq_entry w = { .events = WQ_ALL };
			r = waitq_park(&ep->wq, &w, deadline, true);
		} else {
			spin_unlock(&ep->wq.lock);
		}
		spin_lock(&ep->mtx);
		if (!--ep->nblocked)
			unwatch(ep);
		spin_unlock(&ep->mtx);
		if (r == -EINTR)
			return r;
		if (r == -ETIMEDOUT) /* one last look, as Linux's ep_poll */
			return collect(ep, out, max);
	}
}

/* ---- the set as a file: poll, release ---- */

#define POLL_SNAP 32

/* ep_fpoll - readable when an item on the ready list still has events,
 * or a kernel member does (Linux's ep_eventpoll_poll). Member polls run
 * without wq.lock (they may take their own locks). */
static uint32_t ep_fpoll(struct vfile *f)
{
	struct eventpoll *ep = ep_of(f);
	struct epitem *snap[POLL_SNAP];
	int ns = 0;
	bool ready = false;
	spin_lock(&ep->mtx); /* items stay alive meanwhile */
	spin_lock(&ep->wq.lock);
	for (struct epitem *x = ep->rdhead; x && !ready; x = x->rdnext) {
		if (ns == POLL_SNAP)
			ready = true; /* too many to look at: say ready, a wait sorts it out */
		else
			snap[ns++] = x;
	}
	spin_unlock(&ep->wq.lock);
	for (int i = 0; i < ns && !ready; i++)
		ready = item_poll(snap[i]) != 0;
	FOR_KPARTS(ep, x)
		ready = ready || item_poll(x) != 0;
	for (struct epitem *x = ep->moved; x && !ready; x = x->mnext)
		ready = item_poll(x) != 0;
	if (!ready && nkernel(ep)) {
		struct pollfd p = { .fd = ep->kfd, .events = POLLIN };
		ready = raw_syscall3(SYS_poll, (long)&p, 1, 0) == 1;
	}
	spin_unlock(&ep->mtx);
	return ready ? EPOLLIN | EPOLLRDNORM : 0;
}

/* Its kernel members' readiness, for poll and select to watch. */
static int ep_wait_fd(struct vfile *f)
{
	struct eventpoll *ep = ep_of(f);
	return nkernel(ep) ? ep->kfd : -1;
}

/* make_kfd - the set's host epoll fd, made the first time one is needed
 * (mtx held): a set of user-space files alone never has one. */
static int make_kfd(struct eventpoll *ep)
{
	if (ep->kfd < 0) {
		long r = raw_syscall3(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0);
		if (r < 0)
			return (int)r;
		__atomic_store_n(&ep->kfd, (int)r, __ATOMIC_RELEASE);
	}
	return ep->kfd;
}

/* What stands for the set where only a host fd can go (SCM_RIGHTS). */
static int ep_host_file(struct vfile *f)
{
	struct eventpoll *ep = ep_of(f);
	spin_lock(&ep->mtx);
	int r = make_kfd(ep);
	spin_unlock(&ep->mtx);
	return r;
}

/* ep_remove - take epi out of its set and off its file (mtx held). */
static void ep_remove(struct eventpoll *ep, struct epitem *epi)
{
	/* Off the head first: no callback runs on it after this. */
	waitq_remove(&epi->wait);
	kwait_unwatch(&epi->kw);
	spin_lock(&ep->wq.lock);
	rd_del(ep, epi);
	spin_unlock(&ep->wq.lock);
	hash_del(ep, epi);
	set_kpart(epi, false);
	for (struct epitem **pp = &ep->nested; *pp; pp = &(*pp)->nnext) {
		if (*pp == epi) {
			*pp = epi->nnext;
			break;
		}
	}
	for (struct epitem **pp = &ep->moved; epi->moved && *pp; pp = &(*pp)->mnext) {
		if (*pp == epi) {
			*pp = epi->mnext;
			break;
		}
	}
	if (ep->nspare < SPARE_MAX) {
		epi->hnext = ep->spare;
		ep->spare = epi;
		ep->nspare++;
	} else {
		free(epi);
	}
}

static void ep_release(struct vfile *f)
{
	struct eventpoll *ep = ep_of(f);
	spin_lock(&ep_global);
	spin_lock(&ep->mtx);
	for (unsigned i = 0; i < ep->nbuckets; i++)
		while (ep->hash[i])
			ep_remove(ep, ep->hash[i]);
	kwait_unwatch(&ep->kw);
	spin_unlock(&ep->mtx);
	spin_unlock(&ep_global);
	if (ep->kfd >= 0)
		raw_syscall3(SYS_close, ep->kfd, 0, 0);
	while (ep->spare) {
		struct epitem *x = ep->spare;
		ep->spare = x->hnext;
		free(x);
	}
	free(ep->hash);
	free(ep);
}

static void to_kernel(struct eventpoll *ep);
static void kernel_parents(struct eventpoll *ep);

/* ep_fork_prepare - before a fork: parent and child share the set as
 * Linux's share one epoll file, through its host epoll fd, which the
 * child's copy names too (ctl from either side, and waits, are the
 * kernel's then). */
static void ep_fork_prepare(struct vfile *f)
{
	struct eventpoll *ep = ep_of(f);
	spin_lock(&ep_global);
	to_kernel(ep);
	spin_lock(&ep->mtx);
	/* Made now even for a set with no member yet: what either side adds
	 * the other sees (Linux's one epoll file), and a DEL there of
	 * a member added here (or the reverse) leaves no count to trust. */
	if (make_kfd(ep) >= 0) {
		__atomic_store_n(&ep->kshared, true, __ATOMIC_RELEASE);
		update_lean(ep);
	}
	spin_unlock(&ep->mtx);
	spin_unlock(&ep_global);
	if (ep->kshared)
		kernel_parents(ep);
}

/* ep_leave - the set goes where only a host fd can (SCM_RIGHTS through a
 * kernel socket, to a process outside): shared from then on as with a
 * fork's child, so that the kernel's set is the whole set (a receiver
 * outside waited on an empty one) and either side's epoll_ctl is seen. */
static int ep_leave(struct vfile *f)
{
	ep_fork_prepare(f);
	return ep_host_file(f);
}

/* ep_after_fork - the child's copy: the parent's waiters are not here, and
 * the kernel part is looked at anew. */
static void ep_after_fork(struct vfile *f)
{
	struct eventpoll *ep = ep_of(f);
	memset(&ep->wq, 0, sizeof(ep->wq));
	/* Its kernel parts were watched for those waiters (kept by kwait's
	 * fork): a watch for nobody kept the child's vCPU from its solo waits. */
	if (ep->nblocked)
		unwatch(ep);
	ep->nblocked = 0;
	ep->kready = true;
}

const struct vfile_ops eventpoll_ops = {
	.name = "[eventpoll]",
	.poll = ep_fpoll,
	.wait_fd = ep_wait_fd,
	.host_file = ep_leave,
	.release = ep_release,
	.fork_copies = true,
	.fork_prepare = ep_fork_prepare,
	.after_fork = ep_after_fork,
};

struct vfile *eventpoll_create(long *err)
{
	struct eventpoll *ep = calloc(1, sizeof(*ep));
	if (!ep) {
		*err = -ENOMEM;
		return NULL;
	}
	vfile_init(&ep->vf, &eventpoll_ops, O_RDWR);
	ep->kfd = -1;
	ep->lean_kfd = -1;
	ep->kw = (struct wq_entry){ .events = EPOLLIN, .func = ep_kernel_fired };
	return &ep->vf;
}

void eventpoll_release_file(struct vfile *f)
{
	/* No fd is left, so no ADD can come: an empty head stays empty. */
	if (!__atomic_load_n(&f->poll_head.ncallbacks, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&ep_global);
	for (;;) {
		spin_lock(&f->poll_head.lock);
		struct wq_entry *e = f->poll_head.head;
		while (e && e->func != ep_poll_callback)
			e = e->next;
		spin_unlock(&f->poll_head.lock);
		if (!e)
			break;
		/* Items only leave under ep_global, which is held: e stays. */
		struct epitem *epi = CONTAINER(e, struct epitem, wait);
		struct eventpoll *ep = epi->ep;
		spin_lock(&ep->mtx);
		ep_remove(ep, epi);
		spin_unlock(&ep->mtx);
	}
	spin_unlock(&ep_global);
}

/* ---- epoll_ctl ---- */

/* depth_down - how deep the sets below ep go; past EP_MAX_NESTS if they
 * reach `into` (a cycle). ep_global held. */
static int depth_down(struct eventpoll *ep, const struct eventpoll *into, int depth)
{
	int result = 0;
	for (struct epitem *x = ep->nested; x && result <= EP_MAX_NESTS; x = x->nnext) {
		struct eventpoll *sub = ep_of(x->file);
		int d = sub == into || depth > EP_MAX_NESTS ? EP_MAX_NESTS + 1
							   : depth_down(sub, into, depth + 1) + 1;
		if (d > result)
			result = d;
	}
	return result;
}

/* depth_up - how many sets above ep (its items on other sets' lists).
 * ep_global held; heads are taken child before parent, as callbacks do. */
static int depth_up(struct eventpoll *ep, int depth)
{
	int result = 0;
	if (depth > EP_MAX_NESTS)
		return EP_MAX_NESTS + 1;
	spin_lock(&ep->vf.poll_head.lock);
	for (struct wq_entry *e = ep->vf.poll_head.head; e; e = e->next) {
		if (e->func != ep_poll_callback)
			continue;
		int d = depth_up(CONTAINER(e, struct epitem, wait)->ep, depth + 1) + 1;
		if (d > result)
			result = d;
	}
	spin_unlock(&ep->vf.poll_head.lock);
	return result;
}

/* Linux's ep_loop_check: no cycle, and no path longer than EP_MAX_NESTS. */
static bool loop_check(struct eventpoll *ep, struct eventpoll *to)
{
	int down = depth_down(to, ep, 0);
	return down > EP_MAX_NESTS || down + 1 + depth_up(ep, 0) > EP_MAX_NESTS;
}

/* insert - a new item (mtx held); true when it is ready at once. */
static long insert(struct eventpoll *ep, const struct ep_target *t, uint32_t events, uint64_t data,
		   bool *ready)
{
	if (ep->nitems >= ep->nbuckets && !hash_grow(ep))
		return -ENOMEM;
	struct epitem *epi = ep->spare;
	if (epi) {
		ep->spare = epi->hnext;
		ep->nspare--;
	} else if (!(epi = calloc(1, sizeof(*epi)))) {
		return -ENOMEM;
	}
	*epi = (struct epitem){
		.ep = ep, .file = t->file, .fd = t->fd, .events = events, .data = data,
		.wait = { .events = WQ_ALL, .func = ep_poll_callback, .exclusive = !!(events & EPOLLEXCLUSIVE) },
		.kw = { .events = EPOLLIN, .func = ep_nested_fired },
	};
	unsigned b = bucket(ep, t->file, t->fd);
	epi->hnext = ep->hash[b];
	ep->hash[b] = epi;
	ep->nitems++;
	update_lean(ep);
	if (is_eventpoll(t->file)) {
		epi->nnext = ep->nested;
		ep->nested = epi;
		set_kpart(epi, nkernel(ep_of(t->file)) > 0);
		if (kpart(epi) && ep->nblocked)
			kwait_watch(ep_of(t->file)->kfd, &epi->kw);
	} else if (vfile_in_kernel(t->file)) {
		to_moved(ep, epi);
	}
	/* As Linux's ep_ptable_queue_proc: an exclusive item at the tail,
	 * others at the head, so that of items that become ready at once the
	 * last added is reported first, as there. */
	if (epi->wait.exclusive)
		waitq_add(&t->file->poll_head, &epi->wait);
	else
		waitq_add_head(&t->file->poll_head, &epi->wait);
	/* After hanging: a change in between is caught by one or the other. */
	if (item_poll(epi)) {
		queue_ready(ep, epi);
		*ready = true;
	}
	return 0;
}

static long modify(struct eventpoll *ep, struct epitem *epi, uint32_t events, uint64_t data,
		   bool *ready)
{
	epi->data = data;
	__atomic_store_n(&epi->events, events, __ATOMIC_RELEASE);
	/* A moved member is watched with the events it had when the waiters
	 * parked (none, if its ONESHOT had fired): they watch the new ones. */
	if (epi->moved && ep->nblocked) {
		epi->kw.events = events & (EPOLLIN | EPOLLOUT);
		kwait_watch(epi->file->kfd, &epi->kw);
	}
	if (item_poll(epi)) {
		queue_ready(ep, epi);
		*ready = true;
	}
	return 0;
}

/* kernel_parents - ep gained or lost its kernel members: the sets it is in
 * look at them from now on, or no longer, and a waiter already parked on
 * it watches them. Under ep_global, from the count as it is then: the last
 * of two racing transitions leaves the right state. */
static void kernel_parents_locked(struct eventpoll *ep)
{
	bool on = nkernel(ep) > 0;
	spin_lock(&ep->mtx);
	if (on && ep->nblocked)
		kwait_watch(ep->kfd, &ep->kw);
	spin_unlock(&ep->mtx);
	spin_lock(&ep->vf.poll_head.lock);
	for (struct wq_entry *e = ep->vf.poll_head.head; e; e = e->next)
		if (e->func == ep_poll_callback)
			set_kpart(CONTAINER(e, struct epitem, wait), on);
	spin_unlock(&ep->vf.poll_head.lock);
}

static void kernel_parents(struct eventpoll *ep)
{
	spin_lock(&ep_global);
	kernel_parents_locked(ep);
	spin_unlock(&ep_global);
}

/*
 * to_kernel - the set becomes the kernel's as far as its members can
 * follow (ep_global held): each member whose file can move into the
 * kernel (a pipe, a socket, an eventfd; a nested set, the same way) is
 * moved and becomes a member of the host epoll fd with its events and
 * data. A member that describes its process (a signalfd) stays a
 * user-space item; one that can do neither stays as it is.
 */
static void to_kernel(struct eventpoll *ep)
{
	spin_lock(&ep->mtx);
	int added = 0;
	for (unsigned b = 0; b < ep->nbuckets; b++) {
		for (struct epitem *epi = ep->hash[b], *next; epi; epi = next) {
			next = epi->hnext;
			struct vfile *file = epi->file;
			int k = -1;
			if (is_eventpoll(file)) {
				/* Loops were refused at ADD: this ends. */
				to_kernel(ep_of(file));
				k = ep_of(file)->kfd;
			} else if (!file->ops->fork_copies && file->ops->host_file) {
				k = file->ops->host_file(file);
			}
			added += join_kernel(ep, epi, k);
		}
	}
	if (added)
		kernel_grew(ep, added);
	spin_unlock(&ep->mtx);
	if (added)
		kernel_parents_locked(ep);
}

/* kernel_ctl - a kernel member: the kernel's epoll does it all; the count
 * of members only matters when it leaves or reaches 0. */
static long kernel_ctl(struct eventpoll *ep, int op, int host, struct epoll_event *ev)
{
	int kfd = __atomic_load_n(&ep->kfd, __ATOMIC_ACQUIRE);
	if (kfd < 0 && (kfd = ep_host_file(&ep->vf)) < 0)
		return kfd;
	long r = raw_syscall6(SYS_epoll_ctl, kfd, op, host, (long)ev, 0, 0);
	if (r || op == EPOLL_CTL_MOD)
		return r;
	int n = __atomic_load_n(&ep->nkernel, __ATOMIC_ACQUIRE), to;
	do {
		to = op == EPOLL_CTL_ADD ? n + 1 : n ? n - 1 : 0;
	} while (!__atomic_compare_exchange_n(&ep->nkernel, &n, to, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	if (!n != !to)
		kernel_parents(ep);
	spin_lock(&ep->mtx);
	update_lean(ep);
	spin_unlock(&ep->mtx);
	return 0;
}

long eventpoll_ctl_kernel_mid(struct vfile *f, int op, int host, struct epoll_event *ev)
{
	struct eventpoll *ep = ep_of(f);
	int kfd = __atomic_load_n(&ep->kfd, __ATOMIC_ACQUIRE);
	/* No host epoll fd yet, EXCLUSIVE's rules, and a delete (a set's last
	 * kernel member changes what it and its parents watch): the full path's. */
	if (kfd < 0 || op == EPOLL_CTL_DEL || (ev->events & EPOLLEXCLUSIVE))
		return -EAGAIN;
	/* The first kernel member changes what waiters and parents watch
	 * (kernel_parents, which may allocate): the full path's. */
	if (op == EPOLL_CTL_ADD && !__atomic_load_n(&ep->nkernel, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	/* A refusal (EPERM for a regular file: Go tries each file it opens)
	 * and a change leave no count to keep. */
	long r = raw_syscall6(SYS_epoll_ctl, kfd, op, host, (long)ev, 0, 0);
	if (r || op == EPOLL_CTL_MOD)
		return r;
	int n = __atomic_load_n(&ep->nkernel, __ATOMIC_ACQUIRE);
	do {
		/* It became the first meanwhile (a delete beside): undone,
		 * the full path adds it again. */
		if (!n) {
			raw_syscall6(SYS_epoll_ctl, kfd, EPOLL_CTL_DEL, host, 0, 0, 0);
			return -EAGAIN;
		}
	} while (!__atomic_compare_exchange_n(&ep->nkernel, &n, n + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	spin_lock(&ep->mtx);
	update_lean(ep);
	spin_unlock(&ep->mtx);
	return 0;
}

long eventpoll_ctl_mid(struct vfile *f, int op, struct vfile *file, int fd, const struct epoll_event *ev)
{
	struct eventpoll *ep = ep_of(f);
	uint32_t events = ev ? ev->events & ~EPOLLWAKEUP : 0;
	/* EXCLUSIVE's rules, sets in sets, kernel files: the full path's. */
	if ((events & EPOLLEXCLUSIVE) || file == f || is_eventpoll(file) || vfile_in_kernel(file))
		return -EAGAIN;
	bool ready = false;
	long r = -EAGAIN;
	spin_lock(&ep_global);
	spin_lock(&ep->mtx);
	struct epitem *epi = find(ep, file, fd);
	/* Nothing allocated, nothing freed, nothing kwait watches (a moved
	 * member is watched there). */
	if (op == EPOLL_CTL_ADD && !epi && ep->spare && ep->nitems < ep->nbuckets) {
		struct ep_target t = { .file = file, .fd = fd, .host = -1 };
		r = insert(ep, &t, events | EPOLLERR | EPOLLHUP, ev->data.u64, &ready);
	} else if (op == EPOLL_CTL_DEL && epi && !epi->moved && ep->nspare < SPARE_MAX) {
		ep_remove(ep, epi);
		r = 0;
	} else if (op == EPOLL_CTL_MOD && epi && !epi->moved && !(ev_load(epi) & EPOLLEXCLUSIVE)) {
		r = modify(ep, epi, events | EPOLLERR | EPOLLHUP, ev->data.u64, &ready);
	}
	spin_unlock(&ep->mtx);
	spin_unlock(&ep_global);
	if (ready)
		notify_set(ep);
	return r;
}

long eventpoll_ctl(struct vfile *f, int op, const struct ep_target *t, struct epoll_event *ev)
{
	struct eventpoll *ep = ep_of(f);
	bool has_ev = op != EPOLL_CTL_DEL;
	if (t->file && !t->file->ops->poll)
		return -EPERM;
	if (t->file == f)
		return -EINVAL;
	/* A kernel file: the kernel's checks, in Linux's order (EPERM for a
	 * file that cannot be polled before EXCLUSIVE's EINVAL). */
	if (!t->file)
		return kernel_ctl(ep, op, t->host, ev);
	/* No CAP_BLOCK_SUSPEND here: Linux drops the flag then. */
	uint32_t events = has_ev ? ev->events & ~EPOLLWAKEUP : 0;
	if (has_ev && (events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD ||
	     (op == EPOLL_CTL_ADD && (is_eventpoll(t->file) || (events & ~EXCLUSIVE_OK_BITS)))))
		return -EINVAL;
	events |= EPOLLERR | EPOLLHUP; /* always reported, as Linux */
	bool ready = false;
	long r = 0;
	spin_lock(&ep_global);
	if (op == EPOLL_CTL_ADD && is_eventpoll(t->file) && loop_check(ep, ep_of(t->file)))
		r = -ELOOP;
	spin_lock(&ep->mtx);
	struct epitem *epi = r ? NULL : find(ep, t->file, t->fd);
	/* A file in the kernel that is not an item here is a kernel member,
	 * under its own kernel fd (added so, or moved by to_kernel): as the
	 * kernel's, ET and ONESHOT are exact and a set shared with a forked
	 * child sees the child's changes. */
	if (!r && !epi && vfile_in_kernel(t->file)) {
		spin_unlock(&ep->mtx);
		spin_unlock(&ep_global);
		return kernel_ctl(ep, op, t->file->kfd, ev);
	}
	if (!r) {
		switch (op) {
		case EPOLL_CTL_ADD:
			r = epi ? -EEXIST : insert(ep, t, events, ev->data.u64, &ready);
			break;
		case EPOLL_CTL_DEL:
			if (epi)
				ep_remove(ep, epi);
			r = epi ? 0 : -ENOENT;
			break;
		case EPOLL_CTL_MOD:
			r = !epi ? -ENOENT : (ev_load(epi) & EPOLLEXCLUSIVE) ? -EINVAL
				: modify(ep, epi, events, ev->data.u64, &ready);
			break;
		default:
			r = -EINVAL;
		}
	}
	spin_unlock(&ep->mtx);
	spin_unlock(&ep_global);
	if (ready)
		notify_set(ep);
	return r;
}
