/* AF_UNIX sockets inside one program: socketpair, path, abstract and
 * autobind names, stream/dgram/seqpacket, SCM_RIGHTS, SCM_CREDENTIALS,
 * SO_PEERCRED. Pids and ids print as comparisons with getpid()/getuid().
 *
 *   sock_unix [SECTION...]   (default: all, in order)
 *
 * pair       socketpair of each type: data, boundaries, EOF, names
 * empty      empty datagrams (write/send/writev/sendmsg of 0 bytes) on
 *            dgram and seqpacket pairs and UDP: each one arrives
 * path       a stream socket on a path: the socket file, EADDRINUSE,
 *            names of both ends, ENOENT/ECONNREFUSED, unlink and re-bind
 * abstract   abstract names: no file, names read back, EADDRINUSE
 * autobind   bind with only the family, and a dgram sender with
 *            SO_PASSCRED: 5 hex digits in the abstract namespace
 * dgram      dgram on paths: sender's address, unbound sender, connect
 *            filtering (EPERM), ENOENT, ECONNREFUSED after the peer closes,
 *            MSG_TRUNC, the queue limit (EAGAIN)
 * dgramroom  a sender connected to a full named dgram socket: not
 *            writable (poll, epoll) until the receiver takes one; blocking
 *            send and sendto wait for room (a receiver that closes meanwhile
 *            races natively: the send may land before the queue dies)
 * lclose     a listener closed with a client nobody accepted: ECONNRESET
 * seqpacket  listen/accept, record boundaries, MSG_TRUNC/MSG_EOR flags, EOF
 * rights     SCM_RIGHTS: a pipe end, a file, several fds, a socket itself,
 *            MSG_CTRUNC with a short control buffer
 * creds      SO_PASSCRED/SCM_CREDENTIALS (pid == getpid()), explicit
 *            credentials, SO_PEERCRED on pairs, connected and accepted ends
 * shutdown   half-close, poll masks, EPIPE/SIGPIPE, close with unread data
 *            (ECONNRESET), FIONREAD, SIOCOUTQ
 * bulk       100 MB over a stream socketpair, checksum
 * longrel    relative paths too long to be put under the cwd's /proc link
 *            (a 60-byte directory, then 40 bytes; Twisted's trial temp
 *            paths): bind, connect, sendto and the file where the cwd is,
 *            after a chdir (they were made in the host's cwd)
 * relout     relative paths after a chdir to sockets outside the program
 *            (a forked child's): sendto, a datagram connect, stream
 *            connects meeting a full backlog (EAGAIN, then a blocking one
 *            that waits for the accept), a bind after the socket moved
 *            into the kernel, names read back after a fork (they went to
 *            the host's cwd)
 * nonul      absolute paths whose address length counts no NUL, other
 *            bytes after them (libzmq's ipc://, libdbus): bind, connect,
 *            sendto; a seqpacket connect to a dgram socket (EPROTOTYPE)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <sys/eventfd.h>
#include <linux/sockios.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "socklib.h"

static int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static socklen_t un_addr(struct sockaddr_un *a, const char *path, int abstract)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) {
        size_t n = strlen(path);
        memcpy(a->sun_path + 1, path, n);
        return offsetof(struct sockaddr_un, sun_path) + 1 + n;
    }
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* A printable name: path, "@name" (pid-free part), or "(unnamed)". */
static const char *un_name(const struct sockaddr_un *a, socklen_t len)
{
    static char b[2][160];
    static int i;
    char *p = b[i++ & 1];
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (len <= off)
        snprintf(p, 160, "(unnamed, len %d)", (int)len);
    else if (a->sun_path[0] == 0)
        snprintf(p, 160, "@%.*s (len %d)", (int)(len - off - 1), a->sun_path + 1, (int)len);
    else
        snprintf(p, 160, "%s (len %d)", a->sun_path, (int)len);
    return p;
}

static const char *sockname(int fd, int peer)
{
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
    if (r < 0)
        return rs(r);
    return un_name(&a, len);
}

