/* Two programs that talk through local sockets: a server and a client,
 * run natively as two processes started together, and under pegasus as
 * two fused programs (`pegasus run --exit=all -- client ::: server`).
 * They meet through files in the current directory (the server writes its
 * port, or binds its UNIX path; the client waits for it, bounded, and
 * retries connect). The client prints to stdout; the server writes its
 * lines to LOG, which the test shows after both ended.
 *
 *   sock_fused KIND client
 *   sock_fused KIND server LOG
 *
 * tcp        echo of 8 MB (a writer thread beside the reader), checksums
 * unix       the same over a UNIX stream socket on a path
 * udp        100 numbered pings, each answered by the server
 * rights     the server passes a pipe's read end by SCM_RIGHTS and writes
 *            into the pipe; the client reads it to EOF
 * many       100 client threads connect at once and echo 3000 bytes each;
 *            the server runs one epoll loop
 * unixdgram  50 datagrams (one empty) between two bound UNIX dgram paths;
 *            the server answers each to the sender's name, uppercased
 * epollconnect  tcp, the client's socket in an epoll set before connect()
 * stalepeer  (roles swapped: the first program listens) a stale socket
 *            file: the second's connect is refused, then succeeds on the
 *            same socket once the first listens there; SO_PEERCRED names
 *            the second (a refused connect made the socket the kernel's,
 *            and its peer was the instance's host process)
 * listenrace (roles swapped) 100 times the first program binds and
 *            listens on a fresh path while the second retries connect on
 *            it without pause: each connection's SO_PEERCRED names the
 *            second (a connect that looked before the listen and reached
 *            the kernel after it was joined through the host)
 * halfclose  the client sends 100000 bytes and shuts down its write side;
 *            the server counts to EOF, answers, closes; the client reads
 *            the answer and then EOF
 * greet      UNIX stream, the server speaks first (postfix's services):
 *            it answers each connection with a line after 100 ms; the
 *            client waits for it in epoll_wait, then in poll, then in a
 *            blocking read (a socket connected to a listener outside sat
 *            in epoll sets as a user-space item no kernel readiness woke:
 *            the wait ran to its timeout)
 * sigio      the server owns its connection with O_ASYNC and F_SETSIG,
 *            and sleeps in sigwaitinfo: each of the client's 20 lines and
 *            its close come as signals (POLL_IN, then POLL_HUP or POLL_IN)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "socklib.h"

static FILE *out;

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fflush(out);
}

static void put_file(const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

static int wait_file(const char *path)
{
    for (int i = 0; i < 2000; i++) {
        if (access(path, F_OK) == 0)
            return 0;
        msleep(5);
    }
    logline("FAIL timed out waiting for %s", path);
    failures++;
    return -1;
}

static int get_port(const char *path)
{
    if (wait_file(path))
        return 0;
    FILE *f = fopen(path, "r");
    int p = 0;
    if (!f || fscanf(f, "%d", &p) != 1)
        p = 0;
    if (f)
        fclose(f);
    return p;
}

/* connect, retrying refusals for up to 10 s */
static int connect_retry(int domain, int type, const struct sockaddr *sa, socklen_t len)
{
    for (int i = 0; i < 2000; i++) {
        int c = socket(domain, type, 0);
        if (connect(c, sa, len) == 0)
            return c;
        int e = errno;
        close(c);
        if (e != ECONNREFUSED && e != ENOENT) {
            logline("FAIL connect: %s", ename(e));
            failures++;
            return -1;
        }
        msleep(5);
    }
    logline("FAIL connect: still refused");
    failures++;
    return -1;
}

/* epoll_connect - nginx's way to an upstream: a non-blocking socket in an
 * epoll set (edge-triggered) before connect(); the set reports it
 * writable once connected. The socket, blocking again, or -1. */
