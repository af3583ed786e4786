/* epoll: a matrix of modes (LT, ET, ONESHOT, EXCLUSIVE) x fd types x
 * states, and the corner cases of the epoll API. Each state is reached
 * and waited for (bounded) before epoll_wait(0) samples it, twice: the
 * second sample shows what ET/ONESHOT hold back. ONESHOT is re-armed
 * with EPOLL_CTL_MOD after each pair of samples.
 *
 *   epoll [SECTION...]   (default: all, in order)
 *
 * tcp unix udp pipe-r pipe-w eventfd timerfd signalfd file
 *             the matrix for one type: initial, readable, more data while
 *             readable, drained, half-closed, peer closed; write side
 *             filled and drained; error/reset
 * api         EEXIST/ENOENT/EBADF/EINVAL/EPERM, maxevents, epoll_create(0)
 * nested      an epoll set inside another: readiness propagates
 * loop        ELOOP for cycles, EINVAL for a set in itself, depth limit
 * twosets     one fd in two sets (LT in one, ET in the other)
 * dup         interest follows the open file: dup, close, DEL
 * passed      an epoll fd sent by SCM_RIGHTS: the copy waits and MODs
 * pwait       epoll_pwait's signal mask: EINTR with the handler run,
 *             epoll_pwait2 timeouts, a blocked signal not interrupting
 * fair        20 ready fds, maxevents 5: LT rotates through all of them
 * exclusive   EPOLLEXCLUSIVE rules (EINVAL cases), 4 sets with a waiter
 *             each on one eventfd: a write wakes at least one
 * wake        epoll_wait blocked in a thread, woken by a write from main
 * mixed       blocked waits on a set of a signalfd and a pipe, on a set
 *             holding it, and poll/select on it, each woken from a thread
 *             (a signal to the process, a pipe write)
 * userset     a set of user-space files with events ready or timeout 0
 *             (pegasus's lean gate): EFAULT keeps events, maxevents 1
 *             rotates, sets closed under a thread waiting on them
 * args        maxevents and buffer checks in Linux's order
 * order       items of one file ready at once: last added first
 * etedge      ET edges come only from what an item waits for
 * kernelset   a set of kernel files alone (inotify), which pegasus waits on
 *             from its gate: timeout 0 and not, data kept, EINVAL/EFAULT/
 *             EBADF, a mask, and 300,000 waits under a signal storm
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "socklib.h"

enum { LT, ET, ONESHOT, EXCL };
static const char *mname[] = {"LT", "ET", "ONESHOT", "EXCL"};
static int mode, ep, cur;
static const char *tname;

static unsigned mode_events(void)
{
    switch (mode) {
    case ET: return EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    case ONESHOT: return EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLONESHOT;
    case EXCL: return EPOLLIN | EPOLLOUT | EPOLLEXCLUSIVE;
    }
    return EPOLLIN | EPOLLOUT | EPOLLRDHUP;
}

static void arm(int fd)
{
    cur = fd;
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = mode_events(), .data.u64 = 0x1234};
    int r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    if (r)
        say("%s %s add: %s", tname, mname[mode], rs(r));
}

static void show(const char *what)
{
    for (int k = 0; k < 2; k++) {
        struct epoll_event ev[4];
        memset(ev, 0, sizeof ev);
        int n = epoll_wait(ep, ev, 4, 0);
        if (n == 1 && ev[0].data.u64 != 0x1234)
            say("FAIL data %llx", (unsigned long long)ev[0].data.u64);
        say("%s %s %s%s: %s", tname, mname[mode], what, k ? " again" : "", n == 1 ? evs(ev[0].events) : n == 0 ? "-" : rs(n));
    }
    if (mode == ONESHOT) {
        struct epoll_event ev = {.events = mode_events(), .data.u64 = 0x1234};
        epoll_ctl(ep, EPOLL_CTL_MOD, cur, &ev);
    }
}

static void done(int a, int b)
{
    close(ep);
    if (a >= 0)
        close(a);
    if (b >= 0)
        close(b);
}

static void drain_fd(int fd)
{
    char buf[65536];
    set_nb(fd, 1);
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* make a not writable: write until EAGAIN, until poll agrees (bounded) */
static void fill_fd(int a)
{
    static char buf[65536];
    set_nb(a, 1);
    for (int i = 0; i < 500; i++) {
        while (write(a, buf, sizeof buf) > 0)
            ;
        msleep(10);
        if (!(revents(a, POLLOUT) & POLLOUT)) {
            msleep(10);
            if (!(revents(a, POLLOUT) & POLLOUT))
                return;
        }
    }
    say("FAIL never full");
    failures++;
}

/* read b until a is writable again */
static void unfill_fd(int a, int b)
{
    static char buf[65536];
    set_nb(b, 1);
    for (int i = 0; i < 5000; i++) {
        while (read(b, buf, sizeof buf) > 0)
            ;
        if (revents(a, POLLOUT) & POLLOUT)
            return;
        msleep(1);
    }
    say("FAIL never writable");
    failures++;
}