static void sec_pair(void)
{
    int sv[2];
    char buf[64];
    say("socketpair stream: %s", rs(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    write(sv[0], "ab", 2);
    write(sv[0], "cd", 2);
    wait_inq(sv[1], 4);
    memset(buf, 0, sizeof buf);
    say("stream merges writes: %s \"%s\"", rs(read(sv[1], buf, sizeof buf)), buf);
    say("names: local %s", sockname(sv[0], 0));
    say("peer %s", sockname(sv[0], 1));
    /* ksh93 makes its pipes of socketpairs, fchmod'ed 0200/0400. */
    struct stat st;
    say("fchmod 0200: %s", rs(fchmod(sv[0], 0200)));
    fstat(sv[0], &st);
    say("mode then: %o", (unsigned)st.st_mode);
    close(sv[0]);
    say("EOF after close: %s", rs(read(sv[1], buf, sizeof buf)));
    close(sv[1]);
    int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int t = 0; t < 2; t++) {
        const char *tn = t ? "seqpacket" : "dgram";
        say("socketpair %s: %s", tn, rs(socketpair(AF_UNIX, types[t] | SOCK_CLOEXEC, 0, sv)));
        write(sv[0], "ab", 2);
        write(sv[0], "cde", 3);
        wait_ev(sv[1], POLLIN);
        int n = -1;
        ioctl(sv[1], FIONREAD, &n);
        say("%s FIONREAD: %d", tn, n);
        for (int i = 0; i < 2; i++) {
            memset(buf, 0, sizeof buf);
            say("%s read: %s \"%s\"", tn, rs(read(sv[1], buf, sizeof buf)), buf);
        }
        close(sv[0]);
        set_nb(sv[1], 1);
        say("%s after the peer closed: %s", tn, rs(read(sv[1], buf, sizeof buf)));
        say("%s poll: %s", tn, evs(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP)));
        close(sv[1]);
    }
    say("socketpair AF_INET: %s", rs(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
}

/* empty datagrams: write(2), send(2), writev(2) of 0 bytes */
static void sec_empty(void)
{
    int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int t = 0; t < 2; t++) {
        const char *tn = t ? "seqpacket" : "dgram";
        int sv[2];
        char buf[8];
        socketpair(AF_UNIX, types[t], 0, sv);
        say("%s write 0: %s", tn, rs(write(sv[0], "", 0)));
        say("%s send 0: %s", tn, rs(send(sv[0], "", 0, 0)));
        struct iovec iov = {buf, 0};
        say("%s writev 0: %s", tn, rs(writev(sv[0], &iov, 1)));
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        say("%s sendmsg 0: %s", tn, rs(sendmsg(sv[0], &m, 0)));
        write(sv[0], "end", 3);
        wait_ev(sv[1], POLLIN);
        for (int i = 0; i < 6; i++) {
            ssize_t r = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
            say("%s recv %d: %s", tn, i, rs(r));
            if (r == 3)
                break;
        }
        close(sv[0]); close(sv[1]);
    }
    struct sockaddr_in ba;
    int a = udp_bound(NULL), b = udp_bound(&ba);
    connect(a, (struct sockaddr *)&ba, sizeof ba);
    say("udp write 0: %s", rs(write(a, "", 0)));
    say("udp send 0: %s", rs(send(a, "", 0, 0)));
    send(a, "end", 3, 0);
    char buf[8];
    wait_ev(b, POLLIN);
    for (int i = 0; i < 4; i++) {
        ssize_t r = recv(b, buf, sizeof buf, MSG_DONTWAIT);
        say("udp recv %d: %s", i, rs(r));
        if (r == 3)
            break;
    }
    close(a); close(b);
}

static void sec_path(void)
{
    struct sockaddr_un a, b;
    socklen_t al = un_addr(&a, "s.sock", 0);
    unlink("s.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind: %s", rs(bind(l, (struct sockaddr *)&a, al)));
    struct stat st;
    say("stat: %s", rs(stat("s.sock", &st)));
    say("a socket file: %d, mode %o", S_ISSOCK(st.st_mode), st.st_mode & 0777 & ~022);
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind the same path: %s", rs(bind(l2, (struct sockaddr *)&a, al)));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect before listen: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    say("listen: %s", rs(listen(l, 4)));
    say("listener name: %s", sockname(l, 0));
    say("connect: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    say("client local %s", sockname(c, 0));
    say("client peer %s", sockname(c, 1));
    socklen_t bl = sizeof b;
    memset(&b, 0, sizeof b);
    int s = accept(l, (struct sockaddr *)&b, &bl);
    say("accept: %s, peer %s", s >= 0 ? "fd" : rs(s), un_name(&b, bl));
    say("accepted local %s", sockname(s, 0));
    say("accepted peer %s", sockname(s, 1));
    write(c, "hi", 2);
    char buf[8] = {0};
    say("read: %s \"%s\"", rs(readn(s, buf, 2)), buf);
    close(c); close(s);
    struct sockaddr_un n;
    socklen_t nl = un_addr(&n, "no-such.sock", 0);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect to a missing path: %s", rs(connect(c, (struct sockaddr *)&n, nl)));
    int f = open("plain.file", O_CREAT | O_WRONLY, 0644);
    close(f);
    nl = un_addr(&n, "plain.file", 0);
    say("connect to a regular file: %s", rs(connect(c, (struct sockaddr *)&n, nl)));
    close(c);
    close(l);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect after the listener closed (file still there): %s", rs(connect(c, (struct sockaddr *)&a, al)));
    close(c);
    say("bind while the file exists: %s", rs(bind(l2, (struct sockaddr *)&a, al)));
    say("unlink: %s", rs(unlink("s.sock")));
    say("bind again: %s", rs(bind(l2, (struct sockaddr *)&a, al)));
    say("re-bind a bound socket: %s", rs(bind(l2, (struct sockaddr *)&a, al)));
    close(l2);
    say("the file outlives its socket: %s", rs(access("s.sock", F_OK)));
    unlink("s.sock");
    unlink("plain.file");
    char longp[200];
    memset(longp, 'x', sizeof longp);
    memcpy(a.sun_path, longp, sizeof a.sun_path);
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind with a 108-byte path, no NUL: %s", rs(bind(l, (struct sockaddr *)&a, sizeof a)));
    close(l);
    char p108[109];
    memset(p108, 'x', 108);
    p108[108] = 0;
    unlink(p108);
}

/* un_nonul - an absolute name for file under the cwd, its address length
 * without the NUL and the rest of the address filled with junk. */
static socklen_t un_nonul(struct sockaddr_un *a, const char *file)
{
    char cwd[64], path[128];
    CHECK(getcwd(cwd, sizeof cwd), "a short cwd");
    snprintf(path, sizeof path, "%s/%s", cwd, file);
    CHECK(strlen(path) < sizeof a->sun_path, "a short path");
    memset(a, 'X', sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path, path, strlen(path));
    return offsetof(struct sockaddr_un, sun_path) + strlen(path);
}

static void sec_nonul(void)
{
    struct sockaddr_un a, d, b;
    socklen_t al = un_nonul(&a, "n.sock"), dl = un_nonul(&d, "nd.sock"), bl = un_nonul(&b, "nb.sock");
    unlink("n.sock");
    unlink("nd.sock");
    unlink("nb.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind: %s", rs(bind(l, (struct sockaddr *)&a, al)));
    say("the file: %s", rs(access("n.sock", F_OK)));
    listen(l, 4);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("stream connect: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    int ds = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("dgram bind: %s", rs(bind(ds, (struct sockaddr *)&d, dl)));
    int dc = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("sendto: %s", rs(sendto(dc, "hi", 2, 0, (struct sockaddr *)&d, dl)));
    char buf[8];
    say("received: %s", rs(recv(ds, buf, sizeof buf, MSG_DONTWAIT)));
    int dc2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("dgram connect: %s", rs(connect(dc2, (struct sockaddr *)&d, dl)));
    int sq = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    say("seqpacket connect to the dgram socket: %s", rs(connect(sq, (struct sockaddr *)&d, dl)));
    int bs = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind another: %s", rs(bind(bs, (struct sockaddr *)&b, bl)));
    say("its file: %s", rs(access("nb.sock", F_OK)));
    close(l); close(c); close(ds); close(dc); close(dc2); close(sq); close(bs);
    unlink("n.sock");
    unlink("nd.sock");
    unlink("nb.sock");
}

static socklen_t un_rel(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path, path, strlen(path));
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void sec_longrel(void)
{
    char dir[61], file[41], sfile[48], dfile[48];
    memset(dir, 'd', 60);
    dir[60] = 0;
    memset(file, 'f', 40);
    file[40] = 0;
    CHECK(!mkdir("longrel", 0755) || errno == EEXIST, "mkdir");
    CHECK(!chdir("longrel"), "chdir");
    CHECK(!mkdir(dir, 0755) || errno == EEXIST, "mkdir");
    snprintf(sfile, sizeof sfile, "%s.s", file);
    snprintf(dfile, sizeof dfile, "%s.d", file);
    char sp[128], dp[128];
    snprintf(sp, sizeof sp, "%s/%s", dir, sfile);
    snprintf(dp, sizeof dp, "./%s/%s", dir, dfile);
    say("relative path lengths: %zu, %zu", strlen(sp), strlen(dp));
    struct sockaddr_un a, d;
    socklen_t al = un_rel(&a, sp), dl = un_rel(&d, dp);
    unlink(sp);
    unlink(dp);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind: %s", rs(bind(l, (struct sockaddr *)&a, al)));
    say("the file under the cwd: %s", rs(access(sp, F_OK)));
    struct stat st;
    say("a socket: %d", !stat(sp, &st) && S_ISSOCK(st.st_mode));
    struct sockaddr_un g;
    socklen_t gl = sizeof g;
    getsockname(l, (struct sockaddr *)&g, &gl);
    say("its name reads back: %d", gl == al && !strcmp(g.sun_path, sp));
    say("bind again: %s", rs(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, al)));
    listen(l, 4);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    int s = accept(l, NULL, NULL);
    say("bytes: %s", rs(write(c, "hi", 2) == 2 && read(s, file, 2) == 2 && !memcmp(file, "hi", 2) ? 0 : -1));
    int ds = socket(AF_UNIX, SOCK_DGRAM, 0), dc = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("dgram bind: %s", rs(bind(ds, (struct sockaddr *)&d, dl)));
    say("sendto: %s", rs(sendto(dc, "yo", 2, 0, (struct sockaddr *)&d, dl)));
    char buf[8];
    say("received: %s", rs(recv(ds, buf, sizeof buf, MSG_DONTWAIT)));
    char np[128];
    snprintf(np, sizeof np, "%s/none", dir);
    struct sockaddr_un n;
    socklen_t nl = un_rel(&n, np);
    say("connect to no file: %s", rs(connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&n, nl)));
    snprintf(np, sizeof np, "%s/no/%s", dir, file);
    nl = un_rel(&n, np);
    say("bind in no directory: %s", rs(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&n, nl)));
    /* Longer than a sockaddr_un, no NUL: EINVAL for all (runtime
     * buffers sized for a sun_path overflowed). */
    unsigned char big[128];
    memset(big, 'q', sizeof big);
    ((struct sockaddr_un *)big)->sun_family = AF_UNIX;
    say("connect, 128 bytes: %s", rs(connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)big, sizeof big)));
    say("bind, 128 bytes: %s", rs(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)big, sizeof big)));
    say("sendto, 128 bytes: %s", rs(sendto(dc, "x", 1, 0, (struct sockaddr *)big, sizeof big)));
    big[2] = 0; /* abstract */
    say("abstract bind, 128 bytes: %s", rs(bind(socket(AF_UNIX, SOCK_DGRAM, 0), (struct sockaddr *)big, sizeof big)));
    close(l); close(c); close(s); close(ds); close(dc);
    unlink(sp);
    unlink(dp);
    rmdir(dir);
    CHECK(!chdir(".."), "chdir ..");
    say("nothing left in the first cwd: %s", rs(rmdir("longrel")));
}

