/* vpid.c - virtual pids where a pid appears: pid files, ids across forks, F_SETOWN, CPU-time clocks.
 *
 *   vpid pidfile FILE   write getpid() to FILE, wait for SIGTERM (from
 *                       outside: the test's shell kills the pid in FILE)
 *   vpid forkpidfile FILE   the same in a forked child (a daemon's way),
 *                       which its parent waits for
 *   vpid [SECTION...]   the sections (ids, siblings, owner, cpuclock, zombie,
 *                       relative, strings); exit 0 if
 *                       every check held, else 1
 * Output never shows a pid: those differ between Linux and pegasus.
 */
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static volatile sig_atomic_t got;
static void on_term(int sig) { got = sig; }

/* pidfile: the pid a program reports is the one `kill` outside reaches. */
static int pidfile(const char *path)
{
    on_signal(SIGTERM, on_term, 0);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) || rename(tmp, path)) {
        perror("pidfile");
        return 2;
    }
    for (int i = 0; i < 1000 && !got; i++)
        msleep(10);
    say(got == SIGTERM ? "got SIGTERM" : "no signal");
    return got == SIGTERM ? 0 : 1;
}

static void *report_tid(void *arg)
{
    int *tid = arg;
    *tid = (int)syscall(SYS_gettid);
    return NULL;
}

static int thread_tid(void)
{
    int tid = 0;
    pthread_t t;
    if (pthread_create(&t, NULL, report_tid, &tid) == 0)
        pthread_join(t, NULL);
    return tid;
}

/* ids: a forked child and its parent, each making threads and children
 * after the fork, never hand out the same id. */
static void sec_ids(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
    pid_t c = fork();
    if (c == 0) {
        int ids[8];
        for (int i = 0; i < 4; i++)
            ids[i] = thread_tid();
        for (int i = 4; i < 8; i++) {
            pid_t g = fork();
            if (g == 0)
                _exit(0);
            ids[i] = g;
            waitpid(g, NULL, 0);
        }
        write(p[1], ids, sizeof(ids));
        _exit(0);
    }
    int mine[8], theirs[8];
    for (int i = 0; i < 4; i++)
        mine[i] = thread_tid();
    for (int i = 4; i < 8; i++) {
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        mine[i] = g;
        waitpid(g, NULL, 0);
    }
    CHECK(read(p[0], theirs, sizeof(theirs)) == sizeof(theirs), "read: %s", strerror(errno));
    waitpid(c, NULL, 0);
    /* Ids of ended threads and reaped children may come back; these were
     * all alive together only pairwise, so compare what was live: each
     * side's ids against the other's and the parent's own. */
    int same = 0, bad = 0;
    for (int i = 0; i < 8; i++) {
        bad += mine[i] <= 0 || theirs[i] <= 0 || theirs[i] == getpid() || mine[i] == c ||
               theirs[i] == c;
        for (int j = 0; j < 8; j++)
            same += mine[i] == theirs[j];
    }
    CHECK(!bad, "an id is the parent's or the child's");
    /* Linux may reuse a freed id, but not at once: in a few dozen ids on a
     * quiet pid space, none is given to both. */
    CHECK(same == 0, "%d ids given out in both processes", same);
    say("ids: parent and child ids distinct");
}

static volatile sig_atomic_t usr1, usr2;
static void on_usr1(int sig) { (void)sig; usr1 = 1; }
static void on_usr2(int sig) { (void)sig; usr2 = 1; }

static int exit_code(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* siblings: forked programs in different host processes signal each
 * other by pid: a sibling, and a grandchild its grandparent. */
static void sec_siblings(void)
{
    on_signal(SIGUSR1, on_usr1, 0);
    on_signal(SIGUSR2, on_usr2, 0);
    pid_t a = fork();
    if (a == 0) {
        for (int i = 0; i < 500 && !usr1; i++)
            msleep(10);
        _exit(usr1 ? 0 : 1);
    }
    pid_t b = fork();
    if (b == 0)
        _exit(kill(a, SIGUSR1) == 0 ? 0 : 1);
    say("siblings: sender exited %d", exit_code(b));
    say("siblings: receiver exited %d", exit_code(a));
    pid_t top = getpid(), c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0)
            _exit(kill(top, SIGUSR2) == 0 ? 0 : 1);
        _exit(exit_code(g));
    }
    say("grandchild: exited %d", exit_code(c));
    for (int i = 0; i < 500 && !usr2; i++)
        msleep(10);
    say("grandparent: %s", usr2 ? "got SIGUSR2" : "no signal");
}

