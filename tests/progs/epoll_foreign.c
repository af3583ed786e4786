/* epoll_foreign.c - epoll sets that cross an instance's edge: one a parent outside made, one sent out. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socklib.h"

/*
 *   epoll_foreign parent PROG ARGS...   (natively) a kernel epoll set at fd 10
 *                                       watching a pipe with a byte in it
 *                                       (read end 11, data 42) and an
 *                                       eventfd-like pipe (read end 12, write
 *                                       end 13, data 7); a socketpair end at
 *                                       14; runs PROG, then waits on the set
 *                                       PROG sends back through 14
 *   epoll_foreign child                 (under test) uses them
 */
enum { EP = 10, READY = 11, LATE_R = 12, LATE_W = 13, SOCK = 14 };

static void put(int from, int to)
{
    if (from != to) {
        dup2(from, to);
        close(from);
    }
}

/* said - a call's result and, for -1, its errno (read after the call). */
static void said(const char *what, int r)
{
    say("%s: %d %s", what, r, r < 0 ? strerror(errno) : "");
}

static void show(const char *what, int n, const struct epoll_event *e)
{
    if (n < 0)
        say("%s: -1 %s", what, strerror(errno));
    else if (n == 0)
        say("%s: 0", what);
    else
        say("%s: %d, events %#x data %llu", what, n, e->events, (unsigned long long)e->data.u64);
}

static int parent(char **argv)
{
    int p[2], q[2], sv[2];
    if (pipe(p) || pipe(q) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 2;
    CHECK(write(p[1], "x", 1) == 1, "write");
    int ep = epoll_create1(0);
    put(ep, EP);
    put(p[0], READY);
    put(q[0], LATE_R);
    put(q[1], LATE_W);
    put(sv[1], SOCK);
    struct epoll_event e = { .events = EPOLLIN, .data.u64 = 42 };
    CHECK(epoll_ctl(EP, EPOLL_CTL_ADD, READY, &e) == 0, "add: %s", strerror(errno));
    e.data.u64 = 7;
    CHECK(epoll_ctl(EP, EPOLL_CTL_ADD, LATE_R, &e) == 0, "add: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(SOCK);
    /* The set the child made and sent: its pipe has a byte (data 99). */
    int got = recv_fd(sv[0], NULL, 0, 0);
    struct epoll_event out = { 0 };
    int n = got < 0 ? -1 : epoll_wait(got, &out, 1, 3000);
    show("parent: the child's set, sent out", n, &out);
    CHECK(write(sv[0], "k", 1) == 1, "ack");
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void *late_writer(void *arg)
{
    (void)arg;
    msleep(100);
    CHECK(write(LATE_W, "y", 1) == 1, "late write");
    return NULL;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static int child(void)
{
    struct epoll_event e = { 0 };
    show("ready at once", epoll_wait(EP, &e, 1, 2000), &e);
    char c;
    CHECK(read(READY, &c, 1) == 1, "read");
    memset(&e, 0, sizeof e);
    show("nothing ready, 100 ms", epoll_wait(EP, &e, 1, 100), &e);

    /* A blocking wait, woken by another thread's write. */
    pthread_t t;
    pthread_create(&t, NULL, late_writer, NULL);
    memset(&e, 0, sizeof e);
    show("blocking, then written", epoll_wait(EP, &e, 1, -1), &e);
    pthread_join(t, NULL);
    CHECK(read(LATE_R, &c, 1) == 1, "read");

    /* A signal with a handler ends the wait: EINTR. */
    on_signal(SIGALRM, on_alarm, 0);
    struct itimerval it = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    memset(&e, 0, sizeof e);
    show("blocking, then a signal", epoll_wait(EP, &e, 1, 3000), &e);
    say("alarms: %d", alarms);
    /* epoll_pwait's mask holds it off: the wait times out. */
    sigset_t none, alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_SETMASK, &alrm, &none);
    sigemptyset(&none);
    setitimer(ITIMER_REAL, &it, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    show("epoll_pwait, SIGALRM held", epoll_pwait(EP, &e, 1, 300, &alrm), &e);
    say("alarms: %d", alarms);

    /* Members of the program's own: a pipe made here, added, modified, removed. */
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    struct epoll_event a = { .events = EPOLLIN, .data.u64 = 5 };
    said("add a new pipe", epoll_ctl(EP, EPOLL_CTL_ADD, p[0], &a));
    said("add it again", epoll_ctl(EP, EPOLL_CTL_ADD, p[0], &a));
    CHECK(write(p[1], "z", 1) == 1, "write");
    memset(&e, 0, sizeof e);
    show("the new pipe written", epoll_wait(EP, &e, 1, 2000), &e);
    a.events = EPOLLOUT;
    said("modify it", epoll_ctl(EP, EPOLL_CTL_MOD, p[0], &a));
    memset(&e, 0, sizeof e);
    show("after the modify", epoll_wait(EP, &e, 1, 100), &e);
    said("remove it", epoll_ctl(EP, EPOLL_CTL_DEL, p[0], NULL));
    said("remove it again", epoll_ctl(EP, EPOLL_CTL_DEL, p[0], NULL));
    /* Refused before anything moves: a DEL of a pipe never added, a pipe
     * added to a kernel fd that is no set. */
    int z[2];
    CHECK(pipe(z) == 0, "pipe");
    said("remove a pipe never added", epoll_ctl(EP, EPOLL_CTL_DEL, z[0], NULL));
    said("a pipe into a pipe", epoll_ctl(READY, EPOLL_CTL_ADD, z[0], &a));
    close(z[0]);
    close(z[1]);
    /* A kernel fd that is no set. */
    said("wait on a pipe", epoll_wait(READY, &e, 1, 0));
    said("maxevents 0", epoll_wait(EP, &e, 0, 0));
    CHECK(write(LATE_W, "v", 1) == 1, "write");
    struct epoll_event *volatile bad = (struct epoll_event *)(uintptr_t)8;
    said("a bad buffer, one event", epoll_wait(EP, bad, 1, 0));
    CHECK(read(LATE_R, &c, 1) == 1, "read");

    /* A set of the program's own, sent out through the inherited socket. */
    int q[2];
    CHECK(pipe(q) == 0, "pipe");
    CHECK(write(q[1], "w", 1) == 1, "write");
    int mine = epoll_create1(0);
    struct epoll_event m = { .events = EPOLLIN, .data.u64 = 99 };
    CHECK(epoll_ctl(mine, EPOLL_CTL_ADD, q[0], &m) == 0, "add");
    CHECK(send_fd(SOCK, mine, "E") == 0, "send: %s", strerror(errno));
    CHECK(read(SOCK, &c, 1) == 1, "ack");
    /* Still a working set here. */
    memset(&e, 0, sizeof e);
    show("my set, after sending it", epoll_wait(mine, &e, 1, 2000), &e);
    say("failures: %d", failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "parent"))
        return parent(argv + 2);
    if (argc == 2 && !strcmp(argv[1], "child"))
        return child();
    fprintf(stderr, "usage: epoll_foreign parent PROG ARGS... | child\n");
    return 2;
}
