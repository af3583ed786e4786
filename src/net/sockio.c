/* sockio.c - a local socket's data path: send/recv over its channel, ancillary data, readiness, ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/rawsys.h"
#include "mm/uaccess.h"
#include "net/sock.h"

#define CTL_MAX 65536

/* kernel_io - a socket with no local meaning for the call (not connected,
 * listening): the kernel socket answers with Linux's own error, without
 * waiting. */
static long kernel_io(struct nsock *s, bool wr, struct vmsg *m)
{
	struct msghdr h = { .msg_iov = (struct iovec *)m->iov, .msg_iovlen = m->iovcnt };
	int fl = (m->flags & ~MSG_WAITALL) | MSG_DONTWAIT;
	return wr ? raw_syscall3(SYS_sendmsg, nsock_kfd(s), (long)&h, fl)
		  : raw_syscall3(SYS_recvmsg, nsock_kfd(s), (long)&h, fl);
}

/* ---- ancillary data: SCM_RIGHTS and SCM_CREDENTIALS ---- */

struct anc_in {
	struct chan_anc anc;
	void *files[CHAN_MAX_FILES];
	int hops, tclass; /* a UDP send's IP_TTL/IPV6_HOPLIMIT, IP_TOS/IPV6_TCLASS cmsgs: -1 none */
};

static void anc_drop(struct anc_in *a)
{
	for (unsigned i = 0; i < a->anc.nfiles; i++)
		net_file_put(a->files[i]);
	a->anc.nfiles = 0;
}

/* ip_cmsg - an IP-level cmsg of a UDP send that sets what its header
 * would carry (ip_cmsg_send, ip6_datagram_send_ctl: EINVAL out of range);
 * others (IP_PKTINFO...) go by. */
static long ip_cmsg(const struct cmsghdr *c, size_t n, struct anc_in *a)
{
	int v;
	bool ip = c->cmsg_level == IPPROTO_IP, ip6 = c->cmsg_level == IPPROTO_IPV6;
	bool hops = (ip && c->cmsg_type == IP_TTL) || (ip6 && c->cmsg_type == IPV6_HOPLIMIT);
	bool tclass = (ip && c->cmsg_type == IP_TOS) || (ip6 && c->cmsg_type == IPV6_TCLASS);
	if (!hops && !tclass)
		return 0;
	if (ip && c->cmsg_type == IP_TOS && n == 1)
		v = *(const uint8_t *)CMSG_DATA(c);
	else if (n == sizeof(int))
		memcpy(&v, CMSG_DATA(c), sizeof(int));
	else
		return -EINVAL;
	if (v < (ip6 ? -1 : hops ? 1 : 0) || v > 255)
		return -EINVAL;
	if (v >= 0) /* IPv6's -1: the socket's own */
		*(hops ? &a->hops : &a->tclass) = v;
	return 0;
}

/* parse_control - the sender's cmsgs into files and credentials. */
static long parse_control(struct nsock *s, struct uthread *ut, const struct vmsg *m, struct anc_in *a)
{
	a->anc = (struct chan_anc){ .files = a->files };
	a->hops = a->tclass = -1;
	if (!m->control || !m->controllen)
		return 0;
	if (m->controllen > CTL_MAX)
		return -ENOBUFS;
	char *ctl = malloc(m->controllen);
	if (!ctl)
		return -ENOMEM;
	long r = copy_from_user(ctl, m->control, m->controllen);
	struct msghdr mh = { .msg_control = ctl, .msg_controllen = m->controllen };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); !r && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_len < sizeof(*c) || c->cmsg_len > m->controllen) {
			r = -EINVAL;
			break;
		}
		size_t n = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_level != SOL_SOCKET) {
			if (s->proto == CHAN_UDP && (r = ip_cmsg(c, n, a)))
				break;
			continue;
		}
		if (s->family != AF_UNIX) {
			r = -EINVAL;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			const int *fds = (const int *)CMSG_DATA(c);
			size_t nfd = n / sizeof(int);
			if (a->anc.nfiles + nfd > CHAN_MAX_FILES || !nfd) {
				r = -EINVAL;
				break;
			}
			for (size_t i = 0; i < nfd && !r; i++) {
				struct net_file *nf;
				r = net_hooks->fd_file(ut, fds[i], &nf);
				if (!r)
					a->files[a->anc.nfiles++] = nf;
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;
			if (n != sizeof(uc)) {
				r = -EINVAL;
				break;
			}
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			/* As __scm_send's checks: one's own pid unless privileged. */
			if (uc.pid != s->cred.pid && geteuid() != 0)
				r = -EPERM;
			a->anc.has_cred = true;
			a->anc.cred = (struct chan_cred){ uc.pid, uc.uid, uc.gid };
		} else {
			r = -EINVAL;
		}
	}
	free(ctl);
	if (r)
		anc_drop(a);
	return r;
}

