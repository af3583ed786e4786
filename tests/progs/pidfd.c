/* pidfd.c - process file descriptors: pidfd_open, poll and epoll on them, pidfd_send_signal, waitid(P_PIDFD), CLONE_PIDFD, pidfd_getfd.
 *
 *   pidfd            all sections; exit 0 if every check held, else 1
 *   pidfd SECTION    one section (open, signal, waitid, spawned, clone3, getfd, errors, parent)
 * Output never shows a pid: those differ between Linux and pegasus.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

static int pidfd_open(pid_t pid, unsigned flags)
{
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static int pidfd_getfd(int pidfd, int fd, unsigned flags)
{
    return (int)syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

/* readable - the pidfd's poll events within ms (0: now). */
static int readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, ms);
    return n < 0 ? -errno : p.revents;
}

/* fdinfo_pid - the "Pid:" line of the pidfd's fdinfo (-1 once reaped). */
static int fdinfo_pid(int fd)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    int pid = -2;
    while (f && fgets(buf, sizeof buf, f))
        if (sscanf(buf, "Pid: %d", &pid) == 1)
            break;
    if (f)
        fclose(f);
    return pid;
}

static pid_t sleeper(int ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        msleep(ms);
        _exit(3);
    }
    return pid;
}

static void sec_open(void)
{
    pid_t pid = sleeper(300);
    int fd = pidfd_open(pid, 0);
    CHECK(fd >= 0, "pidfd_open: %s", strerror(errno));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "close-on-exec %d", fcntl(fd, F_GETFD));
    char link[64], target[64] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    CHECK(readlink(link, target, sizeof target - 1) > 0 && strcmp(target, "anon_inode:[pidfd]") == 0,
          "link '%s'", target);
    CHECK(fdinfo_pid(fd) == pid, "fdinfo pid %d", fdinfo_pid(fd));
    int ev = readable(fd, 0);
    say("open: alive, poll now: %s", ev ? "ready" : "not ready");
    ev = readable(fd, 5000);
    say("open: after its end: %s%s", ev & POLLIN ? "POLLIN" : "-", ev & POLLHUP ? " POLLHUP" : "");
    /* A zombie's pidfd is still its own; a waitpid reaps it. */
    CHECK(fdinfo_pid(fd) == pid, "zombie fdinfo pid %d", fdinfo_pid(fd));
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 3, "status %x", st);
    say("open: reaped, fdinfo Pid %d, poll %s", fdinfo_pid(fd), readable(fd, 0) & POLLIN ? "ready" : "not ready");
    CHECK(pidfd_send_signal(fd, 0, NULL, 0) == -1 && errno == ESRCH, "signal reaped: %s", strerror(errno));
    close(fd);
}

