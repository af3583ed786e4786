/* procnet.c - /proc/net/{tcp,tcp6,udp,udp6,unix}: the kernel's lines with the instance's local sockets among them. */
#include "net/procnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "net/sock.h"

/*
 * A local socket's kernel half (its bound name, a listener's outside
 * door) is in the kernel's file already, under the kernel socket's inode:
 * that line is kept, with the inode the program sees in /proc/self/fd.
 * What the kernel cannot know (connections between fused programs) gets
 * a line of its own, in the kernel's format, so netstat-like readers of
 * these files see every socket as on Linux.
 */

static spinlock_t all_lock = SPINLOCK_INIT;
static struct nsock *all;

void procnet_add(struct nsock *s)
{
	spin_lock(&all_lock);
	s->all_prev = NULL;
	s->all_next = all;
	if (all)
		all->all_prev = s;
	all = s;
	spin_unlock(&all_lock);
}

void procnet_remove(struct nsock *s)
{
	spin_lock(&all_lock);
	if (s->all_prev)
		s->all_prev->all_next = s->all_next;
	else if (all == s)
		all = s->all_next;
	if (s->all_next)
		s->all_next->all_prev = s->all_prev;
	spin_unlock(&all_lock);
}

/* A growing text buffer. */
struct text {
	char *p;
	size_t len, cap;
	bool failed;
};

static void addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct text *t, const char *fmt, ...)
{
	for (int i = 0; i < 2 && !t->failed; i++) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			t->failed = true;
		else if ((size_t)n < t->cap - t->len) {
			t->len += n;
			return;
		} else {
			size_t cap = (t->cap + n + 1) * 2;
			char *p = realloc(t->p, cap);
			if (!p)
				t->failed = true;
			else
				t->p = p, t->cap = cap;
		}
	}
}

enum kind { K_TCP, K_TCP6, K_UDP, K_UDP6, K_UNIX };
static const char *const names[] = { "tcp", "tcp6", "udp", "udp6", "unix" };

static bool is_kind(const struct nsock *s, enum kind k)
{
	switch (k) {
	case K_TCP: return s->family == AF_INET && s->proto == CHAN_TCP;
	case K_TCP6: return s->family == AF_INET6 && s->proto == CHAN_TCP;
	case K_UDP: return s->family == AF_INET && s->proto == CHAN_UDP;
	case K_UDP6: return s->family == AF_INET6 && s->proto == CHAN_UDP;
	default: return s->family == AF_UNIX;
	}
}

/* One address as the kernel prints it: the raw network-order words. */
static void put_addr(struct text *t, const struct sockaddr_storage *ss, bool v6)
{
	uint32_t w[4] = { 0 };
	unsigned port = 0;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		memcpy(w, &a->sin6_addr, 16);
		port = ntohs(a->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		w[0] = a->sin_addr.s_addr;
		port = ntohs(a->sin_port);
	}
	if (v6)
		addf(t, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], port);
	else
		addf(t, "%08X:%04X", w[0], port);
}

/* The line of a TCP connection between fused programs. */
static void inet_line(struct text *t, int sl, struct nsock *s, bool v6)
{
	size_t start = t->len;
	struct chan_end *e = s->end;
	int st = nsock_tcp_state(s);
	addf(t, "%4d: ", sl);
	put_addr(t, &s->local, v6);
	addf(t, " ");
	put_addr(t, &s->peer, v6);
	addf(t, " %02X %08zX:%08zX 00:00000000 00000000 %5u %8d %lu %d 0000000000000000 20 4 30 10 -1", st,
	     e ? chan_outq(e) : 0, e ? chan_inq(e) : 0, s->cred.uid, 0, (unsigned long)s->ino, 2);
	/* The kernel pads its TCP lines to 149 columns. */
	while (t->len - start < 149 && !t->failed)
		addf(t, " ");
	addf(t, "\n");
}

static void unix_line(struct text *t, struct nsock *s)
{
	int type = s->type == SOCK_STREAM ? 1 : s->type == SOCK_DGRAM ? 2 : 5;
	int st = s->state == NS_CONNECTED || s->txq ? 3 : 1;
	addf(t, "0000000000000000: %08X %08X %08X %04X %02X %5lu", 2, 0,
	     s->state == NS_LISTEN ? 0x10000 : 0, type, st, (unsigned long)s->ino);
	const struct sockaddr_un *u = (const void *)&s->local;
	if (s->locallen > sizeof(sa_family_t)) {
		size_t n = s->locallen - sizeof(sa_family_t);
		if (u->sun_path[0])
			addf(t, " %.*s", (int)strnlen(u->sun_path, n), u->sun_path);
		else
			addf(t, " @%.*s", (int)(n - 1), u->sun_path + 1);
	}
	addf(t, "\n");
}

