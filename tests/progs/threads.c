/* pthread primitives, checked for results that do not depend on timing.
 *
 *   threads [SECTION...]     run these sections (default: all but the
 *                            ones marked "own" below), in order
 *
 * Sections: mutex, cond, rwlock, barrier, sem, tls, once, cancel, join,
 * many (1,000 threads alive at once, then 1,000 more in batches),
 * spin (a busy thread beside a sleeping one that prints ticks; "own"),
 * fifo (threads blocked forever in open/read of FIFOs while the process
 * exits 0; "own": it must be last), mainexit (main calls pthread_exit; the
 * last thread's return ends the process with 0; "own"), affinity.
 *
 * A timed wait that times out must return no earlier than asked; nothing
 * else here looks at the clock. Every section prints what it found; a
 * failed check prints "FAIL ..." and makes the exit status 1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define EQ(a, b) CHECK((long)(a) == (long)(b), "%ld != %ld", (long)(a), (long)(b))

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec deadline(clockid_t c, long ms)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static int64_t ts_ns(struct timespec ts) { return ts.tv_sec * 1000000000LL + ts.tv_nsec; }

static pthread_t spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int e = pthread_create(&t, NULL, fn, arg);
    if (e) {
        printf("FAIL pthread_create: %s\n", strerror(e));
        exit(1);
    }
    return t;
}

static void *join(pthread_t t)
{
    void *r = NULL;
    int e = pthread_join(t, &r);
    EQ(e, 0);
    return r;
}

/* ---- mutex ---------------------------------------------------------------- */

static pthread_mutex_t m_count = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *m_adder(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&m_count);
        long c = counter; /* a torn increment shows up in the total */
        if ((i & 1023) == 0)
            sched_yield();
        counter = c + 1;
        pthread_mutex_unlock(&m_count);
    }
    return NULL;
}

static pthread_mutex_t *m_target;
static void *m_try(void *arg)
{
    (void)arg;
    return (void *)(long)pthread_mutex_trylock(m_target);
}
static void *m_unlock_other(void *arg)
{
    (void)arg;
    return (void *)(long)pthread_mutex_unlock(m_target);
}
static void *m_timed(void *arg)
{
    long ms = (long)arg;
    struct timespec dl = deadline(CLOCK_REALTIME, ms);
    int e = pthread_mutex_timedlock(m_target, &dl);
    int64_t late = now_ns(CLOCK_REALTIME) - ts_ns(dl);
    CHECK(late >= 0, "timedlock returned %lld ns before its deadline", (long long)-late);
    return (void *)(long)e;
}
static void *m_clocklock(void *arg)
{
    long ms = (long)arg;
    struct timespec dl = deadline(CLOCK_MONOTONIC, ms);
    int e = pthread_mutex_clocklock(m_target, CLOCK_MONOTONIC, &dl);
    int64_t late = now_ns(CLOCK_MONOTONIC) - ts_ns(dl);
    CHECK(late >= 0, "clocklock returned %lld ns early", (long long)-late);
    return (void *)(long)e;
}

