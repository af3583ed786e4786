/* spawn.c - child programs: posix_spawn, vfork+exec, system, popen, wait statuses, SIGCHLD, waitid, groups.
 *
 *   spawn            all sections; exit 0 if every check held, else 1
 *   spawn SECTION    one section (filacts, vfork, system, popen, status,
 *                    wnohang, sigchld, waitid, groups, threads, forks, sigdef)
 * Output never shows a pid: those differ between Linux and pegasus.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern char **environ;

static pid_t spawn(const char *const argv[], const posix_spawn_file_actions_t *fa,
                   const posix_spawnattr_t *at)
{
    pid_t pid;
    int e = posix_spawn(&pid, argv[0], fa, at, (char *const *)argv, environ);
    CHECK(e == 0, "posix_spawn %s: %s", argv[0], strerror(e));
    return e ? -1 : pid;
}

/* The status of pid, as a shell would describe it. */
static void report(const char *what, pid_t pid)
{
    int st;
    pid_t r = waitpid(pid, &st, 0);
    CHECK(r == pid, "waitpid: %d %s", r, strerror(errno));
    if (WIFEXITED(st))
        say("%s: exited %d", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        say("%s: killed by %d", what, WTERMSIG(st));
    else
        say("%s: status %#x", what, st);
}

/* Everything a child writes into a pipe, printed line by line. */
static void drain(int fd)
{
    char buf[4096];
    ssize_t n, len = 0;
    while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += n;
    buf[len] = 0;
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
        say("  | %s", l);
    close(fd);
}

static void sec_filacts(void)
{
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
    int fd = open("spawn-in.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(write(fd, "line one\nline two\n", 18) == 18, "write");
    close(fd);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "spawn-in.txt", O_RDONLY, 0);
    posix_spawn_file_actions_addclose(&fa, 2);
    const char *cat[] = { "/bin/cat", NULL };
    pid_t pid = spawn(cat, &fa, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    drain(p[0]);
    report("cat with dup2/open/close", pid);

    /* The parent's fds are untouched by the child's actions. */
    CHECK(fcntl(2, F_GETFD) >= 0, "stderr closed in the parent");
    CHECK(fcntl(0, F_GETFD) >= 0, "stdin gone in the parent");

    CHECK(mkdir("spawn-dir", 0755) == 0 || errno == EEXIST, "mkdir");
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addchdir_np(&fa, "spawn-dir");
    const char *sh[] = { "/bin/sh", "-c", "[ -d ../spawn-dir ] && [ ! -e spawn-dir ] && echo in-spawn-dir; ls ../spawn-in.txt", NULL };
    pid = spawn(sh, &fa, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    drain(p[0]);
    report("sh in spawn-dir", pid);
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) && !strstr(cwd, "spawn-dir"), "parent moved: %s", cwd);

    /* A close-on-exec fd does not reach the child; an inherited one does. */
    int keep = open("spawn-in.txt", O_RDONLY), gone = open("spawn-in.txt", O_RDONLY | O_CLOEXEC);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "exec 2>/dev/null; true <&%d && echo keep-open; "
             "true <&%d || echo cloexec-closed", keep, gone);
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    const char *sh2[] = { "/bin/sh", "-c", cmd, NULL };
    pid = spawn(sh2, &fa, NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    drain(p[0]);
    report("fd inheritance", pid);
    close(keep);
    close(gone);
}

static void sec_vfork(void)
{
    struct stat before, after;
    fstat(1, &before);
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t pid = vfork();
    if (pid == 0) {
        /* The child's own fd table: this dup2 is not the parent's. */
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl("/bin/echo", "echo", "from", "vfork", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    drain(p[0]);
    report("vfork+exec echo", pid);
    fstat(1, &after);
    CHECK(before.st_ino == after.st_ino && before.st_dev == after.st_dev, "parent stdout changed");

    /* The parent waits until the child is gone. */
    volatile int touched = 0;
    pid = vfork();
    if (pid == 0) {
        touched = 1; /* shared memory, as Linux's vfork */
        _exit(7);
    }
    say("vfork child ran before the parent: %d", touched);
    report("vfork+_exit", pid);

    pid = vfork();
    if (pid == 0) {
        execl("/nonexistent", "x", (char *)NULL);
        _exit(errno == ENOENT ? 42 : 1);
    }
    report("vfork+failed exec", pid);
}

static void sec_system(void)
{
    int st = system("echo from system; exit 3");
    say("system: exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    st = system("/bin/echo external from system");
    say("system external: exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    st = system(NULL);
    say("system(NULL): %d", st != 0);
}

static void sec_popen(void)
{
    FILE *f = popen("/bin/echo read through popen; echo second", "r");
    CHECK(f, "popen r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        say("popen r: %s", strtok(line, "\n"));
    int st = f ? pclose(f) : -1;
    say("pclose r: exited %d", WEXITSTATUS(st));

    f = popen("/usr/bin/tr a-z A-Z", "w");
    CHECK(f, "popen w");
    if (f) {
        fputs("written through popen\n", f);
        st = pclose(f);
        say("pclose w: exited %d", WEXITSTATUS(st));
    }
}

static void sec_status(void)
{
    const int codes[] = { 0, 1, 42, 255 };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "exit %d", codes[i]);
        const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
        report(cmd, spawn(sh, NULL, NULL));
    }
    const char *term[] = { "/bin/sh", "-c", "kill -TERM $$; sleep 5", NULL };
    report("kill -TERM self", spawn(term, NULL, NULL));
    const char *kill9[] = { "/bin/sh", "-c", "kill -KILL $$; sleep 5", NULL };
    report("kill -KILL self", spawn(kill9, NULL, NULL));
    const char *sleeper[] = { "/bin/sleep", "5", NULL };
    pid_t pid = spawn(sleeper, NULL, NULL);
    kill(pid, SIGINT);
    report("sleep killed by the parent", pid);
    const char *missing[] = { "/bin/sh", "-c", "/nonexistent-program 2>/dev/null", NULL };
    report("sh running a missing program", spawn(missing, NULL, NULL));
    pid_t none;
    int e = posix_spawn(&none, "/nonexistent", NULL, NULL, (char *[]){ "x", NULL }, environ);
    say("posix_spawn of a missing file: %s", strerrorname_np(e));
}

static void sec_wnohang(void)
{
    int st;
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "no children: ECHILD");
    const char *sleeper[] = { "/bin/sleep", "0.3", NULL };
    pid_t pid = spawn(sleeper, NULL, NULL);
    pid_t r = waitpid(pid, &st, WNOHANG);
    say("WNOHANG while it runs: %d", r);
    int polls = 0;
    while ((r = waitpid(-1, &st, WNOHANG)) == 0) {
        polls++;
        msleep(20);
    }
    say("WNOHANG after it ended: %s, status %d, polled %s", r == pid ? "its pid" : "other",
        WEXITSTATUS(st), polls > 3 ? "several times" : "few times");
    CHECK(waitpid(-1, &st, 0) == -1 && errno == ECHILD, "reaped: ECHILD");
    CHECK(waitpid(pid, &st, 0) == -1 && errno == ECHILD, "reaped by pid: ECHILD");
}

static volatile sig_atomic_t got_pid, got_code, got_status, got_count;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
    got_pid = si->si_pid;
    got_code = si->si_code;
    got_status = si->si_status;
    got_count++;
}

static void sec_sigchld(void)
{
    struct sigaction sa = { .sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    const char *five[] = { "/bin/sh", "-c", "exit 5", NULL };
    pid_t pid = spawn(five, NULL, NULL);
    while (!got_count)
        msleep(5);
    say("SIGCHLD: pid %s, code %s, status %d", got_pid == pid ? "matches" : "differs",
        got_code == CLD_EXITED ? "CLD_EXITED" : "other", got_status);
    report("after SIGCHLD", pid);
    got_count = 0;
    const char *sleeper[] = { "/bin/sleep", "5", NULL };
    pid = spawn(sleeper, NULL, NULL);
    kill(pid, SIGKILL);
    while (!got_count)
        msleep(5);
    say("SIGCHLD: pid %s, code %s, status %d", got_pid == pid ? "matches" : "differs",
        got_code == CLD_KILLED ? "CLD_KILLED" : "other", got_status);
    report("after SIGCHLD", pid);

    /* SIGCHLD ignored: children are reaped at once, wait finds none. */
    signal(SIGCHLD, SIG_IGN);
    pid = spawn(five, NULL, NULL);
    int st;
    pid_t r = waitpid(pid, &st, 0);
    say("wait with SIGCHLD ignored: %s", r == -1 && errno == ECHILD ? "ECHILD" : "a status");
    signal(SIGCHLD, SIG_DFL);
}

static void sec_waitid(void)
{
    const char *three[] = { "/bin/sh", "-c", "exit 3", NULL };
    pid_t pid = spawn(three, NULL, NULL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0, "waitid WNOWAIT");
    say("waitid WNOWAIT: signo %d code %s status %d pid %s", si.si_signo,
        si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status,
        si.si_pid == pid ? "matches" : "differs");
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_ALL, 0, &si, WEXITED) == 0, "waitid P_ALL");
    say("waitid again: status %d pid %s", si.si_status, si.si_pid == pid ? "matches" : "differs");

    const char *sleeper[] = { "/bin/sleep", "0.2", NULL };
    pid = spawn(sleeper, NULL, NULL);
    memset(&si, 0xff, sizeof si);
    CHECK(waitid(P_PGID, getpgrp(), &si, WEXITED | WNOHANG) == 0, "waitid WNOHANG");
    say("waitid WNOHANG while it runs: si_pid %d", si.si_pid);
    CHECK(waitid(P_PGID, 0, &si, WEXITED) == 0, "waitid P_PGID 0");
    say("waitid P_PGID: status %d pid %s", si.si_status, si.si_pid == pid ? "matches" : "differs");
    int r = waitid(P_ALL, 0, &si, WEXITED);
    say("waitid with no children: %d %s", r, strerrorname_np(errno));
    r = waitid(P_ALL, 0, &si, 0);
    say("waitid without WEXITED: %d %s", r, strerrorname_np(errno));
}

static void sec_groups(void)
{
    /* setsid in a spawned child works: it is no group leader. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID);
    const char *sleeper[] = { "/bin/sleep", "0.2", NULL };
    pid_t pid = spawn(sleeper, NULL, &at);
    posix_spawnattr_destroy(&at);
    say("the child leads a session of its own: %s", getsid(pid) == pid ? "yes" : "no");
    say("and a group: %s", getpgid(pid) == pid ? "yes" : "no");
    report("POSIX_SPAWN_SETSID", pid);

    /* Two children in a new group of their own, signalled as a group. */
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    const char *sleep5[] = { "/bin/sleep", "5", NULL };
    pid_t a = spawn(sleep5, NULL, &at);
    posix_spawnattr_setpgroup(&at, a);
    pid_t b = spawn(sleep5, NULL, &at);
    posix_spawnattr_destroy(&at);
    say("group of the second child is the first's: %s", getpgid(b) == a ? "yes" : "no");
    say("its group is not ours: %s", getpgid(a) != getpgrp() ? "yes" : "no");
    CHECK(kill(-a, SIGTERM) == 0, "kill group: %s", strerror(errno));
    report("group member 1", a);
    report("group member 2", b);
    int r = kill(-a, SIGTERM);
    say("kill of a gone group: %d %s", r, strerrorname_np(errno));
}

/* Four threads spawning at once: under pegasus each new program is loaded
 * into the one address space while the others load and exit (the loader's
 * buffers, the address space's records). */
static char first_failure[160]; /* what the first failed spawn or fork did */

static void note_failure(const char *what, int e, pid_t w, pid_t pid, int st)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    if (!first_failure[0])
        snprintf(first_failure, sizeof first_failure, "%s: error %s, waitpid %s, status %#x", what,
                 e ? strerror(e) : "none", w == pid ? "ok" : strerror(errno), st);
    pthread_mutex_unlock(&mu);
}