static int owner_of(int fd) { return fcntl(fd, F_GETOWN); }

/* owner: F_SETOWN/F_GETOWN(_EX) with the caller's ids. */
static void owner_check(const char *what, int fd)
{
    CHECK(fcntl(fd, F_SETOWN, getpid()) == 0, "%s F_SETOWN pid: %s", what, strerror(errno));
    CHECK(owner_of(fd) == getpid(), "%s F_GETOWN %d", what, owner_of(fd));
    CHECK(fcntl(fd, F_SETOWN, -getpgrp()) == 0, "%s F_SETOWN pgrp: %s", what, strerror(errno));
    CHECK(owner_of(fd) == -getpgrp(), "%s F_GETOWN %d", what, owner_of(fd));
    struct f_owner_ex ex = { F_OWNER_TID, (pid_t)syscall(SYS_gettid) }, back = { 0, 0 };
    CHECK(fcntl(fd, F_SETOWN_EX, &ex) == 0, "%s F_SETOWN_EX tid: %s", what, strerror(errno));
    CHECK(fcntl(fd, F_GETOWN_EX, &back) == 0 && back.type == F_OWNER_TID && back.pid == ex.pid,
          "%s F_GETOWN_EX %d %d", what, back.type, back.pid);
    ex = (struct f_owner_ex){ F_OWNER_PID, getpid() };
    CHECK(fcntl(fd, F_SETOWN_EX, &ex) == 0, "%s F_SETOWN_EX pid: %s", what, strerror(errno));
    CHECK(fcntl(fd, F_GETOWN_EX, &back) == 0 && back.type == F_OWNER_PID && back.pid == getpid(),
          "%s F_GETOWN_EX %d %d", what, back.type, back.pid);
    CHECK(fcntl(fd, F_SETOWN, 0) == 0 && owner_of(fd) == 0, "%s F_SETOWN 0", what);
    say("owner %s: set and read back", what);
}

static void sec_owner(void)
{
    int fd = open("vpid-owner.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int p[2], s[2];
    CHECK(fd >= 0 && pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "setup: %s",
          strerror(errno));
    owner_check("file", fd);
    owner_check("pipe", p[0]);
    owner_check("socket", s[0]);
    /* An id that names nothing: ESRCH, as Linux. */
    errno = 0;
    CHECK(fcntl(fd, F_SETOWN, 0x3ffffff) < 0 && errno == ESRCH, "no such pid: %s", strerror(errno));
    struct f_owner_ex ex = { F_OWNER_TID, 0x3ffffff };
    errno = 0;
    CHECK(fcntl(fd, F_SETOWN_EX, &ex) < 0 && errno == ESRCH, "no such tid: %s", strerror(errno));
    close(fd), close(p[0]), close(p[1]), close(s[0]), close(s[1]);
    unlink("vpid-owner.txt");
}

static double secs(clockid_t clk)
{
    struct timespec t = { 0, 0 };
    CHECK(clock_gettime(clk, &t) == 0, "clock_gettime(%d): %s", (int)clk, strerror(errno));
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void busy(double s)
{
    double until = secs(CLOCK_THREAD_CPUTIME_ID) + s;
    volatile unsigned long x = 0;
    while (secs(CLOCK_THREAD_CPUTIME_ID) < until)
        for (int i = 0; i < 10000; i++)
            x += i;
}

static volatile int spin_stop;
static void *spinner(void *arg)
{
    (void)arg;
    busy(0.05);
    while (!spin_stop)
        msleep(1);
    return NULL;
}

/* cpuclock: the clock ids glibc makes from a pid or a thread. */
static void sec_cpuclock(void)
{
    clockid_t me, proc, other;
    struct timespec res;
    CHECK(pthread_getcpuclockid(pthread_self(), &me) == 0, "pthread_getcpuclockid");
    CHECK(clock_getres(me, &res) == 0, "clock_getres thread: %s", strerror(errno));
    double a = secs(me);
    busy(0.05);
    double b = secs(me);
    CHECK(a > 0 && b >= a + 0.04, "thread clock %f then %f", a, b);
    CHECK(clock_getcpuclockid(getpid(), &proc) == 0, "clock_getcpuclockid(getpid())");
    CHECK(clock_getres(proc, &res) == 0, "clock_getres process: %s", strerror(errno));
    double pa = secs(proc);
    busy(0.02);
    double pb = secs(proc);
    CHECK(pa >= b - 0.01 && pb > pa, "process clock %f then %f (thread %f)", pa, pb, b);
    /* A timer on the process clock. */
    timer_t tm;
    struct sigevent sev = { .sigev_notify = SIGEV_NONE };
    struct itimerspec its = { { 0, 0 }, { 5, 0 } }, left;
    CHECK(timer_create(proc, &sev, &tm) == 0, "timer_create on the process clock: %s", strerror(errno));
    CHECK(timer_settime(tm, 0, &its, NULL) == 0 && timer_gettime(tm, &left) == 0 &&
          left.it_value.tv_sec >= 4, "timer on the process clock");
    timer_delete(tm);
    CHECK(clock_getcpuclockid(0, &proc) == 0 && secs(proc) > 0, "clock_getcpuclockid(0)");
    /* Another thread's clock: its own time, not the caller's. */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, spinner, NULL) == 0, "pthread_create");
    CHECK(pthread_getcpuclockid(t, &other) == 0, "pthread_getcpuclockid other");
    /* Until it has run 40 ms (a loaded machine gives it less than the
     * wall time): its clock, not the caller's, which sleeps meanwhile. */
    double me0 = secs(me), o = 0;
    for (int i = 0; i < 200 && (o = secs(other)) < 0.04; i++)
        msleep(25);
    double mine = secs(me) - me0;
    CHECK(o >= 0.04 && o <= secs(proc) && mine < o, "other thread's clock %f (the caller's moved %f)", o, mine);
    spin_stop = 1;
    pthread_join(t, NULL);
    say("cpuclock: thread and process clocks run");
}

