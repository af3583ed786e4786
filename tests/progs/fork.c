/* fork.c - fork without exec: memory copied, fds shared, statuses, signals, ids, threads, many children.
 *
 *   fork            all sections; exit 0 if every check held, else 1
 *   fork SECTION    one section (memory, fds, status, signals, ids, wait,
 *                   thread, exec, sigfd, bomb, sockets, dontfork, epoll,
 *                   sockopts...)
 * Output never shows a pid: those differ between Linux and pegasus. A child
 * prints only while its parent waits for it, so the order is fixed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <fenv.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <sys/select.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* The status of pid, as a shell would describe it. */
static void report(const char *what, pid_t pid)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    CHECK(r == pid, "waitpid: %d %s", r, strerror(errno));
    if (WIFEXITED(st))
        say("%s: exited %d", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        say("%s: killed by %d", what, WTERMSIG(st));
    else
        say("%s: status %#x", what, st);
}

extern char **environ;

static int global = 1;

static void sec_memory(void)
{
    int stack = 10;
    int *heap = malloc(sizeof(int));
    *heap = 100;
    pid_t pid = fork();
    if (pid == 0) {
        say("child sees global %d stack %d heap %d", global, stack, *heap);
        global = 2, stack = 20, *heap = 200;
        say("child wrote global %d stack %d heap %d", global, stack, *heap);
        _exit(0);
    }
    report("memory child", pid);
    say("parent still has global %d stack %d heap %d", global, stack, *heap);
    free(heap);
}

static void sec_fds(void)
{
    /* One open file description: the offset moves for both. */
    int fd = open("fork-shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int p[2];
    CHECK(fd >= 0 && pipe(p) == 0, "open/pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        CHECK(write(fd, "child\n", 6) == 6, "child write: %s", strerror(errno));
        CHECK(write(p[1], "through the pipe", 16) == 16, "pipe write");
        _exit(failures);
    }
    close(p[1]);
    char buf[64] = { 0 };
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    say("parent read %zd bytes from the child: %s", n, buf);
    n = read(p[0], buf, sizeof(buf));
    say("then end of file (child's end closed by its exit): %zd", n);
    report("fds child", pid);
    CHECK(write(fd, "parent\n", 7) == 7, "parent write");
    say("shared offset after both wrote: %ld", (long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    memset(buf, 0, sizeof(buf));
    n = read(fd, buf, sizeof(buf) - 1);
    say("file holds %zd bytes: %s", n, buf);
    close(fd);
    close(p[0]);
}

static void sec_status(void)
{
    int codes[] = { 0, 1, 42, 255 };
    for (int i = 0; i < 4; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(codes[i]);
        report("_exit", pid);
    }
    pid_t pid = fork();
    if (pid == 0)
        exit(3); /* atexit, stdio flush */
    report("exit", pid);
    pid = fork();
    if (pid == 0)
        abort();
    report("abort", pid);
    pid = fork();
    if (pid == 0) {
        volatile int *null = NULL;
        *null = 1;
        _exit(0);
    }
    report("segfault", pid);
}

static volatile sig_atomic_t chld_count, chld_code, chld_status, chld_pid_ok;
static pid_t expect_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    chld_count++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == expect_pid;
}

static void on_term(int sig)
{
    _exit(50 + sig);
}

static void sec_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    /* Killed by SIGKILL while paused. */
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        CHECK(write(ready[1], "r", 1) == 1, "ready");
        for (;;)
            pause();
    }
    expect_pid = pid;
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "ready");
    CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
    report("SIGKILL", pid);
    say("SIGCHLD: count %d code %s status %d from that child %s", chld_count,
        chld_code == CLD_KILLED ? "CLD_KILLED" : "other", chld_status, chld_pid_ok ? "yes" : "no");

    /* SIGTERM caught by the child's handler. */
    chld_count = 0;
    pid = fork();
    if (pid == 0) {
        on_signal(SIGTERM, on_term, 0);
        CHECK(write(ready[1], "r", 1) == 1, "ready");
        for (;;)
            pause();
    }
    expect_pid = pid;
    CHECK(read(ready[0], &c, 1) == 1, "ready");
    CHECK(kill(pid, SIGTERM) == 0, "kill: %s", strerror(errno));
    report("SIGTERM with a handler", pid);
    say("SIGCHLD: count %d code %s status %d from that child %s", chld_count,
        chld_code == CLD_EXITED ? "CLD_EXITED" : "other", chld_status, chld_pid_ok ? "yes" : "no");

    /* Signal 0 probes a live child; a reaped one is gone. */
    pid = fork();
    if (pid == 0) {
        CHECK(read(ready[0], &c, 1) == 1, "go");
        _exit(0);
    }
    say("kill(child, 0) alive: %d", kill(pid, 0));
    CHECK(write(ready[1], "g", 1) == 1, "go");
    report("probed", pid);
    int r = kill(pid, 0);
    say("kill(child, 0) after reap: %d %s", r, strerrorname_np(errno));
    close(ready[0]);
    close(ready[1]);
    signal(SIGCHLD, SIG_DFL);

    /* The child signals its parent. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    pid = fork();
    if (pid == 0)
        _exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
    siginfo_t si;
    struct timespec ts = { 5, 0 };
    int s = sigtimedwait(&usr1, &si, &ts);
    say("parent got %s from the child: code %s, pid ok %s", s == SIGUSR1 ? "SIGUSR1" : "nothing",
        si.si_code == SI_USER ? "SI_USER" : "other", si.si_pid == pid ? "yes" : "no");
    report("signalling child", pid);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
}

static void sec_ids(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        pid_t ids[3] = { getpid(), getppid(), gettid() };
        CHECK(write(p[1], ids, sizeof(ids)) == sizeof(ids), "write");
        _exit(0);
    }
    pid_t ids[3];
    CHECK(read(p[0], ids, sizeof(ids)) == sizeof(ids), "read");
    say("child's getpid is fork's value: %s", ids[0] == pid ? "yes" : "no");
    say("child's getppid is the parent: %s", ids[1] == me ? "yes" : "no");
    say("child's gettid is its pid: %s", ids[2] == pid ? "yes" : "no");
    say("child's pid differs from the parent's: %s", pid != me ? "yes" : "no");
    report("ids child", pid);
    close(p[0]);
    close(p[1]);
}

static void sec_wait(void)
{
    int go[2];
    CHECK(pipe(go) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        CHECK(read(go[0], &c, 1) == 1, "go");
        _exit(9);
    }
    int st;
    say("WNOHANG before it ends: %d", waitpid(pid, &st, WNOHANG));
    CHECK(write(go[1], "g", 1) == 1, "go");
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0, "waitid: %s", strerror(errno));
    say("waitid WNOWAIT: code %s status %d pid ok %s", si.si_code == CLD_EXITED ? "CLD_EXITED" : "?",
        si.si_status, si.si_pid == pid ? "yes" : "no");
    report("still there after WNOWAIT", pid);
    int r = waitpid(-1, &st, WNOHANG);
    say("no more children: %d %s", r, strerrorname_np(errno));
    /* Several at once, collected with wait(-1). */
    for (int i = 0; i < 5; i++)
        if (fork() == 0)
            _exit(10 + i);
    int sum = 0;
    for (int i = 0; i < 5; i++) {
        CHECK(wait(&st) > 0, "wait: %s", strerror(errno));
        sum += WEXITSTATUS(st);
    }
    say("five children, statuses sum to %d", sum);
    close(go[0]);
    close(go[1]);
}