static void sec_mutex(void)
{
    say("== mutex");
    /* normal: contended counter */
    pthread_t t[4];
    counter = 0;
    for (int i = 0; i < 4; i++)
        t[i] = spawn(m_adder, (void *)50000L);
    for (int i = 0; i < 4; i++)
        join(t[i]);
    say("normal: 4 threads x 50000 increments = %ld", counter);
    EQ(counter, 200000);

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    m_target = &m;
    EQ(pthread_mutex_trylock(&m), 0);
    say("normal: trylock by other thread while held -> %s",
        strerrorname_np((int)(long)join(spawn(m_try, NULL))));
    say("normal: timedlock 50 ms while held -> %s",
        strerrorname_np((int)(long)join(spawn(m_timed, (void *)50L))));
    say("normal: clocklock(MONOTONIC) 30 ms while held -> %s",
        strerrorname_np((int)(long)join(spawn(m_clocklock, (void *)30L))));
    EQ(pthread_mutex_unlock(&m), 0);

    /* recursive */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t r;
    pthread_mutex_init(&r, &a);
    m_target = &r;
    EQ(pthread_mutex_lock(&r), 0);
    EQ(pthread_mutex_lock(&r), 0);
    EQ(pthread_mutex_trylock(&r), 0);
    say("recursive: locked 3 times; other thread trylock -> %s",
        strerrorname_np((int)(long)join(spawn(m_try, NULL))));
    say("recursive: other thread unlock -> %s",
        strerrorname_np((int)(long)join(spawn(m_unlock_other, NULL))));
    int u1 = pthread_mutex_unlock(&r), u2 = pthread_mutex_unlock(&r), u3 = pthread_mutex_unlock(&r);
    int u4 = pthread_mutex_unlock(&r);
    say("recursive: unlock x3 -> %d %d %d, 4th -> %s", u1, u2, u3, strerrorname_np(u4));
    say("recursive: other thread trylock now -> %d", (int)(long)join(spawn(m_try, NULL)));
    say("recursive: main unlocks it, held by that (finished) thread -> %s",
        strerrorname_np(pthread_mutex_unlock(&r)));

    /* errorcheck */
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t ec;
    pthread_mutex_init(&ec, &a);
    m_target = &ec;
    EQ(pthread_mutex_lock(&ec), 0);
    say("errorcheck: relock -> %s", strerrorname_np(pthread_mutex_lock(&ec)));
    say("errorcheck: unlock by other thread -> %s",
        strerrorname_np((int)(long)join(spawn(m_unlock_other, NULL))));
    EQ(pthread_mutex_unlock(&ec), 0);
    say("errorcheck: unlock when unlocked -> %s", strerrorname_np(pthread_mutex_unlock(&ec)));
    pthread_mutex_destroy(&ec);
    pthread_mutexattr_destroy(&a);
}

/* ---- condition variables ------------------------------------------------- */

#define QN 16
static struct {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    long buf[QN];
    int head, tail, n;
} q = { .m = PTHREAD_MUTEX_INITIALIZER, .not_empty = PTHREAD_COND_INITIALIZER, .not_full = PTHREAD_COND_INITIALIZER };

static void q_put(long v)
{
    pthread_mutex_lock(&q.m);
    while (q.n == QN)
        pthread_cond_wait(&q.not_full, &q.m);
    q.buf[q.tail] = v;
    q.tail = (q.tail + 1) % QN;
    q.n++;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.m);
}
static long q_get(void)
{
    pthread_mutex_lock(&q.m);
    while (q.n == 0)
        pthread_cond_wait(&q.not_empty, &q.m);
    long v = q.buf[q.head];
    q.head = (q.head + 1) % QN;
    q.n--;
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.m);
    return v;
}
static void *producer(void *arg)
{
    long base = (long)arg;
    for (long i = 1; i <= 20000; i++)
        q_put(base + i);
    return NULL;
}
static void *consumer(void *arg)
{
    (void)arg;
    long sum = 0, v;
    while ((v = q_get()) != -1)
        sum += v;
    return (void *)sum;
}

static pthread_mutex_t b_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t b_c = PTHREAD_COND_INITIALIZER, b_main = PTHREAD_COND_INITIALIZER;
static int b_go, b_waiting, b_woken;
static void *b_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b_m);
    b_waiting++;
    pthread_cond_signal(&b_main);
    while (!b_go)
        pthread_cond_wait(&b_c, &b_m);
    b_woken++;
    pthread_mutex_unlock(&b_m);
    return NULL;
}

