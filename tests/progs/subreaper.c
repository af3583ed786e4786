/* subreaper: PR_SET_CHILD_SUBREAPER. A middle program asks to be a
 * subreaper, spawns a child that spawns a grandchild and exits at once:
 * the orphaned grandchild is the middle one's to reap (getppid says so
 * too), not the first program's, and without the request it is not.
 *
 *   subreaper            (top) runs the middle one twice: with and without
 *   subreaper middle ON  (middle) the test proper
 *   subreaper maker      spawns the orphan, prints nothing, exits
 *   subreaper orphan PID sleeps a little, then says whether its parent is PID
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

static pid_t spawn(char *const argv[])
{
    pid_t pid;
    int r = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ);
    if (r) {
        fprintf(stderr, "posix_spawn: %s\n", strerror(r));
        exit(2);
    }
    return pid;
}

static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int middle(int on)
{
    char self[16];
    snprintf(self, sizeof self, "%d", getpid());
    if (on && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
        perror("prctl");
    int got = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &got, 0, 0, 0);
    printf("subreaper %s: PR_GET_CHILD_SUBREAPER says %d\n", on ? "on" : "off", got);
    pid_t maker = spawn((char *[]){ "subreaper", "maker", self, NULL });
    int st;
    pid_t w = waitpid(maker, &st, 0);
    printf("  the maker reaped: %s, status %d\n", w == maker ? "yes" : "no", WEXITSTATUS(st));
    /* The orphan is ours only if we are a subreaper. */
    w = waitpid(-1, &st, 0);
    if (w > 0)
        printf("  then reaped one more (the orphan), status %d\n", WEXITSTATUS(st));
    else
        printf("  then: %s\n", errno == ECHILD ? "ECHILD" : strerror(errno));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "middle"))
        return middle(atoi(argv[2]));
    if (argc >= 3 && !strcmp(argv[1], "maker")) {
        spawn((char *[]){ "subreaper", "orphan", argv[2], NULL });
        return 3;
    }
    if (argc >= 3 && !strcmp(argv[1], "orphan")) {
        for (int i = 0; i < 60 && getppid() != atoi(argv[2]); i++)
            nap(5); /* until the maker has gone and we were adopted */
        printf("  the orphan's parent is the middle one: %s\n", getppid() == atoi(argv[2]) ? "yes" : "no");
        fflush(stdout);
        return 7;
    }
    /* top: both variants, one after the other; then whatever orphan came
     * this way (the off variant's, natively to init) is waited for. */
    for (int on = 1; on >= 0; on--) {
        pid_t m = spawn((char *[]){ "subreaper", "middle", on ? "1" : "0", NULL });
        int st;
        waitpid(m, &st, 0);
        nap(on ? 0 : 1500); /* the off variant's orphan (300 ms) prints before we end */
    }
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    return 0;
}