static void *spinner(void *arg)
{
    volatile int *stop = arg;
    while (!*stop)
        ;
    return NULL;
}

static void *forker(void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        say("child of a thread: runs alone, global %d", global);
        _exit(6);
    }
    report("child of a thread", pid);
    return NULL;
}

static void sec_thread(void)
{
    volatile int stop = 0;
    pthread_t spin, f;
    pthread_create(&spin, NULL, spinner, (void *)&stop);
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    stop = 1;
    pthread_join(spin, NULL);
    /* Threads work in a child too. */
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, forker, NULL);
        pthread_join(t, NULL);
        _exit(0);
    }
    report("child that made a thread", pid);
}

static void sec_exec(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/echo", "echo", "exec'd in a forked child", (char *)NULL);
        _exit(127);
    }
    report("exec child", pid);
    pid = fork();
    if (pid == 0) {
        execl("/nonexistent", "x", (char *)NULL);
        _exit(errno == ENOENT ? 11 : 12);
    }
    report("failed exec child", pid);
}

/* Read exactly n bytes (or to EOF) from fd into buf, NUL-terminated. */
static ssize_t read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += r;
    }
    buf[got] = 0;
    return (ssize_t)got;
}

/* Sockets shared with a child: a stream pair with data queued before the
 * fork, a seqpacket pair (boundaries), a listener the child accepts on,
 * and a TCP connection made before the fork with unread bytes in it. */
static void sec_sockets(void)
{
    char buf[64];
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    CHECK(write(sv[0], "before", 6) == 6, "write");
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        ssize_t n = read_all(sv[1], buf, 6);
        say("child read %zd '%s' from the stream pair", n, buf);
        if (write(sv[1], "from child", 10) != 10)
            _exit(3);
        _exit(0);
    }
    close(sv[1]);
    ssize_t n = read_all(sv[0], buf, 20);
    report("stream pair child", pid);
    say("parent read %zd '%s', then EOF", n, buf);
    close(sv[0]);

    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair: %s", strerror(errno));
    CHECK(write(sv[0], "one", 3) == 3 && write(sv[0], "two!", 4) == 4, "write");
    pid = fork();
    if (pid == 0) {
        ssize_t a = read(sv[1], buf, sizeof buf), b = read(sv[1], buf + 10, sizeof buf - 10);
        say("child got messages of %zd and %zd bytes", a, b);
        _exit(0);
    }
    report("seqpacket child", pid);
    close(sv[0]);
    close(sv[1]);

    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 8) == 0 &&
              getsockname(l, (struct sockaddr *)&a, &al) == 0,
          "listen: %s", strerror(errno));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s", strerror(errno));
    int acc = accept(l, NULL, NULL);
    CHECK(acc >= 0, "accept: %s", strerror(errno));
    CHECK(write(c, "unread", 6) == 6, "write");
    pid = fork();
    if (pid == 0) {
        close(c);
        ssize_t m = read_all(acc, buf, 6);
        say("child read %zd '%s' sent before the fork", m, buf);
        if (write(acc, "ack", 3) != 3)
            _exit(3);
        close(acc);
        /* The listener: the parent connects after the fork. */
        int d = accept(l, NULL, NULL);
        if (d < 0)
            _exit(4);
        m = read_all(d, buf, 5);
        say("child accepted and read %zd '%s'", m, buf);
        _exit(0);
    }
    close(acc);
    n = read_all(c, buf, 10);
    say("parent read %zd '%s', then EOF", n, buf);
    int d = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(d, (struct sockaddr *)&a, sizeof a) == 0, "connect after fork: %s", strerror(errno));
    CHECK(write(d, "hello", 5) == 5, "write");
    close(d);
    report("listener child", pid);
    close(c);
    close(l);
}

/* Memory marked MADV_DONTFORK (V8 marks most of its heap) is not in the
 * child: an exec there may load the new program right where it was. */
static void sec_dontfork(void)
{
    for (int i = 0; i < 8; i++) {
        void *p = mmap(NULL, 512 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED && madvise(p, 512 << 10, MADV_DONTFORK) == 0, "mmap/madvise: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/echo", "echo", "exec after MADV_DONTFORK ok", (char *)NULL);
        _exit(127);
    }
    report("exec child", pid);
}

/* epoll across a fork: a thread waiting on an eventfd when the fork moves
 * it into the kernel, and a pipe made before the fork added to a set after
 * it, written by the child. */
