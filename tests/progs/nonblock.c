/* Blocking and non-blocking kernel fds: O_NONBLOCK set and cleared every
 * way Linux allows, through shared open file descriptions, and waits on fds
 * whose numbers are closed and reused.
 *
 *   nonblock [SECTION...]   (default: all, in order)
 *
 * fcntl     a pipe read end made non-blocking (EAGAIN), then blocking again
 *           through a dup of it (the flag is the description's, so the
 *           first fd blocks until a writer thread writes)
 * fionbio   the same with ioctl(FIONBIO) on a socketpair
 * created   fds born non-blocking (pipe2 O_NONBLOCK, socket SOCK_NONBLOCK,
 *           eventfd EFD_NONBLOCK), then made blocking with F_SETFL
 * partial   a non-blocking socket's send buffer filled: a short count,
 *           then EAGAIN; drained by a thread, a blocking write of 1 MB
 *           completes in full; so does a blocking writev of 1 MB into a pipe
 * reuse     200 rounds of: a pipe, a thread parked in a blocking read of
 *           it, a write, close both ends (the numbers come back next round)
 * epoll     100 rounds of: an epoll set, epoll_wait with a timeout while a
 *           thread writes to the fd in it, close the set and the pipe
 * interrupted  a blocking read cut short by SIGALRM, its pipe closed and
 *           the numbers reused by a new pipe: a blocking read of that wakes
 * select    select/pselect on pipes: ready sets in program numbers, a
 *           timeout, a closed fd (EBADF), a wait a writer thread ends
 * file      10 writes (write, writev) of 8 MB to a regular file
 * badfd     read/write on -1, a closed fd, numbers past any table, 200
 *           times each (EBADF), between calls on a good non-blocking pipe
 *
 * Output is the same whatever the interleaving. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "testlib.h"

struct delayed {
    int fd;
    long ms;
    size_t len;
};

/* Write len bytes ('w') to fd after ms milliseconds. */
static void *delayed_writer(void *arg)
{
    struct delayed *d = arg;
    static char buf[65536];
    memset(buf, 'w', sizeof buf);
    msleep(d->ms);
    size_t done = 0;
    while (done < d->len) {
        ssize_t n = write(d->fd, buf, d->len - done < sizeof buf ? d->len - done : sizeof buf);
        if (n <= 0)
            break;
        done += n;
    }
    return (void *)done;
}

/* read 1 byte from fd while a thread writes one to wfd after ms: the read
 * must block until then and return 1. */
static void blocking_read_waits(const char *what, int fd, int wfd)
{
    struct delayed d = { wfd, 50, 1 };
    pthread_t t;
    pthread_create(&t, NULL, delayed_writer, &d);
    char c = 0;
    ssize_t n = read(fd, &c, 1);
    pthread_join(t, NULL);
    say("%s: blocking read waited for the writer: %s", what, n == 1 && c == 'w' ? "yes" : "no");
    CHECK(n == 1 && c == 'w', "n=%zd errno=%d", n, errno);
}

static void expect_eagain(const char *what, int fd)
{
    char c;
    errno = 0;
    ssize_t n = read(fd, &c, 1);
    say("%s: read -> %zd (%s)", what, n, n < 0 ? strerror(errno) : "data");
    CHECK(n < 0 && errno == EAGAIN, "n=%zd errno=%d", n, errno);
}

