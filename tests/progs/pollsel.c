/* poll, ppoll, select and pselect6 over sockets, pipes, eventfd, timerfd.
 *
 *   pollsel [SECTION...]   (default: all, in order)
 *
 * poll     masks of each fd type idle/readable/hung up, POLLNVAL for a
 *          closed fd and a negative fd (ignored), events 0, timeouts 0 and
 *          20 ms, a wait ended by a thread's write, EINVAL for nfds
 * ppoll    ppoll's signal mask (EINTR with the handler run), timeout
 *          left untouched by glibc's wrapper, EINVAL for a bad timespec
 * select   read/write/except sets of socket, pipe, eventfd; EBADF for a
 *          closed fd; the timeout updated; a wait ended by a thread
 * pselect  pselect6's signal mask and EINTR; a pending blocked signal
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/timerfd.h>

#include "socklib.h"

static void *late_write(void *arg)
{
    msleep(30);
    write(*(int *)arg, "w", 1);
    return NULL;
}

static void sec_poll(void)
{
    int sv[2], p[2], e = eventfd(0, 0), t = timerfd_create(CLOCK_MONOTONIC, 0);
    int a, b;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    tcp_pair(&a, &b);
    struct pollfd f[7] = {{sv[0], POLLIN | POLLOUT | POLLRDHUP, 0}, {p[0], POLLIN | POLLOUT, 0},
                          {p[1], POLLIN | POLLOUT, 0}, {e, POLLIN | POLLOUT, 0}, {t, POLLIN | POLLOUT, 0},
                          {a, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0}, {-1, POLLIN, 0}};
    const char *nm[7] = {"unix", "pipe-r", "pipe-w", "eventfd", "timerfd", "tcp", "fd -1"};
    say("idle: %s", rs(poll(f, 7, 0)));
    for (int i = 0; i < 7; i++)
        say("  %s: %s", nm[i], evs(f[i].revents));
    write(sv[1], "x", 1);
    write(p[1], "x", 1);
    uint64_t v = 1;
    write(e, &v, 8);
    struct itimerspec its = {.it_value = {0, 1}};
    timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
    write(b, "x", 1);
    wait_inq(a, 1);
    wait_ev(t, POLLIN);
    say("readable: %s", rs(poll(f, 7, 0)));
    for (int i = 0; i < 7; i++)
        say("  %s: %s", nm[i], evs(f[i].revents));
    close(sv[1]);
    close(p[1]);
    close(b);
    wait_ev(a, POLLRDHUP);
    f[2].fd = 999;
    say("peers closed: %s", rs(poll(f, 7, 0)));
    for (int i = 0; i < 7; i++)
        say("  %s: %s", nm[i], evs(f[i].revents));
    struct pollfd z = {sv[0], 0, 0};
    say("events 0 on a hung-up socket: %s", rs(poll(&z, 1, 0)));
    say("  revents %s", evs(z.revents));
    struct pollfd none[1] = {{p[0], POLLOUT, 0}};
    say("POLLOUT on a read end, writer gone, timeout 20 ms: %s", rs(poll(none, 1, 20)));
    say("  revents %s", evs(none[0].revents));
    int q0[2];
    pipe(q0);
    none[0].fd = q0[0];
    none[0].events = POLLIN;
    say("nothing ready, timeout 20 ms: %s", rs(poll(none, 1, 20)));
    close(q0[0]);
    close(q0[1]);
    say("nfds 0, timeout 10 ms: %s", rs(poll(NULL, 0, 10)));
    nfds_t huge = 1u << 30;
    say("nfds huge: %s", rs(poll(f, huge, 0)));
    int q[2];
    pipe(q);
    pthread_t th;
    pthread_create(&th, NULL, late_write, &q[1]);
    struct pollfd w = {q[0], POLLIN, 0};
    say("blocking poll ended by a thread's write: %s", rs(poll(&w, 1, 5000)));
    say("  revents %s", evs(w.revents));
    pthread_join(th, NULL);
    close(q[0]); close(q[1]);
    close(sv[0]); close(p[0]); close(e); close(t); close(a);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int s) { (void)s; usr1++; }

static void sec_ppoll(void)
{
    on_signal(SIGUSR1, on_usr1, 0);
    sigset_t blk, none;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    int p[2];
    pipe(p);
    struct pollfd f = {p[0], POLLIN, 0};
    raise(SIGUSR1);
    struct timespec ts = {0, 20000000};
    say("ppoll keeping SIGUSR1 blocked, one pending: %s, handler ran %d", rs(ppoll(&f, 1, &ts, &blk)), usr1);
    ts = (struct timespec){5, 0};
    int r = ppoll(&f, 1, &ts, &none);
    say("ppoll unblocking it: %s", rs(r));
    say("handler ran %d", usr1);
    say("timeout left alone by the wrapper: %ld s", (long)ts.tv_sec);
    ts.tv_nsec = 2000000000;
    say("ppoll bad timespec: %s", rs(ppoll(&f, 1, &ts, NULL)));
    write(p[1], "x", 1);
    say("ppoll NULL timeout, ready: %s", rs(ppoll(&f, 1, NULL, NULL)));
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    close(p[0]); close(p[1]);
    signal(SIGUSR1, SIG_DFL);
}

static void show_set(const char *what, fd_set *s, int *fds, const char **nm, int n)
{
    char line[200] = "";
    for (int i = 0; i < n; i++)
        if (FD_ISSET(fds[i], s)) {
            strcat(line, " ");
            strcat(line, nm[i]);
        }
    say("  %s:%s", what, line[0] ? line : " -");
}

static void sec_select(void)
{
    int sv[2], p[2], e = eventfd(0, 0), a, b;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    tcp_pair(&a, &b);
    int fds[5] = {sv[0], p[0], p[1], e, a};
    const char *nm[5] = {"unix", "pipe-r", "pipe-w", "eventfd", "tcp"};
    int mx = 0;
    for (int i = 0; i < 5; i++)
        if (fds[i] > mx)
            mx = fds[i];
    for (int round = 0; round < 3; round++) {
        fd_set r, w, x;
        FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&x);
        for (int i = 0; i < 5; i++) {
            FD_SET(fds[i], &r);
            FD_SET(fds[i], &w);
            FD_SET(fds[i], &x);
        }
        struct timeval tv = {0, 0};
        say("%s: %s", round == 0 ? "idle" : round == 1 ? "readable" : "peers closed",
            rs(select(mx + 1, &r, &w, &x, &tv)));
        show_set("read", &r, fds, nm, 5);
        show_set("write", &w, fds, nm, 5);
        show_set("except", &x, fds, nm, 5);
        if (round == 0) {
            write(sv[1], "x", 1);
            write(p[1], "x", 1);
            uint64_t v = 1;
            write(e, &v, 8);
            send(b, "!", 1, MSG_OOB);
            wait_ev(a, POLLPRI);
        } else if (round == 1) {
            close(sv[1]);
            close(b);
            wait_ev(a, POLLRDHUP);
        }
    }
    close(p[1]);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[1], &r);
    struct timeval tv = {0, 0};
    say("select on a closed fd: %s", rs(select(p[1] + 1, &r, NULL, NULL, &tv)));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    say("nfds -1: %s", rs(select(-1, &r, NULL, NULL, &tv)));
    int q[2];
    pipe(q);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    tv = (struct timeval){0, 20000};
    say("nothing ready, 20 ms: %s", rs(select(q[0] + 1, &r, NULL, NULL, &tv)));
    say("timeval now %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    pthread_t th;
    pthread_create(&th, NULL, late_write, &q[1]);
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    tv = (struct timeval){5, 0};
    int n = select(q[0] + 1, &r, NULL, NULL, &tv);
    say("blocking select ended by a thread's write: %s, set %d, time left > 0 %d", rs(n), FD_ISSET(q[0], &r),
        tv.tv_sec > 0 || tv.tv_usec > 0);
    pthread_join(th, NULL);
    close(q[0]); close(q[1]);
    close(sv[0]); close(p[0]); close(e); close(a);
}

static void sec_pselect(void)
{
    on_signal(SIGUSR1, on_usr1, 0);
    usr1 = 0;
    sigset_t blk, none;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    int p[2];
    pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    raise(SIGUSR1);
    struct timespec ts = {0, 20000000};
    int n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &blk);
    say("pselect keeping SIGUSR1 blocked, one pending: %s, handler ran %d", rs(n), usr1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ts = (struct timespec){5, 0};
    n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &none);
    say("pselect unblocking it: %s", rs(n));
    say("handler ran %d", usr1);
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = pselect(p[0] + 1, &r, NULL, NULL, NULL, &none);
    say("pselect NULL timeout, ready: %s, set %d", rs(n), FD_ISSET(p[0], &r));
    sigprocmask(SIG_UNBLOCK, &blk, NULL);
    close(p[0]); close(p[1]);
    signal(SIGUSR1, SIG_DFL);
}

int main(int argc, char **argv)
{
    alarm(argc < 2 ? 60 : 7);
    static const struct section secs[] = {
        {"poll", sec_poll}, {"ppoll", sec_ppoll}, {"select", sec_select}, {"pselect", sec_pselect},
    };
    return run_sections("pollsel", argc, argv, secs, sizeof secs / sizeof secs[0]);
}