/* realtime_ns - now, as SO_TIMESTAMP tells it. */
static int64_t realtime_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static bool put_cmsg(char *buf, size_t cap, size_t *used, int level, int type, const void *data, size_t len,
		     int *mflags)
{
	size_t need = CMSG_SPACE(len), at = *used;
	if (at + CMSG_LEN(len) > cap) {
		*mflags |= MSG_CTRUNC;
		return false;
	}
	struct cmsghdr *c = (struct cmsghdr *)(buf + at);
	c->cmsg_len = CMSG_LEN(len);
	c->cmsg_level = level;
	c->cmsg_type = type;
	memcpy(CMSG_DATA(c), data, len);
	*used = at + need > cap ? cap : at + need;
	return true;
}

/* loopback_index - the loopback interface's index, where every datagram
 * between the instance's sockets arrives. */
static int loopback_index(void)
{
	static int idx;
	int i = __atomic_load_n(&idx, __ATOMIC_RELAXED);
	if (!i) {
		unsigned lo = if_nametoindex("lo");
		i = lo ? (int)lo : 1;
		__atomic_store_n(&idx, i, __ATOMIC_RELAXED);
	}
	return i;
}

/* put_pktinfo - IP_PKTINFO or IPV6_PKTINFO of a datagram sent to dst (as
 * its sender named it), if s asked for it: it arrived on the loopback. */
static void put_pktinfo(struct nsock *s, const struct chan_anc_out *o, char *buf, size_t cap, size_t *used,
			int *mflags)
{
	if (!o->dstlen || !(s->rx_cmsgs & (RX_PKTINFO | RX_PKTINFO6)))
		return;
	struct sockaddr_storage d = { 0 };
	memcpy(&d, o->dst, o->dstlen);
	if ((s->rx_cmsgs & RX_PKTINFO6) && s->family == AF_INET6) {
		inet_to_family(AF_INET6, &d, o->dstlen, &d);
		struct in6_pktinfo pi = { .ipi6_addr = ((struct sockaddr_in6 *)&d)->sin6_addr,
					  .ipi6_ifindex = (unsigned)loopback_index() };
		if (IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr))
			pi.ipi6_addr = in6addr_loopback;
		put_cmsg(buf, cap, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi), mflags);
	}
	if ((s->rx_cmsgs & RX_PKTINFO) && inet_to_family(AF_INET, &d, o->dstlen, &d) && d.ss_family == AF_INET) {
		struct in_addr a = ((struct sockaddr_in *)&d)->sin_addr;
		if (!a.s_addr)
			a.s_addr = htonl(INADDR_LOOPBACK);
		struct in_pktinfo pi = { .ipi_ifindex = loopback_index(), .ipi_spec_dst = a, .ipi_addr = a };
		put_cmsg(buf, cap, used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi), mflags);
	}
}

/* put_header - IP_RECVTTL, IP_RECVTOS, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS
 * of a UDP datagram, in Linux's order (after the packet info). */
static void put_header(struct nsock *s, const struct chan_anc_out *o, char *buf, size_t cap, size_t *used,
		       int *mflags)
{
	if (s->proto != CHAN_UDP || !(s->rx_cmsgs & (RX_TTL | RX_TOS | RX_HOPLIMIT | RX_TCLASS)))
		return;
	int hops = o->hops, tclass = o->tclass;
	uint8_t tos = o->tclass;
	if (s->family == AF_INET6) {
		if (s->rx_cmsgs & RX_HOPLIMIT)
			put_cmsg(buf, cap, used, IPPROTO_IPV6, IPV6_HOPLIMIT, &hops, sizeof(hops), mflags);
		if (s->rx_cmsgs & RX_TCLASS)
			put_cmsg(buf, cap, used, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass), mflags);
		return;
	}
	if (s->rx_cmsgs & RX_TTL)
		put_cmsg(buf, cap, used, IPPROTO_IP, IP_TTL, &hops, sizeof(hops), mflags);
	if (s->rx_cmsgs & RX_TOS)
		put_cmsg(buf, cap, used, IPPROTO_IP, IP_TOS, &tos, sizeof(tos), mflags);
}

