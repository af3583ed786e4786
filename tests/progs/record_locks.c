/* record_locks: POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK, lockf)
 * between a program and the programs it spawns, which are processes of
 * their own to Linux (under pegasus, programs of one host process): each
 * owns its locks, conflicts and F_GETLK's holder are as Linux's, any close
 * of one of its fds on the file drops its locks, a waiting lock waits for
 * the other's unlock, the fd's access and SEEK_CUR are honoured.
 *
 *   record_locks            the parent (runs everything)
 *   record_locks try FILE START LEN TYPE PARENT   a child: F_GETLK, then F_SETLK
 *   record_locks wait FILE START LEN              a child: F_SETLKW, then says so
 *   record_locks waitsig FILE START LEN           the same, a SA_RESTART handler running meanwhile
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *ename(long r)
{
    return r < 0 ? strerrorname_np(errno) : "ok";
}

static int lock(int fd, int cmd, short type, off_t start, off_t len, short whence)
{
    struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}

static int run(char *const argv[])
{
    pid_t pid;
    int r = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ), st;
    if (r) {
        fprintf(stderr, "posix_spawn: %s\n", strerror(r));
        exit(2);
    }
    fflush(stdout);
    waitpid(pid, &st, 0);
    return WEXITSTATUS(st);
}

static int try(const char *file, const char *start, const char *len, const char *type, const char *parent)
{
    int fd = open(file, O_RDWR);
    short t = !strcmp(type, "w") ? F_WRLCK : F_RDLCK;
    struct flock fl = { .l_type = t, .l_whence = SEEK_SET, .l_start = atol(start), .l_len = atol(len) };
    if (fcntl(fd, F_GETLK, &fl) < 0)
        printf("  child: F_GETLK %s\n", ename(-1));
    else if (fl.l_type == F_UNLCK)
        printf("  child: F_GETLK [%s,+%s) %s: free\n", start, len, type);
    else
        printf("  child: F_GETLK [%s,+%s) %s: held (%s) by %s, from %ld\n", start, len, type,
               fl.l_type == F_WRLCK ? "write" : "read", fl.l_pid == atoi(parent) ? "the parent" : "someone else",
               (long)fl.l_start);
    int r = lock(fd, F_SETLK, t, atol(start), atol(len), SEEK_SET);
    printf("  child: F_SETLK [%s,+%s) %s: %s\n", start, len, type, ename(r));
    fflush(stdout);
    return 0;
}

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

static int wait_lock(const char *file, const char *start, const char *len, int sig)
{
    int fd = open(file, O_RDWR);
    if (sig) { /* a handler with SA_RESTART runs while it waits: the wait goes on */
        struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
        sigaction(SIGALRM, &sa, NULL);
        struct itimerval it = { { 0, 0 }, { 0, 100000 } };
        setitimer(ITIMER_REAL, &it, NULL);
    }
    int r = lock(fd, F_SETLKW, F_WRLCK, atol(start), atol(len), SEEK_SET);
    printf("  child: F_SETLKW [%s,+%s): %s, after the parent's unlock%s\n", start, len, ename(r),
           sig ? (ticks ? ", a handler having run" : ", no handler ran") : "");
    fflush(stdout);
    return 0;
}

/* Children that drop root before locking a root-owned file they cannot
 * open again (vsftpd's log, apache's mutex file): the first locks and
 * unlocks, then the second must get the lock while the first still lives. */
