/* sigio.c - O_ASYNC, F_SETSIG and SIGURG: which signal an fd's owner gets, when, and what it says. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* Every signal here is blocked and collected with sigtimedwait, so the
 * test reads each siginfo the kernel (or the runtime) queued, in order. */
#define RT (SIGRTMIN + 3)

static const char *code_name(int code)
{
    switch (code) {
    case POLL_IN: return "POLL_IN";
    case POLL_OUT: return "POLL_OUT";
    case POLL_MSG: return "POLL_MSG";
    case POLL_ERR: return "POLL_ERR";
    case POLL_PRI: return "POLL_PRI";
    case POLL_HUP: return "POLL_HUP";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_SIGIO: return "SI_SIGIO";
    }
    return "other";
}

/* watched - the signals the test collects. */
static sigset_t watched(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGURG);
    sigaddset(&set, RT);
    return set;
}

/* collect - what is pending of SIGIO, SIGURG and RT now, once fd is ready
 * for ev (loopback TCP finishes its work in softirq context natively):
 * each distinct siginfo once, in order ("fd" when si_fd is the fd
 * expected). Linux sends some of them more than once (a pipe read tells
 * writers every time): the test compares which, not how many. */
static void collect(const char *what, int fd, short ev, int expect_fd)
{
    if (fd >= 0) {
        struct pollfd p = { fd, ev, 0 };
        poll(&p, 1, 2000);
    }
    char out[512] = "";
    size_t len = 0;
    int seen[16][4], nseen = 0;
    sigset_t set = watched();
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    while (sigtimedwait(&set, &si, &zero) > 0) {
        int key[4] = { si.si_signo, si.si_code, si.si_signo == RT ? (int)si.si_band : 0,
                       si.si_signo == RT ? si.si_fd == expect_fd : 1 };
        int i;
        for (i = 0; i < nseen && memcmp(seen[i], key, sizeof(key)); i++)
            ;
        if (i < nseen || nseen == 16)
            continue;
        memcpy(seen[nseen++], key, sizeof(key));
        len += snprintf(out + len, sizeof(out) - len, " %s/%s", key[0] == SIGIO ? "SIGIO" : key[0] == SIGURG ? "SIGURG" : "RT",
                        code_name(key[1]));
        if (key[0] == RT)
            len += snprintf(out + len, sizeof(out) - len, "/band=%#x/%s", key[2], key[3] ? "fd" : "other-fd");
    }
    say("%s:%s", what, nseen ? out : " nothing");
}

/* drop - forget what is pending (what Linux sends more often than it must). */
static void drop(void)
{
    sigset_t set = watched();
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
}

/* block_all - the signals blocked, none pending (a closed socket may have
 * told of its end, naming an fd number that is another file's now). */
static void block_all(void)
{
    sigset_t set = watched();
    sigprocmask(SIG_BLOCK, &set, NULL);
    drop();
}

/* async_on - fd's owner is this process, its signal sig (0: SIGIO). */
static void async_on(int fd, int sig)
{
    CHECK(fcntl(fd, F_SETOWN, getpid()) == 0, "F_SETOWN: %s", strerror(errno));
    CHECK(fcntl(fd, F_SETSIG, sig) == 0, "F_SETSIG: %s", strerror(errno));
    CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) == 0, "F_SETFL: %s", strerror(errno));
}

static void sec_pipe(void)
{
    block_all();
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    async_on(p[0], RT);
    collect("pipe set up", -1, 0, p[0]);
    CHECK(write(p[1], "abc", 3) == 3, "write");
    collect("pipe write, reader told", p[0], POLLIN, p[0]);
    char buf[65536];
    CHECK(read(p[0], buf, sizeof(buf)) == 3, "read");
    collect("pipe read, reader owns", -1, 0, p[0]);

    /* The writer's side: told when a full pipe has room. */
    async_on(p[1], RT);
    while (write(p[1], buf, sizeof(buf)) > 0)
        ;
    collect("pipe filled", -1, 0, p[1]);
    CHECK(read(p[0], buf, sizeof(buf)) > 0, "read");
    collect("pipe drained a little, writer told", p[1], POLLOUT, p[1]);

    /* The last writer gone: the reader hears it. */
    while (read(p[0], buf, sizeof(buf)) > 0)
        ;
    /* Linux tells writers after every read, even one that found nothing
     * (pipe_read's kill_fasync): not compared. */
    drop();
    close(p[1]);
    collect("pipe writer closed", p[0], POLLIN, p[0]);
    close(p[0]);
}