static void sec_relout(void)
{
    CHECK(!mkdir("relout", 0755) || errno == EEXIST, "mkdir");
    CHECK(!chdir("relout"), "chdir");
    static const char *const names[] = { "ds", "ls", "pb", "pre" };
    for (size_t i = 0; i < 4; i++)
        unlink(names[i]);
    struct sockaddr_un ds, ls, pb, pre;
    socklen_t dl = un_rel(&ds, "ds"), ll = un_rel(&ls, "ls"), pbl = un_rel(&pb, "pb"), prel = un_rel(&pre, "pre");
    int p = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("bind before the fork: %s", rs(bind(p, (struct sockaddr *)&pre, prel)));
    int ready[2], go[2];
    CHECK(!pipe(ready) && !pipe(go), "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) { /* its sockets are outside the parent's process */
        char out[1024], b[16];
        int o = 0;
        int d = socket(AF_UNIX, SOCK_DGRAM, 0), l = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(d, (struct sockaddr *)&ds, dl) || bind(l, (struct sockaddr *)&ls, ll) || listen(l, 0))
            _exit(3);
        write(ready[1], "r", 1);
        for (int i = 0; i < 2; i++) {
            ssize_t n = recv(d, b, sizeof b, 0);
            o += snprintf(out + o, sizeof out - o, "child: datagram %.*s\n", (int)(n > 0 ? n : 0), b);
        }
        usleep(200000); /* the parent's blocking connect waits meanwhile */
        for (int i = 0; i < 2; i++)
            o += snprintf(out + o, sizeof out - o, "child: accept %s\n", accept(l, NULL, NULL) >= 0 ? "ok" : "failed");
        ssize_t n = recv(d, b, sizeof b, 0);
        o += snprintf(out + o, sizeof out - o, "child: datagram %.*s\n", (int)(n > 0 ? n : 0), b);
        read(go[0], b, 1);
        write(1, out, (size_t)o);
        _exit(0);
    }
    char r;
    CHECK(read(ready[0], &r, 1) == 1, "ready");
    say("after the fork, the name reads back: %s", sockname(p, 0));
    int dc = socket(AF_UNIX, SOCK_DGRAM, 0), dk = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("sendto: %s", rs(sendto(dc, "one", 3, 0, (struct sockaddr *)&ds, dl)));
    say("datagram connect: %s", rs(connect(dk, (struct sockaddr *)&ds, dl)));
    say("send: %s", rs(send(dk, "two", 3, 0)));
    int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), c3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    say("stream connect: %s", rs(connect(c1, (struct sockaddr *)&ls, ll)));
    say("nonblocking, backlog full: %s", rs(connect(c3, (struct sockaddr *)&ls, ll)));
    say("blocking, backlog full (waits for the accept): %s", rs(connect(c2, (struct sockaddr *)&ls, ll)));
    int b = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("datagram connect: %s", rs(connect(b, (struct sockaddr *)&ds, dl)));
    say("bind after it: %s", rs(bind(b, (struct sockaddr *)&pb, pbl)));
    struct stat st;
    say("its file is a socket here: %d", !stat("pb", &st) && S_ISSOCK(st.st_mode));
    say("its name reads back: %s", sockname(b, 0));
    say("send from it: %s", rs(send(b, "three", 5, 0)));
    write(go[1], "g", 1);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    say("child status: %d", status);
    close(p); close(dc); close(dk); close(c1); close(c2); close(c3); close(b);
    for (size_t i = 0; i < 4; i++)
        unlink(names[i]);
    CHECK(!chdir(".."), "chdir ..");
    say("nothing left: %s", rs(rmdir("relout")));
}

