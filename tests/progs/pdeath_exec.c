/* pdeath_exec.c - PR_SET_PDEATHSIG set before an exec of the same fixed-
 * address image (built non-PIE: pegasus runs such an exec in a host
 * process of its own, the program's old one standing in for it): the
 * exec keeps it, and the parent's death sends it. The top starts the
 * middle with vfork+exec, the middle the grandchild the same way; the
 * top then kills the middle (SIGTERM, SIGKILL: the stand-in's process
 * that holds the middle lives on for the grandchild) or tells it to exit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "grandchild")) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        int got = 0;
        prctl(PR_GET_PDEATHSIG, &got);
        printf("grandchild: PR_GET_PDEATHSIG after the exec: %s\n", got == SIGUSR1 ? "SIGUSR1" : "none");
        fflush(stdout);
        (void)!write(3, "r", 1); /* ready */
        struct timespec ts = { 5, 0 };
        int sig = sigtimedwait(&s, NULL, &ts);
        printf("grandchild: %s\n", sig == SIGUSR1 ? "got SIGUSR1 at its parent's end" : "no signal");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "middle")) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigprocmask(SIG_BLOCK, &s, NULL); /* the grandchild inherits it blocked: sigtimedwait */
        if (vfork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            execl("/proc/self/exe", "pdeath_exec", "grandchild", (char *)0);
            _exit(127);
        }
        char c;
        (void)!read(0, &c, 1); /* until told, or killed */
        _exit(0);
    }
    static const int sigs[] = { 0, SIGTERM, SIGKILL };
    for (volatile int i = 0; i < 3; i++) {
        int killed = sigs[i];
        int ready[2], go[2];
        if (pipe(ready) || pipe(go))
            return 2;
        pid_t m = vfork();
        if (m == 0) {
            dup2(go[0], 0);
            dup2(ready[1], 3);
            execl("/proc/self/exe", "pdeath_exec", "middle", (char *)0);
            _exit(127);
        }
        close(ready[1]);
        close(go[0]);
        char c;
        (void)!read(ready[0], &c, 1);
        printf("the middle %s%s\n", killed ? "is killed by " : "exits", killed ? sigabbrev_np(killed) : "");
        fflush(stdout);
        if (killed)
            kill(m, killed);
        else
            (void)!write(go[1], "x", 1);
        waitpid(m, NULL, 0);
        (void)!read(ready[0], &c, 1); /* EOF: the grandchild ended */
        close(ready[0]);
        close(go[1]);
    }
    return 0;
}
