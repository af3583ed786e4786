/* Pipes and eventfd inside one program.
 *
 *   pipes_eventfd [SECTION...]   (default: all but sigpipe, in order)
 *
 * pipe-basic    pipe2 flags, EOF, FIONREAD, EAGAIN, O_DIRECT packets, poll
 *               masks of both ends, read/write on the wrong end (EBADF)
 * pipe-epipe    EPIPE with SIGPIPE caught, then ignored
 * sigpipe       a write to a reader-less pipe with SIGPIPE at its default
 *               kills the program (status 141; not in the default run)
 * pipe-size     F_GETPIPE_SZ/F_SETPIPE_SZ rounding, EBUSY, a full pipe
 *               holding exactly its size, partial non-blocking writes
 * pipe-atomic   4 threads writing PIPE_BUF records: none interleaved;
 *               non-blocking writes of <= PIPE_BUF never partial
 * pipe-bulk     100 MB through a pipe, checksum
 * splice        splice file -> pipe -> file, tee, vmsplice, FIONREAD
 * eventfd       counter: initval, sums, reset on read, EINVAL for short
 *               buffers and 2^64-1, EAGAIN at the maximum, poll masks
 * eventfd-sem   EFD_SEMAPHORE: reads of 1
 * eventfd-block blocking read and blocking write woken by threads
 * pipe-stat     fstat (S_IFIFO, one inode for both ends), /proc/self/fd
 *               links (pipe:[ino], anon_inode:[eventfd]), eventfd fdinfo
 * pipe-threads  4 writers and 4 readers on one pipe, blocking, odd sizes:
 *               every byte arrives once
 * pipe-intr     a blocking write cut by a signal returns what it wrote; a
 *               blocking read gives EINTR, or restarts with SA_RESTART
 * splice-more   sendfile into a pipe (offset, file position, page
 *               alignment of a file source), splice into a full pipe,
 *               pipe -> O_DIRECT pipe, tee, EINVAL/ESPIPE cases,
 *               copy_file_range with a pipe or an eventfd on a side
 * pipe-leave    a pipe with bytes in it passed over a kernel UNIX socket
 *               (SCM_RIGHTS) and added to epoll: the bytes are kept, the
 *               ends still meet; F_SETPIPE_SZ shrinking keeps the bytes
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "socklib.h"

static int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static void sec_pipe_basic(void)
{
    int p[2];
    char buf[64];
    say("pipe2 O_CLOEXEC|O_NONBLOCK: %s", rs(pipe2(p, O_CLOEXEC | O_NONBLOCK)));
    say("read end: O_NONBLOCK %d FD_CLOEXEC %d O_RDONLY %d", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK),
        !!(fcntl(p[0], F_GETFD) & FD_CLOEXEC), (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    say("write end: O_WRONLY %d", (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    say("empty read: %s", rs(read(p[0], buf, sizeof buf)));
    say("poll read end: %s", evs(revents(p[0], POLLIN | POLLOUT)));
    say("poll write end: %s", evs(revents(p[1], POLLIN | POLLOUT)));
    say("read the write end: %s", rs(read(p[1], buf, 1)));
    say("write the read end: %s", rs(write(p[0], "x", 1)));
    write(p[1], "ab", 2);
    write(p[1], "cde", 3);
    int n = -1;
    ioctl(p[0], FIONREAD, &n);
    say("FIONREAD: %d", n);
    say("poll read end: %s", evs(revents(p[0], POLLIN | POLLOUT)));
    memset(buf, 0, sizeof buf);
    say("read merges: %s \"%s\"", rs(read(p[0], buf, sizeof buf)), buf);
    say("zero-length write: %s", rs(write(p[1], "", 0)));
    say("zero-length read: %s", rs(read(p[0], buf, 0)));
    close(p[1]);
    say("after the writer closed: poll %s", evs(revents(p[0], POLLIN | POLLOUT)));
    say("read: %s", rs(read(p[0], buf, sizeof buf)));
    close(p[0]);
    say("pipe2 with a bad flag: %s", rs(pipe2(p, 0x1)));
    say("pipe2 O_DIRECT: %s", rs(pipe2(p, O_DIRECT | O_NONBLOCK)));
    write(p[1], "one", 3);
    write(p[1], "three", 5);
    memset(buf, 0, sizeof buf);
    say("packet read: %s \"%s\"", rs(read(p[0], buf, sizeof buf)), buf);
    memset(buf, 0, sizeof buf);
    say("short packet read: %s \"%s\" (the rest is dropped)", rs(read(p[0], buf, 2)), buf);
    say("then: %s", rs(read(p[0], buf, sizeof buf)));
    close(p[0]);
    say("poll write end, reader gone: %s", evs(revents(p[1], POLLIN | POLLOUT)));
    close(p[1]);
}

static void sec_pipe_epipe(void)
{
    int p[2];
    on_signal(SIGPIPE, on_pipe, 0);
    pipe(p);
    close(p[0]);
    say("write, no reader: %s", rs(write(p[1], "x", 1)));
    say("SIGPIPEs %d", sigpipes);
    struct iovec iov = {"y", 1};
    say("writev: %s", rs(writev(p[1], &iov, 1)));
    say("SIGPIPEs %d", sigpipes);
    signal(SIGPIPE, SIG_IGN);
    say("ignored: %s", rs(write(p[1], "x", 1)));
    say("SIGPIPEs %d", sigpipes);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_BLOCK, &s, NULL);
    say("blocked: %s", rs(write(p[1], "x", 1)));
    sigpending(&s);
    say("SIGPIPE pending %d", sigismember(&s, SIGPIPE));
    signal(SIGPIPE, SIG_IGN); /* discards the pending one */
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);
}