static void sec_abstract(void)
{
    char name[64];
    snprintf(name, sizeof name, "pegasus-test-%d", (int)getpid());
    struct sockaddr_un a;
    socklen_t al = un_addr(&a, name, 1);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind abstract: %s", rs(bind(l, (struct sockaddr *)&a, al)));
    listen(l, 4);
    struct sockaddr_un g;
    socklen_t gl = sizeof g;
    getsockname(l, (struct sockaddr *)&g, &gl);
    say("name reads back: same length %d, same bytes %d, leading NUL %d", gl == al, !memcmp(&g, &a, al),
        g.sun_path[0] == 0);
    say("no file in the cwd: %s", rs(access(name, F_OK)));
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind the same name: %s", rs(bind(l2, (struct sockaddr *)&a, al)));
    /* the name is the whole length: a longer one with a NUL is another */
    struct sockaddr_un a2 = a;
    say("bind the name plus a NUL: %s", rs(bind(l2, (struct sockaddr *)&a2, al + 1)));
    close(l2);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    int s = accept(l, NULL, NULL);
    write(s, "abs", 3);
    char buf[8] = {0};
    say("read: %s \"%s\"", rs(readn(c, buf, 3)), buf);
    gl = sizeof g;
    getpeername(c, (struct sockaddr *)&g, &gl);
    say("peer name is the listener's: %d", gl == al && !memcmp(&g, &a, al));
    close(c); close(s); close(l);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect after the listener closed: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("the name is free again: %s", rs(bind(l, (struct sockaddr *)&a, al)));
    close(l); close(c);
}

static int autoname(int fd)
{
    struct sockaddr_un g;
    socklen_t gl = sizeof g;
    memset(&g, 0, sizeof g);
    getsockname(fd, (struct sockaddr *)&g, &gl);
    int hex = 1;
    for (int i = 1; i < 6; i++)
        hex &= !!strchr("0123456789abcdef", g.sun_path[i]) && g.sun_path[i];
    say("autobound name: len %d, abstract %d, 5 hex digits %d", (int)gl, g.sun_path[0] == 0, hex);
    return gl;
}

static void sec_autobind(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    say("unbound name: %s", sockname(s, 0));
    say("bind with only the family: %s", rs(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t))));
    autoname(s);
    say("listen on it: %s", rs(listen(s, 1)));
    struct sockaddr_un g;
    socklen_t gl = sizeof g;
    getsockname(s, (struct sockaddr *)&g, &gl);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect to the autobound name: %s", rs(connect(c, (struct sockaddr *)&g, gl)));
    close(c);
    close(s);
    /* a dgram sender with SO_PASSCRED is autobound when it sends */
    struct sockaddr_un r;
    char name[64];
    snprintf(name, sizeof name, "pegasus-recv-%d", (int)getpid());
    socklen_t rl = un_addr(&r, name, 1);
    int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(rx, (struct sockaddr *)&r, rl);
    int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
    int one = 1;
    setsockopt(tx, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    say("sender before sending: %s", sockname(tx, 0));
    sendto(tx, "x", 1, 0, (struct sockaddr *)&r, rl);
    int tl = autoname(tx);
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    char b;
    wait_ev(rx, POLLIN);
    recvfrom(rx, &b, 1, 0, (struct sockaddr *)&from, &fl);
    say("receiver sees that name: %d", (int)fl == tl && from.sun_path[0] == 0);
    int tx2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(tx2, "y", 1, 0, (struct sockaddr *)&r, rl);
    fl = sizeof from;
    wait_ev(rx, POLLIN);
    recvfrom(rx, &b, 1, 0, (struct sockaddr *)&from, &fl);
    say("a sender without SO_PASSCRED stays unnamed: %s", un_name(&from, fl));
    close(rx); close(tx); close(tx2);
}