static void matrix_stream(int inet)
{
    for (mode = 0; mode < 4; mode++) {
        int a, b, sv[2];
        char one = 'x';
        if (inet) {
            tcp_pair(&a, &b);
        } else {
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            a = sv[0], b = sv[1];
        }
        arm(a);
        show("initial");
        write(b, &one, 1);
        wait_inq(a, 1);
        show("readable");
        write(b, &one, 1);
        wait_inq(a, 2);
        show("more");
        drain_fd(a);
        show("drained");
        shutdown(b, SHUT_WR);
        wait_ev(a, POLLRDHUP);
        show("half-closed");
        close(b);
        if (!inet)
            wait_ev(a, POLLHUP);
        show("peer closed");
        done(a, -1);

        if (inet) {
            tcp_pair(&a, &b);
        } else {
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            a = sv[0], b = sv[1];
        }
        arm(a);
        fill_fd(a);
        show("full");
        unfill_fd(a, b);
        show("writable again");
        done(a, b);

        if (inet) {
            tcp_pair(&a, &b);
        } else {
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            a = sv[0], b = sv[1];
        }
        arm(a);
        write(a, &one, 1);
        wait_inq(b, 1);
        close(b); /* with unread data: a reset */
        wait_ev(a, POLLERR);
        show("reset");
        done(a, -1);
    }
}

static void sec_tcp(void) { tname = "tcp"; matrix_stream(1); }
static void sec_unix(void) { tname = "unix"; matrix_stream(0); }

static void sec_udp(void)
{
    tname = "udp";
    for (mode = 0; mode < 4; mode++) {
        struct sockaddr_in aa, dead;
        int a = udp_bound(&aa), b = udp_bound(NULL);
        arm(a);
        show("initial");
        sendto(b, "x", 1, 0, (struct sockaddr *)&aa, sizeof aa);
        wait_ev(a, POLLIN);
        show("readable");
        sendto(b, "y", 1, 0, (struct sockaddr *)&aa, sizeof aa);
        /* loopback UDP is queued before sendto returns (softirq on bh enable) */
        show("more");
        drain_fd(a);
        show("drained");
        dead = aa;
        int d = udp_bound(&dead);
        close(d);
        connect(a, (struct sockaddr *)&dead, sizeof dead);
        send(a, "z", 1, 0);
        wait_ev(a, POLLERR);
        show("refused");
        done(a, b);
    }
}

static void sec_pipe_r(void)
{
    tname = "pipe-r";
    for (mode = 0; mode < 4; mode++) {
        int p[2];
        pipe(p);
        arm(p[0]);
        show("initial");
        write(p[1], "x", 1);
        show("readable");
        write(p[1], "y", 1);
        show("more");
        drain_fd(p[0]);
        show("drained");
        write(p[1], "z", 1);
        close(p[1]);
        show("writer closed, data left");
        drain_fd(p[0]);
        show("writer closed, drained");
        done(p[0], -1);
    }
}

static void sec_pipe_w(void)
{
    tname = "pipe-w";
    for (mode = 0; mode < 4; mode++) {
        int p[2];
        pipe(p);
        arm(p[1]);
        show("initial");
        fill_fd(p[1]);
        show("full");
        char buf[100];
        read(p[0], buf, sizeof buf);
        show("100 bytes read");
        unfill_fd(p[1], p[0]);
        show("drained");
        close(p[0]);
        show("reader closed");
        done(p[1], -1);
    }
}

static void sec_eventfd(void)
{
    tname = "eventfd";
    for (mode = 0; mode < 4; mode++) {
        int e = eventfd(0, EFD_NONBLOCK);
        uint64_t v = 1;
        arm(e);
        show("initial");
        write(e, &v, 8);
        show("readable");
        write(e, &v, 8);
        show("more");
        read(e, &v, 8);
        show("drained");
        v = UINT64_MAX - 1;
        write(e, &v, 8);
        show("full");
        read(e, &v, 8);
        show("emptied");
        done(e, -1);
    }
}

static void sec_timerfd(void)
{
    tname = "timerfd";
    for (mode = 0; mode < 4; mode++) {
        int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
        struct itimerspec its = {.it_value = {0, 1}};
        arm(t);
        show("initial");
        timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL); /* in the past: expires now */
        wait_ev(t, POLLIN);
        show("expired");
        timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
        wait_ev(t, POLLIN);
        show("re-armed, expired again");
        uint64_t n;
        read(t, &n, 8);
        show("read");
        struct itimerspec far = {.it_value = {1000, 0}};
        timerfd_settime(t, 0, &far, NULL);
        show("armed far away");
        done(t, -1);
    }
}