static void sec_sigpipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    say("writing to a pipe without readers");
    write(p[1], "x", 1);
    say("FAIL still alive");
}

static void sec_pipe_size(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    say("F_GETPIPE_SZ: %d", fcntl(p[0], F_GETPIPE_SZ));
    say("F_SETPIPE_SZ 100000: %d", fcntl(p[1], F_SETPIPE_SZ, 100000));
    say("F_GETPIPE_SZ (read end): %d", fcntl(p[0], F_GETPIPE_SZ));
    say("F_SETPIPE_SZ 1: %d", fcntl(p[1], F_SETPIPE_SZ, 1));
    say("F_SETPIPE_SZ 8192: %d", fcntl(p[1], F_SETPIPE_SZ, 8192));
    static char big[1 << 20];
    memset(big, 'p', sizeof big);
    say("write 5000: %s", rs(write(p[1], big, 5000)));
    say("F_SETPIPE_SZ 4096 with 5000 bytes in: %s", rs(fcntl(p[1], F_SETPIPE_SZ, 4096)));
    say("write 10000 more (partial): %s", rs(write(p[1], big, 10000)));
    say("full: %s", rs(write(p[1], big, 1)));
    say("poll write end: %s", evs(revents(p[1], POLLOUT)));
    int n;
    ioctl(p[0], FIONREAD, &n);
    say("FIONREAD: %d", n);
    say("read 100: %s", rs(read(p[0], big, 100)));
    say("poll write end after 100 read: %s", evs(revents(p[1], POLLOUT)));
    say("read 5000: %s", rs(read(p[0], big, 5000)));
    say("poll write end, a page free: %s", evs(revents(p[1], POLLOUT)));
    int dn = open("/dev/null", O_RDONLY);
    say("F_GETPIPE_SZ on /dev/null: %s", rs(fcntl(dn, F_GETPIPE_SZ)));
    close(dn);
    say("F_SETPIPE_SZ -1: %s", rs(fcntl(p[1], F_SETPIPE_SZ, -1)));
    close(p[0]); close(p[1]);
    pipe2(p, O_NONBLOCK);
    size_t total = 0;
    ssize_t r;
    while ((r = write(p[1], big, 1000)) > 0)
        total += r;
    say("default pipe fills after %zu bytes, then %s", total, rs(r));
    close(p[0]); close(p[1]);
}

struct aw {
    int fd;
    int id;
};
static void *atomic_writer(void *arg)
{
    struct aw *a = arg;
    char rec[PIPE_BUF];
    memset(rec, 'A' + a->id, sizeof rec);
    for (int i = 0; i < 500; i++)
        if (write(a->fd, rec, sizeof rec) != sizeof rec) {
            printf("FAIL short write\n");
            failures++;
        }
    return NULL;
}

