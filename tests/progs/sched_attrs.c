/* sched_attrs.c - nice, I/O priority, scheduling policy and personality: a program's own, inherited, checked. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/*
 *   sched_attrs              every section, as Linux says them
 *   sched_attrs child WHAT   (spawned by it) change WHAT, print what it
 *                            started with, and end
 */
extern char **environ;

static int ioprio_get(void) { return (int)syscall(SYS_ioprio_get, 1, 0); }
static int ioprio_set(int v) { return (int)syscall(SYS_ioprio_set, 1, 0, v); }

static void said(const char *what, long r)
{
    say("%s: %ld %s", what, r, r < 0 ? strerror(errno) : "");
}

/* spawn - run this program as "child what" (posix_spawn, as a shell's
 * commands are) and wait for it. */
static void spawn(const char *prog, const char *what)
{
    char *argv[] = { (char *)prog, "child", (char *)what, NULL };
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ)) {
        say("posix_spawn failed");
        return;
    }
    int st;
    waitpid(pid, &st, 0);
}

static int child(const char *what)
{
    struct sched_param sp = { 0 };
    say("child starts with nice %d, ioprio %#x, policy %d, personality %#x", getpriority(PRIO_PROCESS, 0),
        ioprio_get(), sched_getscheduler(0), personality(0xffffffff));
    if (!strcmp(what, "nice"))
        said("child setpriority 7", setpriority(PRIO_PROCESS, 0, 7));
    else if (!strcmp(what, "ioprio"))
        said("child ioprio idle", ioprio_set(3 << 13));
    else if (!strcmp(what, "batch"))
        said("child SCHED_BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
    else if (!strcmp(what, "personality"))
        said("child ADDR_NO_RANDOMIZE", personality(ADDR_NO_RANDOMIZE) >= 0);
    else if (!strcmp(what, "none-prctl"))
        say("child's timer slack %d", prctl(PR_GET_TIMERSLACK));
    else if (!strcmp(what, "prctl")) {
        say("child starts with dumpable %d, thp_disable %d, timer slack %d", prctl(PR_GET_DUMPABLE),
            prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), prctl(PR_GET_TIMERSLACK));
        said("child dumpable 0", prctl(PR_SET_DUMPABLE, 0));
        said("child thp_disable", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
        said("child timer slack", prctl(PR_SET_TIMERSLACK, 123456));
    }
    return 0;
}

static const char *self;

static void *renice_self(void *arg)
{
    (void)arg;
    struct sched_param sp = { 0 };
    said("thread: nice 15", setpriority(PRIO_PROCESS, 0, 15));
    said("thread: SCHED_BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
    say("thread: nice %d, policy %d", getpriority(PRIO_PROCESS, 0), sched_getscheduler(0));
    return NULL;
}

static void sec_nice(void)
{
    say("nice at start: %d", getpriority(PRIO_PROCESS, 0));
    spawn(self, "nice");
    say("after a child's: %d", getpriority(PRIO_PROCESS, 0));
    said("setpriority 3", setpriority(PRIO_PROCESS, 0, 3));
    say("nice now: %d", getpriority(PRIO_PROCESS, 0));
    spawn(self, "none");
    /* A group of its own (the test's harness is in the one it came with). */
    pid_t g = fork();
    if (g == 0) {
        setpgid(0, 0);
        said("group to 10", setpriority(PRIO_PGRP, 0, 10));
        say("nice of the group: %d, mine %d", getpriority(PRIO_PGRP, 0), getpriority(PRIO_PROCESS, 0));
        _exit(0);
    }
    waitpid(g, NULL, 0);
    said("setpriority 99 (clamped)", setpriority(PRIO_PROCESS, 0, 99));
    say("nice now: %d", getpriority(PRIO_PROCESS, 0));
    /* Negative, as root: an int in its register's lower half (taken as
     * 2^32 - 5 and clamped to 19). */
    if (geteuid() == 0) {
        said("setpriority -5 as root", setpriority(PRIO_PROCESS, 0, -5));
        say("nice now: %d", getpriority(PRIO_PROCESS, 0));
        setpriority(PRIO_PROCESS, 0, 19);
    }
    errno = 0;
    said("which 7", setpriority(7, 0, 1));
    /* Unprivileged, lower is refused. */
    pid_t pid = fork();
    if (pid == 0) {
        if (setresuid(65534, 65534, 65534))
            _exit(2);
        said("unprivileged, to 0", setpriority(PRIO_PROCESS, 0, 0));
        said("unprivileged, to 19", setpriority(PRIO_PROCESS, 0, 19));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    said("back to 0", setpriority(PRIO_PROCESS, 0, 0));
    /* A thread's own: another thread's renice leaves this one. */
    pthread_t t;
    pthread_create(&t, NULL, renice_self, NULL);
    pthread_join(t, NULL);
    say("after a thread renice'd itself: nice %d, policy %d", getpriority(PRIO_PROCESS, 0), sched_getscheduler(0));
}

static void sec_ioprio(void)
{
    int at = ioprio_get();
    say("ioprio at start: %#x", at);
    spawn(self, "ioprio");
    say("after a child's: %d", ioprio_get() == at);
    said("best effort 4", ioprio_set(2 << 13 | 4));
    say("ioprio now: %#x", ioprio_get());
    said("best effort 8", ioprio_set(2 << 13 | 8));
    said("class 5", ioprio_set(5 << 13));
    said("none, level 1", ioprio_set(1));
    said("back", ioprio_set(at));
}

static void sec_policy(void)
{
    struct sched_param sp = { 0 };
    say("policy at start: %d", sched_getscheduler(0));
    spawn(self, "batch");
    say("after a child's: %d", sched_getscheduler(0));
    said("SCHED_IDLE", sched_setscheduler(0, SCHED_IDLE, &sp));
    say("policy now: %d", sched_getscheduler(0));
    said("back to SCHED_OTHER", sched_setscheduler(0, SCHED_OTHER, &sp));
    sp.sched_priority = 5;
    said("SCHED_OTHER priority 5", sched_setscheduler(0, SCHED_OTHER, &sp));
    sp.sched_priority = 0;
    said("SCHED_FIFO priority 0", sched_setscheduler(0, SCHED_FIFO, &sp));
    said("policy 77", sched_setscheduler(0, 77, &sp));
    said("no param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    said("getparam", sched_getparam(0, &sp));
    say("priority %d", sp.sched_priority);
    /* Real time, with reset-on-fork, in a child that ends at once. */
    pid_t pid = fork();
    if (pid == 0) {
        struct sched_param rt = { .sched_priority = 10 };
        long r = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt);
        said("SCHED_FIFO 10, reset on fork", r);
        if (!r) {
            say("policy: %#x", sched_getscheduler(0));
            sched_getparam(0, &rt);
            say("priority: %d", rt.sched_priority);
            pid_t g = fork();
            if (g == 0)
                _exit(sched_getscheduler(0));
            int st;
            waitpid(g, &st, 0);
            say("its child's policy: %d", WEXITSTATUS(st));
            said("back to SCHED_OTHER without reset", sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){ 0 }));
        }
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    /* sched_getattr says the same. */
    struct { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t prio; uint64_t rt, dl, per; uint32_t umin, umax; } a;
    memset(&a, 0, sizeof(a));
    setpriority(PRIO_PROCESS, 0, 2);
    said("sched_getattr", syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0));
    say("attr: policy %u flags %llu nice %d priority %u", a.policy, (unsigned long long)a.flags, a.nice, a.prio);
    setpriority(PRIO_PROCESS, 0, 0);
}

static void sec_personality(void)
{
    int at = personality(0xffffffff);
    say("personality at start: %#x", at);
    spawn(self, "personality");
    say("after a child's: %d", personality(0xffffffff) == at);
    said("set ADDR_NO_RANDOMIZE, old", personality(ADDR_NO_RANDOMIZE));
    say("now: %#x", personality(0xffffffff));
    personality(at);
}

static void sec_prctl(void)
{
    say("at start: dumpable %d, thp_disable %d, timer slack %d", prctl(PR_GET_DUMPABLE),
        prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), prctl(PR_GET_TIMERSLACK));
    spawn(self, "prctl");
    say("after a child's: dumpable %d, thp_disable %d, timer slack %d", prctl(PR_GET_DUMPABLE),
        prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), prctl(PR_GET_TIMERSLACK));
    said("dumpable 2", prctl(PR_SET_DUMPABLE, 2));
    said("timer slack 1000", prctl(PR_SET_TIMERSLACK, 1000));
    spawn(self, "none-prctl");
    said("timer slack 0 (the default again)", prctl(PR_SET_TIMERSLACK, 0));
    say("timer slack now %d", prctl(PR_GET_TIMERSLACK));
}