static void sec_dgram(void)
{
    struct sockaddr_un a, b, c;
    socklen_t al = un_addr(&a, "a.sock", 0), bl = un_addr(&b, "b.sock", 0), cl = un_addr(&c, "c.sock", 0);
    unlink("a.sock"); unlink("b.sock"); unlink("c.sock");
    int A = socket(AF_UNIX, SOCK_DGRAM, 0), B = socket(AF_UNIX, SOCK_DGRAM, 0), C = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(A, (struct sockaddr *)&a, al);
    bind(B, (struct sockaddr *)&b, bl);
    bind(C, (struct sockaddr *)&c, cl);
    say("sendto b: %s", rs(sendto(A, "from-a", 6, 0, (struct sockaddr *)&b, bl)));
    char buf[64] = {0};
    struct sockaddr_un f;
    socklen_t fl = sizeof f;
    wait_ev(B, POLLIN);
    say("recvfrom: %s \"%s\"", rs(recvfrom(B, buf, sizeof buf, 0, (struct sockaddr *)&f, &fl)), buf);
    say("from %s", un_name(&f, fl));
    int U = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(U, "anon", 4, 0, (struct sockaddr *)&b, bl);
    fl = sizeof f;
    wait_ev(B, POLLIN);
    recvfrom(B, buf, sizeof buf, 0, (struct sockaddr *)&f, &fl);
    say("unbound sender: from %s", un_name(&f, fl));
    say("send unconnected without address: %s", rs(send(A, "x", 1, 0)));
    say("B connects to A: %s", rs(connect(B, (struct sockaddr *)&a, al)));
    say("C sends to B (connected elsewhere): %s", rs(sendto(C, "c", 1, 0, (struct sockaddr *)&b, bl)));
    say("A sends to B: %s", rs(sendto(A, "a", 1, 0, (struct sockaddr *)&b, bl)));
    say("B sends without address: %s", rs(send(B, "to-a", 4, 0)));
    memset(buf, 0, sizeof buf);
    wait_ev(A, POLLIN);
    say("A gets: %s \"%s\"", rs(recv(A, buf, sizeof buf, 0)), buf);
    struct sockaddr_un n;
    socklen_t nl = un_addr(&n, "none.sock", 0);
    say("sendto a missing path: %s", rs(sendto(A, "x", 1, 0, (struct sockaddr *)&n, nl)));
    close(A);
    say("B sends after A closed: %s", rs(send(B, "x", 1, 0)));
    say("again: %s", rs(send(B, "x", 1, 0)));
    /* MSG_TRUNC */
    sendto(C, "0123456789", 10, 0, (struct sockaddr *)&c, cl);
    wait_ev(C, POLLIN);
    say("recv MSG_TRUNC 4: %s", rs(recv(C, buf, 4, MSG_TRUNC)));
    sendto(C, "0123456789", 10, 0, (struct sockaddr *)&c, cl);
    struct iovec iov = {buf, 3};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    memset(buf, 0, sizeof buf);
    wait_ev(C, POLLIN);
    say("recvmsg 3: %s \"%s\"", rs(recvmsg(C, &m, 0)), buf);
    say("MSG_TRUNC in flags %d", !!(m.msg_flags & MSG_TRUNC));
    /* the receive queue limit (net.unix.max_dgram_qlen), for a receiver
       not connected back to the sender */
    set_nb(U, 1);
    int ok = 0;
    ssize_t r;
    while ((r = sendto(U, "q", 1, 0, (struct sockaddr *)&c, cl)) == 1 && ok < 10000)
        ok++;
    say("non-blocking sends until the queue is full: %d, then %s", ok, rs(r));
    say("poll of the sender: %s", evs(revents(U, POLLOUT)));
    close(B); close(C); close(U);
    unlink("a.sock"); unlink("b.sock"); unlink("c.sock");
}

/* The receiver, 200 ms later: takes one datagram. */
static void *room_take(void *arg)
{
    int fd = *(int *)arg;
    msleep(200);
    char c;
    recv(fd, &c, 1, MSG_DONTWAIT);
    return NULL;
}

/* Fill R's queue from S (non-blocking), then one blocking send (to, or the
 * connected peer) of "b" while a thread takes one: its result, then how
 * many R holds and the last of them. */
static const char *room_blocking(int S, int R, const struct sockaddr_un *to, socklen_t tl)
{
    set_nb(S, 1);
    int n = 0;
    while ((to ? sendto(S, "q", 1, 0, (const struct sockaddr *)to, tl) : send(S, "q", 1, 0)) == 1 && n < 10000)
        n++;
    set_nb(S, 0);
    pthread_t t;
    pthread_create(&t, NULL, room_take, &R);
    long r = to ? sendto(S, "b", 1, 0, (const struct sockaddr *)to, tl) : send(S, "b", 1, 0);
    pthread_join(t, NULL);
    char c, last = '-';
    int held = 0;
    while (recv(R, &c, 1, MSG_DONTWAIT) == 1)
        held++, last = c;
    static char out[64];
    snprintf(out, sizeof out, "%s; the receiver holds %d, the last '%c'", rs(r), held, last);
    return out;
}