/* deliver_control - credentials and files into the receiver's control
 * buffer (as scm_recv: credentials first); files become its fds; a UDP
 * datagram's packet info. */
static long deliver_control(struct nsock *s, struct uthread *ut, struct vmsg *m, struct chan_anc_out *o,
			    bool peek, int *mflags)
{
	size_t cap = m->control ? m->controllen : 0, used = 0;
	if (cap > CTL_MAX)
		cap = CTL_MAX;
	char *buf = cap ? calloc(1, cap) : NULL;
	if (cap && !buf)
		return -ENOMEM;
	/* As sock_recv_cmsgs, before the protocol's own: the send's time (or
	 * now, as Linux stamps an unstamped skb at the read). */
	if (s->stamp_opt) {
		int64_t t = o->stamp ? o->stamp : realtime_ns();
		bool ns = s->stamp_opt == SO_TIMESTAMPNS_OLD || s->stamp_opt == SO_TIMESTAMPNS_NEW;
		int64_t tv[2] = { t / 1000000000, ns ? t % 1000000000 : t % 1000000000 / 1000 };
		put_cmsg(buf, cap, &used, SOL_SOCKET, s->stamp_opt, tv, sizeof(tv), mflags);
	}
	if (s->passcred && s->family == AF_UNIX) {
		struct ucred uc = { -1, -1, -1 };
		uc.pid = 0;
		if (o->has_cred)
			uc = (struct ucred){ o->cred.pid, o->cred.uid, o->cred.gid };
		else
			uc = (struct ucred){ 0, 65534, 65534 }; /* overflow ids: no sender credentials */
		put_cmsg(buf, cap, &used, SOL_SOCKET, SCM_CREDENTIALS, &uc, sizeof(uc), mflags);
	}
	if (o->nfiles) {
		int fds[CHAN_MAX_FILES];
		unsigned n = 0;
		size_t room = cap > used + CMSG_LEN(0) ? (cap - used - CMSG_LEN(0)) / sizeof(int) : 0;
		for (unsigned i = 0; i < o->nfiles; i++) {
			struct net_file *nf = o->files[i];
			if (peek) { /* lent: a new reference of our own */
				struct net_file *cp = malloc(sizeof(*cp));
				if (!cp)
					continue;
				cp->obj = vfile_get(nf->obj);
				cp->host = nf->host >= 0 ? (int)raw_syscall3(SYS_fcntl, nf->host, F_DUPFD_CLOEXEC, 0) : -1;
				nf = cp;
			}
			if (n >= room) {
				*mflags |= MSG_CTRUNC;
				net_file_put(nf);
				continue;
			}
			long fd = net_hooks->fd_install(ut, nf, (m->flags & MSG_CMSG_CLOEXEC) ? 1 : 0);
			if (fd < 0) {
				*mflags |= MSG_CTRUNC;
				continue;
			}
			fds[n++] = (int)fd;
		}
		if (n)
			put_cmsg(buf, cap, &used, SOL_SOCKET, SCM_RIGHTS, fds, n * sizeof(int), mflags);
	}
	put_pktinfo(s, o, buf, cap, &used, mflags);
	put_header(s, o, buf, cap, &used, mflags);
	long r = 0;
	if (used && copy_to_user(m->control, buf, used))
		r = -EFAULT;
	m->controllen = used;
	free(buf);
	return r;
}

static size_t iov_total(const struct vmsg *m)
{
	size_t n = 0;
	for (int i = 0; i < m->iovcnt; i++)
		n += m->iov[i].iov_len;
	return n;
}

/* ---- recv ---- */

/* dgram_kernel_recv - a datagram (or an ICMP error) that came to the
 * kernel socket from outside the instance (another process: a UDP port,
 * a bound AF_UNIX name), straight into the app's buffers; -EAGAIN if none.
 * The watch is re-armed once the socket is seen empty. */
