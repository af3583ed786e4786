/* The futex system call, used directly, and robust mutexes.
 *
 *   futex [SECTION...]   (default: all, in order)
 *
 * value     FUTEX_WAIT on a word that does not hold the value: EAGAIN;
 *           bad arguments: EINVAL
 * timeout   relative FUTEX_WAIT timeouts (private and shared), absolute
 *           FUTEX_WAIT_BITSET on CLOCK_MONOTONIC and CLOCK_REALTIME, a
 *           deadline in the past; none returns before its time
 * wake      FUTEX_WAKE counts. Waiters are first moved to a second word with
 *           FUTEX_CMP_REQUEUE (nr_wake 0), whose return value counts them:
 *           so every later count is exact, whatever the timing
 * requeue   FUTEX_REQUEUE and FUTEX_CMP_REQUEUE counts, CMP_REQUEUE with a
 *           stale value: EAGAIN
 * wakeop    FUTEX_WAKE_OP: the operation on the second word, the
 *           comparison deciding whether its waiters wake
 * quirks    Linux details no libc relies on: FUTEX_WAKE of 0 wakes one; a
 *           shared and a private wait on the same address do not meet;
 *           FUTEX_WAIT with FUTEX_CLOCK_REALTIME is ENOSYS
 * bitset    FUTEX_WAKE_BITSET wakes only waiters with a common bit
 * robust    a thread ends holding a PTHREAD_MUTEX_ROBUST mutex: the next
 *           locker (already blocked, or later) gets EOWNERDEAD;
 *           pthread_mutex_consistent; ENOTRECOVERABLE when not made
 *           consistent
 * robustproc  the same across processes: the owner's program ends (exit,
 *           a thread beside exit, SIGTERM, an exec) holding a
 *           process-shared robust mutex */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static long fx(void *uaddr, int op, int val, const void *ts_or_val2, void *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts_or_val2, uaddr2, val3);
}
/* "0" or the errno name of a call that returned -1 */
static const char *res(long r) { return r == 0 ? "0" : r < 0 ? strerrorname_np(errno) : "positive"; }

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static struct timespec abs_after(clockid_t c, long ms)
{
    int64_t t = now_ns(c) + ms * 1000000LL;
    return (struct timespec){ t / 1000000000LL, t % 1000000000LL };
}
/* ---- value, bad arguments ------------------------------------------------- */