static void *spawner(void *arg)
{
    long bad = 0;
    for (int i = 0; i < 150; i++) {
        const char *argv[] = { "/bin/true", NULL };
        pid_t pid = -1, w = -1;
        int st = 0;
        int e = posix_spawn(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
        if (!e)
            w = waitpid(pid, &st, 0);
        if (e || w != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
            bad++;
            note_failure("posix_spawn", e, w, pid, st);
        }
    }
    return (void *)bad;
}

/* Run each of the n bodies in a thread of its own: their failures, summed. */
static long in_threads(void *(*const body[])(void *), int n)
{
    pthread_t t[8];
    long bad = 0;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, body[i], NULL);
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    return bad;
}

static void sec_threads(void)
{
    void *(*const body[])(void *) = { spawner, spawner, spawner, spawner };
    long bad = in_threads(body, 4);
    CHECK(bad == 0, "%ld of 600 spawns from 4 threads failed, the first: %s", bad, first_failure);
    say("600 spawns from 4 threads: %ld failed", bad);
}

/* fork+exec from one thread while another spawns: under pegasus the parent
 * rewrites sites of each spawned program (stubs written) while forked
 * children, each in a host process of its own, exec and rewrite theirs in
 * their copies of the stubs (taken at the fork). */
static void *forker(void *arg)
{
    long bad = 0;
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int st = 0;
        pid_t w = pid < 0 ? -1 : waitpid(pid, &st, 0);
        if (pid < 0 || w != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
            bad++;
            note_failure("fork", pid < 0 ? errno : 0, w, pid, st);
        }
    }
    return (void *)bad;
}