static long dgram_kernel_recv(struct nsock *s, struct uthread *ut, struct vmsg *m)
{
	/* An AF_UNIX datagram's control comes here first: the host fds of
	 * its SCM_RIGHTS become the program's before it sees them. */
	bool rights = s->family == AF_UNIX && m->control && m->controllen;
	size_t cap = rights ? (m->controllen < CTL_MAX ? m->controllen : CTL_MAX) : 0;
	char *ctl = rights ? calloc(1, cap) : NULL;
	if (rights && !ctl)
		return -ENOMEM;
	struct msghdr h = { .msg_name = (void *)m->name, .msg_namelen = m->name ? m->namelen : 0,
			    .msg_iov = (struct iovec *)m->iov, .msg_iovlen = m->iovcnt,
			    .msg_control = rights ? ctl : (void *)m->control,
			    .msg_controllen = rights ? cap : m->control ? m->controllen : 0 };
	long r = raw_syscall3(SYS_recvmsg, s->kfd, (long)&h, m->flags | MSG_DONTWAIT);
	if (r == -EAGAIN || !(nsock_kernel_poll(s->kfd, EPOLLIN) & (EPOLLIN | EPOLLERR)))
		nsock_kwatch(s);
	if (r >= 0 && rights && h.msg_controllen) {
		size_t len = h.msg_controllen;
		long e = net_hooks->rights_in(ut, ctl, &len, &h.msg_flags);
		h.msg_controllen = len;
		if (!e && copy_to_user(m->control, ctl, h.msg_controllen))
			e = -EFAULT;
		if (e)
			r = e;
	}
	free(ctl);
	/* A sender of this process whose datagram went through the kernel
	 * (bound there, not yet here) is named as it bound itself. */
	struct sockaddr_un from, got;
	if (r >= 0 && s->family == AF_UNIX && m->name && h.msg_namelen > sizeof(sa_family_t) &&
	    h.msg_namelen <= sizeof(from) && m->namelen >= h.msg_namelen && !copy_from_user(&from, m->name, h.msg_namelen)) {
		got = from;
		uint32_t given = unix_name_as_given(&from, h.msg_namelen);
		if ((given != h.msg_namelen || memcmp(&from, &got, given)) && given <= m->namelen &&
		    !copy_to_user(m->name, &from, given))
			h.msg_namelen = given;
	}
	if (r >= 0) {
		m->namelen = h.msg_namelen;
		m->controllen = h.msg_controllen;
		m->out_flags = h.msg_flags;
	}
	return r;
}


static struct chan_end *data_end(struct nsock *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == NS_CONNECTED || nsock_is_dgram(s) ? s->end : NULL;
}

/* nsock_mid_io - the mid path's share (vfile.h): a connected in-memory
 * TCP or UNIX stream socket whose bytes move at once, a send whole.
 * Options that change a read's target (SO_RCVLOWAT), a UNIX send that
 * carries credentials (SO_PASSCRED on either end), a socket moved into the
 * kernel or any state chan_mid_* does not take go the full way. */
long nsock_mid_io(struct vfile *f, bool wr, const struct iovec *iov, int iovcnt, int flags)
{
	struct nsock *s = nsock_of(f);
	struct chan_end *e = s->proto == CHAN_TCP || s->proto == CHAN_UNIX_STREAM ? data_end(s) : NULL;
	if (!e || vfile_in_kernel(f) || (!wr && __atomic_load_n(&e->rx->rcvlowat, __ATOMIC_RELAXED) > 1))
		return VFILE_MID_PASS;
	if (wr && s->proto == CHAN_UNIX_STREAM &&
	    (s->passcred || __atomic_load_n(&s->chan->passcred, __ATOMIC_RELAXED)))
		return VFILE_MID_PASS;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	ssize_t r = wr ? chan_mid_send(e, &it, !nonblock) : chan_mid_recv(e, &it);
	if (r > 0)
		return r;
	/* Nothing there, or a state the full path reports (EOF, an error). */
	return r == -EAGAIN && nonblock && chan_mid_idle(e, wr) ? -EAGAIN : VFILE_MID_PASS;
}

/* nsock_mid_call - the mid path's queries (vfile.h) of a TCP stream
 * connected in memory: SO_ERROR (nginx asks once a request of each
 * upstream connection), FIONREAD and SIOCOUTQ (wrk, after each read). */
long nsock_mid_call(struct vfile *f, long nr, const long a[6])
{
	struct nsock *s = nsock_of(f);
	struct chan_end *e = s->proto == CHAN_TCP ? data_end(s) : NULL;
	if (!e || s->kready || vfile_in_kernel(f) || __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != NS_CONNECTED)
		return VFILE_MID_PASS;
	if (nr == SYS_getsockopt && a[1] == SOL_SOCKET && a[2] == SO_ERROR)
		return nsock_put_int((uint64_t)a[3], (uint64_t)a[4], chan_take_error(e));
	if (nr == SYS_ioctl && (a[1] == FIONREAD || a[1] == SIOCOUTQ)) {
		int v = (int)(a[1] == FIONREAD ? chan_inq(e) : chan_outq(e));
		return copy_to_user((uint64_t)a[2], &v, sizeof(v)) ? -EFAULT : 0;
	}
	return VFILE_MID_PASS;
}

