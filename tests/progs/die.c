/* Ways to end a process; the exit status is what is compared.
 *
 *   die segv      null write, no handler          -> killed by SIGSEGV (139)
 *   die abort     abort()                          -> SIGABRT (134)
 *   die exit42    exit(42) after flushing stdio    -> 42
 *   die _exit7    _exit(7) with unflushed stdio    -> 7, the buffered text is lost
 *   die kill      raise(SIGKILL)                   -> 137
 *   die term      kill(getpid(), SIGTERM)          -> 143
 *   die fpe       integer division by zero         -> 136
 *   die ill       ud2                              -> 132
 *   die blocked-segv  null write with SIGSEGV blocked -> still 139
 *   die ignored-segv  null write with SIGSEGV ignored -> still 139
 *   die atexit    exit(3) runs an atexit handler that prints -> 3
 *   die return    return 200 from main             -> 200
 *   die exit256   exit(256)                        -> 0 (status is 8 bits)
 * Each prints one line before it dies. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void at_exit_handler(void)
{
    printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    printf("die %s\n", m);
    fflush(stdout);

    if (!strcmp(m, "segv")) {
        *(volatile int *)0 = 1;
    } else if (!strcmp(m, "abort")) {
        abort();
    } else if (!strcmp(m, "exit42")) {
        printf("buffered text is flushed by exit\n");
        exit(42);
    } else if (!strcmp(m, "_exit7")) {
        printf("this buffered text is lost");
        _exit(7);
    } else if (!strcmp(m, "kill")) {
        raise(SIGKILL);
    } else if (!strcmp(m, "term")) {
        kill(getpid(), SIGTERM);
    } else if (!strcmp(m, "fpe")) {
        int q, d = 0;
        __asm__ volatile("cltd; idivl %2" : "=a"(q) : "a"(7), "r"(d) : "rdx");
        printf("%d\n", q);
    } else if (!strcmp(m, "ill")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(m, "blocked-segv")) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        *(volatile int *)0 = 1;
    } else if (!strcmp(m, "ignored-segv")) {
        signal(SIGSEGV, SIG_IGN);
        *(volatile int *)0 = 1;
    } else if (!strcmp(m, "atexit")) {
        atexit(at_exit_handler);
        exit(3);
    } else if (!strcmp(m, "return")) {
        return 200;
    } else if (!strcmp(m, "exit256")) {
        exit(256);
    } else {
        fprintf(stderr, "die: unknown mode '%s'\n", m);
        return 2;
    }
    printf("still alive\n");
    return 99;
}