static int epoll_connect(const char *portfile)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sa.sin_port = htons(get_port(portfile));
    int ep = epoll_create1(0), c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    int r = connect(c, (struct sockaddr *)&sa, sizeof sa);
    if (r && errno != EINPROGRESS) {
        logline("FAIL connect: %s", ename(errno));
        failures++;
        return -1;
    }
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 5000);
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &l);
    say("client: epoll_wait after connect: %d event(s), %s, error %s", n,
        n == 1 && (out.events & EPOLLOUT) ? "writable" : "not writable", ename(err));
    failures += n != 1 || err;
    close(ep);
    fcntl(c, F_SETFL, 0);
    return c;
}

static int tcp_server_accept(const char *portfile)
{
    struct sockaddr_in sa;
    int l = tcp_listener(4, &sa);
    char b[32];
    snprintf(b, sizeof b, "%d\n", ntohs(sa.sin_port));
    put_file(portfile, b);
    int s = accept(l, NULL, NULL);
    close(l);
    return s;
}

static int tcp_client_connect(const char *portfile)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sa.sin_port = htons(get_port(portfile));
    return connect_retry(AF_INET, SOCK_STREAM, (struct sockaddr *)&sa, sizeof sa);
}

static socklen_t un_path(struct sockaddr_un *a, const char *p)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, p);
    return sizeof(sa_family_t) + strlen(p) + 1;
}

/* unix_listen - a stream listener on a fresh path, or -1 (a failure). */
static int unix_listen(const char *path)
{
    struct sockaddr_un a;
    socklen_t al = un_path(&a, path);
    unlink(path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(l, (struct sockaddr *)&a, al) || listen(l, 4)) {
        logline("FAIL bind/listen %s", ename(errno));
        failures++;
        close(l);
        return -1;
    }
    return l;
}

static int unix_server_accept(const char *path)
{
    int l = unix_listen(path);
    int s = accept(l, NULL, NULL);
    close(l);
    return s;
}

static int unix_client_connect(const char *path)
{
    struct sockaddr_un a;
    socklen_t al = un_path(&a, path);
    wait_file(path);
    return connect_retry(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&a, al);
}

/* echo until EOF; log the count and checksum */
static void echo_server(int s)
{
    static char buf[65536];
    uint64_t h = FNV0;
    size_t n = 0;
    ssize_t r;
    while ((r = read(s, buf, sizeof buf)) > 0) {
        h = fnv(h, buf, r);
        n += r;
        if (writen(s, buf, r) != r) {
            logline("FAIL echo write %s", ename(errno));
            failures++;
            break;
        }
    }
    logline("server: echoed %zu bytes, read ended with %s, checksum %016llx", n, rs(r), (unsigned long long)h);
    close(s);
}

#define ECHO_N (8u << 20)
static void *echo_writer(void *arg)
{
    int c = *(int *)arg;
    static unsigned char buf[65536];
    for (size_t off = 0; off < ECHO_N; off += sizeof buf) {
        fill_pattern(buf, sizeof buf, 99, off);
        if (writen(c, buf, sizeof buf) != sizeof buf)
            break;
    }
    shutdown(c, SHUT_WR);
    return NULL;
}

static void echo_client(int c)
{
    if (c < 0)
        return;
    pthread_t t;
    pthread_create(&t, NULL, echo_writer, &c);
    static unsigned char buf[65536], want[65536];
    uint64_t h = FNV0;
    size_t n = 0;
    int same = 1;
    ssize_t r;
    while ((r = read(c, buf, sizeof buf)) > 0) {
        fill_pattern(want, r, 99, n);
        same &= !memcmp(want, buf, r);
        h = fnv(h, buf, r);
        n += r;
    }
    pthread_join(t, NULL);
    say("client: got back %zu bytes, read ended with %s, same bytes %d, checksum %016llx", n, rs(r), same,
        (unsigned long long)h);
    close(c);
}