/* recv(MSG_OOB): TCP's urgent byte, if one waits. */
static long recv_urg(struct nsock *s, struct chan_end *e, struct vmsg *m)
{
	if (s->proto != CHAN_TCP)
		return -EINVAL;
	int b = chan_recv_urg(e, m->flags & MSG_PEEK);
	if (b < 0)
		return b;
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	if (!it.left)
		return 0;
	unsigned char c = (unsigned char)b;
	for (int i = 0; i < m->iovcnt; i++)
		if (m->iov[i].iov_len)
			return copy_to_user((uint64_t)m->iov[i].iov_base, &c, 1) ? -EFAULT : 1;
	return 0;
}

long nsock_recv(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	struct chan_end *e = data_end(s);
	if (!e)
		return kernel_io(s, false, m);
	if (m->flags & MSG_OOB)
		return recv_urg(s, e, m);
	bool dgram = e->rx->is_msg;
	if (m->rw && !iov_total(m)) /* sock_read_iter: a 0-byte read takes nothing */
		return 0;
	bool nonblock = (f->flags & O_NONBLOCK) || (m->flags & MSG_DONTWAIT);
	bool peek = m->flags & MSG_PEEK;
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	size_t total = it.left, target = 1;
	if (!dgram && !peek) {
		if (m->flags & MSG_WAITALL)
			target = total;
		else if (s->proto == CHAN_TCP)
			target = __atomic_load_n(&e->rx->rcvlowat, __ATOMIC_RELAXED);
		if (target > total)
			target = total;
	}
	uint64_t deadline = 0;
	/* On the stack (2 KiB of a 64 KiB runtime stack): every recv would
	 * otherwise allocate for the rare SCM_RIGHTS. */
	void *files[CHAN_MAX_FILES];
	struct chan_anc_out o = { .files = files, .max_files = CHAN_MAX_FILES };
	int flags = m->flags & (MSG_PEEK | MSG_TRUNC), mflags = 0;
	size_t done = 0;
	long r;
	for (;;) {
		r = chan_recv(e, &it, &o, flags, &mflags);
		if (r == -EAGAIN && dgram && (s->kpeer || __atomic_load_n(&s->kready, __ATOMIC_ACQUIRE))) {
			long k = dgram_kernel_recv(s, ut, m);
			if (k != -EAGAIN)
				return k;
		}
		if (r > 0 || (r == 0 && dgram)) {
			done += dgram ? 0 : (size_t)r;
			if (dgram || peek || done >= target || o.nfiles || o.has_cred)
				break;
			if (s->proto == CHAN_TCP && (flags & MSG_TRUNC))
				break;
			continue;
		}
		/* Moved into the kernel meanwhile (a fork, SCM_RIGHTS): what it
		 * held is there, and the channel's end (EOF once the other side
		 * closes its copy) is not the connection any more. */
		if ((r == -EAGAIN || r == 0) && !done && vfile_in_kernel(f))
			return VFILE_BECAME_KERNEL;
		if (r != -EAGAIN || nonblock || (done && !(m->flags & MSG_WAITALL) && done >= target))
			break;
		if (!deadline && s->rcvtimeo)
			deadline = net_deadline(s->rcvtimeo);
		long w = nsock_wait(ut, f, EPOLLIN, deadline);
		if (w) {
			r = w == -ETIMEDOUT ? -EAGAIN : w;
			break;
		}
	}
	if (!dgram && done)
		r = (long)done;
	else if (!dgram && r == -EAGAIN && done)
		r = (long)done;
	if (r >= 0 || o.nfiles) {
		long c = deliver_control(s, ut, m, &o, peek, &mflags);
		if (c && r >= 0)
			r = c;
	} else {
		m->controllen = 0;
	}
	m->out_flags = mflags | (m->flags & MSG_CMSG_CLOEXEC); /* echoed, as ___sys_recvmsg */
	if (r >= 0 && m->name) {
		if (dgram && o.addrlen) {
			uint32_t n = m->namelen < o.addrlen ? m->namelen : o.addrlen;
			if (copy_to_user(m->name, o.addr, n))
				return -EFAULT;
			m->namelen = o.addrlen;
		} else if (s->family == AF_UNIX && !dgram) {
			uint32_t n = m->namelen < s->peerlen ? m->namelen : s->peerlen;
			if (copy_to_user(m->name, &s->peer, n))
				return -EFAULT;
			m->namelen = s->peerlen;
		} else {
			m->namelen = 0;
		}
	}
	return r;
}

