/* inet.c - AF_INET/AF_INET6 names: ports from the kernel, and which destinations are local. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>

#include "core/rawsys.h"
#include "net/sock.h"

/* The key: socket type, port and the address as IPv6 (v4 mapped). */
struct ikey {
	uint8_t type;
	uint8_t v6only;
	uint16_t port;
	struct in6_addr addr;
};

static const struct in6_addr v4any = { .s6_addr = { [10] = 0xff, [11] = 0xff } };

static bool key_of(const void *sa, uint32_t len, int type, struct ikey *k)
{
	const struct sockaddr *a = sa;
	memset(k, 0, sizeof(*k));
	k->type = (uint8_t)type;
	if (len >= sizeof(struct sockaddr_in) && a->sa_family == AF_INET) {
		const struct sockaddr_in *i = sa;
		k->port = i->sin_port;
		k->addr = v4any;
		memcpy(&k->addr.s6_addr[12], &i->sin_addr, 4);
		return true;
	}
	if (len >= sizeof(struct sockaddr_in6) && a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *i = sa;
		k->port = i->sin6_port;
		k->addr = i->sin6_addr;
		return true;
	}
	return false;
}

static bool is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/* A destination served by a wildcard listener here: the loopback, or
 * "any" (connect to 0.0.0.0 reaches the loopback on Linux). */
static bool loopback(const struct in6_addr *a)
{
	if (is_v4(a))
		return a->s6_addr[12] == 127 || !memcmp(a, &v4any, sizeof(*a));
	return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a);
}

static bool match(const void *want, const void *have, uint32_t len)
{
	const struct ikey *w = want, *h = have;
	if (w->type != h->type || w->port != h->port)
		return false;
	if (!memcmp(&w->addr, &h->addr, sizeof(w->addr)))
		return true;
	if (!loopback(&w->addr))
		return false;
	if (!memcmp(&h->addr, &v4any, sizeof(h->addr))) /* 0.0.0.0 */
		return is_v4(&w->addr);
	if (IN6_IS_ADDR_UNSPECIFIED(&h->addr)) /* :: takes v4 too unless IPV6_V6ONLY */
		return !(h->v6only && is_v4(&w->addr));
	/* a listener on 127.0.0.1 reached through 0.0.0.0 */
	return (is_v4(&w->addr) && !memcmp(&w->addr, &v4any, sizeof(v4any)) && h->addr.s6_addr[12] == 127) ||
	       (IN6_IS_ADDR_UNSPECIFIED(&w->addr) && IN6_IS_ADDR_LOOPBACK(&h->addr));
}

static void read_name(struct nsock *s)
{
	socklen_t l = sizeof(s->local);
	if (!raw_syscall3(SYS_getsockname, s->kfd, (long)&s->local, (long)&l))
		s->locallen = l;
}

/* v6only - IPV6_V6ONLY of s, a v6 socket (its kernel socket keeps it). */
static bool v6only(struct nsock *s)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (s->family == AF_INET6)
		raw_syscall6(SYS_getsockopt, s->kfd, IPPROTO_IPV6, IPV6_V6ONLY, (long)&v, (long)&l, 0);
	return v;
}

static long publish(struct nsock *s)
{
	struct ikey k;
	if (s->published || !key_of(&s->local, s->locallen, s->type, &k))
		return 0;
	k.v6only = v6only(s);
	return names_publish(s, &k, sizeof(k));
}

/* The kernel socket takes the address (EADDRINUSE, SO_REUSEADDR and
 * SO_REUSEPORT rules, a real ephemeral port nobody outside can take). */
static long inet_bind(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len)
{
	if (sa) {
		long r = raw_syscall3(SYS_bind, s->kfd, (long)sa, len);
		if (r)
			return r;
		read_name(s);
		if (!nsock_is_dgram(s))
			return 0; /* a stream is found once it listens */
	}
	return publish(s);
}

/* An unbound socket is bound before it connects or sends: to the loopback
 * address it talks to (the name its peer will see), else to "any". */