static void sec_signal(void)
{
    pid_t pid = sleeper(5000);
    int fd = pidfd_open(pid, 0);
    CHECK(pidfd_send_signal(fd, 0, NULL, 0) == 0, "signal 0: %s", strerror(errno));
    /* A queued signal with its own info: only si_code < 0 may be sent. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGTERM;
    si.si_code = SI_USER;
    CHECK(pidfd_send_signal(fd, SIGTERM, &si, 0) == -1 && errno == EPERM, "SI_USER info: %s", strerror(errno));
    si.si_signo = SIGINT;
    si.si_code = SI_QUEUE;
    CHECK(pidfd_send_signal(fd, SIGTERM, &si, 0) == -1 && errno == EINVAL, "signo mismatch: %s", strerror(errno));
    CHECK(pidfd_send_signal(fd, SIGTERM, NULL, 8) == -1 && errno == EINVAL, "flags: %s", strerror(errno));
    CHECK(pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0, "SIGTERM: %s", strerror(errno));
    CHECK(readable(fd, 5000) & POLLIN, "not readable after SIGTERM");
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK(waitid(P_PIDFD, fd, &info, WEXITED) == 0, "waitid: %s", strerror(errno));
    say("signal: child %s by %d", info.si_code == CLD_KILLED ? "killed" : "exited", info.si_status);
    CHECK(info.si_pid == pid, "si_pid");
    close(fd);
}

static void sec_waitid(void)
{
    pid_t pid = sleeper(200);
    int fd = pidfd_open(pid, PIDFD_NONBLOCK);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "flags %x", fcntl(fd, F_GETFL));
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r = waitid(P_PIDFD, fd, &info, WEXITED);
    say("waitid: non-blocking pidfd, child alive: %d %s", r, r ? strerror(errno) : "");
    memset(&info, 0, sizeof info);
    r = waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG);
    say("waitid: WNOHANG, child alive: %d pid-set %d", r, info.si_pid != 0);
    /* Blocking again: the child ends, and WNOWAIT leaves it a zombie. */
    fcntl(fd, F_SETFL, 0);
    memset(&info, 0, sizeof info);
    r = waitid(P_PIDFD, fd, &info, WEXITED | WNOWAIT);
    say("waitid: WNOWAIT %d code %s status %d", r, info.si_code == CLD_EXITED ? "exited" : "?", info.si_status);
    memset(&info, 0, sizeof info);
    r = waitid(P_PIDFD, fd, &info, WEXITED);
    say("waitid: reaped %d status %d", r, info.si_status);
    r = waitid(P_PIDFD, fd, &info, WEXITED);
    say("waitid: again %d %s", r, r ? strerror(errno) : "");
    close(fd);
    /* Not a child: our own pidfd. */
    fd = pidfd_open(getpid(), 0);
    CHECK(fd >= 0, "own pidfd: %s", strerror(errno));
    r = waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG);
    say("waitid: own pidfd %d %s", r, r ? strerror(errno) : "");
    say("waitid: own pidfd poll %s", readable(fd, 0) ? "ready" : "not ready");
    close(fd);
}

/* A spawned program (posix_spawn: vfork and exec) watched with epoll. */
static void sec_spawned(void)
{
    const char *argv[] = {"/bin/sh", "-c", "sleep 0.2; exit 5", NULL};
    pid_t pid;
    CHECK(posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) == 0, "spawn");
    int fd = pidfd_open(pid, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl: %s", strerror(errno));
    struct epoll_event out = {0};
    int n = epoll_wait(ep, &out, 1, 0);
    say("spawned: epoll now %d", n);
    n = epoll_wait(ep, &out, 1, 5000);
    say("spawned: epoll later %d data %u events %s", n, out.data.u32, out.events & EPOLLIN ? "IN" : "-");
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK(waitid(P_PIDFD, fd, &info, WEXITED) == 0, "waitid: %s", strerror(errno));
    say("spawned: status %d", info.si_status);
    close(ep);
    close(fd);
}

/* clone3 with CLONE_PIDFD: the pidfd comes with the child. */
static void sec_clone3(void)
{
    int pidfd = -1;
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_PIDFD;
    ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
    ca.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) {
        syscall(SYS_exit_group, 9);
    }
    CHECK(pid > 0, "clone3: %s", strerror(errno));
    CHECK(pidfd >= 0, "no pidfd");
    CHECK(fcntl(pidfd, F_GETFD) == FD_CLOEXEC, "cloexec");
    CHECK(readable(pidfd, 5000) & POLLIN, "not readable");
    siginfo_t info;
    memset(&info, 0, sizeof info);
    CHECK(waitid(P_PIDFD, pidfd, &info, WEXITED) == 0, "waitid: %s", strerror(errno));
    say("clone3: status %d pid-matches %d", info.si_status, info.si_pid == pid);
    close(pidfd);
    /* With a thread: refused. */
    ca.flags = CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    CHECK(syscall(SYS_clone3, &ca, sizeof ca) == -1 && errno == EINVAL, "thread: %s", strerror(errno));
}

