/* udp_fork_reply.c - a UDP server (a program of its own) answers each datagram from a forked child; the client's socket was never bound (socat UDP-RECVFROM,fork). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* server: fd 3 is its bound socket; each datagram is answered by a child. */
static int server(int rounds)
{
    char buf[64];
    for (int i = 0; i < rounds; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(3, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return 1;
        pid_t p = fork();
        if (p == 0) {
            int k = snprintf(buf, sizeof buf, "reply%d", i);
            _exit(sendto(3, buf, (size_t)k, 0, (struct sockaddr *)&from, fl) == k ? 0 : 1);
        }
        int st;
        waitpid(p, &st, 0);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "server"))
        return server(atoi(argv[2]));
    setvbuf(stdout, NULL, _IONBF, 0);
    alarm(20);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &al))
        return 2;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, s, 3);
    char *args[] = { argv[0], "server", "4", NULL };
    pid_t srv;
    if (posix_spawn(&srv, "/proc/self/exe", &fa, NULL, args, environ))
        return 2;
    close(s);
    /* Two rounds from a socket sendto bound, two from one connect bound. */
    int c = socket(AF_INET, SOCK_DGRAM, 0), k = socket(AF_INET, SOCK_DGRAM, 0);
    connect(k, (struct sockaddr *)&a, sizeof a);
    for (int i = 0; i < 4; i++) {
        int fd = i < 2 ? c : k;
        if (i < 2)
            sendto(c, "ping", 4, 0, (struct sockaddr *)&a, sizeof a);
        else
            send(k, "ping", 4, 0);
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, 5000);
        char buf[64] = "";
        ssize_t n = r > 0 ? recv(fd, buf, sizeof buf - 1, 0) : -1;
        printf("round %d (%s): poll %d, got %s\n", i, i < 2 ? "sendto" : "connected", r, n > 0 ? buf : "nothing");
    }
    int st;
    waitpid(srv, &st, 0);
    printf("server: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