static void sec_fcntl(void)
{
    int p[2];
    pipe(p);
    blocking_read_waits("pipe, blocking", p[0], p[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    expect_eagain("pipe, F_SETFL O_NONBLOCK", p[0]);
    expect_eagain("pipe, again", p[0]);
    int d = dup(p[0]);
    say("dup shares O_NONBLOCK: %s", fcntl(d, F_GETFL) & O_NONBLOCK ? "yes" : "no");
    fcntl(d, F_SETFL, fcntl(d, F_GETFL) & ~O_NONBLOCK);
    say("cleared through the dup, seen on the first fd: %s",
        fcntl(p[0], F_GETFL) & O_NONBLOCK ? "no" : "yes");
    blocking_read_waits("pipe, blocking again through the dup", p[0], p[1]);
    close(d);
    close(p[0]);
    close(p[1]);
}

static void sec_fionbio(void)
{
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    blocking_read_waits("socketpair, blocking", s[0], s[1]);
    int on = 1;
    ioctl(s[0], FIONBIO, &on);
    expect_eagain("socketpair, FIONBIO 1", s[0]);
    int d = dup(s[0]);
    on = 0;
    ioctl(d, FIONBIO, &on);
    blocking_read_waits("socketpair, FIONBIO 0 through a dup", s[0], s[1]);
    char c;
    ssize_t n = recv(s[0], &c, 1, MSG_DONTWAIT);
    say("recv MSG_DONTWAIT on a blocking socket: %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    CHECK(n < 0 && errno == EAGAIN, "n=%zd", n);
    close(d);
    close(s[0]);
    close(s[1]);
}

static void sec_created(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    expect_eagain("pipe2 O_NONBLOCK", p[0]);
    fcntl(p[0], F_SETFL, 0);
    blocking_read_waits("pipe2, then F_SETFL 0", p[0], p[1]);
    close(p[0]);
    close(p[1]);

    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s);
    expect_eagain("socketpair SOCK_NONBLOCK", s[0]);
    fcntl(s[0], F_SETFL, 0);
    blocking_read_waits("socketpair, then F_SETFL 0", s[0], s[1]);
    close(s[0]);
    close(s[1]);

    int e = eventfd(0, EFD_NONBLOCK);
    uint64_t v;
    errno = 0;
    ssize_t n = read(e, &v, 8);
    say("eventfd EFD_NONBLOCK: read -> %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    CHECK(n < 0 && errno == EAGAIN, "n=%zd", n);
    v = 3;
    write(e, &v, 8);
    n = read(e, &v, 8);
    say("eventfd after a write: read -> %zd, value %llu", n, (unsigned long long)v);
    close(e);
}

static void *drain(void *arg)
{
    int fd = *(int *)arg;
    static char buf[65536];
    size_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += n;
    return (void *)total;
}

static void sec_partial(void)
{
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    int small = 4096;
    setsockopt(s[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fcntl(s[0], F_SETFL, O_NONBLOCK);
    static char buf[1 << 20];
    memset(buf, 'p', sizeof buf);
    ssize_t n = write(s[0], buf, sizeof buf);
    say("non-blocking write of 1 MB into a small buffer: short: %s",
        n > 0 && n < (ssize_t)sizeof buf ? "yes" : "no");
    CHECK(n > 0 && n < (ssize_t)sizeof buf, "n=%zd", n);
    size_t sent = n > 0 ? n : 0;
    errno = 0;
    n = write(s[0], buf, sizeof buf);
    say("and then: %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    CHECK(n < 0 && errno == EAGAIN, "n=%zd", n);
    fcntl(s[0], F_SETFL, 0);
    pthread_t t;
    pthread_create(&t, NULL, drain, &s[1]);
    n = write(s[0], buf, sizeof buf);
    say("blocking write of 1 MB while a thread drains: %zd", n);
    CHECK(n == (ssize_t)sizeof buf, "n=%zd", n);
    sent += n > 0 ? n : 0;
    shutdown(s[0], SHUT_WR);
    void *got;
    pthread_join(t, &got);
    say("the reader got everything written: %s", (size_t)got == sent ? "yes" : "no");
    CHECK((size_t)got == sent, "got=%zu sent=%zu", (size_t)got, sent);
    close(s[0]);
    close(s[1]);

    int p[2];
    pipe(p);
    pthread_create(&t, NULL, drain, &p[0]);
    struct iovec iov[3] = { { buf, 100 }, { buf, sizeof buf - 200 }, { buf, 100 } };
    n = writev(p[1], iov, 3);
    say("blocking writev of 1 MB into a pipe while a thread drains: %zd", n);
    CHECK(n == (ssize_t)sizeof buf, "n=%zd", n);
    close(p[1]);
    pthread_join(t, &got);
    say("the reader got all of it: %s", (size_t)got == sizeof buf ? "yes" : "no");
    CHECK((size_t)got == sizeof buf, "got=%zu", (size_t)got);
    close(p[0]);
}

static void sec_reuse(void)
{
    int ok = 0;
    for (int i = 0; i < 200; i++) {
        int p[2];
        if (pipe(p))
            break;
        struct delayed d = { p[1], i % 3, 1 };
        pthread_t t;
        pthread_create(&t, NULL, delayed_writer, &d);
        char c = 0;
        if (read(p[0], &c, 1) == 1 && c == 'w')
            ok++;
        pthread_join(t, NULL);
        close(p[0]);
        close(p[1]);
    }
    say("blocking reads of reused fd numbers: %d of 200", ok);
    CHECK(ok == 200, "ok=%d", ok);
}

static void sec_epoll(void)
{
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        int p[2];
        pipe(p);
        int ep = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
        epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        struct delayed d = { p[1], i % 3, 1 };
        pthread_t t;
        pthread_create(&t, NULL, delayed_writer, &d);
        struct epoll_event out;
        int n = epoll_wait(ep, &out, 1, 5000);
        if (n == 1 && out.data.u32 == 7)
            ok++;
        pthread_join(t, NULL);
        close(ep);
        close(p[0]);
        close(p[1]);
    }
    say("epoll_wait on fresh sets with reused numbers: %d of 100", ok);
    CHECK(ok == 100, "ok=%d", ok);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* A blocking read cut short by a signal leaves the fd registered for
 * nobody; the fd is closed and its number reused: a blocking read of the
 * new file must still wake up when it is written. */
static void sec_interrupted(void)
{
    on_signal(SIGALRM, on_alarm, 0); /* no SA_RESTART */
    int p[2], q[2];
    char c;
    pipe(p);
    struct itimerval it = { .it_value = { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 0;
    ssize_t n = read(p[0], &c, 1);
    say("blocking read cut by a signal: %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    close(p[0]);
    close(p[1]);
    pipe(q);
    say("the new pipe has the same numbers: %s", q[0] == p[0] ? "yes" : "no");
    alarm(5); /* a missed wakeup shows as EINTR after 5 s */
    blocking_read_waits("the new pipe", q[0], q[1]);
    alarm(0);
    close(q[0]);
    close(q[1]);
}

/* show_sets - the fds in [0, n) set in r and w, as "r:3,5 w:4". */
static void show_sets(const char *what, int ret, int n, fd_set *r, fd_set *w)
{
    char line[256];
    int len = snprintf(line, sizeof line, "%s: %d, read:", what, ret);
    for (int i = 0; i < n; i++)
        if (r && FD_ISSET(i, r))
            len += snprintf(line + len, sizeof line - len, " %d", i);
    len += snprintf(line + len, sizeof line - len, " write:");
    for (int i = 0; i < n; i++)
        if (w && FD_ISSET(i, w))
            len += snprintf(line + len, sizeof line - len, " %d", i);
    say("%s", line);
}

/* select on pipes: which fds are ready, in program numbers, with fds in
 * the range that no set names; a closed fd; a wait that a thread ends. */
static void sec_select(void)
{
    int a[2], b[2];
    pipe(a);
    pipe(b);
    int n = (a[1] > b[1] ? a[1] : b[1]) + 1;
    fd_set r, w;
    struct timeval zero = { 0, 0 };
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    FD_SET(a[1], &w);
    show_sets("nothing to read", select(n, &r, &w, NULL, &zero), n, &r, &w);
    write(b[1], "b", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    FD_SET(a[1], &w);
    zero = (struct timeval){ 0, 0 };
    show_sets("one pipe written", select(n, &r, &w, NULL, &zero), n, &r, &w);
    FD_ZERO(&r);
    FD_SET(a[0], &r);
    struct timespec ms30 = { 0, 30000000 };
    show_sets("pselect, 30 ms, nothing", pselect(n, &r, NULL, NULL, &ms30, NULL), n, &r, NULL);
    int closed = dup(a[0]);
    close(closed);
    FD_ZERO(&r);
    FD_SET(closed, &r);
    zero = (struct timeval){ 0, 0 };
    errno = 0;
    int ret = select(closed + 1, &r, NULL, NULL, &zero);
    say("a closed fd: %d (%s)", ret, ret < 0 ? strerror(errno) : "no error");
    struct delayed d = { a[1], 50, 1 };
    pthread_t t;
    pthread_create(&t, NULL, delayed_writer, &d);
    FD_ZERO(&r);
    FD_SET(a[0], &r);
    show_sets("waiting for a writer", select(n, &r, NULL, NULL, NULL), n, &r, NULL);
    pthread_join(t, NULL);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* Big writes to a regular file (a write path that must not wait for a
 * reader, nor loop on the page cache). */
static void sec_file(void)
{
    static char buf[8 << 20];
    memset(buf, 'f', sizeof buf);
    char path[] = "/tmp/pegasus-nonblock-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        say("mkstemp: %s", strerror(errno));
        failures++;
        return;
    }
    unlink(path);
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        struct iovec iov[2] = { { buf, sizeof buf / 2 }, { buf, sizeof buf / 2 } };
        ok += (i & 1 ? writev(fd, iov, 2) : write(fd, buf, sizeof buf)) == (ssize_t)sizeof buf;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    say("8 MB writes to a regular file, written whole: %d of 10; size %lld MB", ok, (long long)end >> 20);
    CHECK(ok == 10 && end == 10 * (off_t)sizeof buf, "ok=%d end=%lld", ok, (long long)end);
    close(fd);
}

/* Calls on fds the table cannot map, from sites that are rewritten after
 * their first call: each must fail as on Linux, many times over. */
static void sec_badfd(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    int closed = dup(p[0]);
    close(closed);
    const int fds[] = { -1, closed, 1 << 20, 1 << 30, 123456 };
    char c;
    int ok = 0, total = 0;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++, total += 2) {
            errno = 0;
            ok += read(fds[i], &c, 1) == -1 && errno == EBADF;
            errno = 0;
            ok += write(fds[i], &c, 1) == -1 && errno == EBADF;
        }
        errno = 0;
        ok += read(p[0], &c, 1) == -1 && errno == EAGAIN;
        ok += write(p[1], "z", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'z';
        total += 2;
    }
    say("calls on bad, closed and huge fd numbers and on a good one: %d of %d as expected", ok, total);
    CHECK(ok == total, "ok=%d total=%d", ok, total);
    close(p[0]);
    close(p[1]);
}

static const struct section sections[] = {
    { "fcntl", sec_fcntl },     { "fionbio", sec_fionbio }, { "created", sec_created },
    { "partial", sec_partial }, { "reuse", sec_reuse },     { "epoll", sec_epoll },
    { "file", sec_file },       { "badfd", sec_badfd },     { "interrupted", sec_interrupted },
    { "select", sec_select },
};

int main(int argc, char **argv)
{
    return run_sections("nonblock", argc, argv, sections, sizeof sections / sizeof sections[0]);
}