static void sec_signalfd(void)
{
    tname = "signalfd";
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    for (mode = 0; mode < 4; mode++) {
        int f = signalfd(-1, &s, SFD_NONBLOCK);
        arm(f);
        show("initial");
        raise(SIGUSR1);
        show("SIGUSR1 pending");
        raise(SIGUSR2);
        show("SIGUSR2 too");
        raise(SIGUSR1); /* merged into the pending one: no wake-up, no edge */
        show("SIGUSR1 again");
        struct signalfd_siginfo si[4];
        say("read: %s", rs(read(f, si, sizeof si)));
        show("read");
        done(f, -1);
    }
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static void sec_file(void)
{
    tname = "file";
    int f = open("reg.file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int e = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT};
    say("add a regular file: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, f, &ev)));
    int d = open("/dev/null", O_RDWR);
    say("add /dev/null: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, d, &ev)));
    say("poll a regular file: %s", evs(revents(f, POLLIN | POLLOUT)));
    close(d); close(f); close(e);
    unlink("reg.file");
}

static void sec_api(void)
{
    int e = epoll_create1(0), p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN}, out[2];
    say("epoll_create(0): %s", rs(epoll_create(0)));
    say("epoll_create1 bad flag: %s", rs(epoll_create1(1)));
    say("MOD before ADD: %s", rs(epoll_ctl(e, EPOLL_CTL_MOD, p[0], &ev)));
    say("DEL before ADD: %s", rs(epoll_ctl(e, EPOLL_CTL_DEL, p[0], &ev)));
    say("ADD: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev)));
    say("ADD again: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev)));
    say("ADD a closed fd: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, 999, &ev)));
    say("ctl on a non-epoll fd: %s", rs(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev)));
    say("bad op: %s", rs(epoll_ctl(e, 9, p[0], &ev)));
    say("wait maxevents 0: %s", rs(epoll_wait(e, out, 0, 0)));
    volatile int minus1 = -1; /* the compiler knows the buffer's size */
    say("wait maxevents -1: %s", rs(epoll_wait(e, out, minus1, 0)));
    say("wait on a pipe: %s", rs(epoll_wait(p[0], out, 1, 0)));
    say("wait, nothing ready, timeout 0: %s", rs(epoll_wait(e, out, 2, 0)));
    say("wait, nothing ready, timeout 20 ms: %s", rs(epoll_wait(e, out, 2, 20)));
    write(p[1], "x", 1);
    say("ready: %s", rs(epoll_wait(e, out, 2, -1)));
    ev.events = EPOLLOUT;
    say("MOD to EPOLLOUT: %s", rs(epoll_ctl(e, EPOLL_CTL_MOD, p[0], &ev)));
    say("read end for OUT: %s", rs(epoll_wait(e, out, 2, 0)));
    ev.events = 0;
    epoll_ctl(e, EPOLL_CTL_MOD, p[0], &ev);
    close(p[1]);
    int n = epoll_wait(e, out, 2, 0);
    say("events 0, writer closed: %s %s", rs(n), n == 1 ? evs(out[0].events) : "");
    say("DEL: %s", rs(epoll_ctl(e, EPOLL_CTL_DEL, p[0], NULL)));
    say("wait after DEL: %s", rs(epoll_wait(e, out, 2, 0)));
    close(p[0]);
    close(e);
}

static void sec_nested(void)
{
    int in = epoll_create1(0), outer = epoll_create1(0), p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]}, out[2];
    epoll_ctl(in, EPOLL_CTL_ADD, p[0], &ev);
    ev.data.fd = in;
    say("add the inner set: %s", rs(epoll_ctl(outer, EPOLL_CTL_ADD, in, &ev)));
    say("poll of the inner set, idle: %s", evs(revents(in, POLLIN | POLLOUT)));
    say("outer, idle: %s", rs(epoll_wait(outer, out, 2, 0)));
    write(p[1], "x", 1);
    say("poll of the inner set: %s", evs(revents(in, POLLIN | POLLOUT)));
    int n = epoll_wait(outer, out, 2, 0);
    say("outer: %s, the inner set %d, %s", rs(n), out[0].data.fd == in, evs(out[0].events));
    n = epoll_wait(in, out, 2, 0);
    say("inner: %s, the pipe %d", rs(n), out[0].data.fd == p[0]);
    drain_fd(p[0]);
    say("drained, outer: %s", rs(epoll_wait(outer, out, 2, 0)));
    say("outer, timeout 20 ms: %s", rs(epoll_wait(outer, out, 2, 20)));
    close(p[0]); close(p[1]); close(in); close(outer);
}

static void sec_loop(void)
{
    int a = epoll_create1(0), b = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    say("a set in itself: %s", rs(epoll_ctl(a, EPOLL_CTL_ADD, a, &ev)));
    say("b in a: %s", rs(epoll_ctl(a, EPOLL_CTL_ADD, b, &ev)));
    say("a in b (a cycle): %s", rs(epoll_ctl(b, EPOLL_CTL_ADD, a, &ev)));
    close(a); close(b);
    int e[8];
    for (int i = 0; i < 8; i++)
        e[i] = epoll_create1(0);
    for (int i = 1; i < 8; i++) {
        int r = epoll_ctl(e[i], EPOLL_CTL_ADD, e[i - 1], &ev);
        say("chain depth %d: %s", i, rs(r));
        if (r)
            break;
    }
    for (int i = 0; i < 8; i++)
        close(e[i]);
}

static void sec_twosets(void)
{
    int s1 = epoll_create1(0), s2 = epoll_create1(0), e = eventfd(0, EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN}, out[2];
    epoll_ctl(s1, EPOLL_CTL_ADD, e, &ev);
    ev.events = EPOLLIN | EPOLLET;
    epoll_ctl(s2, EPOLL_CTL_ADD, e, &ev);
    uint64_t v = 1;
    write(e, &v, 8);
    say("LT set: %s", rs(epoll_wait(s1, out, 2, 0)));
    say("ET set: %s", rs(epoll_wait(s2, out, 2, 0)));
    say("LT set again: %s", rs(epoll_wait(s1, out, 2, 0)));
    say("ET set again: %s", rs(epoll_wait(s2, out, 2, 0)));
    epoll_ctl(s1, EPOLL_CTL_DEL, e, NULL);
    write(e, &v, 8);
    say("removed from LT set: %s", rs(epoll_wait(s1, out, 2, 0)));
    say("ET set still fires: %s", rs(epoll_wait(s2, out, 2, 0)));
    close(e);
    say("fd closed, ET set: %s", rs(epoll_wait(s2, out, 2, 0)));
    close(s1); close(s2);
}

static void sec_dup(void)
{
    int e = epoll_create1(0), p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77}, out[2];
    epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev);
    int d = dup(p[0]);
    int orig = p[0];
    close(p[0]);
    write(p[1], "x", 1);
    int n = epoll_wait(e, out, 2, 0);
    say("original closed, dup open: %s, data %llu", rs(n), (unsigned long long)out[0].data.u64);
    say("DEL by the closed number: %s", rs(epoll_ctl(e, EPOLL_CTL_DEL, orig, NULL)));
    say("DEL by the dup's number: %s", rs(epoll_ctl(e, EPOLL_CTL_DEL, d, NULL)));
    say("ADD the dup: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, d, &ev)));
    say("now: %s", rs(epoll_wait(e, out, 2, 0)));
    int d2 = dup(d);
    say("ADD a second dup of the same file: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, d2, &ev)));
    say("both report: %s", rs(epoll_wait(e, out, 2, 0)));
    close(d);
    close(d2);
    say("all fds of the file closed: %s", rs(epoll_wait(e, out, 2, 0)));
    int q[2];
    pipe(q);
    say("a new pipe reuses the number (%d), not in the set: ADD %s", q[0] == orig || q[0] == d, rs(epoll_ctl(e, EPOLL_CTL_ADD, q[0], &ev)));
    close(q[0]); close(q[1]); close(p[1]); close(e);
}

/* an epoll fd passed by SCM_RIGHTS: the received copy is the same set */
static void sec_passed(void)
{
    int sv[2], e = epoll_create1(0), f = eventfd(0, EFD_NONBLOCK);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5}, out[2];
    epoll_ctl(e, EPOLL_CTL_ADD, f, &ev);
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"e", 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &e, sizeof(int));
    say("send the epoll fd: %s", rs(sendmsg(sv[0], &m, 0)));
    close(e);
    char d;
    iov.iov_base = &d;
    m.msg_controllen = sizeof cbuf;
    say("recvmsg: %s", rs(recvmsg(sv[1], &m, 0)));
    int e2 = -1;
    cm = CMSG_FIRSTHDR(&m);
    if (cm)
        memcpy(&e2, CMSG_DATA(cm), sizeof e2);
    say("received copy, idle: %s", rs(epoll_wait(e2, out, 2, 0)));
    uint64_t v = 1;
    write(f, &v, 8);
    int n = epoll_wait(e2, out, 2, 0);
    say("after a write: %s, data %llu", rs(n), n == 1 ? (unsigned long long)out[0].data.u64 : 0ull);
    ev.data.u64 = 6;
    say("MOD through the copy: %s", rs(epoll_ctl(e2, EPOLL_CTL_MOD, f, &ev)));
    n = epoll_wait(e2, out, 2, 0);
    say("then: %s, data %llu", rs(n), n == 1 ? (unsigned long long)out[0].data.u64 : 0ull);
    close(e2); close(f); close(sv[0]); close(sv[1]);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int s) { (void)s; got_usr1++; }
static void *kick(void *arg)
{
    msleep(30);
    pthread_kill(*(pthread_t *)arg, SIGUSR1);
    return NULL;
}

/* SIGUSR1 every 10 ms until told to stop: the wait it cuts short may start late */
static volatile int kick_stop;
static void *kicks(void *arg)
{
    for (int i = 0; i < 500 && !kick_stop; i++) {
        pthread_kill(*(pthread_t *)arg, SIGUSR1);
        msleep(10);
    }
    return NULL;
}

static void sec_pwait(void)
{
    on_signal(SIGUSR1, on_usr1, 0);
    sigset_t blk, none;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    int e = epoll_create1(0), p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN}, out[2];
    epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev);
    pthread_t self = pthread_self(), t;
    pthread_create(&t, NULL, kick, &self);
    int r = epoll_pwait(e, out, 2, 5000, &none);
    say("epoll_pwait unblocking SIGUSR1: %s, handler ran %d", rs(r), got_usr1);
    pthread_join(t, NULL);
    sigset_t pend;
    sigpending(&pend);
    say("mask restored: SIGUSR1 blocked %d", ({ sigset_t c; sigprocmask(0, NULL, &c); sigismember(&c, SIGUSR1); }));
    raise(SIGUSR1);
    r = epoll_pwait(e, out, 2, 20, &blk);
    say("epoll_pwait keeping it blocked, one pending: %s, handler ran %d", rs(r), got_usr1);
    r = epoll_pwait(e, out, 2, 5000, &none);
    say("then unblocking it: %s, handler ran %d", rs(r), got_usr1);
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    struct timespec ts = {0, 20000000};
    say("epoll_pwait2 20 ms, nothing: %s", rs(syscall(441, e, out, 2, &ts, NULL, 8)));
    write(p[1], "x", 1);
    say("epoll_pwait2 NULL timeout, ready: %s", rs(syscall(441, e, out, 2, NULL, NULL, 8)));
    ts.tv_nsec = -1;
    say("epoll_pwait2 bad timeout: %s", rs(syscall(441, e, out, 2, &ts, NULL, 8)));
    say("epoll_pwait bad sigsetsize: %s", rs(syscall(SYS_epoll_pwait, e, out, 2, 0, &none, 4)));
    drain_fd(p[0]);
    kick_stop = 0;
    pthread_create(&t, NULL, kicks, &self);
    r = epoll_wait(e, out, 2, 5000);
    say("plain epoll_wait, handler without SA_RESTART: %s", rs(r));
    kick_stop = 1;
    pthread_join(t, NULL);
    close(p[0]); close(p[1]); close(e);
    signal(SIGUSR1, SIG_DFL);
}

