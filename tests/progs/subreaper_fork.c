/* subreaper_fork: PR_SET_CHILD_SUBREAPER across forks. A reaper forks a
 * middle that forks a grandchild and exits: the orphaned grandchild is
 * the reaper's (getppid says so, its wait reaps it and its status), while
 * it runs (the wait blocks until it ends) and after it ended unwaited (a
 * zombie by then). The reaper is a program spawned beside the first one,
 * the first program (both in the instance's main process), then a forked
 * child (a host process of its own); without the request that child's
 * wait finds no orphan.
 *
 *   subreaper_fork   runs it all, prints what each reaper saw
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* orphan_of - fork a middle that forks the orphan and exits 3; the orphan
 * waits to be orphaned, says (through a pipe) whether its parent is now
 * reaper, lingers linger_ms and exits 7. The middle is reaped here. Returns the orphan's
 * pid (read from the middle through a pipe); done is the read end of a
 * pipe the orphan holds open until it ends. */
static pid_t orphan_of(pid_t reaper, long linger_ms, int *done)
{
    int said[2], held[2];
    if (pipe(said) || pipe(held))
        exit(2);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t me = getpid();
        pid_t o = fork();
        if (o == 0) {
            close(said[1]);
            close(held[0]);
            for (int i = 0; i < 600 && getppid() == me; i++)
                nap(5);
            char yes = getppid() == reaper ? 'y' : 'n';
            if (write(held[1], &yes, 1) != 1)
                _exit(2);
            nap(linger_ms);
            _exit(7);
        }
        if (write(said[1], &o, sizeof(o)) != sizeof(o))
            _exit(2);
        _exit(3);
    }
    close(said[1]);
    close(held[1]);
    pid_t o = -1;
    if (read(said[0], &o, sizeof(o)) != sizeof(o))
        exit(2);
    close(said[0]);
    int st;
    pid_t w = waitpid(middle, &st, 0);
    printf("    middle reaped: %s, status %d\n", w == middle ? "yes" : "no", WEXITSTATUS(st));
    char yes = 0;
    if (read(held[0], &yes, 1) != 1)
        exit(2);
    printf("    orphan: its parent is the reaper: %s\n", yes == 'y' ? "yes" : "no");
    *done = held[0];
    return o;
}

/* reap_orphans - as reaper (asked: on): one orphan waited for while it
 * runs, one after it ended. */
static void reap_orphans(int on)
{
    if (on && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
        perror("prctl");
    pid_t me = getpid();
    for (int ended = 0; ended <= 1; ended++) {
        printf("  %s, the orphan %s:\n", on ? "subreaper" : "not a subreaper", ended ? "ended first" : "running");
        fflush(stdout);
        int done;
        pid_t o = orphan_of(me, ended ? 0 : 300, &done);
        if (ended) {
            char c;
            while (read(done, &c, 1) > 0)
                ;
            nap(200); /* its end reaches the reaper */
        }
        int st = 0;
        pid_t w = waitpid(-1, &st, 0);
        if (w > 0)
            printf("    then reaped the orphan: %s, status %d\n", w == o ? "yes" : "another", WEXITSTATUS(st));
        else
            printf("    then: %s\n", errno == ECHILD ? "ECHILD" : strerror(errno));
        if (!on) {
            char c;
            while (read(done, &c, 1) > 0)
                ;
        }
        close(done);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) { /* spawned: a reaper beside the first program */
        reap_orphans(1);
        return 0;
    }
    printf("a spawned program:\n");
    pid_t sp;
    if (posix_spawn(&sp, "/proc/self/exe", NULL, NULL, (char *[]){ argv[0], "spawned", NULL }, environ))
        return 2;
    waitpid(sp, NULL, 0);
    printf("the first program:\n");
    reap_orphans(1);
    for (int on = 1; on >= 0; on--) {
        printf("a forked child:\n");
        pid_t r = fork();
        if (r == 0) {
            reap_orphans(on);
            _exit(0);
        }
        int st;
        waitpid(r, &st, 0);
        printf("  it exited %d\n", WEXITSTATUS(st));
    }
    return 0;
}