/* ---- send ---- */

/* The address a datagram carries: the sender's name; a wildcard inet
 * address reads as the destination the sender used (the loopback). */
static uint32_t source_addr(struct nsock *s, const void *dst, struct sockaddr_storage *out)
{
	if (s->family == AF_UNIX)
		return 0;
	*out = s->local;
	if (s->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)out;
		if (a->sin_addr.s_addr == htonl(INADDR_ANY) && dst)
			a->sin_addr = ((const struct sockaddr_in *)dst)->sin_addr;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) && dst &&
		    ((const struct sockaddr *)dst)->sa_family == AF_INET6)
			a->sin6_addr = ((const struct sockaddr_in6 *)dst)->sin6_addr;
	}
	return s->locallen;
}

/* udp_kernel_send - a datagram to outside the instance goes out of the
 * kernel socket (bound first, so that replies find it and wake us). */
static long udp_kernel_send(struct nsock *s, struct vmsg *m, struct iov_iter *it, const void *dst)
{
	long r = s->fam->autobind(s, NULL);
	if (r)
		return r;
	nsock_kwatch_once(s);
	struct msghdr h = { .msg_name = (void *)dst, .msg_namelen = dst ? m->namelen : 0,
			    .msg_iov = (struct iovec *)m->iov, .msg_iovlen = m->iovcnt };
	r = raw_syscall3(SYS_sendmsg, s->kfd, (long)&h, m->flags | MSG_DONTWAIT);
	if (r >= 0)
		iov_iter_advance(it, (size_t)r);
	/* A loopback port with nobody answers at once (ICMP, in the send):
	 * its error is an edge now, not at the next harvest. */
	if (nsock_kernel_poll(s->kfd, EPOLLIN) & EPOLLERR)
		nsock_kernel_ready(s);
	return r;
}

/* ip_header - what a UDP datagram's IP header would carry: the send's
 * cmsgs, else the socket's options, else Linux's defaults on lo. */
static void ip_header(struct nsock *s, struct anc_in *a)
{
	a->anc.hops = (uint8_t)(a->hops >= 0 ? a->hops : s->hdr_set ? s->hdr_hops : 64);
	a->anc.tclass = (uint8_t)(a->tclass >= 0 ? a->tclass : s->hdr_set ? s->hdr_tclass : 0);
}

/* *full: the local queue a UNIX datagram sendto found with no room (a
 * reference the caller puts), for a blocking sender to wait on. */