/* zombie: a child that ended and is not yet waited for is in /proc, as a
 * zombie (state Z, no command line, no exe), until its parent reaps it. */
static int slurp_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int n = (int)read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static bool listed(pid_t pid)
{
    DIR *d = opendir("/proc");
    bool found = false;
    for (struct dirent *e; d && (e = readdir(d));)
        found |= atoi(e->d_name) == pid;
    if (d)
        closedir(d);
    return found;
}

static void zombie_check(const char *how, pid_t c)
{
    siginfo_t si = { 0 };
    while (waitid(P_PID, c, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    CHECK(si.si_pid == c, "%s: waitid WNOWAIT gave pid %d", how, si.si_pid);
    char path[64], buf[4096], link[256];
    snprintf(path, sizeof(path), "/proc/%d", c);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "%s: stat %s: %s", how, path, strerror(errno));
    CHECK(listed(c), "%s: not listed in /proc", how);
    snprintf(path, sizeof(path), "/proc/%d/stat", c);
    CHECK(slurp_file(path, buf, sizeof(buf)) > 0, "%s: read %s: %s", how, path, strerror(errno));
    char *close_paren = strrchr(buf, ')');
    int ppid = -1;
    char state = close_paren ? close_paren[2] : '?';
    if (close_paren)
        sscanf(close_paren + 4, "%d", &ppid);
    CHECK(atoi(buf) == c && ppid == getpid(), "%s: stat says pid %d ppid %d", how, atoi(buf), ppid);
    snprintf(path, sizeof(path), "/proc/%d/status", c);
    CHECK(slurp_file(path, buf, sizeof(buf)) > 0, "%s: read %s: %s", how, path, strerror(errno));
    char *line = strstr(buf, "\nState:");
    char want_pid[32];
    snprintf(want_pid, sizeof(want_pid), "\nPid:\t%d\n", c);
    CHECK(strstr(buf, want_pid), "%s: status has no %s line", how, "Pid");
    snprintf(path, sizeof(path), "/proc/%d/cmdline", c);
    int cmdline = slurp_file(path, buf, sizeof(buf));
    snprintf(path, sizeof(path), "/proc/%d/exe", c);
    int exe = readlink(path, link, sizeof(link)) < 0 ? errno : 0;
    int alive = kill(c, 0);
    say("%s: state %c, status %.*s, cmdline %d bytes, exe %s, kill 0: %d", how, state,
        line ? (int)strcspn(line + 8, "\n") : 4, line ? line + 8 : "none", cmdline,
        exe ? strerror(exe) : "a link", alive);
    int code = exit_code(c);
    snprintf(path, sizeof(path), "/proc/%d", c);
    int gone = access(path, F_OK) < 0 ? errno : 0;
    int dead = kill(c, 0) < 0 ? errno : 0;
    say("%s: reaped (exit %d): /proc entry %s, kill 0: %s", how, code,
        gone ? strerror(gone) : "still there", dead ? strerror(dead) : "ok");
}

/* umask: a forked child's /proc/PID/status shows its umask (its host
 * process's own is the runtime's). */
static void sec_umask(void)
{
    int ready[2], go[2];
    CHECK(!pipe(ready) && !pipe(go), "pipe");
    pid_t c = fork();
    if (c == 0) {
        umask(027);
        char b;
        write(ready[1], "r", 1);
        read(go[0], &b, 1);
        _exit(0);
    }
    char b, path[64], buf[4096];
    read(ready[0], &b, 1);
    snprintf(path, sizeof(path), "/proc/%d/status", c);
    CHECK(slurp_file(path, buf, sizeof(buf)) > 0, "read %s", path);
    char *u = strstr(buf, "\nUmask:");
    say("the forked child's %.*s", u ? (int)strcspn(u + 1, "\n") : 4, u ? u + 1 : "none");
    write(go[1], "g", 1);
    waitpid(c, NULL, 0);
}

static void sec_zombie(void)
{
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    zombie_check("forked", c);
    char *argv[] = { "true", NULL }, *envp[] = { NULL };
    CHECK(posix_spawn(&c, "/bin/true", NULL, NULL, argv, envp) == 0, "posix_spawn failed");
    zombie_check("spawned", c);
}

/* relative: /proc reached by a relative path or a directory fd (rsync
 * walks "/proc/self/fd/2" one component at a time from an fd of "/"),
 * as the program's own, not the host process that runs it. */
static bool self_link(int dirfd, const char *path, const char *how)
{
    char link[64], want[32];
    ssize_t n = readlinkat(dirfd, path, link, sizeof(link) - 1);
    snprintf(want, sizeof(want), "%d", getpid());
    link[n > 0 ? n : 0] = 0;
    CHECK(n > 0 && !strcmp(link, want), "%s: readlinkat %s gave \"%s\" (%s), want %s", how, path, link,
          n < 0 ? strerror(errno) : "ok", want);
    return n > 0 && !strcmp(link, want);
}

static bool stat_pid(int dirfd, const char *path, const char *how)
{
    char buf[512];
    int fd = openat(dirfd, path, O_RDONLY);
    int n = fd < 0 ? -1 : (int)read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    CHECK(n > 0 && atoi(buf) == getpid(), "%s: %s names pid %d, want %d", how, path, n > 0 ? atoi(buf) : -1,
          getpid());
    return n > 0 && atoi(buf) == getpid();
}

static void relative_checks(void)
{
    int root = open("/", O_PATH | O_DIRECTORY);
    int proc = openat(root, "proc", O_PATH | O_DIRECTORY | O_NOFOLLOW);
    CHECK(root >= 0 && proc >= 0, "open / and proc O_PATH: %s", strerror(errno));
    say("from an fd of /: link %d, stat %d", self_link(root, "proc/self", "root fd"),
        stat_pid(root, "proc/self/stat", "root fd"));
    say("from an O_PATH fd of proc: link %d, stat %d", self_link(proc, "self", "proc fd"),
        stat_pid(proc, "self/stat", "proc fd"));
    int abs = open("/proc", O_PATH | O_DIRECTORY);
    struct stat st;
    char ents[256];
    long g = syscall(SYS_getdents64, abs, ents, sizeof(ents));
    say("O_PATH /proc: link %d, directory %d, getdents64 %s", self_link(abs, "self", "O_PATH /proc"),
        fstat(abs, &st) == 0 && S_ISDIR(st.st_mode), g < 0 ? strerror(errno) : "listed");
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL, "getcwd: %s", strerror(errno));
    CHECK(chdir("/") == 0, "chdir /: %s", strerror(errno));
    struct stat a, b;
    say("cwd /: link %d, stat %d, same directory %d", self_link(AT_FDCWD, "proc/self", "cwd /"),
        stat_pid(AT_FDCWD, "proc/self/stat", "cwd /"),
        stat("proc/self", &a) == 0 && stat("/proc/self", &b) == 0 && a.st_ino == b.st_ino);
    CHECK(fchdir(abs) == 0, "fchdir O_PATH /proc: %s", strerror(errno));
    say("fchdir to it: link %d", self_link(AT_FDCWD, "self", "fchdir"));
    CHECK(chdir(cwd) == 0, "chdir back: %s", strerror(errno));
    close(abs);
    close(proc);
    close(root);
}