static void sec_fair(void)
{
    int e = epoll_create1(0), fds[20];
    uint64_t v = 1;
    for (int i = 0; i < 20; i++) {
        fds[i] = eventfd(1, 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(e, EPOLL_CTL_ADD, fds[i], &ev);
    }
    (void)v;
    int seen[20] = {0}, calls = 0, distinct = 0;
    while (distinct < 20 && calls < 8) {
        struct epoll_event out[5];
        int n = epoll_wait(e, out, 5, 0);
        calls++;
        if (n != 5)
            say("FAIL got %s of 5", rs(n));
        for (int i = 0; i < n; i++)
            if (!seen[out[i].data.u32]++)
                distinct++;
    }
    say("20 ready, maxevents 5: all seen after %d waits", calls);
    close(e);
    for (int i = 0; i < 20; i++)
        close(fds[i]);
}

static int xefd;
static int xwoke;
static pthread_mutex_t xm = PTHREAD_MUTEX_INITIALIZER;
static void *xwaiter(void *arg)
{
    int e = *(int *)arg;
    struct epoll_event out[1];
    if (epoll_wait(e, out, 1, 6000) == 1) {
        pthread_mutex_lock(&xm);
        xwoke++;
        pthread_mutex_unlock(&xm);
    }
    return NULL;
}

static void sec_exclusive(void)
{
    int e = epoll_create1(0), f = eventfd(0, EFD_NONBLOCK), in = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    say("ADD EXCLUSIVE: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, f, &ev)));
    say("MOD: %s", rs(epoll_ctl(e, EPOLL_CTL_MOD, f, &ev)));
    epoll_ctl(e, EPOLL_CTL_DEL, f, NULL);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    say("EXCLUSIVE|ONESHOT: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, f, &ev)));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
    say("EXCLUSIVE|RDHUP: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, f, &ev)));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    say("EXCLUSIVE on an epoll fd: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, in, &ev)));
    close(e); close(in);
    xefd = f;
    int sets[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        sets[i] = epoll_create1(0);
        epoll_ctl(sets[i], EPOLL_CTL_ADD, f, &ev);
        pthread_create(&t[i], NULL, xwaiter, &sets[i]);
    }
    msleep(50);
    uint64_t v = 1;
    write(f, &v, 8);
    int w = 0;
    for (int i = 0; i < 5000 && !w; i++) {
        msleep(1);
        pthread_mutex_lock(&xm);
        w = xwoke;
        pthread_mutex_unlock(&xm);
    }
    say("4 exclusive waiters, one write: at least one woke %d", w >= 1);
    msleep(50); /* the others stay asleep: one wake-up, one exclusive waiter */
    pthread_mutex_lock(&xm);
    w = xwoke;
    pthread_mutex_unlock(&xm);
    say("one write woke exactly one: %d", w == 1);
    for (int i = 0; i < 5000 && w < 4; i++) { /* more writes wake the rest */
        write(f, &v, 8);
        msleep(1);
        pthread_mutex_lock(&xm);
        w = xwoke;
        pthread_mutex_unlock(&xm);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    say("more writes: all 4 woke %d", xwoke == 4);
    for (int i = 0; i < 4; i++)
        close(sets[i]);
    close(f);
}

static void *wake_writer(void *arg)
{
    msleep(30);
    uint64_t v = 5;
    write(*(int *)arg, &v, 8);
    return NULL;
}

static void sec_wake(void)
{
    for (int round = 0; round < 50; round++) {
        int e = epoll_create1(0), f = eventfd(0, 0);
        struct epoll_event ev = {.events = EPOLLIN | (round & 1 ? EPOLLET : 0), .data.u32 = 9}, out[2];
        epoll_ctl(e, EPOLL_CTL_ADD, f, &ev);
        pthread_t t;
        pthread_create(&t, NULL, wake_writer, &f);
        int n = epoll_wait(e, out, 2, 5000);
        if (n != 1 || out[0].data.u32 != 9) {
            say("FAIL round %d: %s", round, rs(n));
            failures++;
        }
        pthread_join(t, NULL);
        close(e); close(f);
    }
    say("50 blocked waits woken by a thread's write");
}

static int mx_pipe[2];
static void *mx_kill(void *arg)
{
    (void)arg;
    msleep(30);
    kill(getpid(), SIGUSR2);
    return NULL;
}
static void *mx_write(void *arg)
{
    (void)arg;
    msleep(30);
    write(mx_pipe[1], "x", 1);
    return NULL;
}

/* wait_with - start a thread doing `what`, wait in epoll_wait(set), report */
static void wait_with(const char *label, int set, void *(*what)(void *))
{
    pthread_t t;
    struct epoll_event out[4];
    memset(out, 0, sizeof out);
    pthread_create(&t, NULL, what, NULL);
    int n = epoll_wait(set, out, 4, 5000);
    say("%s: %s, member %u %s", label, rs(n), n == 1 ? out[0].data.u32 : 0, n == 1 ? evs(out[0].events) : "");
    pthread_join(t, NULL);
}

static void sec_mixed(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    int sfd = signalfd(-1, &s, SFD_NONBLOCK);
    pipe(mx_pipe);
    int e = epoll_create1(0), outer = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    epoll_ctl(e, EPOLL_CTL_ADD, sfd, &ev);
    ev.data.u32 = 2;
    epoll_ctl(e, EPOLL_CTL_ADD, mx_pipe[0], &ev);
    ev.data.u32 = 3;
    epoll_ctl(outer, EPOLL_CTL_ADD, e, &ev);
    struct signalfd_siginfo si;
    wait_with("set, a signal", e, mx_kill);
    read(sfd, &si, sizeof si);
    wait_with("set, a pipe write", e, mx_write);
    drain_fd(mx_pipe[0]);
    wait_with("outer set, a pipe write in the inner", outer, mx_write);
    drain_fd(mx_pipe[0]);
    wait_with("outer set, a signal in the inner", outer, mx_kill);
    read(sfd, &si, sizeof si);
    pthread_t t;
    pthread_create(&t, NULL, mx_write, NULL);
    struct pollfd p = {e, POLLIN, 0};
    int n = poll(&p, 1, 5000);
    say("poll on the set, a pipe write: %s %s", rs(n), evs(p.revents));
    pthread_join(t, NULL);
    drain_fd(mx_pipe[0]);
    pthread_create(&t, NULL, mx_kill, NULL);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(e, &r);
    FD_SET(sfd, &r);
    struct timeval tv = {5, 0};
    n = select((e > sfd ? e : sfd) + 1, &r, NULL, NULL, &tv);
    pthread_join(t, NULL);
    say("select on the set and the signalfd, a signal: %s, set %d signalfd %d", rs(n), FD_ISSET(e, &r) != 0, FD_ISSET(sfd, &r) != 0);
    read(sfd, &si, sizeof si);
    struct epoll_event out[4];
    say("nothing, 20 ms: %s", rs(epoll_wait(outer, out, 4, 20)));
    close(outer); close(e); close(sfd); close(mx_pipe[0]); close(mx_pipe[1]);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

static volatile int storm_stop;
static void *storm(void *arg)
{
    while (!storm_stop) {
        pthread_kill(*(pthread_t *)arg, SIGUSR1);
        usleep(200);
    }
    return NULL;
}

static void *touch_later(void *arg)
{
    msleep(30);
    close(open((const char *)arg, O_WRONLY | O_CREAT, 0644));
    return NULL;
}

static void sec_kernelset(void)
{
    tname = "kernelset";
    mkdir("kset.d", 0755);
    int in = inotify_init1(IN_NONBLOCK), e = epoll_create1(0);
    inotify_add_watch(in, "kset.d", IN_CREATE);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull}, out[4];
    struct epoll_event *volatile badp = (struct epoll_event *)8;
    int r;
    say("add an inotify fd: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, in, &ev)));
    /* Three times: under pegasus the call site is rewritten by then. */
    for (int i = 0; i < 3; i++)
        say("wait(0), nothing: %s", rs(epoll_wait(e, out, 4, 0)));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = epoll_wait(e, out, 4, 20);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    say("wait(20 ms), nothing: %s, waited >= 19 ms: %s", rs(r), ms >= 19 ? "yes" : "no");
    close(open("kset.d/a", O_WRONLY | O_CREAT, 0644));
    r = epoll_wait(e, out, 4, 0);
    say("wait(0), ready: %s, events %#x, data %#llx", rs(r), r > 0 ? out[0].events : 0,
        r > 0 ? (unsigned long long)out[0].data.u64 : 0);
    say("again (level-triggered): %s", rs(epoll_wait(e, out, 4, -1)));
    say("maxevents 0: %s", rs(epoll_wait(e, out, 0, 0)));
    say("events at a bad address: %s", rs(epoll_wait(e, badp, 4, 0)));
    say("on an inotify fd: %s", rs(epoll_wait(in, out, 4, 0)));
    say("on a closed fd: %s", rs(epoll_wait(1000, out, 4, 0)));
    sigset_t none;
    sigemptyset(&none);
    say("epoll_pwait with a mask, ready: %s", rs(epoll_pwait(e, out, 4, 0, &none)));
    char buf[4096];
    while (read(in, buf, sizeof buf) > 0)
        ;
    pthread_t t, self = pthread_self();
    pthread_create(&t, NULL, touch_later, "kset.d/b");
    say("wait(-1), made ready from a thread: %s", rs(epoll_wait(e, out, 4, -1)));
    pthread_join(t, NULL);
    /* A raw epoll_wait with a timeout while the event is ready: the app's
     * %rdi, %r10 and flags come back as the kernel leaves them (pegasus
     * issues it with timeout 0 from its gate). */
    int regs_bad = 0;
    for (int i = 0; i < 5; i++) {
        long ret, rdi_after, r10_after;
        unsigned char cf;
        register long r10 __asm__("r10") = 5000;
        __asm__ volatile("stc\n\t"
                         "mov $232, %%eax\n\t"
                         "syscall\n\t"
                         "setc %[cf]\n\t"
                         "mov %%rdi, %[rdi]\n\t"
                         "mov %%r10, %[r10]\n\t"
                         : "=a"(ret), [cf] "=r"(cf), [rdi] "=r"(rdi_after), [r10] "=r"(r10_after), "+r"(r10)
                         : "D"((long)e), "S"(out), "d"(4L)
                         : "rcx", "r11", "memory");
        if (ret != 1 || !cf || rdi_after != e || r10_after != 5000)
            regs_bad++;
    }
    say("raw waits with a timeout, ready: %d with a register or flag changed", regs_bad);
    /* Many waits, each finding the event, while signals land anywhere. */
    on_signal(SIGUSR1, on_usr1, SA_RESTART);
    got_usr1 = 0;
    storm_stop = 0;
    pthread_create(&t, NULL, storm, &self);
    int bad = 0;
    for (int i = 0; i < 300000; i++) {
        out[0].data.u64 = 0;
        if (epoll_wait(e, out, 4, 0) != 1 || out[0].data.u64 != 0x1122334455667788ull)
            bad++;
    }
    storm_stop = 1;
    pthread_join(t, NULL);
    say("300000 waits under signals: %d wrong, handler ran: %s", bad, got_usr1 > 0 ? "yes" : "no");
    signal(SIGUSR1, SIG_DFL);
    close(in); close(e);
    unlink("kset.d/a"); unlink("kset.d/b"); rmdir("kset.d");
}

/* userset: a set of user-space files (eventfds, a pipe) under pegasus,
 * waited on with timeout 0 or with events ready, which its lean gate
 * serves: a bad buffer gives EFAULT and loses no event (ET and ONESHOT
 * ones included), maxevents 1 rotates, signals keep coming, and a set
 * closed by one thread while another waits on it in a loop. */
static int race_ep = -1;
static volatile int race_stop, race_started;
static void *race_waiter(void *arg)
{
    (void)arg;
    long waits = 0;
    race_started = 1;
    while (!race_stop) {
        struct epoll_event ev[4];
        int n = epoll_wait(__atomic_load_n(&race_ep, __ATOMIC_RELAXED), ev, 4, 0);
        if (n < 0 && errno != EBADF && errno != EINVAL)
            say("FAIL racing wait: %s", strerror(errno));
        waits++;
    }
    return (void *)waits;
}

static void sec_userset(void)
{
    int e = epoll_create1(0), lt = eventfd(1, 0), et = eventfd(1, 0), os = eventfd(1, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    epoll_ctl(e, EPOLL_CTL_ADD, lt, &ev);
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u64 = 2};
    epoll_ctl(e, EPOLL_CTL_ADD, et, &ev);
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3};
    epoll_ctl(e, EPOLL_CTL_ADD, os, &ev);
    /* A page mapped and unmapped far from where the runtime maps its own
     * (as tests/progs/efault.c's): a pointer to nothing. */
    void *bad = mmap((void *)0x500000000000ull, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (bad == MAP_FAILED)
        bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(bad, 4096);
    int r = epoll_wait(e, bad, 4, 0);
    say("bad buffer, 3 ready: %s", rs(r));
    r = epoll_wait(e, bad, 4, 100);
    say("bad buffer, timeout 100 ms: %s", rs(r));
    struct epoll_event out[8];
    unsigned mask = 0;
    r = epoll_wait(e, out, 8, 0);
    for (int i = 0; i < r; i++)
        mask |= 1u << out[i].data.u64;
    say("then: %d events, data %s%s%s", r, mask & 2 ? "1 " : "", mask & 4 ? "2 " : "", mask & 8 ? "3" : "");
    r = epoll_wait(e, out, 8, 0);
    say("again: %d (the level-triggered one), data %llu", r, r > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
    /* maxevents 1 over 3 level-triggered members: each in turn. */
    int lts[3];
    for (int i = 0; i < 3; i++) {
        lts[i] = eventfd(1, 0);
        ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 10 + i};
        epoll_ctl(e, EPOLL_CTL_ADD, lts[i], &ev);
    }
    unsigned seen = 0;
    for (int i = 0; i < 4; i++)
        if (epoll_wait(e, out, 1, 0) == 1)
            seen |= 1u << out[0].data.u64;
    say("maxevents 1, 4 ready, 4 waits: %d distinct", __builtin_popcount(seen));
    for (int i = 0; i < 3; i++)
        close(lts[i]);
    /* A drained member leaves, a written one comes back. */
    uint64_t v;
    if (read(lt, &v, 8) != 8)
        say("FAIL read");
    r = epoll_wait(e, out, 8, 0);
    say("drained: %s", rs(r));
    v = 5;
    if (write(lt, &v, 8) != 8)
        say("FAIL write");
    r = epoll_wait(e, out, 8, -1);
    say("written: %d, data %llu", r, r > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
    close(e); close(lt); close(et); close(os);

    /* One thread closes sets while another waits on them in a loop. */
    int fd = eventfd(1, 0), bad_waits = 0;
    pthread_t t;
    race_stop = 0;
    race_ep = epoll_create1(0);
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(race_ep, EPOLL_CTL_ADD, fd, &ev);
    race_started = 0;
    pthread_create(&t, NULL, race_waiter, NULL);
    while (!race_started)
        sched_yield();
    for (int i = 0; i < 3000; i++) {
        int n = epoll_create1(0);
        if (epoll_ctl(n, EPOLL_CTL_ADD, fd, &ev) < 0)
            bad_waits++;
        int old = __atomic_exchange_n(&race_ep, n, __ATOMIC_RELAXED);
        close(old);
    }
    race_stop = 1;
    void *waits;
    pthread_join(t, &waits);
    close(race_ep);
    close(fd);
    say("3000 sets closed under a waiting thread: %d failed ctl, it waited: %s", bad_waits,
        (long)waits > 0 ? "yes" : "no");
}

/* etedge: an edge-triggered item gets an edge only from a change of what
 * it waits for, as Linux's wake-up keys: data arriving gives an EPOLLOUT
 * item none, and a read by the peer gives an EPOLLIN item none. */
static void sec_etedge(void)
{
    for (int inet = 0; inet < 2; inet++) {
        int a, b, sv[2];
        if (inet) {
            tcp_pair(&a, &b);
        } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
            a = sv[0];
            b = sv[1];
        } else {
            say("FAIL socketpair");
            return;
        }
        int e = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u32 = 1}, out[2];
        epoll_ctl(e, EPOLL_CTL_ADD, a, &ev);
        int n0 = epoll_wait(e, out, 2, 0), n1 = epoll_wait(e, out, 2, 0);
        if (write(b, "x", 1) != 1)
            say("FAIL write");
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        int n2 = epoll_wait(e, out, 2, 0);
        say("%s, ET EPOLLOUT: first %d, again %d, after data arrives %d", inet ? "tcp" : "unix", n0, n1, n2);
        /* What it sends, read whole by the peer: a unix stream's writer
         * gets an edge (unix_write_space), a TCP one not. */
        char c[4];
        if (write(a, "yz", 2) != 2)
            say("FAIL write");
        nanosleep(&ts, NULL);
        n1 = epoll_wait(e, out, 2, 0);
        n2 = read(b, c, sizeof(c)) == 2 ? epoll_wait(e, out, 2, 0) : -9;
        say("%s, ET EPOLLOUT: after its own write %d, after the peer read it %d", inet ? "tcp" : "unix", n1, n2);
        ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u32 = 2};
        epoll_ctl(e, EPOLL_CTL_MOD, a, &ev);
        n0 = epoll_wait(e, out, 2, 0);
        n1 = epoll_wait(e, out, 2, 0);
        say("%s, ET EPOLLIN: first %d, again %d", inet ? "tcp" : "unix", n0, n1);
        close(a);
        close(b);
        close(e);
    }
}

/* order: items of one file that become ready at once are reported last
 * added first, as Linux hangs them on the file's wait queue. */
static void sec_order(void)
{
    int e = epoll_create1(0), p[2];
    if (pipe(p))
        say("FAIL pipe");
    int d1 = dup(p[0]), d2 = dup(p[0]);
    int fds[3] = { p[0], d1, d2 };
    for (int i = 0; i < 3; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 10 + i};
        epoll_ctl(e, EPOLL_CTL_ADD, fds[i], &ev);
    }
    if (write(p[1], "x", 1) != 1)
        say("FAIL write");
    struct epoll_event out[4];
    int n = epoll_wait(e, out, 4, 0);
    say("one write, three items of the pipe: %d, data %u %u %u", n, out[0].data.u32, n > 1 ? out[1].data.u32 : 0,
        n > 2 ? out[2].data.u32 : 0);
    close(p[0]); close(p[1]); close(d1); close(d2); close(e);
}