static void udp_server(void)
{
    struct sockaddr_in sa;
    int u = udp_bound(&sa);
    char b[32];
    snprintf(b, sizeof b, "%d\n", ntohs(sa.sin_port));
    put_file("udp.port", b);
    int n = 0;
    for (;;) {
        char buf[64];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        struct pollfd p = {u, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1) {
            logline("FAIL server: no datagram for 10 s");
            failures++;
            break;
        }
        ssize_t r = recvfrom(u, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
        if (r < 0)
            break;
        buf[r] = 0;
        if (!strcmp(buf, "bye"))
            break;
        char reply[80];
        int k = snprintf(reply, sizeof reply, "pong %s", buf + 5);
        sendto(u, reply, k, 0, (struct sockaddr *)&from, fl);
        n++;
    }
    logline("server: answered %d pings", n);
    close(u);
}

static void udp_client(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sa.sin_port = htons(get_port("udp.port"));
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    say("connect: %s", rs(connect(u, (struct sockaddr *)&sa, sizeof sa)));
    int good = 0;
    for (int i = 0; i < 100; i++) {
        char m[32], want[32], buf[64];
        int k = snprintf(m, sizeof m, "ping %d", i);
        snprintf(want, sizeof want, "pong %d", i);
        send(u, m, k, 0);
        struct pollfd p = {u, POLLIN, 0};
        if (poll(&p, 1, 5000) != 1) {
            say("FAIL no pong %d", i);
            failures++;
            break;
        }
        ssize_t r = recv(u, buf, sizeof buf - 1, 0);
        buf[r > 0 ? r : 0] = 0;
        good += !strcmp(buf, want);
    }
    send(u, "bye", 3, 0);
    say("client: %d of 100 pongs right, in order", good);
    close(u);
}

static void rights_server(void)
{
    int s = unix_server_accept("rights.sock");
    int p[2];
    pipe(p);
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"fd", 2};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    logline("server: sendmsg with the pipe's read end: %s", rs(sendmsg(s, &m, 0)));
    close(p[0]);
    logline("server: write into the pipe: %s", rs(write(p[1], "hello through a passed pipe", 27)));
    close(p[1]);
    char b;
    logline("server: then waits for the client's close: %s", rs(read(s, &b, 1)));
    close(s);
}

static void rights_client(void)
{
    int c = unix_client_connect("rights.sock");
    if (c < 0)
        return;
    char cbuf[CMSG_SPACE(sizeof(int))], d[4] = {0};
    struct iovec iov = {d, 2};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    say("client: recvmsg: %s \"%s\"", rs(recvmsg(c, &m, 0)), d);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    int fd = -1;
    if (cm && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    say("client: got an fd %d, a FIFO %d", fd >= 0, ({ struct stat st; fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode); }));
    char buf[64] = {0};
    ssize_t r = readn(fd, buf, sizeof buf - 1);
    say("client: read to EOF: %s \"%s\"", rs(r), buf);
    close(fd);
    close(c);
}

static void halfclose_server(void)
{
    int s = tcp_server_accept("half.port");
    static char buf[65536];
    size_t n = 0;
    ssize_t r;
    while ((r = read(s, buf, sizeof buf)) > 0)
        n += r;
    logline("server: read %zu bytes to EOF (%s)", n, rs(r));
    char reply[64];
    int k = snprintf(reply, sizeof reply, "you sent %zu bytes", n);
    logline("server: reply after the client's SHUT_WR: %s", rs(write(s, reply, k)));
    close(s);
}

static void halfclose_client(void)
{
    int c = tcp_client_connect("half.port");
    if (c < 0)
        return;
    static char buf[100000];
    memset(buf, 'h', sizeof buf);
    say("client: write 100000: %s", rs(writen(c, buf, sizeof buf)));
    say("client: SHUT_WR: %s", rs(shutdown(c, SHUT_WR)));
    char reply[64] = {0};
    say("client: reply: %s \"%s\"", rs(readn(c, reply, sizeof reply - 1)), reply);
    wait_ev(c, POLLRDHUP);
    say("client: then poll %s", evs(revents(c, POLLIN | POLLOUT | POLLRDHUP)));
    say("client: read: %s", rs(read(c, reply, sizeof reply)));
    close(c);
}

