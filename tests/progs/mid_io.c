/* mid_io.c - reads, writes and epoll calls that pegasus may serve on its mid path (sys/mid_io.c): edge cases, compared with Linux. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <linux/sockios.h>
#include <sys/wait.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>

static const char *res(long r)
{
	static char b[64];
	if (r < 0)
		snprintf(b, sizeof(b), "-1 %s", strerrorname_np(errno));
	else
		snprintf(b, sizeof(b), "%ld", r);
	return b;
}

/* A connected in-memory (under pegasus) TCP pair: c and s. */
static void tcp_pair(int *c, int *s)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&a, &n);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	connect(*c, (struct sockaddr *)&a, sizeof(a));
	*s = accept(l, NULL, NULL);
	close(l);
}

/* An address no page is mapped at, which the compiler cannot see through. */
static void *volatile bad = (void *)8;

/* Is the file locked for another process (a forked child asks)? */
static void lock_seen(const char *what)
{
	pid_t p = fork();
	if (p == 0) {
		int fd = open("mid_io.tmp", O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		fcntl(fd, F_GETLK, &fl);
		printf("%s: %s\n", what, fl.l_type == F_UNLCK ? "unlocked" : "locked");
		_exit(0);
	}
	waitpid(p, NULL, 0);
}

/* Kernel files (no object under pegasus) in a set of the runtime's, their
 * closes, and SO_ERROR of an in-memory socket: the mid path's share. */
static void kernel_files(void)
{
	int reg = open("mid_io.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 }, got[4];
	for (int i = 0; i < 3; i++)
		printf("add a regular file: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev)));
	/* One with bytes, opened as Go's os.Open does (no O_CREAT, no
	 * O_NONBLOCK): known as a regular file under pegasus, refused without
	 * a kernel call, with Linux's order of checks. */
	write(reg, "bytes", 5);
	int rd = open("mid_io.tmp", O_RDONLY | O_CLOEXEC);
	for (int op = EPOLL_CTL_ADD; op <= EPOLL_CTL_MOD; op++)
		printf("op %d on a regular file with bytes: %s\n", op, res(epoll_ctl(ep, op, rd, &ev)));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	printf("modify it to EXCLUSIVE: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, rd, &ev)));
	ev.events = EPOLLIN;
	printf("add it to a bad set: %s\n", res(epoll_ctl(999, EPOLL_CTL_ADD, rd, &ev)));
	printf("add it to a set that is a file: %s\n", res(epoll_ctl(reg, EPOLL_CTL_ADD, rd, &ev)));
	printf("add it from a bad pointer: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, rd, bad)));
	close(rd);
	/* A regular file that can be polled: sysfs's (GPIO values, by
	 * sysfs_notify). */
	int sys = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC);
	for (int i = 0; sys >= 0 && i < 3; i++) {
		printf("add a sysfs file: %s", res(epoll_ctl(ep, EPOLL_CTL_ADD, sys, &ev)));
		printf(", again: %s", res(epoll_ctl(ep, EPOLL_CTL_ADD, sys, &ev)));
		printf(", delete: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, sys, NULL)));
	}
	if (sys >= 0)
		close(sys);
	int in1 = inotify_init1(IN_NONBLOCK), in2 = inotify_init1(IN_NONBLOCK);
	inotify_add_watch(in1, ".", IN_CREATE);
	inotify_add_watch(in2, ".", IN_CREATE);
	ev.data.u32 = 11;
	printf("add inotify 1: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, in1, &ev)));
	ev.data.u32 = 12;
	printf("add inotify 2: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, in2, &ev)));
	printf("add it again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, in2, &ev)));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	printf("modify to EXCLUSIVE: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, in2, &ev)));
	ev.events = EPOLLIN;
	ev.data.u32 = 22;
	printf("modify: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, in2, &ev)));
	printf("modify from a bad pointer: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, in2, bad)));
	printf("wait, nothing: %s\n", res(epoll_wait(ep, got, 4, 10)));
	close(open("mid_io.new", O_CREAT | O_WRONLY, 0600));
	int n = epoll_wait(ep, got, 4, 1000);
	unsigned sum = 0;
	for (int i = 0; i < n; i++)
		sum += got[i].data.u32;
	printf("wait, both: %d (data sum %u)\n", n, sum);
	char b[4096];
	while (read(in1, b, sizeof(b)) > 0 || read(in2, b, sizeof(b)) > 0)
		;
	printf("delete 1: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, in1, NULL)));
	printf("delete 1 again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, in1, NULL)));
	printf("close 2: %s\n", res(close(in2)));
	unlink("mid_io.new");
	close(open("mid_io.new", O_CREAT | O_WRONLY, 0600));
	printf("wait, none left: %s\n", res(epoll_wait(ep, got, 4, 10)));
	unlink("mid_io.new");
	close(in1);
	close(ep);

	for (int i = 0; i < 3; i++)
		printf("close: %s\n", res(close(reg)));
	printf("close -1: %s\n", res(close(-1)));
	printf("close 100000: %s\n", res(close(100000)));
	int a = open("mid_io.tmp", O_RDWR), c = open("mid_io.tmp", O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	printf("lock: %s\n", res(fcntl(a, F_SETLK, &fl)));
	lock_seen("after the lock");
	printf("close another fd of the file: %s\n", res(close(c)));
	lock_seen("after that close");
	close(a);
	unlink("mid_io.tmp");

	int s1, s2, err;
	tcp_pair(&s1, &s2);
	for (int i = 0; i < 3; i++) {
		socklen_t len = sizeof(err);
		printf("SO_ERROR: %s", res(getsockopt(s1, SOL_SOCKET, SO_ERROR, &err, &len)));
		printf(" = %d (len %u)\n", err, len);
	}
	socklen_t len = 2;
	err = -1;
	printf("SO_ERROR into 2 bytes: %s", res(getsockopt(s1, SOL_SOCKET, SO_ERROR, &err, &len)));
	printf(" = %d (len %u)\n", err, len);
	len = sizeof(err);
	printf("SO_ERROR into a bad buffer: %s\n", res(getsockopt(s1, SOL_SOCKET, SO_ERROR, bad, &len)));
	struct linger lg = { 1, 0 };
	setsockopt(s2, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s2);
	usleep(10000);
	for (int i = 0; i < 2; i++) {
		len = sizeof(err);
		printf("SO_ERROR after a reset: %s", res(getsockopt(s1, SOL_SOCKET, SO_ERROR, &err, &len)));
		printf(" = %s\n", err ? strerrorname_np(err) : "0");
	}
	close(s1);
}

/* Opens: numbers, errors, kinds of file, limits. */
static void opens(void)
{
	int w = open("mid_io.open", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(w, "contents", 8);
	close(w);
	mkdir("mid_io.dir", 0755);
	mkfifo("mid_io.fifo", 0644);
	for (int i = 0; i < 3; i++) {
		int a = open("mid_io.open", O_RDONLY), b = open("mid_io.open", O_RDONLY | O_CLOEXEC);
		char buf[16] = { 0 };
		printf("open twice: next %d, cloexec %d/%d, read %s", b - a, fcntl(a, F_GETFD), fcntl(b, F_GETFD),
		       res(read(b, buf, sizeof(buf))));
		printf(" [%s]\n", buf);
		close(a);
		int c = open("mid_io.open", O_RDWR);
		printf("after a close, the lowest again: %d\n", c == a);
		close(b);
		close(c);
	}
	printf("missing: %s\n", res(open("mid_io.nothere", O_RDONLY)));
	printf("under a file: %s\n", res(open("mid_io.open/x", O_RDONLY)));
	printf("a directory for writing: %s\n", res(open("mid_io.dir", O_WRONLY)));
	int d = open("mid_io.dir", O_RDONLY | O_DIRECTORY);
	printf("a directory: %d\n", d >= 0);
	printf("a file as a directory: %s\n", res(open("mid_io.open", O_RDONLY | O_DIRECTORY)));
	int in = openat(d, "../mid_io.open", O_RDONLY);
	printf("relative to a directory fd: %d\n", in >= 0);
	close(in);
	printf("relative to a bad fd: %s\n", res(openat(1000, "mid_io.open", O_RDONLY)));
	printf("relative to a file fd: %s\n", res(openat(0, "mid_io.open", O_RDONLY)));
	in = openat(1000, "/dev/null", O_RDONLY);
	printf("absolute, with a bad fd: %d\n", in >= 0);
	close(in);
	printf("from a bad pointer: %s\n", res(open(bad, O_RDONLY)));
	int fifo = open("mid_io.fifo", O_RDONLY | O_NONBLOCK);
	printf("a FIFO, non-blocking: %d, F_GETFL %x\n", fifo >= 0, fcntl(fifo, F_GETFL) & ~O_LARGEFILE);
	char fb[4];
	printf("its read, no writer: %s\n", res(read(fifo, fb, sizeof(fb))));
	close(fifo);
	/* Non-blocking opens take no stat first (sys/mid_io.c): what that stat
	 * answered, the open itself must. */
	printf("a FIFO for writing, non-blocking, no reader: %s\n", res(open("mid_io.fifo", O_WRONLY | O_NONBLOCK)));
	printf("missing, non-blocking: %s\n", res(open("mid_io.nothere", O_RDONLY | O_NONBLOCK)));
	printf("under a file, non-blocking: %s\n", res(open("mid_io.open/x", O_RDONLY | O_NONBLOCK)));
	printf("a file as a directory, non-blocking: %s\n", res(open("mid_io.open", O_RDONLY | O_DIRECTORY | O_NONBLOCK)));
	symlink("mid_io.open", "mid_io.link");
	printf("a link with O_NOFOLLOW, non-blocking: %s\n", res(open("mid_io.link", O_RDONLY | O_NOFOLLOW | O_NONBLOCK)));
	int nb = open("mid_io.link", O_RDONLY | O_NONBLOCK);
	char nbb[16] = { 0 };
	printf("a file through a link, non-blocking: F_GETFL %x, read %s", fcntl(nb, F_GETFL) & ~O_LARGEFILE,
	       res(read(nb, nbb, sizeof(nbb))));
	printf(" [%s]\n", nbb);
	close(nb);
	unlink("mid_io.link");
	int dn = open("/dev/null", O_RDWR | O_NONBLOCK);
	printf("/dev/null, non-blocking: write %s", res(write(dn, "x", 1)));
	printf(", read %s\n", res(read(dn, fb, sizeof(fb))));
	close(dn);
	int ps = open("/proc/self/stat", O_RDONLY);
	char st[64] = { 0 };
	read(ps, st, sizeof(st) - 1);
	printf("/proc/self/stat names this pid: %d\n", atoi(st) == getpid());
	close(ps);
	/* Up to the limit: EMFILE. */
	int first = open("mid_io.open", O_RDONLY);
	close(first);
	struct rlimit old, rl;
	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = first + 3;
	setrlimit(RLIMIT_NOFILE, &rl);
	int n = 0, fds[8], last = 0;
	while (n < 8 && (last = open("mid_io.open", O_RDONLY)) >= 0)
		fds[n++] = last;
	printf("opened under the limit: %d, then %s\n", n, res(last));
	while (n > 0)
		close(fds[--n]);
	setrlimit(RLIMIT_NOFILE, &old);
	close(d);
	unlink("mid_io.open");
	unlink("mid_io.fifo");
	rmdir("mid_io.dir");
}

static void sendfile_into(int c, int s);

/* Reads and writes on a stream pair a fork moved into the kernel: c and s
 * blocking; calls that cannot wait (MSG_DONTWAIT, then O_NONBLOCK) and
 * ones that can. */
static void kernel_socket_io(int c, int s)
{
	char b[64];
	printf("-- a socket a fork shared\n");
	printf("recv, nothing there, MSG_DONTWAIT: %s\n", res(recv(s, b, sizeof(b), MSG_DONTWAIT)));
	printf("send, MSG_DONTWAIT: %s\n", res(send(c, "hello", 5, MSG_DONTWAIT)));
	printf("recv, blocking, something there: %s", res(recv(s, b, sizeof(b), 0)));
	printf(" [%.5s]\n", b);
	struct iovec v[2] = { { "ab", 2 }, { "cde", 3 } };
	struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
	printf("sendmsg of two pieces, MSG_DONTWAIT: %s\n", res(sendmsg(c, &m, MSG_DONTWAIT)));
	memset(b, 0, sizeof(b));
	struct iovec r[2] = { { b, 1 }, { b + 1, 10 } };
	printf("readv: %s [%s]\n", res(readv(s, r, 2)), b);
	while (recv(s, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	fcntl(c, F_SETFL, O_NONBLOCK);
	fcntl(s, F_SETFL, O_NONBLOCK);
	printf("read, non-blocking, nothing there: %s\n", res(read(s, b, sizeof(b))));
	long sent = 0, n;
	while ((n = write(c, "0123456789abcdef", 16)) > 0)
		sent += n;
	printf("write until full: %s, sent something %d\n", n < 0 ? strerrorname_np(errno) : "stopped", sent > 0);
	long got = 0;
	while ((n = recvfrom(s, b, sizeof(b), 0, NULL, NULL)) > 0)
		got += n;
	printf("recvfrom until empty: %s, got all %d\n", n < 0 ? strerrorname_np(errno) : "0", got == sent);
	fcntl(c, F_SETFL, 0);
	fcntl(s, F_SETFL, 0);
	int d = dup(s);
	close(s);
	close(d);
	printf("send to a closed peer, MSG_NOSIGNAL: %s\n", res(send(c, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT)));
	close(c);
}

/* FIONREAD, SIOCOUTQ and sendfile from a file into a non-blocking socket. */
static void queries_and_sendfile(void)
{
	int c, s, v;
	tcp_pair(&c, &s);
	for (int i = 0; i < 3; i++) {
		write(c, "12345", 5);
		printf("FIONREAD: %s", res(ioctl(s, FIONREAD, &v)));
		printf(" = %d\n", v);
		printf("SIOCOUTQ of the reader: %s", res(ioctl(s, SIOCOUTQ, &v)));
		printf(" = %d\n", v);
		char b[8];
		read(s, b, sizeof(b));
	}
	printf("FIONREAD into a bad buffer: %s\n", res(ioctl(s, FIONREAD, bad)));

	sendfile_into(c, s);
}

static char data[300000];

/* sendfile from a file into the non-blocking socket c, read from s; both
 * closed at the end. */
static void sendfile_into(int c, int s)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	int f = open("mid_io.data", O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(f, data, sizeof(data));
	fcntl(c, F_SETFL, O_NONBLOCK);
	fcntl(s, F_SETFL, O_NONBLOCK);
	off_t off = 100;
	printf("sendfile 1000 at 100: %s", res(sendfile(c, f, &off, 1000)));
	printf(", offset %lld, position %lld\n", (long long)off, (long long)lseek(f, 0, SEEK_CUR));
	static char got[300000];
	long n = read(s, got, sizeof(got));
	printf("read: %ld, the same bytes: %d\n", n, n == 1000 && !memcmp(got, data + 100, 1000));
	/* Until the socket is full: every byte arrives once, in order. */
	off = 0;
	long sent = 0, r;
	int rounds = 0;
	while ((r = sendfile(c, f, &off, sizeof(data) - off)) > 0 && rounds++ < 1000) {
		sent += r;
		if (off == (off_t)sizeof(data))
			break;
	}
	/* How much fits is the buffers' business (Linux's loopback takes it all). */
	printf("sendfile until full or done: last %s\n", r > 0 || errno == EAGAIN ? "a count or EAGAIN" : res(r));
	long recvd = 0;
	int same = 1;
	for (;;) {
		while ((n = read(s, got, 65536)) > 0) {
			same &= !memcmp(got, data + recvd, n);
			recvd += n;
		}
		if (off == (off_t)sizeof(data))
			break;
		if ((r = sendfile(c, f, &off, sizeof(data) - off)) <= 0)
			break;
		sent += r;
	}
	while ((n = read(s, got, 65536)) > 0) {
		same &= !memcmp(got, data + recvd, n);
		recvd += n;
	}
	printf("sent %ld, received %ld, the same bytes: %d, offset at the end: %d\n", sent, recvd, same,
	       off == (off_t)sizeof(data));
	off = sizeof(data) - 10;
	printf("sendfile past the end: %s", res(sendfile(c, f, &off, 100)));
	printf(", offset %lld\n", (long long)off);
	printf("sendfile at the end: %s\n", res(sendfile(c, f, &off, 100)));
	printf("sendfile with a bad offset pointer: %s\n", res(sendfile(c, f, bad, 100)));
	off = -1;
	printf("sendfile at offset -1: %s\n", res(sendfile(c, f, &off, 100)));
	int wo = open("mid_io.data", O_WRONLY);
	off = 0;
	printf("sendfile from a write-only file: %s\n", res(sendfile(c, wo, &off, 100)));
	close(wo);
	off = 0;
	printf("sendfile of 0 bytes: %s\n", res(sendfile(c, f, &off, 0)));
	/* From the file's position: it moves. What the socket holds first. */
	while (read(s, got, sizeof(got)) > 0)
		;
	lseek(f, 50, SEEK_SET);
	printf("sendfile from the position: %s", res(sendfile(c, f, NULL, 20)));
	printf(", position %lld", (long long)lseek(f, 0, SEEK_CUR));
	n = 0;
	for (int tries = 0; n < 20 && tries < 100; tries++) {
		long r1 = read(s, got + n, sizeof(got) - n);
		if (r1 > 0)
			n += r1;
		else
			usleep(1000);
	}
	printf(", read %ld, the same bytes: %d\n", n, n == 20 && !memcmp(got, data + 50, 20));
	/* Left unread: the close below resets the peer. */
	off = 0;
	printf("sendfile 10 more: %s\n", res(sendfile(c, f, &off, 10)));
	/* Into a regular file (the full path's), and past RLIMIT_FSIZE. */
	int g = open("mid_io.copy", O_RDWR | O_CREAT | O_TRUNC, 0600);
	off = 0;
	printf("sendfile into a file: %s", res(sendfile(g, f, &off, 5000)));
	printf(", size %lld\n", (long long)lseek(g, 0, SEEK_END));
	struct rlimit fsz, old_fsz;
	getrlimit(RLIMIT_FSIZE, &old_fsz);
	fsz = old_fsz;
	fsz.rlim_cur = 6000;
	setrlimit(RLIMIT_FSIZE, &fsz);
	signal(SIGXFSZ, SIG_IGN);
	off = 0;
	printf("sendfile into a file past RLIMIT_FSIZE: %s\n", res(sendfile(g, f, &off, 5000)));
	printf("and again, at the limit: %s\n", res(sendfile(g, f, &off, 5000)));
	setrlimit(RLIMIT_FSIZE, &old_fsz);
	close(g);
	unlink("mid_io.copy");
	close(s);
	usleep(10000);
	off = 0;
	printf("sendfile to a closed peer: %s\n", res(sendfile(c, f, &off, 100)));
	close(c);
	close(f);
	unlink("mid_io.data");
}


int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	int c, s;
	char buf[256];
	tcp_pair(&c, &s);

	printf("write: %s\n", res(write(c, "hello", 5)));
	char a1[3], a2[10];
	struct iovec rv[2] = { { a1, 3 }, { a2, 10 } };
	printf("readv: %s", res(readv(s, rv, 2)));
	printf(" [%.3s|%.2s]\n", a1, a2);

	struct iovec wv[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
	printf("writev with an empty part: %s\n", res(writev(c, wv, 3)));
	printf("read: %s", res(read(s, buf, sizeof(buf))));
	printf(" [%.5s]\n", buf);

	printf("recv MSG_DONTWAIT, nothing there: %s\n", res(recv(s, buf, 10, MSG_DONTWAIT)));
	struct iovec mv[2] = { { "12", 2 }, { "345", 3 } };
	struct msghdr m = { .msg_iov = mv, .msg_iovlen = 2 };
	printf("sendmsg: %s\n", res(sendmsg(c, &m, MSG_NOSIGNAL)));
	printf("recvfrom without an address: %s\n", res(recvfrom(s, buf, 4, 0, NULL, NULL)));
	printf("the rest: %s\n", res(recv(s, buf, sizeof(buf), 0)));

	printf("write from a bad buffer: %s\n", res(write(c, bad, 4)));
	printf("write: %s\n", res(write(c, "wxyz", 4)));
	printf("read into a bad buffer: %s\n", res(read(s, bad, 4)));
	printf("read after it: %s\n", res(read(s, buf, sizeof(buf))));

	/* Fill without blocking, then drain: as many bytes come out. */
	fcntl(c, F_SETFL, O_NONBLOCK);
	fcntl(s, F_SETFL, O_NONBLOCK);
	long in = 0, out = 0, r;
	char big[4096];
	memset(big, 'q', sizeof(big));
	while ((r = write(c, big, sizeof(big))) > 0)
		in += r;
	printf("filled until: %s\n", res(r));
	while ((r = read(s, big, sizeof(big))) > 0)
		out += r;
	printf("drained until: %s, all of it: %d\n", res(r), in == out && in > 0);

	shutdown(c, SHUT_WR);
	printf("read at EOF: %s\n", res(read(s, buf, sizeof(buf))));
	close(c);
	usleep(10000);
	printf("write after the peer closed: %s\n", res(write(s, "x", 1)));
	printf("again: %s\n", res(send(s, "x", 1, MSG_NOSIGNAL)));
	close(s);

	int e = eventfd(0, 0);
	uint64_t v = 2;
	printf("eventfd write: %s\n", res(write(e, &v, 8)));
	printf("eventfd read: %s", res(read(e, &v, 8)));
	printf(" = %llu\n", (unsigned long long)v);
	printf("eventfd short read: %s\n", res(read(e, &v, 4)));
	fcntl(e, F_SETFL, O_NONBLOCK);
	printf("eventfd read at 0: %s\n", res(read(e, &v, 8)));
	v = UINT64_MAX - 1;
	printf("eventfd to the top: %s\n", res(write(e, &v, 8)));
	v = 1;
	printf("eventfd past it: %s\n", res(write(e, &v, 8)));

	/* Add and delete more items than a set keeps spare, twice. */
	int ep = epoll_create1(0), fds[100];
	for (int i = 0; i < 100; i++)
		fds[i] = eventfd(0, EFD_NONBLOCK);
	int errs = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
			errs += epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0;
		}
		for (int i = 0; i < 100; i += 2)
			errs += epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL) != 0;
		for (int i = 0; i < 100; i += 2) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
			errs += epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0;
		}
		for (int i = 0; i < 100; i++)
			errs += epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL) != 0;
	}
	printf("epoll adds and deletes, errors: %d\n", errs);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, got[4];
	printf("add: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, fds[7], &ev)));
	printf("add again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_ADD, fds[7], &ev)));
	printf("delete one not there: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, fds[8], NULL)));
	printf("modify one not there: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, fds[8], &ev)));
	printf("wait 20 ms, nothing: %s\n", res(epoll_wait(ep, got, 4, 20)));
	v = 1;
	write(fds[7], &v, 8);
	printf("wait, one ready: %s", res(epoll_wait(ep, got, 4, 1000)));
	printf(" data %u\n", got[0].data.u32);
	ev.events = EPOLLOUT;
	ev.data.u32 = 70;
	printf("modify to OUT: %s\n", res(epoll_ctl(ep, EPOLL_CTL_MOD, fds[7], &ev)));
	printf("wait: %s", res(epoll_wait(ep, got, 4, 1000)));
	printf(" data %u events %x\n", got[0].data.u32, got[0].events);
	kernel_files();
	queries_and_sendfile();
	/* The same into a kernel socket: a pair a fork moved to the kernel. */
	int kp[2], kq[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, kq);
	socketpair(AF_UNIX, SOCK_STREAM, 0, kp);
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	kernel_socket_io(kq[0], kq[1]);
	printf("-- into a socket a fork shared\n");
	sendfile_into(kp[0], kp[1]);
	opens();

	/* clock_gettime as a call (the vDSO's for most clocks; a thread's CPU
	 * clock is always a call). */
	struct timespec t0, t1;
	int back = 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (int i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		back += t1.tv_sec < t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec < t0.tv_nsec);
		t0 = t1;
	}
	printf("thread clock went back: %d times\n", back);
	for (int i = 0; i < 3; i++) {
		printf("clock_gettime MONOTONIC: %s\n", res(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t1)));
		printf("into a bad buffer: %s\n", res(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad)));
		printf("clock 100: %s\n", res(syscall(SYS_clock_gettime, 100, &t1)));
		printf("thread clock into a bad buffer: %s\n", res(syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, bad)));
	}
	return 0;
}
