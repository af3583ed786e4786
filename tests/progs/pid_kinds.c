/* pid_kinds.c - calls that name a process by pid, given a process outside the program (its parent) or a thread id of its own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "socklib.h"

/* res - "ok", or the errno's name: the values differ by host. */
static const char *res(long r)
{
    return r < 0 ? rs(r) : "ok";
}

static void ask(const char *who, pid_t pid)
{
    struct sched_param sp;
    cpu_set_t cs;
    struct rlimit rl;
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, pid);
    printf("%s: kill 0 %s, getpgid %s, getsid %s, sched_getscheduler %s, sched_getparam %s, getpriority %s, "
           "sched_getaffinity %s, prlimit %s\n",
           who, res(kill(pid, 0)), res(getpgid(pid)), res(getsid(pid)), res(sched_getscheduler(pid)),
           res(sched_getparam(pid, &sp)), res(prio == -1 && errno ? -1 : 0),
           res(sched_getaffinity(pid, sizeof cs, &cs)), res(prlimit(pid, RLIMIT_NOFILE, NULL, &rl)));
}

static pthread_barrier_t bar;
static pid_t tid;
static void *thread(void *a)
{
    (void)a;
    tid = (pid_t)syscall(SYS_gettid);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    ask("the parent (outside)", getppid());
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, thread, NULL);
    pthread_barrier_wait(&bar);
    ask("a thread of its own", tid);
    printf("the thread's group and session are the program's: %d %d\n", getpgid(tid) == getpgid(0),
           getsid(tid) == getsid(0));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    printf("pin the thread to CPU 0: %s\n", res(sched_setaffinity(tid, sizeof one, &one)));
    cpu_set_t got;
    sched_getaffinity(tid, sizeof got, &got);
    printf("its mask now: %d CPU(s), CPU 0 %d\n", CPU_COUNT(&got), CPU_ISSET(0, &got));
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL); /* its id lingers a moment natively (the join ends at its tid's clear) */
    return 0;
}