/* many: 100 client threads connect at once; the server echoes with epoll */
#define NCONN 100
static void many_server(void)
{
    struct sockaddr_in sa;
    int l = tcp_listener(NCONN, &sa);
    char b[32];
    snprintf(b, sizeof b, "%d\n", ntohs(sa.sin_port));
    put_file("many.port", b);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    int accepted = 0, closed = 0;
    size_t bytes = 0;
    while (closed < NCONN) {
        struct epoll_event e[32];
        int n = epoll_wait(ep, e, 32, 10000);
        if (n <= 0) {
            logline("FAIL server: epoll_wait %s", rs(n));
            failures++;
            break;
        }
        for (int i = 0; i < n; i++) {
            int fd = e[i].data.fd;
            if (fd == l) {
                int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
                if (s >= 0) {
                    accepted++;
                    struct epoll_event se = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = s};
                    epoll_ctl(ep, EPOLL_CTL_ADD, s, &se);
                }
                continue;
            }
            char buf[4096];
            ssize_t r = read(fd, buf, sizeof buf);
            if (r > 0) {
                bytes += r;
                set_nb(fd, 0);
                writen(fd, buf, r);
                set_nb(fd, 1);
            } else if (r == 0 || errno != EAGAIN) {
                close(fd);
                closed++;
            }
        }
    }
    logline("server: %d accepted, %d closed, %zu bytes echoed", accepted, closed, bytes);
    close(ep);
    close(l);
}

static struct sockaddr_in many_addr;
static void *many_client(void *arg)
{
    long id = (long)arg;
    int c = connect_retry(AF_INET, SOCK_STREAM, (struct sockaddr *)&many_addr, sizeof many_addr);
    if (c < 0)
        return NULL;
    unsigned char o[3000], in[3000];
    fill_pattern(o, sizeof o, id, 0);
    long ok = writen(c, o, sizeof o) == (ssize_t)sizeof o && readn(c, in, sizeof in) == (ssize_t)sizeof in &&
              !memcmp(in, o, sizeof in);
    close(c);
    return (void *)ok;
}

static void many_client_main(void)
{
    many_addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    many_addr.sin_port = htons(get_port("many.port"));
    pthread_t t[NCONN];
    for (long i = 0; i < NCONN; i++)
        pthread_create(&t[i], NULL, many_client, (void *)i);
    int good = 0;
    for (int i = 0; i < NCONN; i++) {
        void *ok;
        pthread_join(t[i], &ok);
        good += ok != NULL;
    }
    say("client: %d of %d connections echoed 3000 bytes right", good, NCONN);
}

