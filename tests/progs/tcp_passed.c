/* tcp_passed.c - a TCP connection between fused programs, accepted in a
 * forked child and passed to its parent by SCM_RIGHTS (libuv's
 * ipc_tcp_connection, node's cluster): in the parent it is still TCP, with
 * its addresses and options (it said AF_UNIX, and libuv took it for a
 * pipe), and its bytes flow both ways. IPv4, then IPv6. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void send_fd(int s, int fd, unsigned short port)
{
    struct iovec iov = { &port, sizeof port };
    char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    if (sendmsg(s, &m, 0) != sizeof port)
        perror("sendmsg");
}

static int recv_fd(int s, unsigned short *port)
{
    struct iovec iov = { port, sizeof *port };
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    if (recvmsg(s, &m, 0) != sizeof *port)
        return -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    int fd = -1;
    if (cm && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
}

static unsigned short port_of(const struct sockaddr_storage *a)
{
    return ntohs(a->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)a)->sin6_port : ((struct sockaddr_in *)a)->sin_port);
}

static void pass_one(int family)
{
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    pid_t child = fork();
    if (child == 0) {
        struct sockaddr_storage a = { 0 };
        socklen_t al = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (family == AF_INET6) {
            ((struct sockaddr_in6 *)&a)->sin6_family = AF_INET6;
            ((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
        } else {
            ((struct sockaddr_in *)&a)->sin_family = AF_INET;
            ((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
        int l = socket(family, SOCK_STREAM, 0), c = socket(family, SOCK_STREAM, 0);
        if (bind(l, (void *)&a, al) || listen(l, 1) || getsockname(l, (void *)&a, &al) || connect(c, (void *)&a, al))
            _exit(2);
        int s = accept(l, NULL, NULL);
        struct sockaddr_storage me;
        socklen_t ml = sizeof me;
        getsockname(c, (void *)&me, &ml);
        send_fd(sp[1], s, port_of(&me));
        close(s);
        char b[8] = { 0 };
        if (write(c, "ping", 4) != 4 || read(c, b, sizeof b - 1) <= 0)
            _exit(3);
        printf("  the child read back: %s\n", b);
        fflush(stdout);
        _exit(0);
    }
    unsigned short cport = 0;
    int r = recv_fd(sp[0], &cport);
    struct stat st;
    fstat(r, &st);
    struct sockaddr_storage me = { 0 }, peer = { 0 };
    socklen_t ml = sizeof me, pl = sizeof peer;
    int gs = getsockname(r, (void *)&me, &ml), gp = getpeername(r, (void *)&peer, &pl);
    char host[64] = "?";
    if (me.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, host, sizeof host);
    else if (me.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, host, sizeof host);
    int dom = 0, proto = 0, type = 0, one = 1, nodelay = 0;
    socklen_t il = sizeof dom;
    getsockopt(r, SOL_SOCKET, SO_DOMAIN, &dom, &il);
    il = sizeof proto;
    getsockopt(r, SOL_SOCKET, SO_PROTOCOL, &proto, &il);
    il = sizeof type;
    getsockopt(r, SOL_SOCKET, SO_TYPE, &type, &il);
    int sn = setsockopt(r, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    il = sizeof nodelay;
    getsockopt(r, IPPROTO_TCP, TCP_NODELAY, &nodelay, &il);
    printf("%s: a socket %d; getsockname %d family %s %s; getpeername %d, the child's port %s\n",
           family == AF_INET6 ? "IPv6" : "IPv4", S_ISSOCK(st.st_mode), gs,
           me.ss_family == AF_INET ? "AF_INET" : me.ss_family == AF_INET6 ? "AF_INET6" : "other", host, gp,
           port_of(&peer) == cport ? "yes" : "no");
    printf("  SO_DOMAIN %s, SO_PROTOCOL %s, SO_TYPE %d; TCP_NODELAY set %d, reads %d\n",
           dom == family ? "the family" : "other", proto == IPPROTO_TCP ? "TCP" : "other", type, sn, nodelay);
    char b[8] = { 0 };
    if (read(r, b, 4) == 4)
        printf("  the parent read: %s\n", b);
    fflush(stdout);
    if (write(r, "pong", 4) != 4)
        printf("  write failed\n");
    waitpid(child, NULL, 0);
    close(r);
    close(sp[0]);
    close(sp[1]);
}

int main(void)
{
    pass_one(AF_INET);
    pass_one(AF_INET6);
    return 0;
}
