/* exec_threads.c - execve from a program with other threads: they end
 * (Linux's de_thread), whatever they were doing, and the exec'ing thread,
 * main or not, goes on as the new image with the program's pid as its id.
 *
 *   exec_threads           each case in a forked child, in turn
 *   exec_threads image     (the exec'd image) one line about itself
 *
 * spin       a sibling spins in app code, another sleeps in usleep
 * blocked    siblings wait in a condvar, in epoll_wait and in read
 * fromthread a non-main thread execs while main waits in pause()
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char self[4096];
static const char *label;

static void exec_image(void)
{
    execl(self, self, "image", label, (char *)NULL);
    say("execl: %s", strerror(errno));
    _exit(127);
}

static void *spinner(void *a)
{
    (void)a;
    for (volatile unsigned long i = 0;; i++)
        ;
    return NULL;
}

static void *sleeper(void *a)
{
    (void)a;
    for (;;)
        usleep(1000);
    return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *waiter(void *a)
{
    (void)a;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static void *epoller(void *a)
{
    (void)a;
    int ep = epoll_create1(0);
    struct epoll_event ev;
    for (;;)
        epoll_wait(ep, &ev, 1, -1);
    return NULL;
}

static void *reader(void *a)
{
    int *p = a;
    char c;
    for (;;)
        read(p[0], &c, 1);
    return NULL;
}

static void *exec_from_thread(void *a)
{
    (void)a;
    usleep(20000);
    exec_image();
    return NULL;
}

static void run(const char *name)
{
    label = name;
    pthread_t t;
    static int p[2];
    if (!strcmp(name, "spin")) {
        pthread_create(&t, NULL, spinner, NULL);
        pthread_create(&t, NULL, sleeper, NULL);
    } else if (!strcmp(name, "blocked")) {
        CHECK(pipe(p) == 0, "pipe");
        pthread_create(&t, NULL, waiter, NULL);
        pthread_create(&t, NULL, epoller, NULL);
        pthread_create(&t, NULL, reader, p);
    } else {
        pthread_create(&t, NULL, exec_from_thread, NULL);
        for (;;)
            pause();
    }
    usleep(20000);
    exec_image();
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && !strcmp(argv[1], "image")) {
        say("%s: the new image runs, its thread id is the pid: %s", argv[2],
            syscall(SYS_gettid) == getpid() ? "yes" : "no");
        usleep(200000); /* time for an old thread left running to fault */
        say("%s: still running", argv[2]);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0, "readlink: %s", strerror(errno));
    self[n] = 0;
    const char *cases[] = { "spin", "blocked", "fromthread" };
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            run(cases[i]);
            _exit(126);
        }
        int st;
        waitpid(pid, &st, 0);
        say("%s: %s %d", cases[i], WIFEXITED(st) ? "exited" : "killed by", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    }
    /* And the instance's own first program, not a forked child. */
    run("spin");
    return 1;
}
