/* mlockall.c - mlockall and munlockall of a program: its own memory, within RLIMIT_MEMLOCK, MCL_FUTURE's mappings. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void said(const char *what, long r)
{
    say("%s: %ld %s", what, r, r < 0 ? strerror(errno) : "");
}

/* A mapping of mb MiB: made, or the errno. */
static void map(const char *what, size_t mb)
{
    void *m = mmap(NULL, mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    said(what, m == MAP_FAILED ? -1 : 0);
    if (m != MAP_FAILED)
        munmap(m, mb << 20);
}

/* Unprivileged, with the usual 8 MiB: the program fits, and MCL_FUTURE
 * holds each mapping to what is left. */
static void unprivileged(void)
{
    struct rlimit rl = { 8 << 20, 8 << 20 };
    setrlimit(RLIMIT_MEMLOCK, &rl);
    if (getuid() == 0 && setresuid(65534, 65534, 65534)) {
        say("setresuid failed");
        return;
    }
    said("mlockall current and future", mlockall(MCL_CURRENT | MCL_FUTURE));
    map("then 1 MiB", 1);
    map("then 16 MiB", 16);
    char *brk0 = sbrk(0);
    said("the break up 1 MiB", sbrk(1 << 20) == (void *)-1 ? -1 : 0);
    sbrk(-(1 << 20));
    (void)brk0;
    said("munlockall", munlockall());
    map("then 16 MiB", 16);
    said("mlockall future on fault", mlockall(MCL_FUTURE | MCL_ONFAULT));
    map("then 1 MiB", 1);
    said("munlockall", munlockall());
}

int main(void)
{
    said("no flags", mlockall(0));
    said("MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
    said("flag 64", mlockall(64));
    pid_t pid = fork();
    if (pid == 0) {
        unprivileged();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    /* Privileged (as the suite runs in CI): all of it, then none. */
    if (getuid() == 0) {
        said("root: mlockall current", mlockall(MCL_CURRENT));
        said("root: munlockall", munlockall());
    }
    return 0;
}