static void on_usr1(int sig)
{
    (void)sig;
}

/* What a spawned child's dispositions are: handlers reset to the default,
 * ignored ones kept but for POSIX_SPAWN_SETSIGDEF's (glibc's child asks
 * for every disposition, then sets the handled ones back). */
static void sec_sigdef(void)
{
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGRTMIN + 1, on_usr1);
    for (int round = 0; round < 2; round++) {
        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        if (round) {
            sigset_t def;
            sigemptyset(&def);
            sigaddset(&def, SIGHUP);
            posix_spawnattr_setsigdefault(&at, &def);
            posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
        }
        const char *grep[] = { "/bin/grep", "-E", "^Sig(Ign|Cgt)", "/proc/self/status", NULL };
        pid_t pid = spawn(grep, &fa, &at);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        close(p[1]);
        drain(p[0]);
        report(round ? "grep, SIGHUP set to default" : "grep", pid);
    }
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    CHECK(sa.sa_handler == on_usr1, "the parent's handler changed by the child");
    sigaction(SIGUSR2, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN, "the parent's SIG_IGN changed by the child");
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
}

static void sec_forks(void)
{
    void *(*const body[])(void *) = { forker, spawner, spawner };
    long bad = in_threads(body, 3);
    CHECK(bad == 0, "%ld of 400 forks and spawns from 3 threads failed, the first: %s", bad, first_failure);
    say("100 fork+exec beside 300 spawns: %ld failed", bad);
}

static const struct {
    const char *name;
    void (*fn)(void);
} sections[] = {
    {"filacts", sec_filacts}, {"vfork", sec_vfork},     {"system", sec_system},
    {"popen", sec_popen},     {"status", sec_status},   {"wnohang", sec_wnohang},
    {"sigchld", sec_sigchld}, {"waitid", sec_waitid},   {"groups", sec_groups},
    {"threads", sec_threads}, {"forks", sec_forks},   {"sigdef", sec_sigdef},
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
        fprintf(stderr, "spawn: unknown section '%s'\n", only);
        return 2;
    }
    printf("%s\n", failures ? "spawn: FAILED" : "spawn: all ok");
    return failures ? 1 : 0;
}
