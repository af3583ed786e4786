/* testlib.h - what the sectioned test programs share: CHECK, say, msleep,
 * and running the sections named on the command line (all by default).
 * Header-only: each program is one file. */
#pragma once
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures;
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond);             \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* One line of output, flushed at once: a hang later loses nothing. One
 * write even unbuffered, so that programs sharing a file never split
 * each other's lines. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stdout);
    fflush(stdout);
}

/* timespec_after - t plus ns (ns >= 0). */
static inline struct timespec timespec_after(struct timespec t, long ns)
{
    t.tv_nsec += ns % 1000000000L;
    t.tv_sec += ns / 1000000000L + t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

/* msleep - sleep ms milliseconds of wall time, handlers or not: to a
 * deadline, so that signals arriving faster than they are handled cannot
 * keep restarting the sleep from its start. */
static inline void msleep(long ms)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct timespec dl = timespec_after(now, ms * 1000000L);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == EINTR)
        ;
}

/* on_signal - install fn for sig with flags (SA_RESTART...), empty mask. */
static inline void on_signal(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

struct section {
    const char *name;
    void (*fn)(void);
};

/* run_sections - run the sections named in argv (all if none), in table
 * order; print the failure count; exit status 1 if any, 2 for a bad name. */
static inline int run_sections(const char *prog, int argc, char **argv, const struct section *sec, size_t n)
{
    for (int a = 1; a < argc; a++) {
        size_t i;
        for (i = 0; i < n && strcmp(argv[a], sec[i].name); i++)
            ;
        if (i == n) {
            fprintf(stderr, "%s: unknown section %s\n", prog, argv[a]);
            return 2;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int run = argc < 2;
        for (int a = 1; a < argc; a++)
            run |= !strcmp(argv[a], sec[i].name);
        if (run)
            sec[i].fn();
    }
    say("failures: %d", failures);
    return failures ? 1 : 0;
}
