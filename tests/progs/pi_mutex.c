/* pi_mutex.c - priority-inheritance mutexes: contention, trylock, a robust one whose owner died, a timed lock, a condition variable. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t m;
static long counter;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *die_holding(void *arg)
{
    pthread_mutex_lock(arg); /* and ends without unlocking */
    return NULL;
}

struct timed {
    pthread_mutex_t *m;
    int r;
};

static void *lock_for_100ms(void *arg)
{
    struct timed *t = arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    t->r = pthread_mutex_timedlock(t->m, &ts);
    return NULL;
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *signaller(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void init(pthread_mutex_t *mx, int robust)
{
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
    pthread_mutexattr_setrobust(&at, robust);
    int r = pthread_mutex_init(mx, &at);
    printf("init%s: %s\n", robust ? " robust" : "", strerror(r));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    init(&m, PTHREAD_MUTEX_STALLED);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("four threads, 100000 increments each: %ld\n", counter);

    pthread_mutex_lock(&m);
    printf("trylock of one's own: %s\n", strerror(pthread_mutex_trylock(&m)));
    struct timed td = { &m, 0 };
    pthread_create(&t[0], NULL, lock_for_100ms, &td);
    pthread_join(t[0], NULL);
    printf("timed lock of one held elsewhere: %s\n", strerror(td.r));
    pthread_create(&t[0], NULL, signaller, NULL);
    while (!ready)
        pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    pthread_join(t[0], NULL);
    printf("condition variable over it: signalled\n");

    pthread_mutex_t rm;
    init(&rm, PTHREAD_MUTEX_ROBUST);
    pthread_create(&t[0], NULL, die_holding, &rm);
    pthread_join(t[0], NULL);
    int r = pthread_mutex_lock(&rm);
    printf("lock after its owner ended: %s\n", strerror(r));
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(&rm);
    printf("unlock: %s\n", strerror(pthread_mutex_unlock(&rm)));
    return 0;
}