static int ep_set, ep_efd;
static void *ep_waiter(void *arg)
{
    (void)arg;
    struct epoll_event ev;
    int n = epoll_wait(ep_set, &ev, 1, 5000);
    say("waiter across the fork: %d event(s)", n);
    return NULL;
}

static void sec_epoll(void)
{
    ep_set = epoll_create1(0);
    ep_efd = eventfd(0, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep_set, EPOLL_CTL_ADD, ep_efd, &ev);
    int p[2];
    CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
    pthread_t t;
    pthread_create(&t, NULL, ep_waiter, NULL);
    msleep(50);
    pid_t pid = fork();
    if (pid == 0) {
        msleep(50);
        if (write(p[1], "x", 1) != 1)
            _exit(3);
        _exit(0);
    }
    close(p[1]);
    int e2 = epoll_create1(0);
    epoll_ctl(e2, EPOLL_CTL_ADD, p[0], &ev);
    struct epoll_event out;
    say("set made after the fork, pipe from before: %d event(s)", epoll_wait(e2, &out, 1, 5000));
    report("pipe writer", pid);
    uint64_t one = 1;
    CHECK(write(ep_efd, &one, 8) == 8, "write: %s", strerror(errno));
    pthread_join(t, NULL);
    close(e2);
    close(p[0]);
    close(ep_set);
    close(ep_efd);
}

static void sec_sigfd(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, 0);
    CHECK(sfd >= 0, "signalfd: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        /* The inherited signalfd reads the child's own signals. */
        kill(getpid(), SIGUSR1);
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof(si));
        say("child read its own signal: %s", n == sizeof(si) && si.ssi_signo == SIGUSR1 ? "yes" : "no");
        _exit(0);
    }
    report("signalfd child", pid);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    close(sfd);
}

/* chain_link - a chain of left more forks below this process: each link
 * exits with its child's status + 1. */
static _Noreturn void chain_link(int left)
{
    for (; left > 0; left--) {
        pid_t pid = fork();
        if (pid != 0) {
            int st;
            _exit(waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) + 1 : 100);
        }
    }
    _exit(0);
}

/* Many at once, each forking one more, bounded; then a chain. */
static void sec_bomb(void)
{
    int ok = 0;
    for (int i = 0; i < 40; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            pid_t g = fork();
            if (g < 0)
                _exit(2);
            if (g == 0)
                _exit(0);
            int st;
            _exit(waitpid(g, &st, 0) == g && WIFEXITED(st) ? 0 : 1);
        }
        CHECK(pid > 0, "fork %d: %s", i, strerror(errno));
    }
    int st;
    while (wait(&st) > 0)
        ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    say("40 children each with a grandchild: %d fine", ok);
    pid_t pid = fork();
    if (pid == 0)
        chain_link(8);
    report("a chain of 8 forks", pid);
}

/* waitfor: a pipe from before the fork, now in the kernel, on both sides:
 * the child fills it without blocking and waits in poll and select for
 * room, as its parent drains it later; then the other way round. */
static long fill_and_wait(int fd, bool use_select)
{
    char buf[8192];
    memset(buf, 'x', sizeof buf);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    long total = 0;
    while (total < 1 << 20) {
        ssize_t w = write(fd, buf, sizeof buf);
        if (w > 0) {
            total += w;
            continue;
        }
        if (use_select) {
            fd_set wr;
            FD_ZERO(&wr);
            FD_SET(fd, &wr);
            struct timeval tv = {10, 0};
            if (select(fd + 1, NULL, &wr, NULL, &tv) != 1)
                return -1;
        } else {
            struct pollfd pf = {fd, POLLOUT, 0};
            if (poll(&pf, 1, 10000) != 1)
                return -1; /* never woken: its room went unseen */
        }
    }
    return total;
}

static long drain(int fd)
{
    char buf[65536];
    long n = 0;
    ssize_t r;
    msleep(100); /* the writer fills the pipe and waits first */
    while ((r = read(fd, buf, sizeof buf)) > 0)
        n += r;
    return n;
}

static void sec_waitfor(void)
{
    for (int use_select = 0; use_select < 2; use_select++) {
        const char *how = use_select ? "select" : "poll";
        int p[2];
        CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            _exit(fill_and_wait(p[1], use_select) == 1 << 20 ? 0 : 1);
        }
        close(p[1]);
        say("child writes, waits in %s: parent read %ld bytes", how, drain(p[0]));
        report("the writer", pid);
        close(p[0]);
        CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
        pid = fork();
        if (pid == 0) {
            close(p[1]);
            _exit(drain(p[0]) == 1 << 20 ? 0 : 1);
        }
        close(p[0]);
        say("parent writes, waits in %s: %ld bytes", how, fill_and_wait(p[1], use_select));
        close(p[1]);
        report("the reader", pid);
    }
}

/* setuid: the child of a daemon drops root and goes on making calls (a
 * rewrite needs /proc/self/mem, root's once the ids changed). Needs root. */
static void sec_setuid(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(2);
        long sum = 0;
        for (int i = 0; i < 300; i++)
            sum += getppid() + (long)syscall(SYS_getuid) + (long)syscall(SYS_getpid);
        _exit(getuid() == 65534 && sum > 0 ? 0 : 1);
    }
    report("a child that dropped root", pid);
}

/* dgrampair: a datagram socketpair the parent keeps using after a fork
 * (socat's diagnostics channel, written by its signal handlers). */
