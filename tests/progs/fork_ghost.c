/* fork_ghost.c - a fork must not run the other programs' threads in the child: three fused programs.
 *
 *   fork_ghost server PORT   accepts one connection, holds it 1 s, closes it
 *   fork_ghost client PORT   connects, then waits in poll (50 ms at a time) until the server closes
 *   fork_ghost forker        forks 20 children that wait a moment, while the client waits
 *
 * In a forked child of the forker the server's socket is closed (it is not
 * the child's): that wakes the client's waiting thread, which must stay
 * stopped there. It ran instead, on an empty fd table (EBADF; redis master
 * and replica fused beside a shell crashed the runtime's timers).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static struct sockaddr_in addr(const char *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && !strcmp(argv[1], "server")) {
        struct sockaddr_in a = addr(argv[2]);
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1))
            return 2;
        int c = accept(s, NULL, NULL);
        msleep(1000);
        close(c);
        say("server: closed");
    } else if (argc > 2 && !strcmp(argv[1], "client")) {
        struct sockaddr_in a = addr(argv[2]);
        int c = -1;
        for (int i = 0; i < 500; i++) {
            c = socket(AF_INET, SOCK_STREAM, 0);
            if (!connect(c, (struct sockaddr *)&a, sizeof a))
                break;
            close(c);
            c = -1;
            msleep(10);
        }
        struct pollfd p = {c, POLLIN, 0};
        while (poll(&p, 1, 50) == 0)
            ;
        char b[16];
        ssize_t n = recv(c, b, sizeof b, 0);
        say("client: got %zd %s", n, n < 0 ? strerror(errno) : "");
    } else {
        msleep(200);
        for (int i = 0; i < 20; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                msleep(20); /* a child that waits lets its vCPU run what else is queued */
                _exit(0);
            }
            waitpid(pid, NULL, 0);
        }
        say("forker: done");
    }
    return 0;
}