/* A listener closed with a connection nobody accepted: its client is reset. */
static void sec_lclose(void)
{
    struct sockaddr_un a;
    socklen_t al = un_addr(&a, "lc.sock", 0);
    unlink("lc.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, al);
    listen(l, 4);
    say("connect: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    close(l);
    wait_ev(c, POLLIN);
    char buf[8];
    say("poll: %s", evs(revents(c, POLLIN | POLLOUT | POLLRDHUP)));
    say("read: %s", rs(read(c, buf, sizeof buf)));
    say("read again: %s", rs(read(c, buf, sizeof buf)));
    close(c);
    unlink("lc.sock");
}

static void sec_dgramroom(void)
{
    struct sockaddr_un a;
    socklen_t al = un_addr(&a, "room.sock", 0);
    unlink("room.sock");
    int R = socket(AF_UNIX, SOCK_DGRAM, 0), S = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    bind(R, (struct sockaddr *)&a, al);
    say("connect: %s", rs(connect(S, (struct sockaddr *)&a, al)));
    int ep = epoll_create1(0), et = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = S};
    epoll_ctl(ep, EPOLL_CTL_ADD, S, &ev);
    ev.events = EPOLLOUT | EPOLLET;
    epoll_ctl(et, EPOLL_CTL_ADD, S, &ev);
    say("empty queue: poll %s, epoll %d, edge %d", evs(revents(S, POLLOUT)), epoll_wait(ep, &ev, 1, 0),
        epoll_wait(et, &ev, 1, 0));
    int n = 0;
    ssize_t r;
    while ((r = send(S, "q", 1, 0)) == 1 && n < 10000)
        n++;
    say("sent until full: %d, then %s", n, rs(r));
    say("full: poll %s, epoll %d, edge %d", evs(revents(S, POLLOUT)), epoll_wait(ep, &ev, 1, 0),
        epoll_wait(et, &ev, 1, 0));
    char c;
    recv(R, &c, 1, 0);
    say("one taken: epoll %d (events %s), edge %d, poll %s", epoll_wait(ep, &ev, 1, 1000), evs(ev.events),
        epoll_wait(et, &ev, 1, 1000), evs(revents(S, POLLOUT)));
    say("send again: %s, then %s", rs(send(S, "q", 1, 0)), rs(send(S, "q", 1, 0)));
    while (recv(R, &c, 1, MSG_DONTWAIT) == 1)
        ;
    say("blocking send, the receiver takes one: %s", room_blocking(S, R, NULL, 0));
    int U = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("blocking sendto, the receiver takes one: %s", room_blocking(U, R, &a, al));
    /* S, connected to full R, finds another full queue with a sendto: it
     * still hears of R's room, and a blocking send to R still waits for R. */
    struct sockaddr_un a2;
    socklen_t al2 = un_addr(&a2, "room2.sock", 0);
    unlink("room2.sock");
    int R2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(R2, (struct sockaddr *)&a2, al2);
    set_nb(S, 1);
    while (recv(R, &c, 1, MSG_DONTWAIT) == 1)
        ;
    while (send(S, "q", 1, 0) == 1)
        ;
    n = 0;
    while (sendto(S, "q", 1, 0, (struct sockaddr *)&a2, al2) == 1)
        n++;
    say("full R, then R2 filled by sendto: %d", n);
    recv(R, &c, 1, 0);
    say("R takes one: epoll %d", epoll_wait(ep, &ev, 1, 1000));
    say("blocking send to R after a sendto to full R2: %s", room_blocking(S, R, NULL, 0));
    close(S); close(U); close(R2); close(ep); close(et);
    unlink("room.sock");
    unlink("room2.sock");
}

static void sec_seqpacket(void)
{
    struct sockaddr_un a;
    socklen_t al = un_addr(&a, "sp.sock", 0);
    unlink("sp.sock");
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    bind(l, (struct sockaddr *)&a, al);
    say("listen: %s", rs(listen(l, 2)));
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    say("connect: %s", rs(connect(c, (struct sockaddr *)&a, al)));
    int s = accept(l, NULL, NULL);
    say("accept: %d", s >= 0);
    write(c, "one", 3);
    write(c, "three", 5);
    write(c, "0123456789", 10);
    char buf[64] = {0};
    wait_ev(s, POLLIN);
    say("read 64: %s \"%s\"", rs(read(s, buf, sizeof buf)), buf);
    memset(buf, 0, sizeof buf);
    say("read 2: %s \"%s\" (the rest is dropped)", rs(read(s, buf, 2)), buf);
    struct iovec iov = {buf, 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    memset(buf, 0, sizeof buf);
    say("recvmsg 4: %s \"%s\"", rs(recvmsg(s, &m, 0)), buf);
    say("flags: MSG_TRUNC %d MSG_EOR %d", !!(m.msg_flags & MSG_TRUNC), !!(m.msg_flags & MSG_EOR));
    say("sendto with an address on a connected seqpacket: %s", rs(sendto(c, "x", 1, 0, (struct sockaddr *)&a, al)));
    wait_ev(s, POLLIN);
    say("read it: %s", rs(read(s, buf, sizeof buf)));
    shutdown(c, SHUT_WR);
    wait_ev(s, POLLRDHUP);
    say("after the peer's SHUT_WR: poll %s", evs(revents(s, POLLIN | POLLOUT | POLLRDHUP)));
    say("read: %s", rs(read(s, buf, sizeof buf)));
    close(c);
    wait_ev(s, POLLHUP);
    say("after close: poll %s", evs(revents(s, POLLIN | POLLOUT | POLLRDHUP)));
    say("send: %s", rs(send(s, "x", 1, MSG_NOSIGNAL)));
    close(s); close(l);
    unlink("sp.sock");
}

/* send fds over a unix socket with some data */
static ssize_t send_fds(int sock, const int *fds, int n, const char *data)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
    return sendmsg(sock, &m, 0);
}

/* receive up to 8 fds; returns the count, fds in out[]; *flags msg_flags */
static int recv_fds(int sock, int *out, size_t cspace, char *data, size_t dlen, int *flags)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {data, dlen};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = cspace};
    memset(data, 0, dlen);
    ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    *flags = m.msg_flags;
    if (r < 0)
        return -1;
    int n = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(out + n, CMSG_DATA(cm), k * sizeof(int));
            n += k;
        }
    return n;
}