static void sec_cond(void)
{
    say("== cond");
    pthread_t p[2], c[3];
    for (int i = 0; i < 3; i++)
        c[i] = spawn(consumer, NULL);
    p[0] = spawn(producer, (void *)0L);
    p[1] = spawn(producer, (void *)1000000L);
    join(p[0]);
    join(p[1]);
    for (int i = 0; i < 3; i++)
        q_put(-1);
    long total = 0;
    for (int i = 0; i < 3; i++)
        total += (long)join(c[i]);
    say("signal: 2 producers, 3 consumers, bounded queue: sum %ld", total);
    EQ(total, 2 * (20000L * 20001 / 2) + 20000L * 1000000);

    pthread_t w[6];
    for (int i = 0; i < 6; i++)
        w[i] = spawn(b_waiter, NULL);
    pthread_mutex_lock(&b_m);
    while (b_waiting < 6)
        pthread_cond_wait(&b_main, &b_m);
    b_go = 1;
    pthread_cond_broadcast(&b_c);
    pthread_mutex_unlock(&b_m);
    for (int i = 0; i < 6; i++)
        join(w[i]);
    say("broadcast: %d of 6 waiters woke", b_woken);

    /* timed waits that time out */
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    struct timespec dl = deadline(CLOCK_REALTIME, 80);
    int e;
    do
        e = pthread_cond_timedwait(&cv, &m, &dl);
    while (e == 0);
    int64_t late = now_ns(CLOCK_REALTIME) - ts_ns(dl);
    say("timedwait (REALTIME, 80 ms) -> %s, mutex held after: %s", strerrorname_np(e),
        pthread_mutex_trylock(&m) == EBUSY ? "yes" : "no");
    CHECK(late >= 0, "returned %lld ns early", (long long)-late);

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_t cm;
    pthread_cond_init(&cm, &ca);
    dl = deadline(CLOCK_MONOTONIC, 60);
    do
        e = pthread_cond_timedwait(&cm, &m, &dl);
    while (e == 0);
    late = now_ns(CLOCK_MONOTONIC) - ts_ns(dl);
    say("timedwait (MONOTONIC condattr, 60 ms) -> %s", strerrorname_np(e));
    CHECK(late >= 0, "returned %lld ns early", (long long)-late);

    dl = deadline(CLOCK_MONOTONIC, 40);
    do
        e = pthread_cond_clockwait(&cv, &m, CLOCK_MONOTONIC, &dl);
    while (e == 0);
    late = now_ns(CLOCK_MONOTONIC) - ts_ns(dl);
    say("clockwait (MONOTONIC, 40 ms) -> %s", strerrorname_np(e));
    CHECK(late >= 0, "returned %lld ns early", (long long)-late);

    /* a deadline in the past */
    dl.tv_sec -= 10;
    e = pthread_cond_clockwait(&cv, &m, CLOCK_MONOTONIC, &dl);
    say("clockwait, deadline in the past -> %s", strerrorname_np(e));
    pthread_mutex_unlock(&m);
}

/* ---- rwlock ----------------------------------------------------------------- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t rw_bar;
static long rw_value;

static void *rw_reader_together(void *arg)
{
    (void)arg;
    EQ(pthread_rwlock_rdlock(&rw), 0);
    /* all three readers meet here holding the read lock at once */
    pthread_barrier_wait(&rw_bar);
    long v = rw_value;
    pthread_barrier_wait(&rw_bar);
    pthread_rwlock_unlock(&rw);
    return (void *)v;
}
static void *rw_try(void *arg)
{
    int w = (int)(long)arg;
    return (void *)(long)(w ? pthread_rwlock_trywrlock(&rw) : pthread_rwlock_tryrdlock(&rw));
}
static void *rw_mixed(void *arg)
{
    long id = (long)arg, bad = 0;
    for (int i = 0; i < 20000; i++) {
        if (i % 4 == (int)id % 4) {
            pthread_rwlock_wrlock(&rw);
            long v = rw_value;
            rw_value = -1; /* readers must never see this */
            if ((i & 255) == 0)
                sched_yield();
            rw_value = v + 1;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            if (rw_value < 0)
                bad++;
            pthread_rwlock_unlock(&rw);
        }
    }
    return (void *)bad;
}

static void sec_rwlock(void)
{
    say("== rwlock");
    rw_value = 7;
    pthread_barrier_init(&rw_bar, NULL, 4);
    pthread_t t[4];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(rw_reader_together, NULL);
    pthread_barrier_wait(&rw_bar);
    int tw = pthread_rwlock_trywrlock(&rw);
    int tr = pthread_rwlock_tryrdlock(&rw);
    if (tr == 0)
        pthread_rwlock_unlock(&rw);
    pthread_barrier_wait(&rw_bar);
    long s = 0;
    for (int i = 0; i < 3; i++)
        s += (long)join(t[i]);
    say("3 readers held the lock together, read %ld; meanwhile trywrlock -> %s, tryrdlock -> %d", s,
        strerrorname_np(tw), tr);
    pthread_barrier_destroy(&rw_bar);

    EQ(pthread_rwlock_wrlock(&rw), 0);
    say("writer holds: other tryrdlock -> %s, trywrlock -> %s",
        strerrorname_np((int)(long)join(spawn(rw_try, (void *)0L))),
        strerrorname_np((int)(long)join(spawn(rw_try, (void *)1L))));
    struct timespec dl = deadline(CLOCK_REALTIME, 30);
    say("writer holds: own timedrdlock -> %s", strerrorname_np(pthread_rwlock_timedrdlock(&rw, &dl)));
    pthread_rwlock_unlock(&rw);

    rw_value = 0;
    long bad = 0;
    for (long i = 0; i < 4; i++)
        t[i] = spawn(rw_mixed, (void *)i);
    for (int i = 0; i < 4; i++)
        bad += (long)join(t[i]);
    say("4 threads, mixed: writes %ld, readers saw a write in progress %ld times", rw_value, bad);
}