static void sec_pipe_atomic(void)
{
    int p[2];
    pipe(p);
    say("PIPE_BUF %d", PIPE_BUF);
    pthread_t t[4];
    struct aw a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct aw){p[1], i};
        pthread_create(&t[i], NULL, atomic_writer, &a[i]);
    }
    static char rec[PIPE_BUF];
    int counts[4] = {0}, mixed = 0;
    for (int k = 0; k < 4 * 500; k++) {
        if (readn(p[0], rec, sizeof rec) != sizeof rec)
            break;
        int id = rec[0] - 'A';
        for (int j = 1; j < PIPE_BUF; j++)
            if (rec[j] != rec[0]) {
                mixed++;
                break;
            }
        if (id >= 0 && id < 4)
            counts[id]++;
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    say("records per writer %d %d %d %d, interleaved %d", counts[0], counts[1], counts[2], counts[3], mixed);
    close(p[0]); close(p[1]);
    pipe2(p, O_NONBLOCK);
    static char big[65536];
    write(p[1], big, 65536 - 100);
    say("100 bytes free, write 4096: %s", rs(write(p[1], big, 4096)));
    say("write 100: %s", rs(write(p[1], big, 100)));
    read(p[0], big, 4096 * 2);
    say("8192 free, write 20000 (more than PIPE_BUF, partial): %s", rs(write(p[1], big, 20000)));
    close(p[0]); close(p[1]);
}

#define BULK (100u << 20)
static void *bulk_writer(void *arg)
{
    int fd = *(int *)arg;
    static unsigned char buf[(1 << 20) + 65536];
    fill_pattern(buf, sizeof buf, 44, 0);
    for (size_t put = 0; put < BULK; put += 65536)
        if (writen(fd, buf + (put % (1 << 20)), 65536) != 65536)
            break;
    close(fd);
    return NULL;
}

static void sec_pipe_bulk(void)
{
    int p[2];
    pipe(p);
    pthread_t t;
    pthread_create(&t, NULL, bulk_writer, &p[1]);
    static unsigned char want[(1 << 20) + 65536], buf[65536];
    fill_pattern(want, sizeof want, 44, 0);
    uint64_t h = FNV0, w = FNV0;
    for (size_t put = 0; put < BULK; put += 65536)
        w = fnv(w, want + (put % (1 << 20)), 65536);
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], buf, sizeof buf)) > 0) {
        h = fnv(h, buf, r);
        n += r;
    }
    pthread_join(t, NULL);
    say("100 MB: received %zu, checksum %s", n, h == w ? "matches" : "WRONG");
    close(p[0]);
}