/* F_SETSIG 0: plain SIGIO, SI_KERNEL, nothing else said. */
static void sec_plain(void)
{
    block_all();
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    async_on(p[0], 0);
    CHECK(write(p[1], "x", 1) == 1, "write");
    collect("plain SIGIO", p[0], POLLIN, p[0]);
    /* O_ASYNC off: silence. */
    CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_ASYNC) == 0, "F_SETFL");
    CHECK(write(p[1], "x", 1) == 1, "write");
    collect("O_ASYNC off", p[0], POLLIN, p[0]);
    /* No owner: silence too. */
    CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC) == 0, "F_SETFL");
    CHECK(fcntl(p[0], F_SETOWN, 0) == 0, "F_SETOWN 0");
    CHECK(write(p[1], "x", 1) == 1, "write");
    collect("no owner", p[0], POLLIN, p[0]);
    /* A process group as the owner: a group of its own, or the
     * signal reaches whatever started the test (timeout(1) dies of it). */
    CHECK(setpgid(0, 0) == 0, "setpgid: %s", strerror(errno));
    CHECK(fcntl(p[0], F_SETOWN, -getpgrp()) == 0, "F_SETOWN -pgrp: %s", strerror(errno));
    CHECK(write(p[1], "x", 1) == 1, "write");
    collect("group owner", p[0], POLLIN, p[0]);
    /* A thread as the owner (this one). */
    struct f_owner_ex ex = { F_OWNER_TID, gettid() };
    CHECK(fcntl(p[0], F_SETOWN_EX, &ex) == 0, "F_SETOWN_EX: %s", strerror(errno));
    CHECK(write(p[1], "x", 1) == 1, "write");
    collect("thread owner", p[0], POLLIN, p[0]);
    close(p[0]);
    close(p[1]);
}

static void sec_unix(void)
{
    block_all();
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
    int dup0 = dup(sv[0]);
    async_on(sv[0], RT);
    CHECK(write(sv[1], "hello", 5) == 5, "write");
    collect("unix data", sv[0], POLLIN, sv[0]);
    char buf[64];
    CHECK(read(dup0, buf, sizeof(buf)) == 5, "read through the dup");
    collect("unix read", -1, 0, sv[0]);
    CHECK(shutdown(sv[1], SHUT_WR) == 0, "shutdown");
    collect("unix peer shut writing", sv[0], POLLIN, sv[0]);
    close(sv[1]);
    collect("unix peer closed", sv[0], POLLIN, sv[0]);
    close(sv[0]);
    collect("unix one of two fds closed", -1, 0, sv[0]);
    close(dup0);

    /* Datagrams: every one tells. */
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair dgram");
    async_on(sv[0], RT);
    CHECK(send(sv[1], "d", 1, 0) == 1, "send");
    collect("unix datagram", sv[0], POLLIN, sv[0]);
    close(sv[0]);
    close(sv[1]);
}

static int tcp_listener(struct sockaddr_in *a)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = 0;
    CHECK(bind(l, (struct sockaddr *)a, sizeof(*a)) == 0, "bind");
    socklen_t al = sizeof(*a);
    getsockname(l, (struct sockaddr *)a, &al);
    CHECK(listen(l, 8) == 0, "listen");
    return l;
}

static void sec_tcp(void)
{
    block_all();
    struct sockaddr_in a;
    int l = tcp_listener(&a);
    async_on(l, RT);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
    collect("tcp listener, a connection", l, POLLIN, l);
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0, "accept");
    async_on(s, RT);
    CHECK(write(c, "ping", 4) == 4, "write");
    collect("tcp data", s, POLLIN, s);
    char buf[64];
    CHECK(read(s, buf, sizeof(buf)) == 4, "read");
    CHECK(shutdown(c, SHUT_WR) == 0, "shutdown");
    collect("tcp peer shut writing", s, POLLIN | POLLRDHUP, s);
    CHECK(read(s, buf, sizeof(buf)) == 0, "EOF");
    /* A reset: the peer closes with unread data. */
    CHECK(write(s, "unread", 6) == 6, "write");
    struct pollfd pc = { c, POLLIN, 0 };
    poll(&pc, 1, 2000);
    close(c);
    collect("tcp peer reset", s, POLLERR | POLLHUP, s);
    close(s);
    close(l);
}

/* Urgent data: the owner gets SIGURG, O_ASYNC or not; with O_ASYNC and
 * F_SETSIG, the F_SETSIG signal as POLL_PRI too. */
