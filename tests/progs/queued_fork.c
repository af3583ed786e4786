/* queued_fork.c - two AF_UNIX listeners in an epoll set, each with a connection of the program's own not yet accepted (its client in the set too), then a fork per listener: each child accepts and reads, the parent drops the fds from the set (postfix's master). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 10))
        exit(2);
    return l;
}

static int trigger(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    fcntl(c, F_SETFL, O_NONBLOCK);
    if (connect(c, (struct sockaddr *)&a, sizeof a) || write(c, "W", 1) != 1 || write(c, "", 1) != 1)
        exit(3);
    return c;
}

int main(void)
{
    const char *paths[2] = { "qf.a", "qf.b" };
    int ep = epoll_create1(0), l[2], c[2];
    for (int i = 0; i < 2; i++) {
        l[i] = listener(paths[i]);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = l[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, l[i], &ev);
        c[i] = trigger(paths[i]);
        struct epoll_event ev2 = { .events = EPOLLIN, .data.fd = c[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i], &ev2);
    }
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            int s = accept(l[i], NULL, NULL);
            char buf[8];
            ssize_t r = s >= 0 ? read(s, buf, sizeof buf) : -1;
            close(s); /* the client in the parent hears EOF */
            _exit(r == 2 ? 0 : 1);
        }
        int d = epoll_ctl(ep, EPOLL_CTL_DEL, l[i], NULL);
        printf("DEL listener %d: %d %s\n", i, d, d < 0 ? strerror(errno) : "");
    }
    for (int i = 0; i < 2; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        printf("child %d accepted and read both bytes: %s\n", i, WIFEXITED(st) && !WEXITSTATUS(st) ? "yes" : "no");
    }
    /* Each client reports the close: dropped from the set as it does
     * (told in client order: the set may report them in either). */
    char said[2][64] = { "client 0: nothing", "client 1: nothing" };
    int left = 2;
    for (int round = 0; left && round < 4; round++) {
        struct epoll_event out[4];
        int n = epoll_wait(ep, out, 4, 2000);
        for (int k = 0; k < n; k++) {
            int i = out[k].data.fd == c[0] ? 0 : 1, d = epoll_ctl(ep, EPOLL_CTL_DEL, out[k].data.fd, NULL);
            char b;
            snprintf(said[i], sizeof said[i], "client %d: EOF %d, DEL %d %s", i, read(out[k].data.fd, &b, 1) == 0, d,
                     d < 0 ? strerror(errno) : "");
            left--;
        }
    }
    printf("%s\n%s\n", said[0], said[1]);
    unlink(paths[0]);
    unlink(paths[1]);
    return 0;
}