/* In a spawned program: the instance's first program has the host
 * process's pid, so only another one tells the two apart. */
static void sec_relative(void)
{
    pid_t c;
    char *argv[] = { "vpid", "relative-checks", NULL };
    extern char **environ;
    CHECK(posix_spawn(&c, "/proc/self/exe", NULL, NULL, argv, environ) == 0, "posix_spawn failed");
    CHECK(exit_code(c) == 0, "the spawned program's checks failed");
}

/* strings: /proc/PID/environ and cmdline are the program's, whichever host
 * process runs it (a forked child's, read by its parent: not pegasus's
 * own environment); a program that wrote over its argv area (setproctitle,
 * perl's $0) shows that title alone, as Linux does when the area's last
 * byte is no longer NUL. */
static char *arg_lo, *arg_hi; /* main's argv area */

static int slurp_at(pid_t pid, const char *what, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
    return slurp_file(path, buf, size);
}

/* set_title - title over the argv area (write), cut to what the area
 * holds with its NUL and one byte more, which stays 'x' (a title, not
 * arguments, for Linux); what cmdline should then show, with its NUL, in
 * want, and its length. */
static size_t set_title(const char *title, char *want, bool write)
{
    size_t area = (size_t)(arg_hi - arg_lo), n = strlen(title);
    if (n + 2 > area)
        n = area - 2;
    if (write) {
        memset(arg_lo, 'x', area);
        memcpy(arg_lo, title, n);
        arg_lo[n] = 0;
    }
    memcpy(want, title, n);
    want[n] = 0;
    return n + 1;
}

