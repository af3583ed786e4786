/* socklib.h - what the socket, pipe and epoll test programs share (on top
 * of testlib.h): loopback TCP pairs, bounded waits for a readiness state,
 * symbolic event masks and errno names, full reads and writes, checksums.
 *
 * Every wait here is bounded (5 s) and prints a FAIL line when it runs out:
 * a lost wake-up shows as a failure, never as a hang. main() of each
 * program also arms alarm(7) (SIGALRM kills: status 142). */
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "testlib.h"

/* errno name ("EAGAIN"), or "0" for no error. */
static inline const char *ename(int e)
{
    if (e == 0)
        return "0";
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

/* "ret" of a call: the value if >= 0, else the errno name. */
static inline const char *rs(long r)
{
    static char b[4][32];
    static int i;
    char *p = b[i++ & 3];
    if (r < 0)
        snprintf(p, 32, "-1 %s", ename(errno));
    else
        snprintf(p, 32, "%ld", r);
    return p;
}

/* Symbolic poll/epoll mask, "-" for none. */
static inline const char *evs(unsigned m)
{
    static char b[4][128];
    static int i;
    char *p = b[i++ & 3];
    static const struct { unsigned bit; const char *n; } t[] = {
        {EPOLLIN, "IN"}, {EPOLLPRI, "PRI"}, {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"},
        {EPOLLHUP, "HUP"}, {EPOLLRDNORM, "RDNORM"}, {EPOLLRDBAND, "RDBAND"},
        {EPOLLWRNORM, "WRNORM"}, {EPOLLWRBAND, "WRBAND"}, {EPOLLMSG, "MSG"},
        {EPOLLRDHUP, "RDHUP"}, {POLLNVAL, "NVAL"},
    };
    p[0] = 0;
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (m & t[k].bit) {
            if (p[0])
                strcat(p, "|");
            strcat(p, t[k].n);
            m &= ~t[k].bit;
        }
    if (m)
        sprintf(p + strlen(p), "%s0x%x", p[0] ? "|" : "", m);
    if (!p[0])
        strcpy(p, "-");
    return p;
}

static inline void set_nb(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* poll revents of fd for ev, without waiting. */
static inline short revents(int fd, short ev)
{
    struct pollfd p = {fd, ev, 0};
    return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* Wait (at most 5 s) until poll reports all of `want` on fd. */
static inline int wait_ev_(const char *fn, int line, int fd, short want)
{
    short got = 0;
    for (int i = 0; i < 5000; i++) {
        struct pollfd p = {fd, (short)(want | POLLIN | POLLOUT | POLLRDHUP), 0};
        if (poll(&p, 1, 1) == 1 && ((got = p.revents) & want) == want)
            return got;
    }
    printf("FAIL %s:%d: fd never got %s (last %s)\n", fn, line, evs(want), evs(got));
    fflush(stdout);
    failures++;
    return got;
}
#define wait_ev(fd, want) wait_ev_(__func__, __LINE__, fd, want)

/* Wait (at most 5 s) until FIONREAD of fd reaches n. */
static inline int wait_inq_(const char *fn, int line, int fd, int n)
{
    int q = 0;
    for (int i = 0; i < 5000; i++) {
        if (ioctl(fd, FIONREAD, &q) == 0 && q >= n)
            return q;
        msleep(1);
    }
    printf("FAIL %s:%d: FIONREAD stayed %d < %d\n", fn, line, q, n);
    fflush(stdout);
    failures++;
    return q;
}
#define wait_inq(fd, n) wait_inq_(__func__, __LINE__, fd, n)

/* Read exactly n bytes (or to EOF/error); returns the count read. */
static inline ssize_t readn(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return got ? (ssize_t)got : r;
        got += r;
    }
    return got;
}

static inline ssize_t writen(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = write(fd, (const char *)buf + put, n - put);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return put ? (ssize_t)put : r;
        put += r;
    }
    return put;
}

/* Deterministic bytes: byte i of stream `seed`. */
static inline unsigned char pattern(uint64_t seed, uint64_t i)
{
    uint64_t x = (i >> 3) * 0x9E3779B97F4A7C15ull + seed;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (unsigned char)(x >> ((i & 7) * 8));
}

static inline void fill_pattern(unsigned char *b, size_t n, uint64_t seed, uint64_t off)
{
    for (size_t k = 0; k < n; k++)
        b[k] = pattern(seed, off + k);
}

/* FNV-1a, 64 bits, incremental. */
static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t k = 0; k < n; k++) {
        h ^= c[k];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV0 0xcbf29ce484222325ull

/* send_fd - data (a C string, at least one byte) with fd as SCM_RIGHTS:
 * 0, or -1 if not all of it went. */
static inline int send_fd(int sock, int fd, const char *data)
{
    char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
    struct iovec v = { (void *)data, strlen(data) };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(sock, &m, 0) == (ssize_t)v.iov_len ? 0 : -1;
}

/* recv_fd - one record (into data, len bytes with its NUL; data NULL: a
 * byte dropped) and the fd that came with it, or -1 if none did. */
static inline int recv_fd(int sock, char *data, size_t len, int flags)
{
    char ctl[CMSG_SPACE(sizeof(int) * 4)] = { 0 }, c;
    struct iovec v = { data ? data : &c, data ? len - 1 : 1 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    ssize_t n = recvmsg(sock, &m, flags);
    if (data)
        data[n > 0 ? n : 0] = 0;
    struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
    int fd = -1;
    if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(h), sizeof fd);
    return fd;
}

/* A TCP listener on 127.0.0.1, ephemeral port; *sa gets its address. */
static inline int tcp_listener(int backlog, struct sockaddr_in *sa)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, backlog)) {
        printf("FAIL tcp_listener: %s\n", ename(errno));
        failures++;
    }
    socklen_t len = sizeof a;
    getsockname(l, (struct sockaddr *)&a, &len);
    if (sa)
        *sa = a;
    return l;
}

static inline int tcp_connect(const struct sockaddr_in *sa)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (const struct sockaddr *)sa, sizeof *sa)) {
        printf("FAIL tcp_connect: %s\n", ename(errno));
        failures++;
    }
    return c;
}

/* A connected TCP pair over loopback: *c connected, *s accepted. */
static inline void tcp_pair(int *c, int *s)
{
    struct sockaddr_in sa;
    int l = tcp_listener(1, &sa);
    *c = tcp_connect(&sa);
    *s = accept(l, NULL, NULL);
    if (*s < 0) {
        printf("FAIL tcp_pair: accept %s\n", ename(errno));
        failures++;
    }
    close(l);
}

/* A UDP socket bound to 127.0.0.1, ephemeral port. */
static inline int udp_bound(struct sockaddr_in *sa)
{
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(u, (struct sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(u, (struct sockaddr *)&a, &len);
    if (sa)
        *sa = a;
    return u;
}

/* "127.0.0.1 port!=0" - an address without the ephemeral port's value. */
static inline const char *inaddr(const struct sockaddr_in *a)
{
    static char b[2][64];
    static int i;
    char *p = b[i++ & 1];
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(p, 64, "%s%s", ip, a->sin_port ? " port!=0" : " port=0");
    return p;
}

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}