/* ---- barrier ------------------------------------------------------------- */

static pthread_barrier_t bar;
static atomic_int bar_serial;
static int bar_slots[5][20];
static atomic_int bar_bad;

static void *bar_thread(void *arg)
{
    long id = (long)arg;
    for (int round = 0; round < 20; round++) {
        bar_slots[id][round] = round + 1;
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&bar_serial, 1);
        else if (r != 0)
            atomic_fetch_add(&bar_bad, 1);
        for (int j = 0; j < 5; j++) /* everyone wrote this round */
            if (bar_slots[j][round] != round + 1)
                atomic_fetch_add(&bar_bad, 1);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static void sec_barrier(void)
{
    say("== barrier");
    pthread_barrier_init(&bar, NULL, 5);
    pthread_t t[5];
    for (long i = 0; i < 5; i++)
        t[i] = spawn(bar_thread, (void *)i);
    for (int i = 0; i < 5; i++)
        join(t[i]);
    say("5 threads x 20 rounds: serial thread %d times, inconsistencies %d", bar_serial, bar_bad);
    pthread_barrier_destroy(&bar);
}

/* ---- POSIX semaphores ------------------------------------------------------- */

static sem_t s_items, s_space, s_go;
static long s_buf[8];
static int s_in, s_out;
static pthread_mutex_t s_m = PTHREAD_MUTEX_INITIALIZER;

static void *s_prod(void *arg)
{
    (void)arg;
    for (long i = 1; i <= 10000; i++) {
        sem_wait(&s_space);
        pthread_mutex_lock(&s_m);
        s_buf[s_in++ % 8] = i;
        pthread_mutex_unlock(&s_m);
        sem_post(&s_items);
    }
    return NULL;
}
static void *s_cons(void *arg)
{
    (void)arg;
    long sum = 0;
    for (int i = 0; i < 10000; i++) {
        sem_wait(&s_items);
        pthread_mutex_lock(&s_m);
        sum += s_buf[s_out++ % 8];
        pthread_mutex_unlock(&s_m);
        sem_post(&s_space);
    }
    return (void *)sum;
}
static void *s_waiter(void *arg)
{
    (void)arg;
    int r = sem_wait(&s_go);
    return (void *)(long)(r == 0 ? 0 : errno);
}

static void sec_sem(void)
{
    say("== sem");
    sem_t s;
    sem_init(&s, 0, 2);
    int v;
    EQ(sem_trywait(&s), 0);
    EQ(sem_trywait(&s), 0);
    int r = sem_trywait(&s);
    say("value 2: trywait, trywait, trywait -> %d %s", r, r ? strerrorname_np(errno) : "");
    struct timespec dl = deadline(CLOCK_REALTIME, 50);
    r = sem_timedwait(&s, &dl);
    int err = errno;
    int64_t late = now_ns(CLOCK_REALTIME) - ts_ns(dl);
    say("timedwait 50 ms on 0 -> %d %s", r, r ? strerrorname_np(err) : "");
    CHECK(late >= 0, "returned %lld ns early", (long long)-late);
    dl = deadline(CLOCK_MONOTONIC, 30);
    r = sem_clockwait(&s, CLOCK_MONOTONIC, &dl);
    err = errno;
    late = now_ns(CLOCK_MONOTONIC) - ts_ns(dl);
    say("clockwait(MONOTONIC) 30 ms on 0 -> %d %s", r, r ? strerrorname_np(err) : "");
    CHECK(late >= 0, "returned %lld ns early", (long long)-late);
    sem_post(&s);
    sem_post(&s);
    sem_post(&s);
    sem_getvalue(&s, &v);
    say("after 3 posts: value %d", v);
    sem_destroy(&s);

    /* a waiter blocked in sem_wait, woken by a post */
    sem_init(&s_go, 0, 0);
    pthread_t w = spawn(s_waiter, NULL);
    msleep(20);
    sem_post(&s_go);
    say("blocked sem_wait woken by post -> %ld", (long)join(w));

    sem_init(&s_items, 0, 0);
    sem_init(&s_space, 0, 8);
    pthread_t p = spawn(s_prod, NULL), c = spawn(s_cons, NULL);
    join(p);
    long sum = (long)join(c);
    sem_getvalue(&s_items, &v);
    int v2;
    sem_getvalue(&s_space, &v2);
    say("producer/consumer with 2 semaphores: sum %ld, items %d, space %d", sum, v, v2);
}

/* ---- TLS and keys --------------------------------------------------------------- */

static __thread long tls_var = 5;
static __thread char tls_big[4096] = { 1 };
static pthread_key_t key1, key2;
static atomic_long dtor_sum, dtor_calls, dtor2_calls;
static void dtor1(void *p)
{
    atomic_fetch_add(&dtor_sum, (long)p);
    atomic_fetch_add(&dtor_calls, 1);
}
static void dtor2(void *p)
{
    (void)p;
    /* a destructor that sets the key again: called again (up to
     * PTHREAD_DESTRUCTOR_ITERATIONS rounds) */
    long n = atomic_fetch_add(&dtor2_calls, 1);
    (void)n;
    long round = (long)p;
    if (round < 3)
        pthread_setspecific(key2, (void *)(round + 1));
}
static pthread_barrier_t tls_bar;
static void *tls_thread(void *arg)
{
    long id = (long)arg;
    long first = tls_var;
    int big_ok = tls_big[0] == 1;
    tls_var = 100 + id;
    tls_big[4095] = (char)id;
    pthread_setspecific(key1, (void *)(id + 1));
    if (id == 0)
        pthread_setspecific(key2, (void *)1L);
    pthread_barrier_wait(&tls_bar); /* all have written their own copy */
    long mine = tls_var == 100 + id && tls_big[4095] == (char)id &&
                (long)pthread_getspecific(key1) == id + 1;
    return (void *)(first == 5 && big_ok && mine ? 1L : 0L);
}

static void sec_tls(void)
{
    say("== tls");
    pthread_key_create(&key1, dtor1);
    pthread_key_create(&key2, dtor2);
    pthread_barrier_init(&tls_bar, NULL, 8);
    tls_var = 42;
    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        t[i] = spawn(tls_thread, (void *)i);
    long ok = 0;
    for (int i = 0; i < 8; i++)
        ok += (long)join(t[i]);
    say("8 threads saw their own initial __thread copies and values: %ld", ok);
    say("main's __thread value untouched: %ld", tls_var);
    say("key destructors: %ld calls, sum %ld; re-arming destructor ran %ld times", (long)dtor_calls,
        (long)dtor_sum, (long)dtor2_calls);
    say("main's key value: %p", pthread_getspecific(key1));
    pthread_key_delete(key1);
    pthread_key_delete(key2);
}

/* ---- once -------------------------------------------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs;
static pthread_barrier_t once_bar;
static void once_init(void)
{
    atomic_fetch_add(&once_runs, 1);
    msleep(10); /* others must wait for it to finish */
}
static void *once_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&once_bar);
    pthread_once(&once, once_init);
    return (void *)(long)atomic_load(&once_runs);
}