/* stat_sched - fields 18 (priority), 19 (nice), 40 (rt_priority) and 41
 * (policy) of a stat file. */
static void stat_sched(const char *what, const char *path)
{
    char buf[1024] = "";
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) {
        say("%s: cannot read %s", what, path);
        if (f)
            fclose(f);
        return;
    }
    fclose(f);
    char *t = strrchr(buf, ')');
    int field = 2;
    long v[64] = { 0 };
    for (t = t ? strtok(t + 1, " ") : NULL; t && field < 63; t = strtok(NULL, " "))
        v[++field] = strtol(t, NULL, 10);
    say("%s: priority %ld nice %ld rt_priority %ld policy %ld", what, v[18], v[19], v[40], v[41]);
}

static void *nice_thread(void *arg)
{
    (void)arg;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 3);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)syscall(SYS_gettid));
    stat_sched("a thread at nice 3", path);
    return NULL;
}

/* What /proc/PID/stat says of them (ps -o ni,pri,cls,rtprio reads it). */
static void sec_stat(void)
{
    stat_sched("at start", "/proc/self/stat");
    said("nice 5", setpriority(PRIO_PROCESS, 0, 5));
    stat_sched("at nice 5", "/proc/self/stat");
    pthread_t th;
    pthread_create(&th, NULL, nice_thread, NULL);
    pthread_join(th, NULL);
    stat_sched("the program again", "/proc/self/stat");
    struct sched_param sp = { 0 };
    said("SCHED_BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
    stat_sched("batch", "/proc/self/stat");
    pid_t pid = fork();
    if (pid == 0) {
        sp.sched_priority = 10;
        said("SCHED_FIFO 10", sched_setscheduler(0, SCHED_FIFO, &sp));
        stat_sched("fifo 10", "/proc/self/stat");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child"))
        return child(argv[2]);
    self = argv[0];
    static const struct section secs[] = {
        { "nice", sec_nice }, { "ioprio", sec_ioprio }, { "policy", sec_policy }, { "personality", sec_personality },
        { "prctl", sec_prctl }, { "stat", sec_stat },
    };
    return run_sections(argv[0], argc, argv, secs, sizeof(secs) / sizeof(secs[0]));
}