/* unixdgram: datagrams between two bound paths, replies to the sender's name */
static void unixdgram_server(void)
{
    struct sockaddr_un a;
    socklen_t al = un_path(&a, "srv.dgram");
    unlink("srv.dgram");
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(u, (struct sockaddr *)&a, al);
    int n = 0;
    for (;;) {
        char buf[128];
        struct sockaddr_un from;
        socklen_t fl = sizeof from;
        struct pollfd p = {u, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1) {
            logline("FAIL server: nothing for 10 s");
            failures++;
            break;
        }
        ssize_t r = recvfrom(u, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
        if (r < 0)
            break;
        buf[r] = 0;
        if (n == 0)
            logline("server: first from %s", fl > sizeof(sa_family_t) ? from.sun_path : "(unnamed)");
        if (!strcmp(buf, "bye"))
            break;
        for (char *c = buf; *c; c++)
            *c = *c >= 'a' && *c <= 'z' ? *c - 32 : *c;
        sendto(u, buf, r, 0, (struct sockaddr *)&from, fl);
        n++;
    }
    logline("server: answered %d datagrams", n);
    close(u);
    unlink("srv.dgram");
}

static void unixdgram_client(void)
{
    struct sockaddr_un s, me;
    socklen_t sl = un_path(&s, "srv.dgram"), ml = un_path(&me, "cli.dgram");
    unlink("cli.dgram");
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(u, (struct sockaddr *)&me, ml);
    wait_file("srv.dgram");
    const char *words[] = {"alpha", "", "gamma delta", "x"};
    int good = 0;
    for (int k = 0; k < 50; k++) {
        const char *w = words[k % 4];
        ssize_t r;
        for (int i = 0; i < 2000; i++) { /* the server may not be bound yet */
            r = sendto(u, w, strlen(w), 0, (struct sockaddr *)&s, sl);
            if (r >= 0 || (errno != ECONNREFUSED && errno != ENOENT))
                break;
            msleep(5);
        }
        char buf[128] = {0};
        struct pollfd p = {u, POLLIN, 0};
        if (poll(&p, 1, 5000) != 1) {
            say("FAIL no reply %d", k);
            failures++;
            break;
        }
        struct sockaddr_un from;
        socklen_t fl = sizeof from;
        r = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        int same = r == (ssize_t)strlen(w);
        for (size_t i = 0; same && i < strlen(w); i++)
            same = buf[i] == (w[i] >= 'a' && w[i] <= 'z' ? w[i] - 32 : w[i]);
        good += same && !strcmp(from.sun_path, "srv.dgram");
    }
    sendto(u, "bye", 3, 0, (struct sockaddr *)&s, sl);
    say("client: %d of 50 datagrams answered, uppercased, from srv.dgram (an empty one among them)", good);
    close(u);
    unlink("cli.dgram");
}

/* The client's writes wake a server that waits for nothing but signals. */
static void sigio_server(void)
{
    int s = tcp_server_accept("tcp.port");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (fcntl(s, F_SETOWN, getpid()) || fcntl(s, F_SETSIG, SIGRTMIN + 1) ||
        fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_ASYNC | O_NONBLOCK)) {
        logline("FAIL O_ASYNC %s", ename(errno));
        failures++;
    }
    put_file("sigio.ready", "1");
    char buf[4096];
    size_t got = 0;
    int signals = 0, eof = 0;
    struct timespec limit = { 10, 0 };
    siginfo_t si;
    while (!eof && sigtimedwait(&set, &si, &limit) > 0) {
        signals++;
        if (si.si_fd != s || (si.si_code != POLL_IN && si.si_code != POLL_HUP)) {
            logline("FAIL siginfo fd %d (want %d) code %d", si.si_fd, s, si.si_code);
            failures++;
        }
        ssize_t r;
        while ((r = read(s, buf, sizeof buf)) > 0)
            got += r;
        eof = r == 0;
    }
    logline("server: %zu bytes, end of file %s, woken by signals: %s", got, eof ? "seen" : "not seen",
            signals ? "yes" : "no");
    close(s);
}

static void sigio_client(void)
{
    int c = tcp_client_connect("tcp.port");
    wait_file("sigio.ready");
    for (int i = 0; i < 20; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        if (write(c, line, n) != n)
            failures++;
        usleep(5000);
    }
    say("client: wrote 20 lines");
    close(c);
}