static void sec_dgrampair(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    report("a child that did not use the pair", pid);
    ssize_t w = send(sv[1], "sig15", 5, MSG_DONTWAIT);
    char b[16] = {0};
    ssize_t r = recv(sv[0], b, sizeof b, MSG_DONTWAIT);
    say("after the fork: sent %zd, received %zd '%s'", w, r, r > 0 ? b : "");
    /* A child that uses it: what was queued before the fork, a datagram
     * each way, boundaries kept (the child's end said EBADF). */
    send(sv[1], "queued", 6, 0);
    send(sv[1], "two", 3, 0);
    pid = fork();
    if (pid == 0) {
        char c[16] = {0};
        ssize_t n = recv(sv[0], c, sizeof c, 0);
        say("child: received %zd '%s'", n, n > 0 ? c : strerror(errno));
        memset(c, 0, sizeof c);
        n = recv(sv[0], c, sizeof c, 0);
        say("child: received %zd '%s'", n, n > 0 ? c : strerror(errno));
        n = send(sv[0], "from the child", 14, 0);
        say("child: sent %zd", n);
        _exit(0);
    }
    report("a child that used the pair", pid);
    memset(b, 0, sizeof b);
    r = recv(sv[1], b, sizeof b, MSG_DONTWAIT);
    say("the parent received %zd '%s'", r, r > 0 ? b : strerror(errno));
    close(sv[0]);
    close(sv[1]);
}

/* dgramrights: a child binds a datagram name after the fork (its socket
 * the child's, in the child's process) and receives a file the parent
 * sends it there (squid's coordinator passes its listener to its kids so):
 * the fd it gets reads that file. */
static void sec_dgramrights(void)
{
    int ready[2];
    CHECK(pipe(ready) == 0, "pipe: %s", strerror(errno));
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "rights.sock");
    unlink(a.sun_path);
    pid_t pid = fork();
    if (pid == 0) {
        int k = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHECK(bind(k, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
        write(ready[1], "r", 1);
        char byte, cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec v = {&byte, 1};
        struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        ssize_t n = recvmsg(k, &m, 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        int fd = c && c->cmsg_type == SCM_RIGHTS ? *(int *)CMSG_DATA(c) : -1;
        char got[16] = {0};
        ssize_t r = fd >= 0 ? pread(fd, got, sizeof got - 1, 0) : -1;
        say("child: received %zd '%c', an fd that reads %zd '%s'", n, n == 1 ? byte : '-', r,
            r >= 0 ? got : strerror(errno));
        say("child: it is the lowest free fd: %s", fd == fcntl(0, F_DUPFD, 0) - 1 ? "yes" : "no");
        _exit(0);
    }
    char b;
    read(ready[0], &b, 1);
    FILE *f = tmpfile();
    fputs("passed", f);
    fflush(f);
    int fd = fileno(f), s = socket(AF_UNIX, SOCK_DGRAM, 0);
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec v = {"L", 1};
    struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &v, .msg_iovlen = 1,
                       .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t sent = sendmsg(s, &m, 0);
    report("the child", pid);
    say("the parent had sent: %zd", sent); /* after the child's lines */
    fclose(f);
    close(s); close(ready[0]); close(ready[1]);
    unlink(a.sun_path);
}

/* What one option of fd says: set (0 or errno), then got. */
static void ipopt(const char *who, int fd, int level, int opt, const char *name, int v)
{
    int set = setsockopt(fd, level, opt, &v, sizeof v) ? errno : 0, got = -1;
    socklen_t l = sizeof got;
    int g = getsockopt(fd, level, opt, &got, &l) ? errno : 0;
    say("%s: %s set %s, get %s %d", who, name, set ? strerrorname_np(set) : "ok", g ? strerrorname_np(g) : "ok", got);
}

/* ipopts: IP-level and TCP options of a loopback TCP connection the
 * fork left to both (sshd sets IP_TOS in its re-exec'd child). */
static void sec_ipopts(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(l, (struct sockaddr *)&a, al);
    listen(l, 1);
    getsockname(l, (struct sockaddr *)&a, &al);
    CHECK(connect(c, (struct sockaddr *)&a, al) == 0, "connect: %s", strerror(errno));
    int s = accept(l, NULL, NULL);
    pid_t pid = fork();
    const char *who = pid == 0 ? "child" : "parent";
    if (pid)
        report("the child", pid);
    ipopt(who, s, IPPROTO_IP, IP_TOS, "IP_TOS", 8);
    ipopt(who, s, IPPROTO_IP, IP_TTL, "IP_TTL", 33);
    ipopt(who, s, IPPROTO_IP, IP_RECVERR, "IP_RECVERR", 1);
    ipopt(who, s, IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS (an inet socket)", 8);
    ipopt(who, c, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", 1);
    char cc[16] = {0};
    socklen_t ccl = sizeof cc;
    int set = setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4) ? errno : 0;
    int g = getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, &ccl) ? errno : 0;
    say("%s: TCP_CONGESTION set %s, get %s '%s'", who, set ? strerrorname_np(set) : "ok", g ? strerrorname_np(g) : "ok", cc);
    if (pid == 0)
        _exit(0);
    close(s); close(c); close(l);
}

/* kwatched: a forked child's epoll set holds a listener of its own and a
 * kernel file; a peer in another process connects: the wait wakes. The
 * child first closes a listener it inherited, watched for outside peers
 * in the parent (its unwatch took the child's count of watches below
 * zero, and the wait then slept in the set's kernel epoll alone: haproxy
 * -W -D's master CLI answered once). */
static void sec_kwatched(void)
{
    struct sockaddr_un a1 = {.sun_family = AF_UNIX}, a2 = {.sun_family = AF_UNIX};
    snprintf(a1.sun_path, sizeof a1.sun_path, "kw1.sock");
    snprintf(a2.sun_path, sizeof a2.sun_path, "kw2.sock");
    unlink(a1.sun_path);
    unlink(a2.sun_path);
    int l1 = socket(AF_UNIX, SOCK_STREAM, 0), ready[2];
    CHECK(bind(l1, (struct sockaddr *)&a1, sizeof a1) == 0 && listen(l1, 4) == 0, "listen: %s", strerror(errno));
    CHECK(pipe(ready) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(l1);
        int l2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        CHECK(bind(l2, (struct sockaddr *)&a2, sizeof a2) == 0 && listen(l2, 4) == 0, "listen: %s", strerror(errno));
        int ep = epoll_create1(0), kfile = inotify_init1(IN_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = l2};
        epoll_ctl(ep, EPOLL_CTL_ADD, l2, &ev);
        ev.data.fd = kfile;
        epoll_ctl(ep, EPOLL_CTL_ADD, kfile, &ev);
        write(ready[1], "r", 1);
        int n = epoll_wait(ep, &ev, 1, 5000);
        say("child: epoll_wait %d, the listener's: %s", n, n == 1 && ev.data.fd == l2 ? "yes" : "no");
        int c = accept(l2, NULL, NULL);
        say("child: accepted: %s", c >= 0 ? "yes" : strerror(errno));
        _exit(0);
    }
    char b;
    read(ready[0], &b, 1);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a2, sizeof a2) == 0, "connect: %s", strerror(errno));
    report("the child", pid);
    close(c); close(l1); close(ready[0]); close(ready[1]);
    unlink(a1.sun_path);
    unlink(a2.sun_path);
}