static long dgram_send(struct nsock *s, struct uthread *ut, struct vmsg *m, struct iov_iter *it,
		       struct anc_in *a, struct nqueue **full)
{
	unsigned char dst[CHAN_ADDR_MAX];
	struct nsock *peer = NULL;
	struct chan_dir *q = NULL;
	long r;
	bool passcred = s->passcred;
	if (m->name && m->namelen) {
		if (m->namelen > sizeof(dst))
			return -EINVAL;
		if (copy_from_user(dst, m->name, m->namelen))
			return -EFAULT;
		long err = 0;
		peer = s->fam->lookup(s, ut, dst, m->namelen, false, &err);
		if (err)
			return err;
		if (!peer) /* a destination outside the instance */
			return s->proto == CHAN_UDP ? udp_kernel_send(s, m, it, dst) : nsock_to_kernel(s);
		q = &peer->rxq->d;
		passcred |= peer->passcred;
		/* A peer connected elsewhere takes nothing from us. */
		if (peer->txq && peer->txq != s->rxq) {
			nsock_put(peer);
			return s->family == AF_UNIX ? -EPERM : (long)it->left;
		}
	} else if (s->kpeer) {
		return udp_kernel_send(s, m, it, NULL);
	} else if (!s->txq) {
		return s->family == AF_UNIX ? -ENOTCONN : -EDESTADDRREQ;
	} else if (__atomic_load_n(&s->txq->reader_left, __ATOMIC_ACQUIRE) &&
		   (s->proto == CHAN_UDP || __atomic_load_n(&s->txq->d.reader, __ATOMIC_ACQUIRE))) {
		/* Its peer left: it follows (leave.c); an AF_UNIX peer closed
		 * since is the send's ECONNREFUSED, as before it left. */
		return VFILE_BECAME_KERNEL;
	}
	if ((r = s->fam->autobind(s, q ? dst : NULL)) && (s->family != AF_UNIX || passcred))
		goto out;
	struct sockaddr_storage src;
	a->anc.addrlen = source_addr(s, q ? dst : (void *)&s->peer, &src);
	struct nqueue *rq = q ? peer->rxq : s->txq;
	if (s->proto == CHAN_UDP)
		ip_header(s, a);
	if (rq && __atomic_load_n(&rq->stamp, __ATOMIC_ACQUIRE))
		a->anc.stamp = realtime_ns();
	if (s->family != AF_UNIX && a->anc.addrlen && rq)
		a->anc.addrlen = inet_to_family(rq->family, &src, a->anc.addrlen, &src);
	if (s->family == AF_UNIX && s->locallen > sizeof(sa_family_t)) {
		a->anc.addr = &s->local;
		a->anc.addrlen = s->locallen;
	} else {
		a->anc.addr = a->anc.addrlen ? &src : NULL;
	}
	if (s->family != AF_UNIX) { /* where it goes, for IP_PKTINFO */
		a->anc.dst = q ? (const void *)dst : (const void *)&s->peer;
		a->anc.dstlen = q ? m->namelen : s->peerlen;
	}
	if (s->family == AF_UNIX && !a->anc.has_cred) {
		a->anc.has_cred = true;
		a->anc.cred = s->cred;
	}
	r = q ? chan_sendto(q, it, &a->anc, m->flags) : chan_send(&s->dend, it, &a->anc, m->flags);
	if (r == -EAGAIN && q && s->proto == CHAN_UNIX_DGRAM) {
		__atomic_add_fetch(&peer->rxq->refs, 1, __ATOMIC_RELAXED);
		*full = peer->rxq;
	}
	if (r == -ECONNREFUSED && !q && s->family == AF_UNIX) {
		/* The peer is gone: the association goes too (next: ENOTCONN). */
		nsock_set_txq(s, NULL);
		s->peerlen = 0;
	}
out:
	nsock_put(peer);
	return r;
}

long nsock_send(struct vfile *f, struct uthread *ut, struct vmsg *m)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	struct chan_end *e = data_end(s);
	if (!e)
		return kernel_io(s, true, m);
	bool dgram = nsock_is_dgram(s);
	if (s->proto == CHAN_UNIX_STREAM && m->name && m->namelen)
		return -EISCONN;
	if (m->rw && !iov_total(m)) /* sock_write_iter: a 0-byte write sends nothing */
		return 0;
	struct anc_in a;
	long r = parse_control(s, ut, m, &a);
	if (r)
		return r;
	bool nonblock = (f->flags & O_NONBLOCK) || (m->flags & MSG_DONTWAIT);
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	uint64_t deadline = 0;
	size_t done = 0;
	bool first = true;
	uint64_t urg = 0; /* MSG_OOB: the last byte goes apart, after the rest */
	if (m->flags & MSG_OOB) {
		if (s->proto != CHAN_TCP) {
			anc_drop(&a);
			return -EOPNOTSUPP;
		}
		for (int i = m->iovcnt - 1; i >= 0 && !urg; i--)
			if (m->iov[i].iov_len)
				urg = (uint64_t)m->iov[i].iov_base + m->iov[i].iov_len - 1;
		if (urg)
			it.left--;
	}
	if (!dgram && s->family == AF_UNIX && !a.anc.has_cred &&
	    (s->passcred || __atomic_load_n(&s->chan->passcred, __ATOMIC_RELAXED))) {
		a.anc.has_cred = true;
		a.anc.cred = s->cred;
	}
	for (;;) {
		bool with_anc = first && (a.anc.nfiles || a.anc.has_cred);
		struct nqueue *full = NULL;
		r = dgram ? dgram_send(s, ut, m, &it, &a, &full) : chan_send(e, &it, with_anc ? &a.anc : NULL, m->flags);
		if (r == VFILE_BECAME_KERNEL)
			break;
		if (r >= 0) {
			if (with_anc)
				a.anc.nfiles = 0; /* the channel owns them now */
			first = false;
			if (dgram || s->proto == CHAN_UNIX_SEQPACKET)
				break;
			done += (size_t)r;
			if (!it.left)
				break;
			continue;
		}
		/* Moved into the kernel while it waited for room: the rest
		 * goes there (the kernel serves the whole call if none went). */
		if ((r == -EAGAIN || r == -EPIPE) && vfile_in_kernel(f)) {
			r = done ? (long)done : VFILE_BECAME_KERNEL;
			break;
		}
		if (r != -EAGAIN || nonblock) {
			nqueue_put(full);
			break;
		}
		if (!deadline && s->sndtimeo)
			deadline = net_deadline(s->sndtimeo);
		/* A datagram sendto's destination was full: a wait for its
		 * room, not for this socket's writability (unix_wait_for_peer). */
		long w = full ? nsock_wait_room(ut, full, deadline) : nsock_wait(ut, f, EPOLLOUT, deadline);
		nqueue_put(full);
		if (w) {
			r = w == -ETIMEDOUT ? -EAGAIN : w;
			break;
		}
		/* Woken by a move into the kernel (a fork drained the ring,
		 * which now has room): the rest goes there, not into the ring
		 * nobody reads any more (a record was lost so). */
		if (vfile_in_kernel(f)) {
			r = done ? (long)done : VFILE_BECAME_KERNEL;
			break;
		}
	}
	anc_drop(&a);
	if (urg && r >= 0 && !it.left) {
		unsigned char c;
		r = copy_from_user(&c, urg, 1) ? -EFAULT : chan_send_urg(e, c);
		if (!r)
			done++;
	}
	/* -EPIPE: objcall raises SIGPIPE, as for every file's write. */
	return done ? (long)done : r;
}