static void sec_value(void)
{
    say("== value");
    static int w = 1;
    say("FUTEX_WAIT private, *w=1, val 0 -> %s", res(fx(&w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
    say("FUTEX_WAIT shared, *w=1, val 0 -> %s", res(fx(&w, FUTEX_WAIT, 0, NULL, NULL, 0)));
    say("FUTEX_WAIT_BITSET, *w=1, val 2 -> %s",
        res(fx(&w, FUTEX_WAIT_BITSET_PRIVATE, 2, NULL, NULL, FUTEX_BITSET_MATCH_ANY)));
    struct timespec bad = { 0, 1000000000 };
    say("FUTEX_WAIT, tv_nsec 1e9 -> %s", res(fx(&w, FUTEX_WAIT_PRIVATE, 1, &bad, NULL, 0)));
    bad = (struct timespec){ -1, 0 };
    say("FUTEX_WAIT, tv_sec -1 -> %s", res(fx(&w, FUTEX_WAIT_PRIVATE, 1, &bad, NULL, 0)));
    say("FUTEX_WAIT_BITSET, bitset 0 -> %s", res(fx(&w, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0)));
    say("FUTEX_WAKE_BITSET, bitset 0 -> %s", res(fx(&w, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0)));
    say("unaligned address -> %s", res(fx((char *)&w + 1, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
    say("unknown op 99 -> %s", res(fx(&w, 99 | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0)));
    say("FUTEX_WAIT on address 8 -> %s", res(fx((void *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
    say("FUTEX_WAKE with nobody waiting -> %ld", fx(&w, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0));
    say("FUTEX_CLOCK_REALTIME with FUTEX_WAKE -> %s",
        res(fx(&w, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
}

/* ---- timeouts -------------------------------------------------------------- */

static void timed(const char *what, int op, clockid_t clk, struct timespec *ts, int64_t not_before,
                  int absolute)
{
    static int w;
    int64_t t0 = now_ns(clk);
    long r = fx(&w, op, 0, ts, NULL, FUTEX_BITSET_MATCH_ANY);
    int e = errno;
    int64_t t1 = now_ns(clk);
    errno = e;
    say("%s -> %s", what, res(r));
    if (r == 0 || (r < 0 && e != ETIMEDOUT))
        return; /* no timeout to check */
    if (absolute)
        CHECK(t1 >= not_before, "returned %lld ns before the deadline", (long long)(not_before - t1));
    else
        CHECK(t1 - t0 >= not_before, "returned after %lld ns", (long long)(t1 - t0));
}

static void sec_timeout(void)
{
    say("== timeout");
    struct timespec ts = { 0, 50000000 };
    timed("FUTEX_WAIT private, relative 50 ms", FUTEX_WAIT_PRIVATE, CLOCK_MONOTONIC, &ts, 50000000, 0);
    ts = (struct timespec){ 0, 30000000 };
    timed("FUTEX_WAIT shared, relative 30 ms", FUTEX_WAIT, CLOCK_MONOTONIC, &ts, 30000000, 0);
    ts = (struct timespec){ 0, 0 };
    timed("FUTEX_WAIT, relative 0", FUTEX_WAIT_PRIVATE, CLOCK_MONOTONIC, &ts, 0, 0);

    ts = abs_after(CLOCK_MONOTONIC, 40);
    timed("FUTEX_WAIT_BITSET, absolute CLOCK_MONOTONIC +40 ms", FUTEX_WAIT_BITSET_PRIVATE,
          CLOCK_MONOTONIC, &ts, ts.tv_sec * 1000000000LL + ts.tv_nsec, 1);
    ts = abs_after(CLOCK_REALTIME, 40);
    timed("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, absolute +40 ms",
          FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, CLOCK_REALTIME, &ts,
          ts.tv_sec * 1000000000LL + ts.tv_nsec, 1);
    ts = abs_after(CLOCK_MONOTONIC, 30);
    timed("FUTEX_WAIT_BITSET shared, absolute CLOCK_MONOTONIC +30 ms", FUTEX_WAIT_BITSET,
          CLOCK_MONOTONIC, &ts, ts.tv_sec * 1000000000LL + ts.tv_nsec, 1);
    ts = abs_after(CLOCK_MONOTONIC, -1000);
    timed("FUTEX_WAIT_BITSET, absolute deadline 1 s ago", FUTEX_WAIT_BITSET_PRIVATE, CLOCK_MONOTONIC,
          &ts, 0, 1);
    ts = (struct timespec){ 0, 0 };
    timed("FUTEX_WAIT_BITSET, absolute time 0", FUTEX_WAIT_BITSET_PRIVATE, CLOCK_MONOTONIC, &ts, 0, 1);
}

/* ---- waiters parked on a word ------------------------------------------------- */

static atomic_int word_a, word_go, woken;
struct waiter {
    pthread_t t;
    atomic_int *word;
    int op;       /* FUTEX_WAIT_PRIVATE or FUTEX_WAIT (shared) */
    unsigned bits;
};
static void *waiter_fn(void *arg)
{
    struct waiter *w = arg;
    /* parked until word_go; a wake of the word it sits on ends it */
    while (!atomic_load(&word_go))
        fx(w->word, w->op, 0, NULL, NULL, (int)w->bits);
    atomic_fetch_add(&woken, 1);
    return NULL;
}

/* Start n waiters on word_a, then move all of them to *to with
 * FUTEX_CMP_REQUEUE (waking none); returns how many were moved. */
static int park_bits(struct waiter *w, int n, atomic_int *to, int op, const unsigned *bits);
static int park(struct waiter *w, int n, atomic_int *to, int op)
{
    return park_bits(w, n, to, op, NULL);
}
static int park_bits(struct waiter *w, int n, atomic_int *to, int op, const unsigned *bits)
{
    atomic_store(&word_a, 0);
    atomic_store(&word_go, 0);
    atomic_store(&woken, 0);
    for (int i = 0; i < n; i++) {
        w[i].word = &word_a;
        w[i].op = op;
        w[i].bits = bits ? bits[i] : FUTEX_BITSET_MATCH_ANY;
        pthread_create(&w[i].t, NULL, waiter_fn, &w[i]);
    }
    int moved = 0;
    int cmp = op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET ? FUTEX_CMP_REQUEUE : FUTEX_CMP_REQUEUE_PRIVATE;
    for (int tries = 0; moved < n && tries < 5000; tries++) {
        long r = fx(&word_a, cmp, 0, (void *)(long)INT_MAX, to, 0);
        if (r > 0)
            moved += (int)r;
        else
            msleep(1);
    }
    return moved;
}
static int wait_woken(int n)
{
    for (int i = 0; i < 2000 && atomic_load(&woken) < n; i++)
        msleep(1);
    return atomic_load(&woken);
}
static void unpark(struct waiter *w, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(w[i].t, NULL);
}

static void sec_wake(void)
{
    say("== wake");
    static atomic_int b;
    struct waiter w[6];
    int moved = park(w, 6, &b, FUTEX_WAIT_PRIVATE);
    say("6 waiters moved to word b by CMP_REQUEUE: %d", moved);
    say("FUTEX_WAKE a (nobody left there), INT_MAX -> %ld", fx(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    atomic_store(&word_go, 1);
    say("FUTEX_WAKE b, 1 -> %ld", fx(&b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    say("  woken: %d", wait_woken(1));
    say("FUTEX_WAKE b, 2 -> %ld", fx(&b, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0));
    say("  woken: %d", wait_woken(3));
    say("FUTEX_WAKE b, INT_MAX -> %ld", fx(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    say("  woken: %d", wait_woken(6));
    unpark(w, 6);

    /* shared (non-private) futexes on private memory */
    static atomic_int c;
    moved = park(w, 3, &c, FUTEX_WAIT);
    say("3 shared waiters moved: %d", moved);
    atomic_store(&word_go, 1);
    say("FUTEX_WAKE c shared, INT_MAX -> %ld", fx(&c, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
    say("  woken: %d", wait_woken(3));
    unpark(w, 3);
}

static void sec_requeue(void)
{
    say("== requeue");
    static atomic_int b, c;
    struct waiter w[5];
    int moved = park(w, 5, &b, FUTEX_WAIT_PRIVATE);
    say("5 waiters on b: %d", moved);
    atomic_store(&b, 9);
    say("CMP_REQUEUE b with a stale value -> %s",
        res(fx(&b, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &c, 0)));
    atomic_store(&word_go, 1);
    say("FUTEX_REQUEUE b -> c, wake 1, requeue 2 -> %ld",
        fx(&b, FUTEX_REQUEUE_PRIVATE, 1, (void *)2L, &c, 0));
    say("  woken: %d", wait_woken(1));
    say("CMP_REQUEUE b -> c, val 9, wake 0, requeue 1 -> %ld",
        fx(&b, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &c, 9));
    say("FUTEX_WAKE b, INT_MAX -> %ld", fx(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    say("  woken: %d", wait_woken(2));
    say("FUTEX_WAKE c, INT_MAX -> %ld", fx(&c, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    say("  woken: %d", wait_woken(5));
    unpark(w, 5);
}

static void sec_wakeop(void)
{
    say("== wakeop");
    static atomic_int x, y;
    struct waiter w[4];
    int moved = park(w, 4, &x, FUTEX_WAIT_PRIVATE);
    /* two of them on y */
    long r = fx(&x, FUTEX_REQUEUE_PRIVATE, 0, (void *)2L, &y, 0);
    say("4 waiters parked: %d, 2 moved on to y: %ld", moved, r);
    atomic_store(&word_go, 1);
    atomic_store(&y, 5);
    r = fx(&x, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &y, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 5));
    say("WAKE_OP x:1, y:1, *y += 1 if old == 5 -> %ld, y now %d", r, atomic_load(&y));
    say("  woken: %d", wait_woken(2));
    r = fx(&x, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &y, FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 100));
    say("WAKE_OP x:1, y:1, *y = 0 if old > 100 -> %ld, y now %d", r, atomic_load(&y));
    say("  woken: %d", wait_woken(3));
    atomic_store(&y, 12);
    r = fx(&x, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &y,
           FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_NE, 0));
    say("WAKE_OP x:1, y:1, *y |= 1<<4 if old != 0 -> %ld, y now %d", r, atomic_load(&y));
    say("  woken: %d", wait_woken(4));
    unpark(w, 4);
}

static void sec_bitset(void)
{
    say("== bitset");
    static atomic_int b;
    struct waiter w[3];
    /* waiters with bitsets 1, 2, 4 on word_a, moved to b (a requeued
     * waiter keeps its bitset) and so counted */
    unsigned bits[3] = { 1, 2, 4 };
    int moved = park_bits(w, 3, &b, FUTEX_WAIT_BITSET_PRIVATE, bits);
    say("3 waiters with bitsets 1, 2, 4 moved to b: %d", moved);
    atomic_store(&word_go, 1);
    long r = fx(&b, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x80000000);
    say("WAKE_BITSET 0x80000000 -> %ld", r);
    r = fx(&b, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 2);
    say("WAKE_BITSET 2 -> %ld", r);
    say("  woken: %d", wait_woken(1));
    r = fx(&b, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 5);
    say("WAKE_BITSET 5, at most 1 -> %ld", r);
    say("  woken: %d", wait_woken(2));
    r = fx(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    say("FUTEX_WAKE (any bitset) -> %ld", r);
    say("  woken: %d", wait_woken(3));
    unpark(w, 3);
}

/* ---- Linux's corner cases ------------------------------------------------------- */

static void sec_quirks(void)
{
    say("== quirks");
    static atomic_int b;
    struct waiter w[3];
    int moved = park(w, 3, &b, FUTEX_WAIT_PRIVATE);
    say("3 private waiters on b: %d", moved);
    atomic_store(&word_go, 1);
    /* futex_wake() wakes before it compares the count */
    say("FUTEX_WAKE b, nr_wake 0 -> %ld", fx(&b, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0));
    say("  woken: %d", wait_woken(1));
    /* a shared key (mm, address, FUT_OFF_MMSHARED) is not the private one */
    say("FUTEX_WAKE b shared, private waiters -> %ld", fx(&b, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
    say("FUTEX_WAKE b private -> %ld", fx(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    say("  woken: %d", wait_woken(3));
    unpark(w, 3);
    static atomic_int c;
    moved = park(w, 2, &c, FUTEX_WAIT);
    say("2 shared waiters on c: %d", moved);
    atomic_store(&word_go, 1);
    say("FUTEX_WAKE c private, shared waiters -> %ld", fx(&c, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    say("FUTEX_WAKE c shared -> %ld", fx(&c, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
    say("  woken: %d", wait_woken(2));
    unpark(w, 2);
    /* FUTEX_CLOCK_REALTIME is for WAIT_BITSET (and the PI ops) only */
    static int x;
    struct timespec ts = { 0, 1000000 };
    say("FUTEX_WAIT|FUTEX_CLOCK_REALTIME -> %s",
        res(fx(&x, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &ts, NULL, 0)));
}

/* ---- robust mutexes ------------------------------------------------------------- */

static pthread_mutex_t rm;
static atomic_int rb_state;
static void *rb_die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&rm);
    atomic_store(&rb_state, 1);
    while (atomic_load(&rb_state) != 2) /* the blocked locker is on its way */
        msleep(1);
    msleep(30);
    return NULL; /* ends holding the mutex */
}
static void *rb_locker(void *arg)
{
    (void)arg;
    int e = pthread_mutex_lock(&rm);
    if (e == EOWNERDEAD) {
        int c = pthread_mutex_consistent(&rm);
        pthread_mutex_unlock(&rm);
        return (void *)(long)(c == 0 ? 1000 + e : -1);
    }
    if (e == 0)
        pthread_mutex_unlock(&rm);
    return (void *)(long)e;
}
static void *rb_exit_holding(void *arg)
{
    pthread_mutex_lock(arg);
    pthread_exit(NULL);
}

static void *rb_exit_holding3(void *arg)
{
    pthread_mutex_t *m = arg;
    for (int i = 0; i < 3; i++)
        pthread_mutex_lock(&m[i]);
    return NULL;
}

static void *rb_idle(void *arg)
{
    (void)arg;
    return NULL;
}

static void sec_robust(void)
{
    say("== robust");
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&rm, &a);

    /* later locker */
    pthread_t t;
    pthread_create(&t, NULL, rb_exit_holding, &rm);
    pthread_join(t, NULL);
    int e = pthread_mutex_lock(&rm);
    say("owner called pthread_exit holding it: lock -> %s", e ? strerrorname_np(e) : "0");
    say("pthread_mutex_consistent -> %d", pthread_mutex_consistent(&rm));
    int u = pthread_mutex_unlock(&rm);
    say("unlock -> %d, lock again -> %d", u, pthread_mutex_lock(&rm));
    pthread_mutex_unlock(&rm);

    /* a locker already blocked when the owner ends */
    atomic_store(&rb_state, 0);
    pthread_t d, l;
    pthread_create(&d, NULL, rb_die_holding, NULL);
    while (atomic_load(&rb_state) != 1)
        msleep(1);
    pthread_create(&l, NULL, rb_locker, NULL);
    atomic_store(&rb_state, 2);
    void *r;
    pthread_join(d, NULL);
    pthread_join(l, &r);
    long v = (long)r;
    say("blocked locker when the owner returned: %s",
        v == 1000 + EOWNERDEAD ? "EOWNERDEAD, made consistent" : v == 0 ? "0" : strerrorname_np((int)v));

    /* not made consistent: unusable */
    pthread_create(&t, NULL, rb_exit_holding, &rm);
    pthread_join(t, NULL);
    e = pthread_mutex_lock(&rm);
    u = pthread_mutex_unlock(&rm);
    say("owner died again: lock -> %s; unlock without consistent -> %d", strerrorname_np(e), u);
    e = pthread_mutex_lock(&rm);
    int e2 = pthread_mutex_trylock(&rm);
    say("then lock -> %s, trylock -> %s", strerrorname_np(e), strerrorname_np(e2));

    /* robust + errorcheck, and trylock on a dead owner */
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t m2;
    pthread_mutex_init(&m2, &a);
    pthread_create(&t, NULL, rb_exit_holding, &m2);
    pthread_join(t, NULL);
    e = pthread_mutex_trylock(&m2);
    int c = pthread_mutex_consistent(&m2);
    e2 = pthread_mutex_lock(&m2);
    say("robust errorcheck, dead owner: trylock -> %s, consistent -> %d, relock -> %s",
        strerrorname_np(e), c, strerrorname_np(e2));
    pthread_mutex_unlock(&m2);

    /* many threads each die holding their own robust mutex */
    static pthread_mutex_t ms[20];
    for (int i = 0; i < 20; i++)
        pthread_mutex_init(&ms[i], &a);
    pthread_t ts[20];
    for (int i = 0; i < 20; i++)
        pthread_create(&ts[i], NULL, rb_exit_holding, &ms[i]);
    int dead = 0;
    for (int i = 0; i < 20; i++) {
        pthread_join(ts[i], NULL);
        if (pthread_mutex_lock(&ms[i]) == EOWNERDEAD)
            dead++;
    }
    say("20 threads died holding one each: EOWNERDEAD for %d", dead);

    /* a joiner that sees the tid cleared reuses the stack, and the list
     * head on it, at once: the list was walked before (Linux's order) */
    static pthread_mutex_t reused[1000];
    int held = 0;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_init(&reused[i], &a);
        pthread_create(&t, NULL, rb_exit_holding, &reused[i]);
        while (pthread_tryjoin_np(t, NULL) == EBUSY)
            ;
        pthread_create(&t, NULL, rb_idle, NULL);
        pthread_join(t, NULL);
    }
    for (int i = 0; i < 1000; i++)
        held += pthread_mutex_trylock(&reused[i]) == EBUSY;
    say("1000 owners joined at once, their stacks reused: %d still held", held);

    /* one thread dies holding three */
    static pthread_mutex_t several[3];
    for (int i = 0; i < 3; i++)
        pthread_mutex_init(&several[i], &a);
    pthread_create(&t, NULL, rb_exit_holding3, several);
    pthread_join(t, NULL);
    printf("one thread died holding three:");
    for (int i = 0; i < 3; i++)
        printf(" %s", strerrorname_np(pthread_mutex_lock(&several[i])));
    printf("\n");
    pthread_mutexattr_destroy(&a);
}

/* robustproc: a process-shared robust mutex whose owner's program ends
 * holding it (exit, a thread beside exit, a fatal signal, an exec): the
 * next locker, in another process, gets EOWNERDEAD. tdb (Samba) checks
 * this at start and runs without mutexes if it fails. */
static pthread_mutex_t *shared_rm;

static void *rb_hold(void *arg)
{
    (void)arg;
    pthread_mutex_lock(shared_rm);
    atomic_store(&rb_state, 1);
    for (;;)
        pause();
    return NULL;
}

static void rb_after(const char *how, pid_t c)
{
    int st = 0;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR)
        ;
    int e = pthread_mutex_trylock(shared_rm);
    if (e == EOWNERDEAD) {
        pthread_mutex_consistent(shared_rm);
        pthread_mutex_unlock(shared_rm);
    } else if (e == 0) {
        pthread_mutex_unlock(shared_rm);
    }
    say("%s: %s, next trylock -> %s", how,
        WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : WIFEXITED(st) ? "exited" : "?", e ? strerrorname_np(e) : "0");
}

static void sec_robustproc(void)
{
    say("== robustproc");
    shared_rm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(shared_rm, &a);
    int p[2];
    char c;

    pid_t k = fork();
    if (k == 0) {
        pthread_mutex_lock(shared_rm);
        _exit(0);
    }
    rb_after("a child exits holding it", k);

    if (pipe(p) < 0)
        return;
    k = fork();
    if (k == 0) {
        atomic_store(&rb_state, 0);
        pthread_t t;
        pthread_create(&t, NULL, rb_hold, NULL);
        while (atomic_load(&rb_state) != 1)
            msleep(1);
        _exit(0); /* exit_group: the holder ends with its program */
    }
    rb_after("a child's thread holds it when the child exits", k);

    k = fork();
    if (k == 0) {
        pthread_mutex_lock(shared_rm);
        close(p[0]);
        if (write(p[1], "x", 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        say("robustproc: no word from the child");
    close(p[0]);
    kill(k, SIGTERM);
    rb_after("a child killed by SIGTERM holding it", k);

    k = fork();
    if (k == 0) {
        pthread_mutex_lock(shared_rm);
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    rb_after("a child execs holding it", k);
}

static const struct section sections[] = {
    { "value", sec_value },   { "timeout", sec_timeout }, { "wake", sec_wake },   { "requeue", sec_requeue },
    { "wakeop", sec_wakeop }, { "bitset", sec_bitset },   { "robust", sec_robust },
    { "quirks", sec_quirks }, { "robustproc", sec_robustproc },
};
#define NSEC (sizeof sections / sizeof sections[0])

int main(int argc, char **argv)
{
    return run_sections("futex", argc, argv, sections, NSEC);
}