static void sec_urgent(void)
{
    block_all();
    struct sockaddr_in a;
    int l = tcp_listener(&a);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0, "accept");
    CHECK(send(c, "!", 1, MSG_OOB) == 1, "send oob");
    collect("urgent, no owner", s, POLLPRI, s);
    char b;
    CHECK(recv(s, &b, 1, MSG_OOB) == 1, "recv oob");
    CHECK(fcntl(s, F_SETOWN, getpid()) == 0, "F_SETOWN");
    CHECK(send(c, "!", 1, MSG_OOB) == 1, "send oob");
    collect("urgent, owner", s, POLLPRI, s);
    CHECK(recv(s, &b, 1, MSG_OOB) == 1, "recv oob");
    async_on(s, RT);
    CHECK(send(c, "!", 1, MSG_OOB) == 1, "send oob");
    collect("urgent, owner and O_ASYNC", s, POLLPRI, s);
    close(c);
    close(s);
    close(l);
}

/* The fcntl and ioctl answers around it. */
static void sec_flags(void)
{
    block_all();
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    say("F_GETSIG new: %d", fcntl(p[0], F_GETSIG));
    CHECK(fcntl(p[0], F_SETSIG, RT) == 0, "F_SETSIG");
    say("F_GETSIG set: %d", fcntl(p[0], F_GETSIG) == RT);
    long r = fcntl(p[0], F_SETSIG, 65);
    say("F_SETSIG 65: %ld %s", r, strerror(errno));
    r = fcntl(p[0], F_SETSIG, -1);
    say("F_SETSIG -1: %ld %s", r, strerror(errno));
    int on = 1;
    r = ioctl(p[0], FIOASYNC, &on);
    say("FIOASYNC pipe: %ld, O_ASYNC %d", r, !!(fcntl(p[0], F_GETFL) & O_ASYNC));
    on = 0;
    r = ioctl(p[0], FIOASYNC, &on);
    say("FIOASYNC off: %ld, O_ASYNC %d", r, !!(fcntl(p[0], F_GETFL) & O_ASYNC));
    r = ioctl(p[0], FIOASYNC, (void *)8);
    say("FIOASYNC bad pointer: %ld %s", r, strerror(errno));
    int e = eventfd(0, EFD_NONBLOCK);
    on = 1;
    r = ioctl(e, FIOASYNC, &on);
    say("FIOASYNC eventfd: %ld %s", r, r ? strerror(errno) : "");
    /* F_SETFL takes the flag on a file that never signals (no fasync). */
    async_on(e, RT);
    say("eventfd O_ASYNC kept: %d", !!(fcntl(e, F_GETFL) & O_ASYNC));
    uint64_t one = 1;
    CHECK(write(e, &one, 8) == 8, "eventfd write");
    collect("eventfd write", e, POLLIN, e);
    close(e);
    /* The signal goes by the fd F_SETFL named: a dup set later names
     * the dup. */
    async_on(p[0], RT);
    int d = dup(p[0]);
    CHECK(fcntl(d, F_SETFL, fcntl(d, F_GETFL) & ~O_ASYNC) == 0, "off");
    CHECK(fcntl(d, F_SETFL, fcntl(d, F_GETFL) | O_ASYNC) == 0, "on through the dup");
    CHECK(write(p[1], "x", 1) == 1, "write");
    collect("fd of the last F_SETFL", d, POLLIN, d);
    close(d);
    close(p[0]);
    close(p[1]);
}

/* Moved into the kernel by a fork: the kernel's pipe signals the owner. */
static void sec_forkmove(void)
{
    block_all();
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    async_on(p[0], 0);
    pid_t pid = fork();
    if (pid == 0) {
        msleep(50);
        _exit(write(p[1], "x", 1) == 1 ? 0 : 1);
    }
    sigset_t set = watched();
    struct timespec two = { 2, 0 };
    int r = sigtimedwait(&set, NULL, &two);
    say("moved by a fork, its child's write: %s", r == SIGIO ? "SIGIO" : "nothing");
    waitpid(pid, NULL, 0);
    close(p[0]);
    close(p[1]);
}

/* A handler, not sigtimedwait: the signal interrupts a blocking wait. */
static volatile sig_atomic_t handled;
static void on_io(int sig) { handled = sig; }
static void sec_handler(void)
{
    on_signal(SIGIO, on_io, 0);
    collect("before", -1, 0, -1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    async_on(sv[0], 0);
    pid_t pid = fork();
    if (pid == 0) {
        msleep(100);
        _exit(write(sv[1], "z", 1) == 1 ? 0 : 1);
    }
    /* Sleep in pause: the SIGIO of the child's write ends it. */
    pause();
    say("handler ran: %d", handled == SIGIO);
    int st;
    waitpid(pid, &st, 0);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv)
{
    static const struct section secs[] = {
        { "pipe", sec_pipe }, { "plain", sec_plain }, { "unix", sec_unix }, { "tcp", sec_tcp },
        { "urgent", sec_urgent }, { "flags", sec_flags }, { "handler", sec_handler }, { "forkmove", sec_forkmove },
    };
    return run_sections(argv[0], argc, argv, secs, sizeof(secs) / sizeof(secs[0]));
}