/* args: Linux's checks of a wait's arguments, in its order: the fd
 * (EBADF), maxevents (EINVAL), the buffer's end (EFAULT), what the fd is
 * (EINVAL); a bad start faults only when an event is written there. */
static void sec_args(void)
{
    int e = epoll_create1(0), p[2];
    struct epoll_event ev[4];
    /* Through a volatile: the compiler knows epoll_wait's buffer size. */
    /* The image's data, far below the stack: its end too (2 GiB on). */
    static struct epoll_event bss_ev[4];
    struct epoll_event *volatile bss = bss_ev;
    struct epoll_event *volatile buf = ev, *volatile null = NULL, *volatile low = (void *)8,
                                 *volatile kern = (void *)0xffff800000000000ull,
                                 *volatile top = (void *)0x7ffffffff000ull;
    volatile int huge = 0x7fffffff, over = 178956971, most = 178956970;
    for (int ready = 0; ready < 2; ready++) {
        say("%s:", ready ? "one member ready" : "nothing ready");
        say("  maxevents INT_MAX: %s", rs(epoll_wait(e, buf, huge, 0)));
        say("  maxevents one over the limit: %s", rs(epoll_wait(e, buf, over, 0)));
        say("  maxevents at the limit, buffer in .bss: %s", rs(epoll_wait(e, bss, most, 0)));
        say("  NULL buffer: %s", rs(epoll_wait(e, null, 4, 0)));
        say("  buffer at 8: %s", rs(epoll_wait(e, low, 4, 0)));
        say("  kernel address: %s", rs(epoll_wait(e, kern, 4, 0)));
        say("  ending past the user half: %s", rs(epoll_wait(e, top, 4, 0)));
        say("  NULL buffer, timeout 10 ms: %s", rs(epoll_wait(e, null, 4, 10)));
        say("  bad fd and bad maxevents: %s", rs(epoll_wait(-1, buf, 0, 0)));
        say("  bad fd and bad buffer: %s", rs(epoll_wait(-1, kern, 4, 0)));
        say("  a pipe and bad buffer: %s", rs(epoll_wait(p[0] >= 0 && ready ? p[0] : 0, kern, 4, 0)));
        if (!ready) {
            if (pipe(p))
                say("FAIL pipe");
            struct epoll_event w = {.events = EPOLLOUT};
            epoll_ctl(e, EPOLL_CTL_ADD, p[1], &w);
        }
    }
    close(p[0]); close(p[1]); close(e);
}

int main(int argc, char **argv)
{
    alarm(argc < 2 ? 60 : 7);
    static const struct section secs[] = {
        {"tcp", sec_tcp}, {"unix", sec_unix}, {"udp", sec_udp}, {"pipe-r", sec_pipe_r},
        {"pipe-w", sec_pipe_w}, {"eventfd", sec_eventfd}, {"timerfd", sec_timerfd},
        {"signalfd", sec_signalfd}, {"file", sec_file}, {"api", sec_api}, {"nested", sec_nested},
        {"loop", sec_loop}, {"twosets", sec_twosets}, {"dup", sec_dup}, {"passed", sec_passed}, {"pwait", sec_pwait},
        {"fair", sec_fair}, {"exclusive", sec_exclusive}, {"wake", sec_wake}, {"mixed", sec_mixed},
        {"kernelset", sec_kernelset}, {"userset", sec_userset}, {"args", sec_args}, {"order", sec_order}, {"etedge", sec_etedge},
    };
    return run_sections("epoll", argc, argv, secs, sizeof secs / sizeof secs[0]);
}