/* grandchild: a child forks a grandchild and exits; its parent's waitpid
 * returns at once, while the grandchild lives on (here it waits for the
 * parent to close a pipe after that waitpid: a wait for the grandchild
 * would never end). `pg_ctl start`, `sh -c 'server &'`. */
static void sec_grandchild(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            close(p[1]);
            char b;
            _exit(read(p[0], &b, 1) == 0 ? 0 : 1);
        }
        _exit(7);
    }
    close(p[0]);
    report("a child whose forked child lives on", pid);
    close(p[1]);
}

/* spawnedlives: a forked child that posix_spawns (or vforks) a program
 * and exits: its parent's wait ends at once, as on Linux, though the
 * spawned program lives on in the child's process until the parent lets
 * it go (the wait waited for that process's end: a deadlock here; busybox
 * start-stop-daemon -b left a dead pid in its pid file). */
static void sec_spawnedlives(void)
{
    for (int how = 0; how < 2; how++) {
        int p[2], q[2];
        CHECK(pipe(p) == 0 && pipe(q) == 0, "pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid == 0) {
            pid_t g = -1;
            close(p[1]);
            close(q[0]);
            if (how == 0) {
                posix_spawn_file_actions_t fa;
                posix_spawn_file_actions_init(&fa);
                posix_spawn_file_actions_adddup2(&fa, p[0], 0);
                char *av[] = {"cat", NULL};
                if (posix_spawn(&g, "/bin/cat", &fa, NULL, av, environ))
                    g = -1;
            } else if ((g = vfork()) == 0) {
                dup2(p[0], 0);
                execl("/bin/cat", "cat", (char *)NULL);
                _exit(127);
            }
            write(q[1], &g, sizeof g);
            _exit(7);
        }
        close(p[0]);
        close(q[1]);
        pid_t g = -1;
        read(q[0], &g, sizeof g);
        report(how ? "a child whose vforked program lives on" : "a child whose spawned program lives on", pid);
        char path[32];
        snprintf(path, sizeof path, "/proc/%d", (int)g);
        say("  that program: kill 0 %s, /proc entry %d", kill(g, 0) == 0 ? "ok" : strerror(errno),
            access(path, F_OK) == 0);
        close(p[1]); /* it ends */
        close(q[0]);
    }
}

/* names: a TCP connection between two sockets of the program keeps its
 * addresses across a fork, in the parent and the child (redis names its
 * replica by getpeername; a sentinel resolves that name). */
static bool same_names(int fd, const struct sockaddr_in *self, const struct sockaddr_in *peer)
{
    struct sockaddr_in a, b;
    socklen_t al = sizeof a, bl = sizeof b;
    return !getsockname(fd, (struct sockaddr *)&a, &al) && !getpeername(fd, (struct sockaddr *)&b, &bl) &&
           al == sizeof a && bl == sizeof b && !memcmp(&a, self, sizeof a) && !memcmp(&b, peer, sizeof b);
}

static void sec_names(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    CHECK(!bind(l, (struct sockaddr *)&a, sizeof a) && !listen(l, 1), "listen: %s", strerror(errno));
    getsockname(l, (struct sockaddr *)&a, &al);
    CHECK(!connect(c, (struct sockaddr *)&a, sizeof a), "connect: %s", strerror(errno));
    int s = accept(l, NULL, NULL);
    struct sockaddr_in cs, ss;
    socklen_t csl = sizeof cs, ssl = sizeof ss;
    getsockname(c, (struct sockaddr *)&cs, &csl);
    getsockname(s, (struct sockaddr *)&ss, &ssl);
    pid_t pid = fork();
    if (pid == 0)
        _exit(same_names(s, &ss, &cs) && same_names(c, &cs, &ss) ? 0 : 4);
    report("a child that read the names", pid);
    say("names: parent's after the fork %s", same_names(s, &ss, &cs) && same_names(c, &cs, &ss) ? "the same" : "changed");
    close(s);
    close(c);
    close(l);
}

/* pgroup: a child that moves itself to a group of its own, or a session:
 * its parent sees it there, and a signal to that group reaches it (perl's
 * setpgrp then kill -TERM, ruby's spawn(pgroup: true)). */
static void sec_pgroup(void)
{
    for (int how = 0; how < 2; how++) {
        int ready[2];
        CHECK(pipe(ready) == 0, "pipe");
        pid_t pid = fork();
        if (pid == 0) {
            close(ready[0]);
            if (how == 0)
                setpgid(0, 0);
            else
                setsid();
            CHECK(write(ready[1], "x", 1) == 1, "write");
            pause();
            _exit(3);
        }
        close(ready[1]);
        char b;
        CHECK(read(ready[0], &b, 1) == 1, "ready");
        close(ready[0]);
        say("pgroup(%s): getpgid(child) is %s, getsid(child) is %s", how ? "setsid" : "setpgid",
            getpgid(pid) == pid ? "the child" : "another", getsid(pid) == pid ? "the child" : "another");
        int r = kill(-pid, SIGTERM);
        say("pgroup: kill(-child) %d %s", r, r ? strerror(errno) : "");
        if (r)
            kill(pid, SIGKILL);
        report("the group's leader", pid);
    }
}

/* pidcalls: calls that name a forked child by pid: priority, scheduler,
 * affinity (renice -p, chrt -p, taskset -p), and the CPUs it sees. */
