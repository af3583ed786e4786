/* dgram_fork.c - a bound AF_UNIX datagram socket and a client connected to it, then a fork: the child reads what was queued and what the parent sends after (postfix's postlog). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/*   dgram_fork QUEUED   QUEUED 1: a datagram waits at the fork */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int queued = argc > 1 && atoi(argv[1]);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "dgram.sock");
    unlink(a.sun_path);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(s, (struct sockaddr *)&a, sizeof a)) {
        printf("bind: %s\n", strerror(errno));
        return 1;
    }
    fcntl(s, F_SETFL, O_NONBLOCK);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = s };
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) {
        printf("connect: %s\n", strerror(errno));
        return 1;
    }
    if (queued)
        printf("parent: sent before the fork %zd\n", send(c, "early", 5, 0));
    int go[2];
    if (pipe(go))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        int r = dup2(s, 20);
        printf("child: dup2 %d %s\n", r, r < 0 ? strerror(errno) : "");
        char b;
        if (read(go[0], &b, 1) != 1) /* the parent sent its second */
            _exit(1);
        for (int i = 0; i < 1 + queued; i++) {
            struct pollfd p = { 20, POLLIN, 0 };
            char buf[64];
            int pr = poll(&p, 1, 2000);
            ssize_t n = pr > 0 ? recv(20, buf, sizeof buf, MSG_DONTWAIT) : -1;
            printf("child: poll %d, recv %zd %.*s\n", pr, n, n > 0 ? (int)n : 0, buf);
        }
        _exit(0);
    }
    ssize_t n = send(c, "late", 4, 0);
    if (write(go[1], "g", 1) != 1)
        return 1;
    int st;
    waitpid(pid, &st, 0);
    printf("parent: sent after the fork %zd; the child exited %d\n", n, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    /* And the parent's own copy still hears the client. */
    printf("parent: sent again %zd\n", send(c, "again", 5, 0));
    struct epoll_event out;
    int w = epoll_wait(ep, &out, 1, 2000);
    char buf[64];
    ssize_t got = w > 0 ? recv(s, buf, sizeof buf, 0) : -1;
    printf("parent: epoll %d, recv %zd %.*s\n", w, got, got > 0 ? (int)got : 0, buf);
    unlink(a.sun_path);
    return 0;
}
