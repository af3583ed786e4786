/* term_tree.c - a server that forks a helper and stops it itself on
 * SIGTERM (squid, kamailio): stopped by its pid (natively, `kill`), or as
 * the program left when the instance ends (pegasus --exit=first), the
 * helper's SIGTERM must come from its parent, not from outside beside
 * its parent's. Writes the file "ready" when both are set up. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, from;

static void on_term(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (!got)
        from = si->si_pid;
    got = 1;
}

int main(void)
{
    struct sigaction sa = { .sa_sigaction = on_term, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    sigaction(SIGTERM, &sa, NULL);
    int p[2];
    if (pipe(p))
        return 2;
    pid_t helper = fork();
    if (helper == 0) {
        close(p[0]);
        close(p[1]); /* the parent reads EOF: set up */
        while (!got)
            sigsuspend(&old);
        printf("helper: SIGTERM from its parent: %s\n", from == getppid() ? "yes" : "no");
        return 0;
    }
    close(p[1]);
    char c;
    (void)!read(p[0], &c, 1);
    fclose(fopen("ready", "w"));
    while (!got)
        sigsuspend(&old);
    printf("server: SIGTERM, stopping its helper\n");
    fflush(stdout);
    kill(helper, SIGTERM);
    int st;
    waitpid(helper, &st, 0);
    printf("server: helper exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