/* ---- readiness, ioctls ---- */

uint32_t nsock_kernel_poll(int kfd, uint32_t events)
{
	struct pollfd p = { kfd, (short)events, 0 };
	if (kfd < 0 || raw_syscall3(SYS_poll, (long)&p, 1, 0) <= 0)
		return 0;
	return (uint16_t)p.revents;
}

uint32_t nsock_poll(struct vfile *f)
{
	struct nsock *s = nsock_of(f);
	if (vfile_in_kernel(f)) /* left the process: its kernel twin (leave.c) */
		return vfile_kernel_poll(f);
	struct chan_end *e = data_end(s);
	uint32_t all = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLRDNORM | EPOLLWRNORM;
	/* Datagrams and errors from outside (asked of the kernel directly when
	 * connected there: an ICMP error shows before any harvest). */
	if (e && nsock_is_dgram(s) && (s->kpeer || __atomic_load_n(&s->kready, __ATOMIC_ACQUIRE)))
		return chan_poll(e) | nsock_kernel_poll(s->kfd, all); /* datagrams from outside too */
	if (e)
		return chan_poll(e);
	switch (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) {
	case NS_LISTEN:
		return __atomic_load_n(&s->acq_len, __ATOMIC_RELAXED) || __atomic_load_n(&s->kready, __ATOMIC_ACQUIRE)
			       ? EPOLLIN | EPOLLRDNORM : 0;
	case NS_CONNECTING: /* as SYN_SENT: nothing yet */
		return 0;
	default:
		break;
	}
	if (__atomic_load_n(&s->err, __ATOMIC_RELAXED)) /* a refused connect, as tcp_poll after a reset */
		return EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP | EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (s->kfd >= 0)
		return nsock_kernel_poll(s->kfd, all);
	return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
}

long nsock_ioctl(struct vfile *f, struct uthread *ut, unsigned cmd, uint64_t arg)
{
	struct nsock *s = nsock_of(f);
	if (s->state == NS_KERNEL)
		return VFILE_BECAME_KERNEL;
	struct chan_end *e = data_end(s);
	int v;
	switch (cmd) {
	case SIOCATMARK:
		if (!e || s->proto != CHAN_TCP)
			break;
		v = chan_at_mark(e);
		return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
	case FIONREAD:
	case SIOCOUTQ:
		if (!e)
			break;
		v = (int)(cmd == FIONREAD ? chan_inq(e) : chan_outq(e));
		/* Nothing local: a datagram from outside waits at the kernel
		 * socket (a resolver's second answer: glibc sizes its buffer
		 * by FIONREAD, and dropped the answer on 0). */
		if (cmd == FIONREAD && !v && nsock_is_dgram(s) && s->kfd >= 0 &&
		    raw_syscall3(SYS_ioctl, s->kfd, FIONREAD, (long)&v) < 0)
			v = 0;
		return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	int kfd = nsock_kfd(s);
	return kfd < 0 ? kfd : raw_syscall3(SYS_ioctl, kfd, cmd, arg);
}