/* pidfd_getfd: a copy of a spawned program's stdin, a pipe. */
static void sec_getfd(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    const char *argv[] = {"/bin/sleep", "5", NULL};
    pid_t pid;
    CHECK(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) == 0, "spawn");
    int fd = pidfd_open(pid, 0);
    int got = pidfd_getfd(fd, 0, 0);
    CHECK(got >= 0, "pidfd_getfd: %s", strerror(errno));
    CHECK(fcntl(got, F_GETFD) == FD_CLOEXEC, "cloexec");
    CHECK(write(p[1], "hello", 5) == 5, "write");
    char buf[8] = "";
    CHECK(read(got, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, "read '%s'", buf);
    say("getfd: read through the copy: %s", buf);
    CHECK(pidfd_getfd(fd, 77, 0) == -1 && errno == EBADF, "no such fd: %s", strerror(errno));
    CHECK(pidfd_getfd(fd, 0, 1) == -1 && errno == EINVAL, "flags: %s", strerror(errno));
    CHECK(pidfd_getfd(p[1], 0, 0) == -1 && errno == EBADF, "not a pidfd: %s", strerror(errno));
    pidfd_send_signal(fd, SIGKILL, NULL, 0);
    siginfo_t info;
    CHECK(waitid(P_PIDFD, fd, &info, WEXITED) == 0 && info.si_status == SIGKILL, "waitid");
    close(got);
    close(fd);
    close(p[0]);
    close(p[1]);
    posix_spawn_file_actions_destroy(&fa);
}

static volatile pid_t thread_tid;

static void *idle(void *arg)
{
    thread_tid = gettid();
    msleep(300);
    return arg;
}

/* show - one call's result and errno, as the kernel answered. */
static void show(const char *what, long r)
{
    say("errors: %s -> %ld %s", what, r, r < 0 ? strerror(errno) : "");
}

static void sec_errors(void)
{
    show("pid 0", pidfd_open(0, 0));
    show("pid -1", pidfd_open(-1, 0));
    show("bad flags", pidfd_open(getpid(), 0x1));
    show("no such pid", pidfd_open(4000000, 0));
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    while (!thread_tid)
        msleep(1);
    show("a thread", pidfd_open(thread_tid, 0));
    pthread_join(t, NULL);
    show("signal to a non-pidfd", pidfd_send_signal(1, SIGTERM, NULL, 0));
    siginfo_t info;
    show("waitid on a non-pidfd", waitid(P_PIDFD, 1, &info, WEXITED | WNOHANG));
    show("waitid on a closed fd", waitid(P_PIDFD, 999, &info, WEXITED | WNOHANG));
    int fd = pidfd_open(getpid(), 0);
    char c;
    show("read a pidfd", read(fd, &c, 1));
    close(fd);
}

/* The parent of the program, a process outside the instance under pegasus
 * (the test's timeout(1)): a pidfd of it, alive, signal 0 goes, close-on-exec. */
static void sec_parent(void)
{
    int fd = pidfd_open(getppid(), 0);
    CHECK(fd >= 0, "pidfd_open(getppid()): %s", strerror(errno));
    if (fd < 0)
        return;
    struct pollfd p = {fd, POLLIN, 0};
    say("parent: ended %d, signal 0 %d, close-on-exec %d", poll(&p, 1, 0), pidfd_send_signal(fd, 0, NULL, 0),
        !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = 7};
    say("parent: in an epoll set %d, ready %d", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), epoll_wait(ep, &e, 1, 0));
    close(ep);
    close(fd);
}

static const struct section sections[] = {
    {"open", sec_open},     {"signal", sec_signal}, {"waitid", sec_waitid}, {"spawned", sec_spawned},
    {"clone3", sec_clone3}, {"getfd", sec_getfd},   {"errors", sec_errors}, {"parent", sec_parent},
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    return run_sections("pidfd", argc, argv, sections, sizeof sections / sizeof sections[0]);
}