static long inet_autobind(struct nsock *s, const void *dst)
{
	if (s->locallen)
		return 0;
	struct sockaddr_in6 a = { .sin6_family = (sa_family_t)s->family };
	struct ikey k;
	if (dst && !nsock_is_dgram(s) && key_of(dst, sizeof(struct sockaddr_in6), s->type, &k)) {
		if (s->family == AF_INET) {
			struct sockaddr_in *i = (struct sockaddr_in *)&a;
			memcpy(&i->sin_addr, &k.addr.s6_addr[12], 4);
			if (!i->sin_addr.s_addr)
				i->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		} else {
			a.sin6_addr = IN6_IS_ADDR_UNSPECIFIED(&k.addr) ? in6addr_loopback : k.addr;
		}
	}
	if (s->family == AF_INET6 && !nsock_is_dgram(s))
		s->v6only_shown = (uint8_t)(nsock_int(s->kfd, IPPROTO_IPV6, IPV6_V6ONLY) + 1);
	long r = raw_syscall3(SYS_bind, s->kfd, (long)&a,
			      s->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	if (r)
		return r;
	read_name(s);
	if (!nsock_is_dgram(s))
		return 0;
	/* The port is the kernel socket's too: an answer from outside the
	 * process (a server's forked child) arrives there. */
	nsock_kwatch_once(s);
	return publish(s);
}

static struct nsock *inet_lookup(struct nsock *s, struct uthread *ut, const void *sa, uint32_t len,
				 bool listener, long *err)
{
	const struct sockaddr *a = sa;
	if (len < sizeof(sa_family_t))
		return NULL;
	if (a->sa_family != s->family && !(s->family == AF_INET6 && a->sa_family == AF_INET))
		return NULL; /* the kernel says what is wrong */
	struct ikey k;
	if (!key_of(sa, len, s->type, &k) || !k.port)
		return NULL;
	/* A v4 address from a v6 socket: a datagram's to the v4-mapped
	 * address (udpv6_sendmsg), unless the socket is v6-only; a stream's
	 * connect is the kernel's to refuse. */
	if (s->family == AF_INET6 && a->sa_family == AF_INET &&
	    (!nsock_is_dgram(s) || v6only(s))) {
		if (nsock_is_dgram(s))
			*err = -ENETUNREACH;
		return NULL;
	}
	return names_find(&k, sizeof(k), match, listener);
}

uint32_t inet_to_family(int family, const struct sockaddr_storage *in, uint32_t len,
			struct sockaddr_storage *out)
{
	/* Each conversion reads what it needs before it writes: out may be in
	 * (a datagram's source, converted in place on every send). */
	if (family == AF_INET6 && in->ss_family == AF_INET) {
		struct sockaddr_in i = *(const struct sockaddr_in *)in;
		struct sockaddr_in6 *o = (void *)out;
		*o = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = i.sin_port, .sin6_addr = v4any };
		memcpy(&o->sin6_addr.s6_addr[12], &i.sin_addr, 4);
		return sizeof(*o);
	}
	if (family == AF_INET && in->ss_family == AF_INET6 && is_v4(&((const struct sockaddr_in6 *)in)->sin6_addr)) {
		struct sockaddr_in6 i = *(const struct sockaddr_in6 *)in;
		struct sockaddr_in *o = (void *)out;
		*o = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = i.sin6_port };
		memcpy(&o->sin_addr, &i.sin6_addr.s6_addr[12], 4);
		return sizeof(*o);
	}
	if (out != in)
		*out = *in;
	return len;
}

static void inet_names(struct nsock *cli, struct nsock *srv, struct nsock *l, const void *dst, uint32_t len)
{
	/* The server's end is named by the address the client reached,
	 * with the listener's port (a wildcard listener's real address). */
	struct sockaddr_storage d = { 0 };
	memcpy(&d, dst, len < sizeof(d) ? len : sizeof(d));
	/* A client bound to a wildcard address takes the one it reached as
	 * its own, as the kernel's route picks it at connect (named checks
	 * that rndc talks from 127.0.0.1). */
	if (cli->local.ss_family == AF_INET && !((struct sockaddr_in *)&cli->local)->sin_addr.s_addr &&
	    d.ss_family == AF_INET)
		((struct sockaddr_in *)&cli->local)->sin_addr = ((struct sockaddr_in *)&d)->sin_addr;
	if (cli->local.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&cli->local)->sin6_addr) && d.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&cli->local)->sin6_addr = ((struct sockaddr_in6 *)&d)->sin6_addr;
	struct sockaddr_storage local = cli->local;
	if (d.ss_family == AF_INET && !((struct sockaddr_in *)&d)->sin_addr.s_addr)
		((struct sockaddr_in *)&d)->sin_addr = ((struct sockaddr_in *)&local)->sin_addr;
	if (d.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&d)->sin6_addr))
		((struct sockaddr_in6 *)&d)->sin6_addr = in6addr_loopback;
	cli->peerlen = inet_to_family(cli->family, &d, len, &cli->peer);
	srv->locallen = inet_to_family(l->family, &d, len, &srv->local);
	srv->peerlen = inet_to_family(l->family, &local, cli->locallen, &srv->peer);
}

const struct nfamily inet_family = {
	.names = inet_names,
	.bind = inet_bind,
	.lookup = inet_lookup,
	.autobind = inet_autobind,
};