/* ino_of_kfd - the kernel socket's inode, or 0. */
static unsigned long ino_of_kfd(int kfd)
{
	struct stat st;
	return kfd >= 0 && raw_syscall3(SYS_fstat, kfd, &st, 0) == 0 ? (unsigned long)st.st_ino : 0;
}

char *procnet_file(const char *name, size_t *len)
{
	enum kind k;
	for (k = 0; k <= K_UNIX && strcmp(name, names[k]); k++)
		;
	if (k > K_UNIX)
		return NULL;
	char path[32];
	snprintf(path, sizeof(path), "/proc/net/%s", names[k]);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	/* Our sockets' kernel halves: kernel inode -> the program's. */
	size_t nmap = 0, cap = 0;
	struct { unsigned long kino, ino; } *map = NULL;
	spin_lock(&all_lock);
	for (struct nsock *s = all; s; s = s->all_next) {
		unsigned long kino = is_kind(s, k) ? ino_of_kfd(__atomic_load_n(&s->kfd, __ATOMIC_ACQUIRE)) : 0;
		if (!kino)
			continue;
		if (nmap == cap) {
			void *m = realloc(map, (cap = cap ? cap * 2 : 16) * sizeof(*map));
			if (!m)
				break;
			map = m;
		}
		map[nmap].kino = kino;
		map[nmap++].ino = s->ino;
	}
	spin_unlock(&all_lock);
	/* The runtime's own loopback connection (loopback.c): no program's. */
	int own[4], nown = k == K_TCP || k == K_TCP6 ? loopback_fds(own) : 0;
	unsigned long own_ino[4];
	for (int i = 0; i < nown; i++)
		own_ino[i] = ino_of_kfd(own[i]);

	struct text t = { 0 };
	char line[512];
	int sl = 0;
	for (bool header = true; fgets(line, sizeof(line), f); header = false) {
		/* The inode column: 10th of an inet line, 7th of a unix one. */
		int col = k == K_UNIX ? 6 : 9, c = 0;
		char *p = line, *ino_at = NULL;
		while (*p && !header) {
			while (*p == ' ')
				p++;
			if (c++ == col) {
				ino_at = p;
				break;
			}
			while (*p && *p != ' ')
				p++;
		}
		unsigned long kino = ino_at ? strtoul(ino_at, NULL, 10) : 0;
		bool runtime = false;
		for (int j = 0; kino && j < nown; j++)
			runtime |= own_ino[j] == kino;
		if (runtime)
			continue;
		size_t i = 0;
		while (kino && i < nmap && map[i].kino != kino)
			i++;
		if (kino && i < nmap) {
			size_t w = strspn(ino_at, "0123456789");
			/* Same width (the kernel right-aligns unix inodes in 5). */
			addf(&t, "%.*s%*lu%s", (int)(ino_at - line), line, (int)w, map[i].ino, ino_at + w);
		} else {
			addf(&t, "%s", line);
		}
		if (!header)
			sl++;
	}
	fclose(f);
	free(map);
	/* What only the runtime knows: connections between fused programs. */
	spin_lock(&all_lock);
	for (struct nsock *s = all; s; s = s->all_next) {
		if (!is_kind(s, k) || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == NS_KERNEL ||
		    vfile_in_kernel(&s->vf))
			continue;
		/* The kernel lists a bound unix socket, not a TCP socket that
		 * is only bound (a local connection's port keeper). */
		if (k == K_UNIX && __atomic_load_n(&s->kfd, __ATOMIC_ACQUIRE) < 0)
			unix_line(&t, s);
		else if (k != K_UNIX && s->state == NS_CONNECTED && nsock_tcp_state(s) != TCP_CLOSE)
			inet_line(&t, sl++, s, k == K_TCP6); /* a closed one is in no table */
	}
	spin_unlock(&all_lock);
	if (t.failed) {
		free(t.p);
		return NULL;
	}
	*len = t.len;
	return t.p ? t.p : calloc(1, 1);
}