static void sec_pidcalls(void)
{
    cpu_set_t mine;
    CHECK(sched_getaffinity(0, sizeof mine, &mine) == 0, "own affinity");
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        cpu_set_t s;
        int n = sched_getaffinity(0, sizeof s, &s) == 0 ? CPU_COUNT(&s) : -1;
        CHECK(write(p[1], &n, sizeof n) == sizeof n, "write");
        pause();
        _exit(0);
    }
    int n = 0;
    CHECK(read(p[0], &n, sizeof n) == sizeof n, "read");
    say("pidcalls: the child sees %s CPUs", n == CPU_COUNT(&mine) ? "as many" : "other");
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, pid);
    say("pidcalls: getpriority %d %s", prio, errno ? strerror(errno) : "");
    say("pidcalls: setpriority %d", setpriority(PRIO_PROCESS, pid, 3) ? -errno : 0);
    say("pidcalls: getpriority after %d", getpriority(PRIO_PROCESS, pid));
    say("pidcalls: sched_getscheduler %d", sched_getscheduler(pid));
    cpu_set_t s;
    say("pidcalls: sched_getaffinity %d", sched_getaffinity(pid, sizeof s, &s) ? -errno : CPU_COUNT(&s) == CPU_COUNT(&mine));
    kill(pid, SIGKILL);
    report("the child", pid);
    close(p[0]);
    close(p[1]);
}

/* A fork while another thread waits in a blocking read of a kernel pipe
 * (under pegasus its vCPU then sleeps in the kernel's own call:
 * sched/solo.h), which the fork must still stop (it gave up after a
 * second: EAGAIN). The fork comes during the reader's second wait, with
 * no timer anywhere meanwhile: the main thread spins. */
static int solo_pipe[2];
static atomic_int solo_reads;

static void *solo_reader(void *arg)
{
    (void)arg;
    char c;
    for (int i = 0; i < 2; i++)
        if (read(solo_pipe[0], &c, 1) == 1)
            atomic_fetch_add(&solo_reads, 1);
    return NULL;
}

static void spin_ms(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void sec_solo(void)
{
    int go[2];
    CHECK(pipe(solo_pipe) == 0 && pipe(go) == 0, "pipe");
    pid_t writer = fork(); /* the pipes have an end in another process now */
    if (writer == 0) {
        char c;
        close(solo_pipe[0]);
        close(go[1]);
        while (read(go[0], &c, 1) == 1)
            write(solo_pipe[1], "x", 1);
        _exit(0);
    }
    close(solo_pipe[1]);
    close(go[0]);
    pthread_t rd;
    pthread_create(&rd, NULL, solo_reader, NULL);
    spin_ms(50);
    write(go[1], "g", 1);
    while (atomic_load(&solo_reads) < 1)
        ;
    spin_ms(100);
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork %d beside the waiting reader: %s", i, strerror(errno));
        if (pid == 0)
            _exit(i);
        report("child beside the waiting reader", pid);
    }
    write(go[1], "g", 1);
    pthread_join(rd, NULL);
    say("solo: reads %d", atomic_load(&solo_reads));
    close(go[1]);
    close(solo_pipe[0]);
    report("the writer", writer);
}

/* A preforking server: connections queued at its listeners (TCP and
 * UNIX) before the fork, one client still open and one already gone, are
 * accepted by the child, with what they sent; the open one gets its reply
 * (pegasus: the listener's queued local connections made again through
 * its kernel listener; the child's accept said EBADF). */
static void sec_queued(void)
{
    int tl = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in ta = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t tal = sizeof ta;
    CHECK(bind(tl, (struct sockaddr *)&ta, sizeof ta) == 0 && listen(tl, 8) == 0, "tcp listen: %s", strerror(errno));
    getsockname(tl, (struct sockaddr *)&ta, &tal);
    struct sockaddr_un ua = { .sun_family = AF_UNIX };
    strcpy(ua.sun_path, "fork-queued.sock");
    unlink(ua.sun_path);
    int ul = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(ul, (struct sockaddr *)&ua, sizeof ua) == 0 && listen(ul, 8) == 0, "unix listen: %s", strerror(errno));
    int open_c = socket(AF_INET, SOCK_STREAM, 0), gone_c = socket(AF_INET, SOCK_STREAM, 0);
    int unix_c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(open_c, (struct sockaddr *)&ta, sizeof ta) == 0 && write(open_c, "early", 5) == 5, "open client");
    CHECK(connect(gone_c, (struct sockaddr *)&ta, sizeof ta) == 0 && write(gone_c, "bye", 3) == 3, "gone client");
    close(gone_c);
    CHECK(connect(unix_c, (struct sockaddr *)&ua, sizeof ua) == 0 && write(unix_c, "unix", 4) == 4, "unix client");
    shutdown(unix_c, SHUT_WR);
    /* A UDP server with a datagram queued: the child reads it, from its
     * sender, and answers there. */
    int us = socket(AF_INET, SOCK_DGRAM, 0), uc = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in usa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, uca;
    socklen_t usl = sizeof usa, ucl = sizeof uca;
    CHECK(bind(us, (struct sockaddr *)&usa, sizeof usa) == 0, "udp bind: %s", strerror(errno));
    getsockname(us, (struct sockaddr *)&usa, &usl);
    CHECK(sendto(uc, "dgram", 5, 0, (struct sockaddr *)&usa, sizeof usa) == 5, "udp send");
    getsockname(uc, (struct sockaddr *)&uca, &ucl);
    pid_t pid = fork();
    if (pid == 0) {
        char d[16] = { 0 };
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t dn = recvfrom(us, d, sizeof d - 1, 0, (struct sockaddr *)&from, &fl);
        say("child: udp %s, from its sender: %s", dn > 0 ? d : strerror(errno),
            dn > 0 && from.sin_port == uca.sin_port ? "yes" : "no");
        if (dn > 0)
            sendto(us, "back", 4, 0, (struct sockaddr *)&from, fl);
        for (int i = 0; i < 3; i++) {
            int s = accept(i < 2 ? tl : ul, NULL, NULL);
            if (s < 0) {
                say("child: accept %d: %s", i, strerror(errno));
                continue;
            }
            char buf[16] = { 0 }, more;
            ssize_t n = read(s, buf, sizeof buf - 1);
            ssize_t eof = n > 0 && i ? read(s, &more, 1) : -2;
            say("child: accepted %d: \"%s\"%s", i, buf, eof == 0 ? ", then EOF" : "");
            if (i != 1)
                write(s, "reply", 5);
            close(s);
        }
        _exit(0);
    }
    report("the accepting child", pid);
    char buf[16] = { 0 };
    say("open client reads \"%s\"", read(open_c, buf, sizeof buf - 1) > 0 ? buf : strerror(errno));
    memset(buf, 0, sizeof buf);
    say("unix client reads \"%s\"", read(unix_c, buf, sizeof buf - 1) > 0 ? buf : strerror(errno));
    memset(buf, 0, sizeof buf);
    say("udp client reads \"%s\"", recv(uc, buf, sizeof buf - 1, 0) > 0 ? buf : strerror(errno));
    close(us);
    close(uc);
    close(open_c);
    close(unix_c);
    close(tl);
    close(ul);
    unlink(ua.sun_path);
}

