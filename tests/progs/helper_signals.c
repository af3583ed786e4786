/* helper_signals.c - host signals 32 and 33 and SIGEV_THREAD timer signals
 * arriving while the runtime starts helper threads (issue: a signal landing
 * on a new helper thread ran a handler with no vCPU and killed the
 * instance). The harness sends kill -32/-33 from outside meanwhile. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define WAVES 24

static atomic_int got[65];
static atomic_int ticks;

static void on_sig(int sig)
{
    got[sig]++;
}

/* glibc refuses 32 and 33 in sigaction: the raw call, with a restorer. */
void restore_rt(void);
__asm__(".text\n restore_rt: mov $15, %eax\n syscall\n");

static void raw_handler(int sig)
{
    struct {
        void *h;
        unsigned long flags;
        void *restorer;
        unsigned long mask;
    } k = { on_sig, 0x04000000 /* SA_RESTORER */ | SA_RESTART, restore_rt, 0 };
    if (syscall(SYS_rt_sigaction, sig, &k, NULL, 8) != 0)
        say("rt_sigaction %d: %s", sig, strerror(errno));
}

static void on_tick(union sigval v)
{
    ticks++;
}

static const char *lockfile = "helper_signals.lock";

/* A thread that waits for the file lock: a call only the kernel can block
 * in, so pegasus hands it to a worker thread (a new one when all wait). */
static void *locker(void *arg)
{
    int fd = open(lockfile, O_RDWR);
    while (flock(fd, LOCK_EX) != 0)
        ;
    flock(fd, LOCK_UN);
    close(fd);
    return NULL;
}

int main(void)
{
    raw_handler(32);
    raw_handler(33);
    close(open("helper_signals.ready", O_WRONLY | O_CREAT, 0600)); /* the harness may fire */
    int fd = open(lockfile, O_RDWR | O_CREAT, 0600);
    struct sigevent sev = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_tick };
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "timer_create: %s", strerror(errno));
    struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };
    timer_settime(t, 0, &its, NULL);
    /* Waves of 1, 2, ... WAVES threads blocked on the lock at once: each
     * wave needs one more worker than the last. */
    for (int n = 1; n <= WAVES; n++) {
        flock(fd, LOCK_EX);
        pthread_t th[WAVES];
        for (int i = 0; i < n; i++)
            pthread_create(&th[i], NULL, locker, NULL);
        msleep(5);
        flock(fd, LOCK_UN);
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
    }
    timer_delete(t);
    say("waves: %d", WAVES);
    say("timer ticked: %s", ticks > 0 ? "yes" : "no");
    unlink(lockfile);
    unlink("helper_signals.ready");
    return failures != 0;
}