static void sec_rights(void)
{
    int sv[2], p[2], fl;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    say("send a pipe's read end: %s", rs(send_fds(sv[0], &p[0], 1, "pipe")));
    close(p[0]);
    int got[8];
    char data[16];
    wait_ev(sv[1], POLLIN);
    int n = recv_fds(sv[1], got, sizeof(union { char c[CMSG_SPACE(sizeof(int) * 8)]; }), data, sizeof data, &fl);
    say("received %d fd, data \"%s\", flags %d", n, data, fl);
    say("new fd is not the old number's copy: FD_CLOEXEC %d", !!(fcntl(got[0], F_GETFD) & FD_CLOEXEC));
    write(p[1], "through", 7);
    close(p[1]);
    char buf[16] = {0};
    say("read from the received end: %s \"%s\"", rs(readn(got[0], buf, sizeof buf)), buf);
    close(got[0]);

    int f = open("rights.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(f, "file contents", 13);
    lseek(f, 5, SEEK_SET);
    int e = eventfd(0, 0);
    int three[3] = {f, e, sv[0]};
    say("send a file, an eventfd and the socket itself: %s", rs(send_fds(sv[0], three, 3, "three")));
    wait_ev(sv[1], POLLIN);
    n = recv_fds(sv[1], got, CMSG_SPACE(sizeof(int) * 8), data, sizeof data, &fl);
    say("received %d fds, data \"%s\"", n, data);
    memset(buf, 0, sizeof buf);
    say("file read shares the offset: %s \"%s\"", rs(read(got[0], buf, 8)), buf);
    say("and the original's offset moved: %lld", (long long)lseek(f, 0, SEEK_CUR));
    uint64_t one = 1, v = 0;
    write(got[1], &one, 8);
    say("eventfd through the copy: %s", rs(read(e, &v, 8)));
    say("value %llu", (unsigned long long)v);
    write(got[2], "self", 4);
    memset(buf, 0, sizeof buf);
    wait_inq(sv[1], 4);
    say("the socket's own copy writes to the peer: %s \"%s\"", rs(read(sv[1], buf, sizeof buf)), buf);
    for (int i = 0; i < n; i++)
        close(got[i]);
    close(e);

    int two[2] = {f, f};
    send_fds(sv[0], two, 2, "short");
    wait_ev(sv[1], POLLIN);
    n = recv_fds(sv[1], got, CMSG_LEN(sizeof(int) * 1), data, sizeof data, &fl);
    say("two fds into room for one: %d received, MSG_CTRUNC %d", n, !!(fl & MSG_CTRUNC));
    for (int i = 0; i < n; i++)
        close(got[i]);
    close(f);
    say("sending a closed fd: %s", rs(send_fds(sv[0], &f, 1, "bad")));
    int ds[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, ds);
    pipe(p);
    say("over a dgram pair: %s", rs(send_fds(ds[0], &p[1], 1, "dg")));
    close(p[1]);
    wait_ev(ds[1], POLLIN);
    n = recv_fds(ds[1], got, CMSG_SPACE(sizeof(int) * 8), data, sizeof data, &fl);
    say("received %d, data \"%s\"", n, data);
    write(got[0], "dgram-pipe", 10);
    close(got[0]);
    memset(buf, 0, sizeof buf);
    say("read: %s \"%s\"", rs(readn(p[0], buf, sizeof buf)), buf);
    close(p[0]);
    close(ds[0]); close(ds[1]);
    close(sv[0]); close(sv[1]);
    unlink("rights.txt");
}

static void sec_creds(void)
{
    int sv[2], one = 1;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct ucred uc;
    socklen_t ul = sizeof uc;
    say("SO_PEERCRED on a pair: %s", rs(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul)));
    say("pid == getpid() %d, uid == getuid() %d, gid == getgid() %d, len %d", uc.pid == getpid(),
        uc.uid == getuid(), uc.gid == getgid(), (int)ul);
    say("SO_PASSCRED default %d", ({ int v; socklen_t l = sizeof v; getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &l); v; }));
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    write(sv[0], "c", 1);
    char cbuf[CMSG_SPACE(sizeof(struct ucred))], d;
    struct iovec iov = {&d, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    wait_inq(sv[1], 1);
    say("recvmsg: %s", rs(recvmsg(sv[1], &m, 0)));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (cm && cm->cmsg_type == SCM_CREDENTIALS) {
        memcpy(&uc, CMSG_DATA(cm), sizeof uc);
        say("SCM_CREDENTIALS: pid == getpid() %d, uid %d, gid %d", uc.pid == getpid(), uc.uid == getuid(),
            uc.gid == getgid());
    } else
        say("no SCM_CREDENTIALS");
    /* explicit credentials, our own */
    memset(cbuf, 0, sizeof cbuf);
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof uc);
    uc = (struct ucred){getpid(), getuid(), getgid()};
    memcpy(CMSG_DATA(cm), &uc, sizeof uc);
    ssize_t sr = sendmsg(sv[0], &m, 0);
    say("sendmsg with our own credentials: %s", rs(sr));
    m.msg_controllen = sizeof cbuf;
    if (sr > 0)
        wait_inq(sv[1], 1);
    say("recvmsg: %s", rs(recvmsg(sv[1], &m, MSG_DONTWAIT)));
    cm = CMSG_FIRSTHDR(&m);
    if (cm)
        memcpy(&uc, CMSG_DATA(cm), sizeof uc);
    say("received pid == getpid() %d", cm && uc.pid == getpid());
    close(sv[0]); close(sv[1]);

    struct sockaddr_un a;
    socklen_t al = un_addr(&a, "cred.sock", 0);
    unlink("cred.sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, al);
    ul = sizeof uc;
    memset(&uc, 0xff, sizeof uc);
    getsockopt(l, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    say("SO_PEERCRED on a bound socket: pid %d", uc.pid);
    listen(l, 1);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, al);
    int s = accept(l, NULL, NULL);
    ul = sizeof uc;
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    say("connected end: peer pid == getpid() %d", uc.pid == getpid());
    ul = sizeof uc;
    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    say("accepted end: peer pid == getpid() %d", uc.pid == getpid());
    ul = sizeof uc;
    getsockopt(l, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    say("listener: pid == getpid() %d", uc.pid == getpid());
    close(c); close(s); close(l);
    unlink("cred.sock");
}

static void sec_shutdown(void)
{
    int sv[2];
    char buf[64];
    on_signal(SIGPIPE, on_pipe, 0);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    say("poll idle: %s", evs(revents(sv[0], POLLIN | POLLOUT | POLLRDHUP)));
    write(sv[0], "last", 4);
    shutdown(sv[0], SHUT_WR);
    wait_ev(sv[1], POLLRDHUP);
    say("after the peer's SHUT_WR: %s", evs(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP)));
    say("mine: %s", evs(revents(sv[0], POLLIN | POLLOUT | POLLRDHUP)));
    say("read: %s", rs(read(sv[1], buf, sizeof buf)));
    say("then: %s", rs(read(sv[1], buf, sizeof buf)));
    say("write after SHUT_WR: %s", rs(write(sv[0], "x", 1)));
    say("SIGPIPEs %d", sigpipes);
    say("the other way still works: %s", rs(write(sv[1], "back", 4)));
    say("read: %s", rs(readn(sv[0], buf, 4)));
    shutdown(sv[1], SHUT_RD);
    say("peer SHUT_RD, write to it: %s", rs(send(sv[0], "x", 1, MSG_NOSIGNAL)));
    say("SIGPIPEs %d", sigpipes);
    close(sv[0]); close(sv[1]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int n = -1;
    write(sv[0], "12345", 5);
    ioctl(sv[1], FIONREAD, &n);
    say("FIONREAD 5: %d", n);
    ioctl(sv[0], SIOCOUTQ, &n);
    say("SIOCOUTQ while unread > 0: %d", n > 0);
    read(sv[1], buf, 5);
    ioctl(sv[0], SIOCOUTQ, &n);
    say("SIOCOUTQ once read: %d", n);
    write(sv[1], "unread", 6);
    close(sv[0]);
    say("closed with unread data; the peer's poll: %s", evs(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP)));
    say("read: %s", rs(read(sv[1], buf, sizeof buf)));
    say("then: %s", rs(read(sv[1], buf, sizeof buf)));
    say("write: %s", rs(write(sv[1], "x", 1)));
    say("SIGPIPEs %d", sigpipes);
    close(sv[1]);
    signal(SIGPIPE, SIG_DFL);
}