static void sec_strings(void)
{
    char buf[4096];
    int p[2];
    CHECK(pipe(p) == 0, "pipe: %s", strerror(errno));
    pid_t c = fork();
    if (c == 0) {
        char want[32];
        int len = (int)set_title("vpid-title", want, true);
        int n = slurp_at(getpid(), "cmdline", buf, sizeof(buf));
        CHECK(n == len && !memcmp(buf, want, (size_t)len), "own cmdline after the title: %d bytes '%.*s'", n,
              n > 0 ? n : 0, buf);
        char *argv[] = { "sleep", "5", NULL }, *envp[] = { "A=1", "B=two", NULL };
        close(p[0]);
        fcntl(p[1], F_SETFD, FD_CLOEXEC);
        execve("/bin/sleep", argv, envp);
        _exit(127);
    }
    close(p[1]);
    CHECK(read(p[0], buf, 1) == 0, "the child's exec"); /* EOF at its exec */
    close(p[0]);
    int n = slurp_at(c, "environ", buf, sizeof(buf));
    CHECK(n == 10 && !memcmp(buf, "A=1\0B=two\0", 10), "the child's environ: %d bytes", n);
    n = slurp_at(c, "cmdline", buf, sizeof(buf));
    CHECK(n == 8 && !memcmp(buf, "sleep\0" "5\0", 8), "the child's cmdline: %d bytes", n);
    say("a forked child's environ and cmdline after its exec: as it set them");
    kill(c, SIGTERM);
    exit_code(c);
    char want[32];
    int len = (int)set_title("vpid-child-title", want, false);
    c = fork();
    if (c == 0) {
        set_title("vpid-child-title", want, true);
        for (;;)
            pause();
    }
    for (int i = 0; i < 500; i++) {
        n = slurp_at(c, "cmdline", buf, sizeof(buf));
        if (n == len && !memcmp(buf, want, (size_t)len))
            break;
        msleep(10);
    }
    CHECK(n == len && !memcmp(buf, want, (size_t)len), "a titled child's cmdline: %d bytes '%.*s'", n,
          n > 0 ? n : 0, buf);
    say("a forked child's title: read alone");
    kill(c, SIGTERM);
    exit_code(c);
}

static const struct section sections[] = {
    { "ids", sec_ids },
    { "siblings", sec_siblings },
    { "owner", sec_owner },
    { "cpuclock", sec_cpuclock },
    { "zombie", sec_zombie }, { "umask", sec_umask },
    { "relative", sec_relative },
    { "strings", sec_strings },
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    arg_lo = argv[0];
    arg_hi = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
    if (argc == 3 && !strcmp(argv[1], "pidfile"))
        return pidfile(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "relative-checks")) {
        relative_checks();
        return failures ? 1 : 0;
    }
    if (argc == 3 && !strcmp(argv[1], "forkpidfile")) {
        pid_t c = fork();
        if (c == 0)
            _exit(pidfile(argv[2]));
        int st = 0;
        while (waitpid(c, &st, 0) < 0 && errno == EINTR)
            ;
        say("child: exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return 0;
    }
    return run_sections("vpid", argc, argv, sections, sizeof sections / sizeof sections[0]);
}