static void setuid_children(void)
{
    if (geteuid() != 0) {
        printf("setuid children: not root, not tried\n");
        return;
    }
    const char *file = "record_locks.root";
    unlink(file);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int go[2], done[2];
    if (fd < 0 || pipe(go) || pipe(done))
        return;
    char b = 0;
    pid_t first = fork();
    if (first == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(2);
        printf("setuid children: the first locks: %s", ename(lock(fd, F_SETLKW, F_WRLCK, 0, 0, SEEK_SET)));
        printf(", unlocks: %s\n", ename(lock(fd, F_SETLK, F_UNLCK, 0, 0, SEEK_SET)));
        fflush(stdout);
        write(go[1], "u", 1);
        read(done[0], &b, 1); /* lives on until the second has tried */
        _exit(0);
    }
    read(go[0], &b, 1);
    pid_t second = fork();
    if (second == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(2);
        printf("setuid children: the second, while the first lives: %s\n",
               ename(lock(fd, F_SETLK, F_WRLCK, 0, 0, SEEK_SET)));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(second, &st, 0);
    write(done[1], "d", 1);
    waitpid(first, &st, 0);
    /* Spawned programs (under pegasus, beside this one in its host
     * process): one locks as nobody; another, holding nothing, unlocks:
     * the first's lock stays. (Both live on until it is tested: the
     * kernel's lock that serves one that cannot reopen the file is its
     * host process's, which a sibling's close of the file would drop.) */
    printf("spawned children:\n");
    char a1[16], a2[16], a3[16];
    snprintf(a1, sizeof a1, "%d", fd);
    snprintf(a2, sizeof a2, "%d", go[1]);
    snprintf(a3, sizeof a3, "%d", done[0]);
    pid_t holder, unlocker;
    fflush(stdout);
    if (posix_spawn(&holder, "/proc/self/exe", NULL, NULL,
                    (char *[]){ "record_locks", "holdsetuid", a1, a2, a3, NULL }, environ))
        return;
    read(go[0], &b, 1);
    if (posix_spawn(&unlocker, "/proc/self/exe", NULL, NULL,
                    (char *[]){ "record_locks", "unlocknothing", a1, a2, a3, NULL }, environ))
        return;
    read(go[0], &b, 1);
    int t = open(file, O_RDONLY);
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
    fcntl(t, F_GETLK, &fl);
    printf("  the lock, tested by this one: %s\n", fl.l_type == F_UNLCK ? "free" : "held");
    fflush(stdout);
    close(t);
    write(done[1], "dd", 2);
    waitpid(holder, &st, 0);
    waitpid(unlocker, &st, 0);
    close(fd);
    unlink(file);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "holdsetuid")) { /* FD GO DONE: lock as nobody, hold */
        char b = 0;
        if (setgid(65534) || setuid(65534))
            return 2;
        printf("  spawned, as nobody: locks: %s\n", ename(lock(atoi(argv[2]), F_SETLK, F_WRLCK, 0, 0, SEEK_SET)));
        fflush(stdout);
        write(atoi(argv[3]), "l", 1);
        read(atoi(argv[4]), &b, 1);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "unlocknothing")) { /* FD GO DONE: unlock, live on */
        char b = 0;
        printf("  spawned, holding nothing: unlocks: %s\n", ename(lock(atoi(argv[2]), F_SETLK, F_UNLCK, 0, 0, SEEK_SET)));
        fflush(stdout);
        write(atoi(argv[3]), "u", 1);
        read(atoi(argv[4]), &b, 1);
        return 0;
    }
    if (argc == 7 && !strcmp(argv[1], "try"))
        return try(argv[2], argv[3], argv[4], argv[5], argv[6]);
    if (argc == 5 && !strcmp(argv[1], "wait"))
        return wait_lock(argv[2], argv[3], argv[4], 0);
    if (argc == 5 && !strcmp(argv[1], "waitsig"))
        return wait_lock(argv[2], argv[3], argv[4], SIGALRM);
    const char *file = "record_locks.dat";
    char me[16];
    snprintf(me, sizeof me, "%d", getpid());
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 4096)) {
        perror(file);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    printf("a write lock on [0,100):\n");
    printf("  parent: F_SETLK %s\n", ename(lock(fd, F_SETLK, F_WRLCK, 0, 100, SEEK_SET)));
    run((char *[]){ "record_locks", "try", (char *)file, "10", "10", "w", me, NULL });
    run((char *[]){ "record_locks", "try", (char *)file, "10", "10", "r", me, NULL });
    run((char *[]){ "record_locks", "try", (char *)file, "200", "10", "w", me, NULL });
    printf("  parent: its own F_GETLK [0,+10) w: ");
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    fcntl(fd, F_GETLK, &fl);
    printf("%s\n", fl.l_type == F_UNLCK ? "free (its own lock never conflicts)" : "held");

    printf("a lock a forked child holds:\n");
    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        return 2;
    pid_t kid = fork();
    if (kid == 0) {
        char b;
        lock(fd, F_SETLK, F_WRLCK, 3000, 10, SEEK_SET);
        write(ready[1], "r", 1);
        read(go[0], &b, 1);
        _exit(0);
    }
    char b;
    read(ready[0], &b, 1);
    struct flock kf = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 3005, .l_len = 1 };
    fcntl(fd, F_GETLK, &kf);
    printf("  parent: F_GETLK [3005,+1) r: %s, l_pid the child's %d\n", kf.l_type == F_WRLCK ? "write-locked" : "?",
           kf.l_pid == kid);
    write(go[1], "g", 1);
    waitpid(kid, NULL, 0);

    printf("read locks share:\n");
    printf("  parent: F_SETLK read [0,100) %s\n", ename(lock(fd, F_SETLK, F_RDLCK, 0, 100, SEEK_SET)));
    run((char *[]){ "record_locks", "try", (char *)file, "0", "10", "r", me, NULL });
    run((char *[]){ "record_locks", "try", (char *)file, "0", "10", "w", me, NULL });

    printf("any close of the file drops them all:\n");
    int other = open(file, O_RDONLY);
    close(other);
    run((char *[]){ "record_locks", "try", (char *)file, "0", "10", "w", me, NULL });

    printf("SEEK_CUR is the fd's offset:\n");
    lseek(fd, 1000, SEEK_SET);
    printf("  parent: F_SETLK write at +0 from 1000, 10 bytes: %s\n", ename(lock(fd, F_SETLK, F_WRLCK, 0, 10, SEEK_CUR)));
    run((char *[]){ "record_locks", "try", (char *)file, "1000", "10", "w", me, NULL });
    run((char *[]){ "record_locks", "try", (char *)file, "0", "10", "w", me, NULL });

    printf("lockf is the same lock:\n");
    lseek(fd, 2000, SEEK_SET);
    printf("  parent: lockf F_TLOCK 100 bytes at 2000: %s\n", ename(lockf(fd, F_TLOCK, 100)));
    run((char *[]){ "record_locks", "try", (char *)file, "2050", "1", "w", me, NULL });
    printf("  parent: lockf F_ULOCK: %s\n", ename(lockf(fd, F_ULOCK, 100)));
    run((char *[]){ "record_locks", "try", (char *)file, "2050", "1", "w", me, NULL });

    printf("the fd's access:\n");
    int ro = open(file, O_RDONLY);
    printf("  parent: write lock on a read-only fd: %s\n", ename(lock(ro, F_SETLK, F_WRLCK, 3000, 1, SEEK_SET)));
    printf("  parent: bad type: %s\n", ename(lock(fd, F_SETLK, 42, 3000, 1, SEEK_SET)));
    printf("  parent: read lock on a read-only fd: %s\n", ename(lock(ro, F_SETLK, F_RDLCK, 3000, 1, SEEK_SET)));

    for (int sig = 0; sig < 2; sig++) {
        printf("a waiting lock%s:\n", sig ? ", a handler with SA_RESTART running meanwhile" : "");
        printf("  parent: F_SETLK [3500,+10): %s\n", ename(lock(fd, F_SETLK, F_WRLCK, 3500, 10, SEEK_SET)));
        pid_t pid;
        char *wargv[] = { "record_locks", sig ? "waitsig" : "wait", (char *)file, "3500", "10", NULL };
        posix_spawn(&pid, "/proc/self/exe", NULL, NULL, wargv, environ);
        struct timespec ts = { 0, 300 * 1000000L };
        nanosleep(&ts, NULL);
        printf("  parent: unlocks\n");
        fflush(stdout);
        lock(fd, F_SETLK, F_UNLCK, 3500, 10, SEEK_SET);
        int st;
        waitpid(pid, &st, 0);
    }

    printf("a POSIX test sees the fd's own OFD lock:\n");
    printf("  parent: F_OFD_SETLK [3900,+10): %s\n", ename(lock(fd, F_OFD_SETLK, F_WRLCK, 3900, 10, SEEK_SET)));
    fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 3900, .l_len = 1 };
    fcntl(fd, F_GETLK, &fl);
    printf("  parent: F_GETLK [3900,+1) w through the same fd: %s, pid %d\n",
           fl.l_type == F_UNLCK ? "free" : "held", (int)fl.l_pid);
    lock(fd, F_OFD_SETLK, F_UNLCK, 3900, 10, SEEK_SET);

    printf("pipes and sockets:\n");
    int pp[2], sv[2];
    if (pipe(pp) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 2;
    printf("  F_SETLK write on a pipe's write end: %s\n", ename(lock(pp[1], F_SETLK, F_WRLCK, 0, 0, SEEK_SET)));
    printf("  F_SETLK read on its read end: %s\n", ename(lock(pp[0], F_SETLK, F_RDLCK, 0, 0, SEEK_SET)));
    printf("  F_SETLK write on a unix socket: %s\n", ename(lock(sv[0], F_SETLK, F_WRLCK, 0, 0, SEEK_SET)));
    printf("  lockf F_TLOCK on the pipe: %s\n", ename(lockf(pp[1], F_TLOCK, 0)));
    printf("  F_SETLK bad type on the pipe: %s\n", ename(lock(pp[1], F_SETLK, 42, 0, 0, SEEK_SET)));
    fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
    const char *got = ename(fcntl(sv[1], F_GETLK, &fl));
    printf("  F_GETLK on the socket: %s, %s\n", got, fl.l_type == F_UNLCK ? "free" : "held");
    unlink(file);
    setuid_children();
    return 0;
}
