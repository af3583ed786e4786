/* cont_pending.c - SIGCONT while the program blocks it (it stays pending): it still continues a stop, and a later stop flushes it (prepare_signal), for a program beside its parent. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *st(int s)
{
    static char b[64];
    if (WIFSTOPPED(s))
        snprintf(b, sizeof b, "stopped by %s", sigabbrev_np(WSTOPSIG(s)));
    else if (WIFCONTINUED(s))
        snprintf(b, sizeof b, "continued");
    else if (WIFEXITED(s))
        snprintf(b, sizeof b, "exit %d", WEXITSTATUS(s));
    else
        snprintf(b, sizeof b, "killed by %s", sigabbrev_np(WTERMSIG(s)));
    return b;
}

static int child(void)
{
    sigset_t c;
    sigemptyset(&c);
    sigaddset(&c, SIGCONT);
    sigprocmask(SIG_BLOCK, &c, NULL);
    raise(SIGCONT);         /* pending, blocked */
    raise(SIGSTOP);         /* flushes it: a stop */
    sigset_t p;
    sigpending(&p);
    printf("child: after the first continue, SIGCONT pending %d\n", sigismember(&p, SIGCONT));
    fflush(stdout);
    raise(SIGSTOP);         /* again, with that SIGCONT pending */
    sigpending(&p);
    printf("child: after the second continue, SIGCONT pending %d\n", sigismember(&p, SIGCONT));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child();
    setvbuf(stdout, NULL, _IONBF, 0);
    alarm(10);
    char *args[] = { argv[0], "child", NULL };
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ))
        return 2;
    int s;
    for (int round = 1; round <= 2; round++) {
        waitpid(pid, &s, WUNTRACED);
        printf("round %d: %s\n", round, st(s));
        syscall(SYS_tgkill, pid, pid, SIGCONT); /* pending (blocked) at round 2 too */
        waitpid(pid, &s, WCONTINUED);
        printf("round %d: %s\n", round, st(s));
    }
    waitpid(pid, &s, 0);
    printf("child: %s\n", st(s));
    return 0;
}