static void sec_once(void)
{
    say("== once");
    pthread_barrier_init(&once_bar, NULL, 8);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = spawn(once_thread, NULL);
    long seen = 0;
    for (int i = 0; i < 8; i++)
        seen += (long)join(t[i]);
    say("pthread_once from 8 threads: init ran %d time(s), each saw it done: %s", once_runs,
        seen == 8 ? "yes" : "no");
}

/* ---- cancellation ----------------------------------------------------------------- */

static atomic_int cleanups;
static atomic_int started;
static void cleanup(void *arg)
{
    atomic_fetch_add(&cleanups, 1);
    if (arg)
        pthread_mutex_unlock(arg);
}
static int c_pipe[2];
static pthread_mutex_t c_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_cv = PTHREAD_COND_INITIALIZER;

static void *c_sleep(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup, NULL);
    atomic_store(&started, 1);
    sleep(100);
    pthread_cleanup_pop(0);
    return (void *)1L;
}
static void *c_read(void *arg)
{
    (void)arg;
    char b;
    pthread_cleanup_push(cleanup, NULL);
    atomic_store(&started, 1);
    read(c_pipe[0], &b, 1);
    pthread_cleanup_pop(0);
    return (void *)1L;
}
static void *c_cond(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&c_m);
    pthread_cleanup_push(cleanup, &c_m);
    atomic_store(&started, 1);
    for (;;)
        pthread_cond_wait(&c_cv, &c_m);
    pthread_cleanup_pop(1);
    return (void *)1L;
}
static void *c_disabled(void *arg)
{
    (void)arg;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    atomic_store(&started, 1);
    while (atomic_load(&started) != 2) /* main cancels, then says 2 */
        msleep(1);
    msleep(20); /* a cancellation point, while disabled: not acted on */
    pthread_cleanup_push(cleanup, NULL);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return (void *)1L;
}
static void *c_nested(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup, NULL);
    pthread_cleanup_push(cleanup, NULL);
    pthread_cleanup_push(cleanup, NULL);
    atomic_store(&started, 1);
    for (;;)
        pause();
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void cancel_one(const char *what, void *(*fn)(void *))
{
    atomic_store(&started, 0);
    atomic_store(&cleanups, 0);
    pthread_t t = spawn(fn, NULL);
    while (!atomic_load(&started))
        msleep(1);
    msleep(20); /* let it block (correct either way) */
    EQ(pthread_cancel(t), 0);
    atomic_store(&started, 2);
    void *r = join(t);
    say("cancel in %s: %s, cleanup handlers run: %d", what,
        r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned", cleanups);
}

static void sec_cancel(void)
{
    say("== cancel");
    pipe(c_pipe);
    cancel_one("sleep()", c_sleep);
    cancel_one("read() of an empty pipe", c_read);
    cancel_one("pthread_cond_wait", c_cond);
    say("  mutex free after cond_wait cancel: %s", pthread_mutex_trylock(&c_m) == 0 ? "yes" : "no");
    pthread_mutex_unlock(&c_m);
    cancel_one("testcancel after re-enabling", c_disabled);
    cancel_one("pause() with 3 handlers pushed", c_nested);
}

/* ---- join, detach, exit values ------------------------------------------------ */

static void *j_return(void *arg) { return (void *)((long)arg * 3); }
static void *j_exit(void *arg)
{
    pthread_exit((void *)((long)arg + 1000));
    return NULL;
}
static void deep_exit(int n)
{
    if (n < 0)
        return;
    if (n == 0)
        pthread_exit((void *)77L);
    deep_exit(n - 1);
}
static void *j_deep(void *arg)
{
    (void)arg;
    deep_exit(50);
    return NULL;
}
static sem_t det_done;
static atomic_long det_sum;
static void *j_detached(void *arg)
{
    atomic_fetch_add(&det_sum, (long)arg);
    sem_post(&det_done);
    return NULL;
}
static void *j_self(void *arg)
{
    (void)arg;
    return (void *)(long)pthread_join(pthread_self(), NULL);
}

static void sec_join(void)
{
    say("== join");
    say("return value: %ld", (long)join(spawn(j_return, (void *)14L)));
    say("pthread_exit value: %ld", (long)join(spawn(j_exit, (void *)5L)));
    say("pthread_exit 50 frames deep: %ld", (long)join(spawn(j_deep, NULL)));
    say("join self -> %s", strerrorname_np((int)(long)join(spawn(j_self, NULL))));

    sem_init(&det_done, 0, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    for (long i = 1; i <= 10; i++) {
        pthread_t t;
        EQ(pthread_create(&t, &a, j_detached, (void *)i), 0);
    }
    for (long i = 1; i <= 10; i++) {
        pthread_t t = spawn(j_detached, (void *)(i * 100));
        EQ(pthread_detach(t), 0);
    }
    for (int i = 0; i < 20; i++)
        sem_wait(&det_done);
    say("20 detached threads (attr and pthread_detach): sum %ld", (long)det_sum);
    pthread_attr_destroy(&a);

    /* attributes a thread can read back */
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 1 << 20);
    pthread_t t;
    pthread_create(&t, &a, j_return, (void *)1L);
    join(t);
    size_t ss = 0;
    pthread_attr_getstacksize(&a, &ss);
    say("thread with a 1 MiB stack joined; attr stacksize %zu", ss);
    pthread_attr_destroy(&a);

    say("main: gettid == getpid: %s", gettid() == getpid() ? "yes" : "no");
}

/* ---- many threads ----------------------------------------------------------------- */

#define MANY 1000
static pthread_barrier_t many_bar;
static atomic_long many_arrived;
static void *many_thread(void *arg)
{
    long i = (long)arg, s = 0;
    for (long k = 0; k <= i; k++)
        s += k;
    atomic_fetch_add(&many_arrived, 1);
    pthread_barrier_wait(&many_bar); /* all MANY alive at once */
    return (void *)s;
}
static pthread_mutex_t many_m = PTHREAD_MUTEX_INITIALIZER;
static long many_total;
static void *many_small(void *arg)
{
    long i = (long)arg;
    char buf[64];
    snprintf(buf, sizeof buf, "%ld", i * 7);
    pthread_mutex_lock(&many_m);
    many_total += atol(buf);
    pthread_mutex_unlock(&many_m);
    return NULL;
}

static void sec_many(void)
{
    say("== many");
    static pthread_t t[MANY];
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    pthread_barrier_init(&many_bar, NULL, MANY + 1);
    for (long i = 0; i < MANY; i++) {
        int e = pthread_create(&t[i], &a, many_thread, (void *)i);
        if (e) {
            printf("FAIL create %ld: %s\n", i, strerror(e));
            exit(1);
        }
    }
    pthread_barrier_wait(&many_bar);
    long sum = 0;
    for (int i = 0; i < MANY; i++)
        sum += (long)join(t[i]);
    say("%d threads alive at once (64 KiB stacks): %ld arrived, sum of triangular numbers %ld", MANY,
        (long)many_arrived, sum);
    pthread_attr_destroy(&a);
    pthread_barrier_destroy(&many_bar);

    /* 1,000 more with default stacks, 100 at a time */
    for (int b = 0; b < 10; b++) {
        for (int i = 0; i < 100; i++)
            t[i] = spawn(many_small, (void *)(long)(b * 100 + i));
        for (int i = 0; i < 100; i++)
            join(t[i]);
    }
    say("1000 more in batches of 100 (default stacks): total %ld", many_total);
}

/* ---- a busy thread must not starve a sleeping one ------------------------------ */

static atomic_int spin_stop;
static atomic_long spin_count;
static void *spinner(void *arg)
{
    (void)arg;
    long n = 0;
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
        n++;
    atomic_store(&spin_count, n);
    return NULL;
}
static void *ticker(void *arg)
{
    (void)arg;
    for (int i = 1; i <= 5; i++) {
        msleep(20);
        say("tick %d", i);
    }
    atomic_store(&spin_stop, 1);
    return NULL;
}

static void sec_spin(void)
{
    say("== spin");
    pthread_t s1 = spawn(spinner, NULL), s2 = spawn(spinner, NULL);
    pthread_t tk = spawn(ticker, NULL);
    join(tk);
    join(s1);
    join(s2);
    say("spinners stopped after the ticker finished: %s", spin_count > 0 ? "yes" : "no");
}

/* ---- threads blocked forever in FIFO open/read; the process still exits ---- */

static void *fifo_open_reader(void *arg)
{
    int fd = open((const char *)arg, O_RDONLY); /* no writer: blocks */
    char b;
    read(fd, &b, 1);
    say("FAIL: fifo open returned");
    return NULL;
}
static void *fifo_rdwr_reader(void *arg)
{
    int fd = open((const char *)arg, O_RDWR); /* its own writer: read blocks */
    char b;
    if (fd < 0)
        say("FAIL: open O_RDWR: %s", strerror(errno));
    atomic_fetch_add(&started, 1);
    read(fd, &b, 1);
    say("FAIL: fifo read returned");
    return NULL;
}
static void *pipe_reader(void *arg)
{
    int *p = arg;
    char b;
    atomic_fetch_add(&started, 1);
    read(p[0], &b, 1);
    say("FAIL: pipe read returned");
    return NULL;
}

static void sec_fifo(void)
{
    say("== fifo");
    static char f1[64], f2[64];
    snprintf(f1, sizeof f1, "fifo-a");
    snprintf(f2, sizeof f2, "fifo-b");
    unlink(f1);
    unlink(f2);
    if (mkfifo(f1, 0600) || mkfifo(f2, 0600)) {
        say("FAIL mkfifo: %s", strerror(errno));
        exit(1);
    }
    static int p[2];
    pipe(p);
    atomic_store(&started, 0);
    pthread_t t;
    pthread_create(&t, NULL, fifo_open_reader, f1);
    pthread_create(&t, NULL, fifo_rdwr_reader, f2);
    pthread_create(&t, NULL, pipe_reader, p);
    while (atomic_load(&started) < 2)
        msleep(1);
    msleep(30);
    /* meanwhile, real work goes on */
    long s = 0;
    for (int i = 0; i < 1000; i++) {
        char b[32];
        snprintf(b, sizeof b, "%d", i);
        s += atoi(b);
    }
    say("work done beside 3 blocked readers: %ld", s);
    unlink(f1);
    unlink(f2);
    /* returning from main exits the process with the readers still blocked */
}

/* ---- main calls pthread_exit --------------------------------------------------- */

static void *last_thread(void *arg)
{
    (void)arg;
    msleep(30);
    say("last thread: main has exited; returning ends the process");
    return NULL;
}
static void sec_mainexit(void)
{
    say("== mainexit");
    spawn(last_thread, NULL);
    fflush(stdout);
    pthread_exit(NULL);
}

/* ---- affinity, getcpu ------------------------------------------------------------ */

static void *aff_thread(void *arg)
{
    (void)arg;
    cpu_set_t s;
    CPU_ZERO(&s);
    int r = sched_getaffinity(gettid(), sizeof s, &s);
    return (void *)(long)(r == 0 ? CPU_COUNT(&s) : -errno);
}

static void sec_affinity(void)
{
    say("== affinity");
    cpu_set_t s;
    CPU_ZERO(&s);
    int r = sched_getaffinity(0, sizeof s, &s);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    say("sched_getaffinity(0) -> %d, CPU_COUNT == online CPUs: %s", r,
        CPU_COUNT(&s) == online ? "yes" : "no");
    long c = (long)join(spawn(aff_thread, NULL));
    say("from a thread, sched_getaffinity(gettid()): CPU_COUNT == online: %s", c == online ? "yes" : "no");
    unsigned cpu = 999, node = 999;
    r = (int)syscall(SYS_getcpu, &cpu, &node, NULL);
    say("getcpu -> %d, cpu in the set: %s, node %u", r, r == 0 && CPU_ISSET(cpu, &s) ? "yes" : "no",
        node);
    int sc = sched_getcpu();
    say("sched_getcpu in the set: %s", sc >= 0 && CPU_ISSET(sc, &s) ? "yes" : "no");
    say("nprocs %s", get_nprocs() == online ? "== online" : "!= online");
}

/* ----------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*fn)(void);
    int own; /* not in the default run */
} sections[] = {
    { "mutex", sec_mutex, 0 },     { "cond", sec_cond, 0 },         { "rwlock", sec_rwlock, 0 },
    { "barrier", sec_barrier, 0 }, { "sem", sec_sem, 0 },           { "tls", sec_tls, 0 },
    { "once", sec_once, 0 },       { "cancel", sec_cancel, 0 },     { "join", sec_join, 0 },
    { "many", sec_many, 0 },       { "affinity", sec_affinity, 0 }, { "spin", sec_spin, 1 },
    { "fifo", sec_fifo, 1 },       { "mainexit", sec_mainexit, 1 },
};
#define NSEC (sizeof sections / sizeof sections[0])

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < NSEC; i++) {
        int run = argc < 2 ? !sections[i].own : 0;
        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], sections[i].name) == 0)
                run = 1;
        if (run)
            sections[i].fn();
    }
    for (int a = 1; a < argc; a++) {
        size_t i;
        for (i = 0; i < NSEC; i++)
            if (strcmp(argv[a], sections[i].name) == 0)
                break;
        if (i == NSEC) {
            fprintf(stderr, "threads: unknown section %s\n", argv[a]);
            return 2;
        }
    }
    say("failures: %d", failures);
    return failures ? 1 : 0;
}
