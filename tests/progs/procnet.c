/* procnet.c - /proc/net/tcp and /proc/net/unix list this program's sockets: a
 * listener, both ends of a connection to it, a socketpair, a bound UNIX
 * socket, each found by the inode /proc/self/fd shows, with its state.
 * Prints what it found; exits 0 if every socket was found. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static unsigned long ino_of(int fd)
{
    char p[64], t[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, t, sizeof t - 1);
    t[n > 0 ? n : 0] = 0;
    unsigned long ino = 0;
    sscanf(t, "socket:[%lu]", &ino);
    return ino;
}

/* The state column of fd's line in /proc/net/FILE (tcp: st in hex; unix:
 * St), or -1 if no line has its inode. */
static int state_in(const char *file, int fd)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/net/%s", file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -2;
    unsigned long want = ino_of(fd);
    int st = -1;
    while (st < 0 && fgets(line, sizeof line, f)) {
        unsigned long ino;
        unsigned s;
        if (!strcmp(file, "unix")) {
            if (sscanf(line, "%*s %*x %*x %*x %*x %x %lu", &s, &ino) == 2 && ino == want)
                st = (int)s;
        } else if (sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &s, &ino) == 2 && ino == want) {
            st = (int)s;
        }
    }
    fclose(f);
    return st;
}

int main(void)
{
    int fails = 0;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4) || getsockname(l, (struct sockaddr *)&a, &al))
        return 2;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a))
        return 2;
    int s = accept(l, NULL, NULL);
    int sv[2];
    if (s < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 2;
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "procnet-%d.sock", (int)getpid());
    unlink(un.sun_path);
    if (bind(u, (struct sockaddr *)&un, sizeof un))
        return 2;
    const struct { const char *what, *file; int fd; } socks[] = {
        {"tcp listener", "tcp", l}, {"tcp client", "tcp", c}, {"tcp accepted", "tcp", s},
        {"socketpair end 0", "unix", sv[0]}, {"socketpair end 1", "unix", sv[1]}, {"bound unix dgram", "unix", u},
    };
    for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++) {
        int st = state_in(socks[i].file, socks[i].fd);
        printf("%s: %s\n", socks[i].what, st < 0 ? "not listed" : "listed");
        printf("  state %02X\n", st);
        fails += st < 0;
    }
    unlink(un.sun_path);
    return fails ? 1 : 0;
}