/* A shell's job: the child moves itself to a group of its own and execs,
 * the parent moves it too (setpgid from both sides, as bash does); a kill
 * of that group from the parent finds it at every moment (the child's own
 * record, published in its process, undid the parent's move until the
 * child's setpgid: bash's `kill -STOP %1` said "No such process"). */
static void sec_jobgroup(void)
{
    int misses = 0;
    for (int round = 0; round < 30; round++) {
        pid_t p = fork();
        if (p == 0) {
            setpgid(0, 0);
            execl("/bin/sleep", "sleep", "0.05", (char *)0);
            _exit(127);
        }
        setpgid(p, p);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        do {
            if (kill(-p, 0) < 0 && errno == ESRCH)
                misses++;
            clock_gettime(CLOCK_MONOTONIC, &b);
        } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 10);
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
    }
    say("jobgroup: the group was %s", misses ? "missing at times" : "there throughout");
    /* Once the child has exec'd (its close-on-exec pipe end closes), it
     * is its own: the parent's setpgid says EACCES. */
    int cx[2];
    CHECK(pipe2(cx, O_CLOEXEC) == 0, "pipe2");
    pid_t p = fork();
    if (p == 0) {
        close(cx[0]);
        execl("/bin/sleep", "sleep", "0.2", (char *)0);
        _exit(127);
    }
    close(cx[1]);
    char c;
    while (read(cx[0], &c, 1) > 0)
        ;
    close(cx[0]);
    int r = setpgid(p, p);
    say("jobgroup: setpgid of a child that exec'd: %s", r ? strerror(errno) : "0");
    report("the child that exec'd", p);
}

/* A child in pause() stopped, continued, then killed: pause() goes on
 * through the stop and the SIGCONT (no handler ran), so the parent hears
 * of the stop, the continue and the kill (pause returned, and the child
 * exited 0 before the kill). */
static void sec_stopcont(void)
{
    int st = 0;
    pid_t p = fork();
    if (p == 0) {
        pause();
        _exit(0);
    }
    usleep(20000);
    kill(p, SIGSTOP);
    pid_t r = waitpid(p, &st, WUNTRACED);
    say("stopcont: stopped %d", r == p && WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
    kill(p, SIGCONT);
    r = waitpid(p, &st, WCONTINUED);
    say("stopcont: continued %s", r == p && WIFCONTINUED(st) ? "yes" : WIFEXITED(st) ? "no, it exited" : "no");
    kill(p, SIGKILL);
    report("stopcont: the child", p);
}

static void *rounding(void *arg)
{
    (void)arg;
    return fegetround() == FE_UPWARD ? (void *)1 : NULL;
}

/* The same calls again and again: a site is rewritten at its second trap,
 * so the later ones go through its stub (a new thread's FP environment,
 * a forked child's registers, exec from a vfork child). */
static void sec_again(void)
{
    fesetround(FE_UPWARD);
    int up = 0, sum = 0, st;
    for (int i = 0; i < 8; i++) {
        pthread_t t;
        void *r = NULL;
        pthread_create(&t, NULL, rounding, NULL);
        pthread_join(t, &r);
        up += r != NULL;
    }
    fesetround(FE_TONEAREST);
    say("again: threads kept the rounding mode: %d of 8", up);
    for (int i = 0; i < 8; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(i + 1);
        waitpid(p, &st, 0);
        sum += WIFEXITED(st) ? WEXITSTATUS(st) : 100;
    }
    say("again: 8 forks, statuses sum to %d", sum);
    volatile int vsum = 0; /* a vfork child runs on this frame */
    for (int i = 0; i < 4; i++) {
        pid_t p = vfork();
        if (p == 0) {
            execl("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
            _exit(127);
        }
        waitpid(p, &st, 0);
        vsum += WIFEXITED(st) ? WEXITSTATUS(st) : 100;
    }
    say("again: 4 vfork+exec, statuses sum to %d", vsum);
}

/* Children that make calls their parent never makes (close, then _exit):
 * what the first ones learn (their traps) the later ones know. */
static void sec_learn(void)
{
    int sum = 0, st;
    for (int i = 0; i < 6; i++) {
        pid_t p = fork();
        if (p == 0) {
            close(-1);
            _exit(i + 1);
        }
        waitpid(p, &st, 0);
        sum += WIFEXITED(st) ? WEXITSTATUS(st) : 100;
    }
    say("learn: 6 forks, statuses sum to %d", sum);
}

/* sockopts: options set on in-memory sockets (a socketpair, an accepted
 * local TCP connection) are still theirs after a fork moved them into the
 * kernel, in parent and child alike; a receive timeout still ends a read. */
struct opts { int sndbuf, keep, passcred, nodelay, keepidle; long rcvtimeo_us; };

static int opt_int(int fd, int level, int opt)
{
    int v = -1;
    socklen_t l = sizeof(v);
    getsockopt(fd, level, opt, &v, &l);
    return v;
}

static struct opts opts_of(int fd, bool tcp)
{
    struct timeval tv = { 0, 0 };
    socklen_t l = sizeof(tv);
    getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l);
    return (struct opts){ opt_int(fd, SOL_SOCKET, SO_SNDBUF), opt_int(fd, SOL_SOCKET, SO_KEEPALIVE),
                          opt_int(fd, SOL_SOCKET, SO_PASSCRED), tcp ? opt_int(fd, IPPROTO_TCP, TCP_NODELAY) : 0,
                          tcp ? opt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE) : 0, tv.tv_sec * 1000000 + tv.tv_usec };
}