static void sec_splice(void)
{
    int f = open("in.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static unsigned char data[200000], back[200000];
    fill_pattern(data, sizeof data, 5, 0);
    writen(f, data, sizeof data);
    int p[2], q[2];
    pipe(p);
    pipe(q);
    loff_t off = 1000;
    say("splice file -> pipe 30000 from 1000: %s", rs(splice(f, &off, p[1], NULL, 30000, 0)));
    say("offset %lld, file position %lld", (long long)off, (long long)lseek(f, 0, SEEK_CUR));
    int n;
    ioctl(p[0], FIONREAD, &n);
    say("FIONREAD %d", n);
    say("tee 10000 into a second pipe: %s", rs(tee(p[0], q[1], 10000, 0)));
    ioctl(p[0], FIONREAD, &n);
    say("first pipe still holds %d", n);
    ioctl(q[0], FIONREAD, &n);
    say("second pipe holds %d", n);
    int g = open("out.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    size_t moved = 0;
    while (moved < 30000) {
        ssize_t r = splice(p[0], NULL, g, NULL, 30000 - moved, 0);
        if (r <= 0)
            break;
        moved += r;
    }
    say("splice pipe -> file: %zu", moved);
    pread(g, back, 30000, 0);
    say("file matches %d", !memcmp(back, data + 1000, 30000));
    readn(q[0], back, 10000);
    say("tee copy matches %d", !memcmp(back, data + 1000, 10000));
    struct iovec iov[2] = {{data, 100}, {data + 500, 200}};
    say("vmsplice: %s", rs(vmsplice(p[1], iov, 2, 0)));
    readn(p[0], back, 300);
    say("vmsplice data %d", !memcmp(back, data, 100) && !memcmp(back + 100, data + 500, 200));
    say("splice file -> file: %s", rs(splice(f, NULL, g, NULL, 10, 0)));
    set_nb(p[0], 1);
    say("splice from an empty pipe, SPLICE_F_NONBLOCK: %s", rs(splice(p[0], NULL, g, NULL, 10, SPLICE_F_NONBLOCK)));
    close(p[1]);
    say("splice from a pipe without writers: %s", rs(splice(p[0], NULL, g, NULL, 10, 0)));
    close(p[0]); close(q[0]); close(q[1]); close(f); close(g);
    unlink("in.dat"); unlink("out.dat");
}

static void sec_eventfd(void)
{
    int e = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
    uint64_t v = 0;
    say("poll with initval 5: %s", evs(revents(e, POLLIN | POLLOUT)));
    say("read: %s", rs(read(e, &v, 8)));
    say("value %llu", (unsigned long long)v);
    say("empty: %s", rs(read(e, &v, 8)));
    say("poll empty: %s", evs(revents(e, POLLIN | POLLOUT)));
    v = 3;
    write(e, &v, 8);
    v = 4;
    write(e, &v, 8);
    say("read after 3 + 4: %s", rs(read(e, &v, 8)));
    say("value %llu", (unsigned long long)v);
    say("read 4 bytes: %s", rs(read(e, &v, 4)));
    v = 1;
    say("write 4 bytes: %s", rs(write(e, &v, 4)));
    v = UINT64_MAX;
    say("write 2^64-1: %s", rs(write(e, &v, 8)));
    v = UINT64_MAX - 1;
    say("write 2^64-2: %s", rs(write(e, &v, 8)));
    say("poll at the maximum: %s", evs(revents(e, POLLIN | POLLOUT)));
    v = 1;
    say("write 1 more: %s", rs(write(e, &v, 8)));
    v = 0;
    say("write 0: %s", rs(write(e, &v, 8)));
    say("read 16 bytes: %s", rs(read(e, (uint64_t[2]){0}, 16)));
    say("poll after: %s", evs(revents(e, POLLIN | POLLOUT)));
    int n = -1;
    say("FIONREAD: %s", rs(ioctl(e, FIONREAD, &n)));
    say("eventfd bad flags: %s", rs(eventfd(0, 0x2)));
    close(e);
}

static void sec_eventfd_sem(void)
{
    int e = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
    uint64_t v = 3;
    write(e, &v, 8);
    for (int i = 0; i < 4; i++) {
        v = 0;
        say("semaphore read %d: %s", i, rs(read(e, &v, 8)));
        say("value %llu", (unsigned long long)v);
    }
    say("poll: %s", evs(revents(e, POLLIN | POLLOUT)));
    close(e);
}

static void *efd_poke(void *arg)
{
    int e = *(int *)arg;
    msleep(50);
    uint64_t v = 9;
    write(e, &v, 8);
    /* main reads 9 and then fills the counter: wait for that (no POLLOUT) */
    for (int i = 0; i < 5000 && (revents(e, POLLOUT) & POLLOUT); i++)
        msleep(1);
    msleep(20);
    read(e, &v, 8);
    return NULL;
}

static void sec_eventfd_block(void)
{
    int e = eventfd(0, 0);
    pthread_t t;
    pthread_create(&t, NULL, efd_poke, &e);
    uint64_t v = 0;
    say("blocking read: %s", rs(read(e, &v, 8)));
    say("value %llu", (unsigned long long)v);
    v = UINT64_MAX - 1;
    write(e, &v, 8);
    v = 1;
    say("blocking write at the maximum, a thread reads: %s", rs(write(e, &v, 8)));
    pthread_join(t, NULL);
    read(e, &v, 8);
    say("then holds %llu", (unsigned long long)v);
    close(e);
}

static void sec_pipe_stat(void)
{
    int p[2];
    pipe2(p, O_CLOEXEC);
    struct stat a, b;
    say("fstat read end: %s", rs(fstat(p[0], &a)));
    fstat(p[1], &b);
    say("S_ISFIFO %d, mode %o, nlink %d, size %lld, one inode %d, blksize %ld", S_ISFIFO(a.st_mode),
        (unsigned)(a.st_mode & 07777), (int)a.st_nlink, (long long)a.st_size, a.st_ino == b.st_ino,
        (long)a.st_blksize);
    char path[64], link[128], want[64];
    /* fdinfo's flags: the description's, O_CLOEXEC for the fd's FD_CLOEXEC */
    for (int i = 0; i < 2; i++) {
        if (i)
            fcntl(p[1], F_SETFD, 0);
        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", p[1]);
        FILE *fi = fopen(path, "r");
        char line[128] = "", fl[32] = "none";
        while (fi && fgets(line, sizeof line, fi))
            if (sscanf(line, "flags: %31s", fl) == 1)
                break;
        if (fi)
            fclose(fi);
        say("fdinfo flags of the write end%s: %s", i ? " after F_SETFD 0" : "", fl);
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)a.st_ino);
    say("fd link is pipe:[st_ino] %d", !strcmp(link, want));
    int e = eventfd(7, EFD_SEMAPHORE);
    snprintf(path, sizeof path, "/proc/self/fd/%d", e);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    say("eventfd link: %s", link);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", e);
    FILE *f = fopen(path, "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "eventfd-", 8) && strncmp(line, "eventfd-id:", 11)) /* ids are global */
            printf("fdinfo %s", line);
    if (f)
        fclose(f);
    struct stat es;
    fstat(e, &es);
    say("eventfd fstat: type bits %o, mode %o", (unsigned)(es.st_mode & S_IFMT), (unsigned)(es.st_mode & 07777));
    close(e); close(p[0]); close(p[1]);
}

#define TW 4
#define TR 4
#define TPER 3000000
static int tpipe[2];
static uint64_t tsum[TR], tbytes[TR];
static void *t_writer(void *arg)
{
    long id = (long)arg;
    static unsigned char buf[TW][9000];
    for (size_t i = 0; i < sizeof buf[id]; i++)
        buf[id][i] = (unsigned char)(i * 7 + id);
    for (size_t put = 0, k = 0; put < TPER; k++) {
        size_t n = 1 + (k * 2654435761u + id) % 9000;
        if (n > TPER - put)
            n = TPER - put;
        if (writen(tpipe[1], buf[id], n) != (ssize_t)n)
            break;
        put += n;
    }
    return NULL;
}
static void *t_reader(void *arg)
{
    long id = (long)arg;
    unsigned char buf[5000];
    ssize_t r;
    for (size_t k = 0; (r = read(tpipe[0], buf, 1 + (k * 40503u + id) % sizeof buf)) > 0; k++) {
        tbytes[id] += r;
        for (ssize_t i = 0; i < r; i++)
            tsum[id] += buf[i];
    }
    return NULL;
}

static void sec_pipe_threads(void)
{
    pipe(tpipe);
    pthread_t w[TW], r[TR];
    for (long i = 0; i < TR; i++)
        pthread_create(&r[i], NULL, t_reader, (void *)i);
    for (long i = 0; i < TW; i++)
        pthread_create(&w[i], NULL, t_writer, (void *)i);
    for (int i = 0; i < TW; i++)
        pthread_join(w[i], NULL);
    close(tpipe[1]);
    uint64_t bytes = 0, sum = 0, want = 0;
    for (int i = 0; i < TR; i++) {
        pthread_join(r[i], NULL);
        bytes += tbytes[i];
        sum += tsum[i];
    }
    for (long id = 0; id < TW; id++)
        for (size_t put = 0, k = 0; put < TPER; k++) {
            size_t n = 1 + (k * 2654435761u + id) % 9000;
            if (n > TPER - put)
                n = TPER - put;
            for (size_t i = 0; i < n; i++)
                want += (unsigned char)(i * 7 + id);
            put += n;
        }
    say("%d writers, %d readers: %llu bytes, sum %s", TW, TR, (unsigned long long)bytes,
        sum == want ? "matches" : "WRONG");
    close(tpipe[0]);
}

static void on_alarm(int s) { (void)s; }

static void sec_pipe_intr(void)
{
    int p[2];
    pipe(p);
    static char big[1 << 20];
    on_signal(SIGALRM, on_alarm, 0);
    ualarm(100000, 0);
    say("blocking write of 1 MiB, nobody reads, a signal: %s", rs(write(p[1], big, sizeof big)));
    readn(p[0], big, 65536);
    on_signal(SIGALRM, on_alarm, SA_RESTART);
    ualarm(100000, 0);
    say("again with SA_RESTART (a write that wrote returns): %s", rs(write(p[1], big, sizeof big)));
    char c[16];
    readn(p[0], big, 65536);
    on_signal(SIGALRM, on_alarm, 0);
    ualarm(50000, 0);
    say("blocking read of an empty pipe, a signal: %s", rs(read(p[0], c, 10)));
    close(p[0]); close(p[1]);
    signal(SIGALRM, SIG_DFL);
}

static void drain(int fd)
{
    static char buf[1 << 16];
    int n = 0;
    ioctl(fd, FIONREAD, &n);
    say("  drained %d", n);
    while (n > 0) {
        ssize_t r = read(fd, buf, n < (int)sizeof buf ? n : (int)sizeof buf);
        if (r <= 0)
            break;
        n -= r;
    }
}

static void *late_write(void *arg)
{
    msleep(100);
    write(*(int *)arg, "late", 4);
    return NULL;
}

static void sec_splice_more(void)
{
    static char big[200000];
    memset(big, 'a', sizeof big);
    int f = open("more.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    writen(f, big, sizeof big);
    int p[2], k[2], q[2];
    pipe(p);
    pipe2(k, O_DIRECT);
    off_t off = 10;
    say("sendfile 70000 from offset 10 into a pipe: %s", rs(sendfile(p[1], f, &off, 70000)));
    say("offset %lld, position %lld", (long long)off, (long long)lseek(f, 0, SEEK_CUR));
    drain(p[0]);
    lseek(f, 100, SEEK_SET);
    say("sendfile 10 at the position: %s", rs(sendfile(p[1], f, NULL, 10)));
    say("position now %lld", (long long)lseek(f, 0, SEEK_CUR));
    say("sendfile from a pipe: %s", rs(sendfile(f, p[0], NULL, 10)));
    say("splice file -> pipe 100000: %s", rs(splice(f, NULL, p[1], NULL, 100000, 0)));
    say("position now %lld", (long long)lseek(f, 0, SEEK_CUR));
    say("splice pipe -> O_DIRECT pipe 3000: %s", rs(splice(p[0], NULL, k[1], NULL, 3000, 0)));
    say("tee 100 into the O_DIRECT pipe: %s", rs(tee(p[0], k[1], 100, SPLICE_F_NONBLOCK)));
    drain(p[0]);
    drain(k[0]);
    pipe2(q, O_NONBLOCK);
    writen(q[1], big, 65536);
    write(p[1], "hello", 5);
    say("splice file -> full pipe: %s", rs(splice(f, NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK)));
    say("splice pipe -> full pipe: %s", rs(splice(p[0], NULL, q[1], NULL, 10, SPLICE_F_NONBLOCK)));
    int e = eventfd(0, 0);
    say("splice pipe -> eventfd: %s", rs(splice(p[0], NULL, e, NULL, 10, 0)));
    off = 5;
    say("splice with an offset for the pipe: %s", rs(splice(p[0], &off, q[1], NULL, 10, 0)));
    say("vmsplice nothing: %s", rs(vmsplice(p[0], NULL, 0, 0)));
    /* Between regular files alone (Go's io.Copy falls back on EINVAL). */
    lseek(f, 0, SEEK_SET);
    say("copy_file_range file -> pipe: %s", rs(copy_file_range(f, NULL, p[1], NULL, 10, 0)));
    say("copy_file_range pipe -> file: %s", rs(copy_file_range(p[0], NULL, f, NULL, 10, 0)));
    say("copy_file_range eventfd -> file: %s", rs(copy_file_range(e, NULL, f, NULL, 10, 0)));
    say("copy_file_range pipe -> closed fd: %s", rs(copy_file_range(p[0], NULL, 999, NULL, 10, 0)));
    int d = open(".", O_RDONLY | O_DIRECTORY);
    say("copy_file_range directory -> pipe: %s", rs(copy_file_range(d, NULL, p[1], NULL, 10, 0)));
    close(d);
    close(e); close(f); close(p[0]); close(p[1]); close(k[0]); close(k[1]); close(q[0]); close(q[1]);
    unlink("more.dat");
    /* SPLICE_F_NONBLOCK is the pipe's and an AF_UNIX read's: an empty
     * blocking TCP socket waits for its bytes (it said EAGAIN). */
    int c, s, u[2];
    tcp_pair(&c, &s);
    pipe(p);
    pthread_t t;
    pthread_create(&t, NULL, late_write, &s);
    say("splice NONBLOCK from an empty blocking TCP socket: %s", rs(splice(c, NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK)));
    pthread_join(t, NULL);
    socketpair(AF_UNIX, SOCK_STREAM, 0, u);
    say("splice NONBLOCK from an empty blocking AF_UNIX socket: %s", rs(splice(u[0], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK)));
    close(c); close(s); close(u[0]); close(u[1]); close(p[0]); close(p[1]);
}

static void sec_pipe_leave(void)
{
    int p[2], sv[2];
    pipe(p);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(p[1], "hello ", 6);
    char cbuf[CMSG_SPACE(sizeof(int))] = {0}, c = 'x';
    struct iovec iov = {&c, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    say("send the read end with 6 bytes in: %s", rs(sendmsg(sv[0], &m, 0)));
    close(p[0]);
    write(p[1], "world", 5);
    memset(cbuf, 0, sizeof cbuf);
    m.msg_controllen = sizeof cbuf;
    say("receive: %s", rs(recvmsg(sv[1], &m, 0)));
    int r = -1;
    cm = CMSG_FIRSTHDR(&m);
    if (cm && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&r, CMSG_DATA(cm), sizeof(int));
    char buf[32] = {0};
    say("read the received end: %s \"%s\"", rs(read(r, buf, sizeof buf - 1)), buf);
    struct stat st;
    fstat(r, &st);
    say("a FIFO %d", S_ISFIFO(st.st_mode));
    close(p[1]);
    say("writer closed: %s", rs(read(r, buf, sizeof buf)));
    close(r); close(sv[0]); close(sv[1]);

    pipe(p);
    write(p[1], "abc", 3);
    int e = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = 5}, out[2];
    say("epoll ADD read end with 3 bytes in: %s", rs(epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev)));
    int n = epoll_wait(e, out, 2, 0);
    say("epoll_wait: %s %s", rs(n), n == 1 ? evs(out[0].events) : "");
    memset(buf, 0, sizeof buf);
    say("read: %s \"%s\"", rs(read(p[0], buf, sizeof buf - 1)), buf);
    close(e); close(p[0]); close(p[1]);

    pipe2(p, O_NONBLOCK);
    static char big[40000];
    write(p[1], big, 3000);
    say("F_SETPIPE_SZ 4096 with 3000 bytes in: %s", rs(fcntl(p[1], F_SETPIPE_SZ, 4096)));
    say("then holds: %s", rs(read(p[0], big, sizeof big)));
    say("a 1-page pipe takes: %s", rs(write(p[1], big, sizeof big)));
    close(p[0]); close(p[1]);
}

int main(int argc, char **argv)
{
    alarm(argc < 2 ? 60 : 7);
    static const struct section secs[] = {
        {"pipe-basic", sec_pipe_basic}, {"pipe-epipe", sec_pipe_epipe}, {"pipe-size", sec_pipe_size},
        {"pipe-atomic", sec_pipe_atomic}, {"pipe-bulk", sec_pipe_bulk}, {"splice", sec_splice},
        {"eventfd", sec_eventfd}, {"eventfd-sem", sec_eventfd_sem}, {"eventfd-block", sec_eventfd_block},
        {"pipe-stat", sec_pipe_stat}, {"pipe-threads", sec_pipe_threads}, {"pipe-intr", sec_pipe_intr},
        {"pipe-leave", sec_pipe_leave}, {"splice-more", sec_splice_more},
    };
    if (argc == 2 && !strcmp(argv[1], "sigpipe")) {
        sec_sigpipe();
        return 1;
    }
    return run_sections("pipes_eventfd", argc, argv, secs, sizeof secs / sizeof secs[0]);
}
