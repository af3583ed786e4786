/* fork_rights.c - files in flight (SCM_RIGHTS not yet received) across a
 * fork, which moves the in-memory sockets that carry them into the
 * kernel: each still arrives, and works. The child exits at once; the
 * parent receives. (They were dropped: the bytes came, with no fd.)
 *
 *   fork_rights   stream, seqpacket and datagram pairs; a socket sent
 *                 over its own connection; a connection not accepted yet;
 *                 two pairs each carrying the other's end (the move of
 *                 one led back to the other and waited on its own lock
 *                 for good: only the bytes are compared, the second fd
 *                 of such a cycle is left out under pegasus)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "socklib.h"

static int failures;

static void fork_now(void)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    waitpid(p, NULL, 0);
}

/* A pipe's read end and an eventfd, each with its record. */
static void pair_case(const char *name, int type)
{
    int sv[2], pp[2];
    socketpair(AF_UNIX, type, 0, sv);
    (void)!pipe(pp);
    int efd = eventfd(7, 0);
    send_fd(sv[1], pp[0], "pipe");
    send_fd(sv[1], efd, "efd");
    close(pp[0]);
    close(efd);
    fork_now();
    char b[64];
    int f1 = recv_fd(sv[0], b, sizeof b, MSG_DONTWAIT);
    printf("%s: \"%s\" fd %s", name, b, f1 >= 0 ? "came" : "MISSING");
    if (f1 >= 0) {
        (void)!write(pp[1], "x", 1);
        char c = 0;
        printf(", reads %s", read(f1, &c, 1) == 1 && c == 'x' ? "what the pipe got" : "nothing");
    }
    int f2 = recv_fd(sv[0], b, sizeof b, MSG_DONTWAIT);
    printf("; \"%s\" fd %s", b, f2 >= 0 ? "came" : "MISSING");
    uint64_t v = 0;
    if (f2 >= 0)
        printf(", counter %llu", read(f2, &v, 8) == 8 ? (unsigned long long)v : 0ull);
    printf("\n");
    failures += f1 < 0 || f2 < 0;
    close(f1);
    close(f2);
    close(pp[1]);
    close(sv[0]);
    close(sv[1]);
}

/* sv[0] sent over sv[1] to itself. */
static void self_case(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    send_fd(sv[1], sv[0], "me");
    fork_now();
    char b[64];
    int f = recv_fd(sv[0], b, sizeof b, MSG_DONTWAIT);
    struct stat st;
    printf("itself: \"%s\" fd %s", b, f >= 0 ? "came" : "MISSING");
    if (f >= 0 && !fstat(f, &st)) {
        (void)!write(sv[1], "y", 1);
        char c = 0;
        printf(", a socket %d, reads %s", S_ISSOCK(st.st_mode), read(f, &c, 1) == 1 && c == 'y' ? "its peer" : "nothing");
    }
    printf("\n");
    failures += f < 0;
    close(f);
    close(sv[0]);
    close(sv[1]);
}

/* A client's record with an fd, its connection not accepted at the fork. */
static void queued_case(void)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "rights.sock");
    unlink(a.sun_path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 4);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    int efd = eventfd(3, 0);
    send_fd(c, efd, "queued");
    close(efd);
    fork_now();
    int s = accept(l, NULL, NULL);
    struct pollfd p = { s, POLLIN, 0 };
    poll(&p, 1, 2000);
    char b[64];
    int f = recv_fd(s, b, sizeof b, MSG_DONTWAIT);
    uint64_t v = 0;
    printf("not accepted: \"%s\" fd %s", b, f >= 0 ? "came" : "MISSING");
    if (f >= 0)
        printf(", counter %llu", read(f, &v, 8) == 8 ? (unsigned long long)v : 0ull);
    printf("\n");
    failures += f < 0;
    close(f);
    close(s);
    close(c);
    close(l);
    unlink(a.sun_path);
}

static void cross_case(void)
{
    int a[2], b[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, a);
    socketpair(AF_UNIX, SOCK_STREAM, 0, b);
    send_fd(a[1], b[0], "b0");
    send_fd(b[1], a[0], "a0");
    fork_now();
    char x[64], y[64];
    int f1 = recv_fd(a[0], x, sizeof x, MSG_DONTWAIT), f2 = recv_fd(b[0], y, sizeof y, MSG_DONTWAIT);
    printf("a cycle: \"%s\" and \"%s\" came\n", x, y);
    close(f1);
    close(f2);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

int main(void)
{
    pair_case("stream", SOCK_STREAM);
    pair_case("seqpacket", SOCK_SEQPACKET);
    pair_case("datagram", SOCK_DGRAM);
    self_case();
    queued_case();
    cross_case();
    printf("failures: %d\n", failures);
    return failures != 0;
}