static void stalepeer_listener(void)
{
    struct sockaddr_un a;
    socklen_t al = un_path(&a, "stale.sock");
    unlink("stale.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, al);
    close(l); /* the file stays: stale */
    put_file("stale.made", "1");
    wait_file("stale.tried");
    l = unix_listen("stale.sock");
    int s = accept(l, NULL, NULL);
    char b[32] = { 0 };
    for (size_t n = 0; n < sizeof b - 1;) {
        ssize_t r = read(s, b + n, sizeof b - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    struct ucred u = { 0 };
    socklen_t ul = sizeof u;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &u, &ul);
    logline("SO_PEERCRED names the connecting program: %s", u.pid == atoi(b) ? "yes" : "no");
    close(s);
    close(l);
    unlink("stale.sock");
}

static void stalepeer_connector(void)
{
    struct sockaddr_un a;
    socklen_t al = un_path(&a, "stale.sock");
    wait_file("stale.made");
    int c = socket(AF_UNIX, SOCK_STREAM, 0), tries = 0;
    while (connect(c, (struct sockaddr *)&a, al)) {
        if (!tries++) {
            logline("first connect: %s", ename(errno));
            put_file("stale.tried", "1");
        }
        if (tries > 2000) {
            logline("FAIL connect: still %s", ename(errno));
            failures++;
            return;
        }
        msleep(5);
    }
    logline("then connected on the same socket");
    char b[32];
    snprintf(b, sizeof b, "%d", (int)getpid());
    write(c, b, strlen(b));
    close(c);
}

#define RACE_ROUNDS 100

static void listenrace_listener(void)
{
    int named = 0;
    for (int i = 0; i < RACE_ROUNDS; i++) {
        int l = unix_listen("race.sock");
        if (l < 0)
            return;
        int s = accept(l, NULL, NULL);
        /* Gone before the answer: the next connect finds no listener. */
        close(l);
        unlink("race.sock");
        char b[32] = { 0 };
        for (size_t n = 0; n < sizeof b - 1;) {
            ssize_t r = read(s, b + n, sizeof b - 1 - n);
            if (r <= 0 || memchr(b, '\n', n + (size_t)r))
                break;
            n += (size_t)r;
        }
        struct ucred u = { 0 };
        socklen_t ul = sizeof u;
        getsockopt(s, SOL_SOCKET, SO_PEERCRED, &u, &ul);
        named += u.pid == atoi(b);
        write(s, "k", 1);
        close(s);
    }
    logline("%d connections of %d: SO_PEERCRED named the connecting program", named, RACE_ROUNDS);
}

static void listenrace_connector(void)
{
    struct sockaddr_un a;
    socklen_t al = un_path(&a, "race.sock");
    for (int i = 0; i < RACE_ROUNDS; i++) {
        int c;
        for (long tries = 0;; tries++) {
            c = socket(AF_UNIX, SOCK_STREAM, 0);
            if (!connect(c, (struct sockaddr *)&a, al))
                break;
            close(c);
            if (tries > 2000000) {
                logline("FAIL connect %d: still %s", i, ename(errno));
                failures++;
                return;
            }
            sched_yield();
        }
        char b[32], k;
        snprintf(b, sizeof b, "%d\n", (int)getpid());
        write(c, b, strlen(b));
        read(c, &k, 1);
        close(c);
    }
    logline("%d connections made", RACE_ROUNDS);
}

static void greet_server(void)
{
    int l = unix_listen("greet.sock");
    if (l < 0)
        return;
    for (int i = 0; i < 3; i++) {
        int c = accept(l, NULL, NULL);
        msleep(100);
        char b[32];
        snprintf(b, sizeof b, "220 hello %d\n", i);
        write(c, b, strlen(b));
        char k;
        read(c, &k, 1); /* until the client closes */
        close(c);
    }
    close(l);
    logline("server: 3 greetings sent");
}

/* greet_client - each way of waiting for the server's first words; a
 * wait that ends without them (at its 5 s timeout) is a failure. */
static void greet_client(void)
{
    for (int way = 0; way < 3; way++) {
        int s = unix_client_connect("greet.sock");
        fcntl(s, F_SETFL, O_NONBLOCK);
        int ready;
        if (way == 0) {
            int ep = epoll_create1(0);
            struct epoll_event ev = { .events = EPOLLIN, .data.fd = s };
            epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
            ready = epoll_wait(ep, &ev, 1, 5000) == 1 && ev.data.fd == s && (ev.events & EPOLLIN);
            close(ep);
        } else if (way == 1) {
            struct pollfd p = { .fd = s, .events = POLLIN };
            ready = poll(&p, 1, 5000) == 1 && (p.revents & POLLIN);
        } else {
            fcntl(s, F_SETFL, 0);
            ready = 1;
        }
        char b[64] = "";
        ssize_t n = read(s, b, sizeof b - 1);
        if (!ready || n <= 0) {
            say("FAIL %s: ready %d, read %zd", way == 0 ? "epoll_wait" : way == 1 ? "poll" : "read", ready,
                n);
            failures++;
        } else {
            say("%s: %.*s", way == 0 ? "epoll_wait" : way == 1 ? "poll" : "read", (int)strcspn(b, "\n"), b);
        }
        close(s);
    }
}

int main(int argc, char **argv)
{
    alarm(15);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 3 || (strcmp(argv[2], "client") && (strcmp(argv[2], "server") || argc < 4))) {
        fprintf(stderr, "usage: sock_fused KIND client | sock_fused KIND server LOG\n");
        return 2;
    }
    const char *kind = argv[1];
    int server = !strcmp(argv[2], "server");
    out = stdout;
    if (server && !(out = fopen(argv[3], "w"))) {
        perror(argv[3]);
        return 2;
    }
    if (!strcmp(kind, "stalepeer")) {
        if (server)
            stalepeer_connector();
        else
            stalepeer_listener();
    } else if (!strcmp(kind, "listenrace")) {
        server ? listenrace_connector() : listenrace_listener();
    } else if (!strcmp(kind, "tcp")) {
        if (server)
            echo_server(tcp_server_accept("tcp.port"));
        else
            echo_client(tcp_client_connect("tcp.port"));
    } else if (!strcmp(kind, "unix")) {
        if (server)
            echo_server(unix_server_accept("echo.sock"));
        else
            echo_client(unix_client_connect("echo.sock"));
    } else if (!strcmp(kind, "epollconnect")) {
        if (server)
            echo_server(tcp_server_accept("tcp.port"));
        else
            echo_client(epoll_connect("tcp.port"));
    } else if (!strcmp(kind, "forktcp") || !strcmp(kind, "forkunix")) {
        /* The client is a forked child (a host process of its own under
         * pegasus): it reaches the fused listener through the kernel. */
        int tcp = !strcmp(kind, "forktcp");
        if (server) {
            echo_server(tcp ? tcp_server_accept("tcp.port") : unix_server_accept("echo.sock"));
        } else {
            /* Forked once the server listens: the listener exists in the
             * parent's memory when the child is made (a copy of it there
             * once took the connection and never answered). */
            if (tcp)
                get_port("tcp.port");
            else
                wait_file("echo.sock");
            msleep(50); /* from bind and the port file to listen() */
            fflush(stdout);
            pid_t c = fork();
            if (c == 0) {
                echo_client(tcp ? tcp_client_connect("tcp.port") : unix_client_connect("echo.sock"));
                fflush(stdout);
                _exit(failures ? 1 : 0);
            }
            int st = 0;
            while (waitpid(c, &st, 0) < 0 && errno == EINTR)
                ;
            say("client: its forked child exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            failures += !WIFEXITED(st) || WEXITSTATUS(st);
        }
    } else if (!strcmp(kind, "udp")) {
        server ? udp_server() : udp_client();
    } else if (!strcmp(kind, "rights")) {
        server ? rights_server() : rights_client();
    } else if (!strcmp(kind, "halfclose")) {
        server ? halfclose_server() : halfclose_client();
    } else if (!strcmp(kind, "many")) {
        server ? many_server() : many_client_main();
    } else if (!strcmp(kind, "unixdgram")) {
        server ? unixdgram_server() : unixdgram_client();
    } else if (!strcmp(kind, "sigio")) {
        server ? sigio_server() : sigio_client();
    } else if (!strcmp(kind, "greet")) {
        server ? greet_server() : greet_client();
    } else {
        fprintf(stderr, "sock_fused: unknown kind %s\n", kind);
        return 2;
    }
    if (server) {
        logline("server: failures %d", failures);
        fclose(out);
    } else {
        say("client: failures %d", failures);
    }
    return failures ? 1 : 0;
}