static void set_opts(int fd, bool tcp)
{
    int one = 1, sz = 65536, idle = 33;
    struct timeval tv = { 0, 300000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (!tcp)
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    if (tcp) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    }
}

/* timed_read - one byte from fd: the result, its errno, and the seconds it took. */
static ssize_t timed_read(int fd, int *err, double *secs)
{
    char c;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ssize_t n = read(fd, &c, 1);
    *err = errno;
    clock_gettime(CLOCK_MONOTONIC, &b);
    *secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    return n;
}

static void opts_check(const char *who, const char *what, int fd, bool tcp, struct opts want)
{
    struct opts o = opts_of(fd, tcp);
    CHECK(o.sndbuf == want.sndbuf && o.keep == want.keep && o.passcred == want.passcred &&
              o.nodelay == want.nodelay && o.keepidle == want.keepidle && o.rcvtimeo_us == want.rcvtimeo_us,
          "%s, %s: sndbuf %d keepalive %d passcred %d nodelay %d keepidle %d rcvtimeo %ld us; before the fork "
          "%d %d %d %d %d %ld",
          who, what, o.sndbuf, o.keep, o.passcred, o.nodelay, o.keepidle, o.rcvtimeo_us, want.sndbuf, want.keep,
          want.passcred, want.nodelay, want.keepidle, want.rcvtimeo_us);
    int e;
    double secs;
    ssize_t n = timed_read(fd, &e, &secs);
    CHECK(n < 0 && (e == EAGAIN || e == EWOULDBLOCK) && secs >= 0.25, "%s, %s: read gave %zd (%s) after %.2f s", who,
          what, n, n < 0 ? strerror(e) : "data", secs);
    say("%s, %s: options kept, read timed out", who, what);
}

static void sec_sockopts(void)
{
    int sv[2], l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof(a);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && l >= 0 && c >= 0, "sockets: %s", strerror(errno));
    CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0 &&
              getsockname(l, (struct sockaddr *)&a, &al) == 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0,
          "listen and connect: %s", strerror(errno));
    int t = accept(l, NULL, NULL);
    CHECK(t >= 0, "accept: %s", strerror(errno));
    /* A second connection takes its listener's timeout, no option call
     * of its own (its kernel twin is never made before the fork). */
    struct timeval ltv = { 0, 300000 };
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &ltv, sizeof(ltv)) == 0 &&
              connect(c2, (struct sockaddr *)&a, sizeof(a)) == 0,
          "second connect: %s", strerror(errno));
    int t2 = accept(l, NULL, NULL);
    set_opts(sv[1], false);
    set_opts(t, true);
    struct opts pair = opts_of(sv[1], false), tcp = opts_of(t, true);
    pid_t pid = fork();
    if (pid == 0) {
        opts_check("child", "socketpair", sv[1], false, pair);
        opts_check("child", "accepted TCP", t, true, tcp);
        _exit(failures ? 1 : 0);
    }
    report("child", pid);
    opts_check("parent", "socketpair", sv[1], false, pair);
    opts_check("parent", "accepted TCP", t, true, tcp);
    int e;
    double secs;
    ssize_t n = timed_read(t2, &e, &secs);
    CHECK(n < 0 && e == EAGAIN && secs >= 0.25, "listener's timeout after the fork: read %zd (%s) after %.2f s", n,
          n < 0 ? strerror(e) : "data", secs);
    say("parent, accepted with the listener's timeout: read timed out");
    close(t2);
    close(c2);
    close(sv[0]);
    close(sv[1]);
    close(t);
    close(c);
    close(l);
}

static const struct {
    const char *name;
    void (*fn)(void);
} sections[] = {
    {"memory", sec_memory}, {"fds", sec_fds},       {"status", sec_status}, {"signals", sec_signals},
    {"ids", sec_ids},       {"wait", sec_wait},     {"thread", sec_thread}, {"exec", sec_exec},
    {"sigfd", sec_sigfd},   {"bomb", sec_bomb}, {"sockets", sec_sockets},
    {"dontfork", sec_dontfork}, {"epoll", sec_epoll}, {"waitfor", sec_waitfor},
    {"setuid", sec_setuid}, {"dgrampair", sec_dgrampair}, {"dgramrights", sec_dgramrights}, {"ipopts", sec_ipopts}, {"kwatched", sec_kwatched}, {"grandchild", sec_grandchild}, {"spawnedlives", sec_spawnedlives},
    {"pgroup", sec_pgroup}, {"pidcalls", sec_pidcalls}, {"names", sec_names}, {"solo", sec_solo},
    {"jobgroup", sec_jobgroup}, {"stopcont", sec_stopcont}, {"queued", sec_queued}, {"again", sec_again}, {"sockopts", sec_sockopts},
    {"learn", sec_learn},
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *only = argc > 1 ? argv[1] : NULL;
    int ran = 0;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (only && strcmp(only, sections[i].name) != 0)
            continue;
        sections[i].fn();
        ran++;
    }
    if (!ran) {
        fprintf(stderr, "fork: unknown section '%s'\n", only);
        return 2;
    }
    printf("%s\n", failures ? "fork: FAILED" : "fork: all ok");
    return failures ? 1 : 0;
}