#define BULK (100u << 20)
static void *bulk_writer(void *arg)
{
    int fd = *(int *)arg;
    static unsigned char buf[(1 << 20) + 65536];
    fill_pattern(buf, sizeof buf, 43, 0);
    for (size_t put = 0; put < BULK; put += 65536)
        if (writen(fd, buf + (put % (1 << 20)), 65536) != 65536)
            break;
    close(fd);
    return NULL;
}

static void sec_bulk(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pthread_t t;
    pthread_create(&t, NULL, bulk_writer, &sv[0]);
    static unsigned char want[(1 << 20) + 65536], buf[65536];
    fill_pattern(want, sizeof want, 43, 0);
    uint64_t h = FNV0, w = FNV0;
    for (size_t put = 0; put < BULK; put += 65536)
        w = fnv(w, want + (put % (1 << 20)), 65536);
    size_t n = 0;
    ssize_t r;
    while ((r = read(sv[1], buf, sizeof buf)) > 0) {
        h = fnv(h, buf, r);
        n += r;
    }
    pthread_join(t, NULL);
    say("100 MB: received %zu, checksum %s", n, h == w ? "matches" : "WRONG");
    close(sv[1]);
}

int main(int argc, char **argv)
{
    alarm(argc < 2 ? 60 : 7);
    static const struct section secs[] = {
        {"pair", sec_pair}, {"empty", sec_empty}, {"path", sec_path}, {"abstract", sec_abstract}, {"autobind", sec_autobind},
        {"dgram", sec_dgram}, {"dgramroom", sec_dgramroom}, {"lclose", sec_lclose}, {"seqpacket", sec_seqpacket}, {"rights", sec_rights}, {"creds", sec_creds},
        {"shutdown", sec_shutdown}, {"bulk", sec_bulk}, {"nonul", sec_nonul}, {"longrel", sec_longrel},
        {"relout", sec_relout},
    };
    return run_sections("sock_unix", argc, argv, secs, sizeof secs / sizeof secs[0]);
}
