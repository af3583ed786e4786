"""inet_families.py - IPv4 and IPv6 sockets of one program talking to each
other: the addresses each side sees (a v4 peer of a dual-stack v6 socket is
::ffff:a.b.c.d, a v4-mapped peer of a v4 socket is a.b.c.d), replies to
them, v6-only refusals, and a client bound to a wildcard address before it
connects (it then names itself by the address it reached, as rndc and
named check)."""
import socket
import struct

I4, I6 = socket.AF_INET, socket.AF_INET6
IP_PKTINFO = 8  # <linux/in.h>; not in every python's socket module


def server(fam, kind, addr, v6only=0):
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == I6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, 0))
    s.settimeout(2)
    return s, s.getsockname()[1]


def udp(name, sfam, saddr, cfam, dst, v6only=0, connect_reply=False):
    s, port = server(sfam, socket.SOCK_DGRAM, saddr, v6only)
    c = socket.socket(cfam, socket.SOCK_DGRAM)
    c.settimeout(1)
    try:
        c.sendto(b"ping", (dst, port))
        _, a = s.recvfrom(100)
        if connect_reply:
            s.connect(a)
            s.send(b"pong")
        else:
            s.sendto(b"pong", a)
        _, ra = c.recvfrom(100)
        res = "from %s, reply from %s" % (a[0], ra[0])
    except OSError as e:
        res = type(e).__name__
    print("%-36s %s" % (name, res))
    s.close()
    c.close()


def tcp(name, sfam, saddr, cfam, dst, v6only=0, client_bind=None):
    s, port = server(sfam, socket.SOCK_STREAM, saddr, v6only)
    s.listen()
    c = socket.socket(cfam)
    c.settimeout(2)
    try:
        if client_bind:
            c.bind((client_bind, 0))
        c.connect((dst, port))
        a, addr = s.accept()
        res = "peer %s, local %s; the client: %s to %s" % (
            addr[0], a.getsockname()[0], c.getsockname()[0], c.getpeername()[0])
        a.close()
    except OSError as e:
        res = type(e).__name__
    print("%-36s %s" % (name, res))
    s.close()
    c.close()


udp("udp [::] <- v4, sendto", I6, "::", I4, "127.0.0.1")
udp("udp [::] <- v4, connect and send", I6, "::", I4, "127.0.0.1", connect_reply=True)
udp("udp [::] <- v6 mapped", I6, "::", I6, "::ffff:127.0.0.1")
udp("udp [::] <- ::1", I6, "::", I6, "::1")
udp("udp 0.0.0.0 <- v6 mapped", I4, "0.0.0.0", I6, "::ffff:127.0.0.1")
udp("udp v6-only [::] <- v4", I6, "::", I4, "127.0.0.1", v6only=1)
tcp("tcp [::] <- v4", I6, "::", I4, "127.0.0.1")
tcp("tcp 127.0.0.1 <- v6 mapped", I4, "127.0.0.1", I6, "::ffff:127.0.0.1")
tcp("tcp [::] <- ::1", I6, "::", I6, "::1")
tcp("tcp v6-only [::] <- v4", I6, "::", I4, "127.0.0.1", v6only=1)
tcp("tcp 0.0.0.0 <- connect to 0.0.0.0", I4, "0.0.0.0", I4, "0.0.0.0")
tcp("tcp [::] <- connect to [::]", I6, "::", I6, "::")
tcp("tcp, client bound to 0.0.0.0", I4, "127.0.0.1", I4, "127.0.0.1", client_bind="0.0.0.0")
tcp("tcp, client bound to [::]", I6, "::1", I6, "::1", client_bind="::")


def pktinfo(name, fam, bind, dst, ask):
    """The packet info a UDP server asked for (dnsmasq's wildcard mode
    needs it to answer): the interface and the address it was sent to."""
    s, port = server(fam, socket.SOCK_DGRAM, bind)
    if ask:
        s.setsockopt(*ask, 1)
    c = socket.socket(fam, socket.SOCK_DGRAM)
    c.sendto(b"q", (dst, port))
    try:
        _, anc, _, _ = s.recvmsg(10, 256)
        seen = []
        for level, kind, data in anc:
            if (level, kind) == (socket.IPPROTO_IP, IP_PKTINFO):
                ifi, spec, addr = struct.unpack("i4s4s", data[:12])
                seen.append("IP_PKTINFO on %s, to %s (%s)" % (
                    socket.if_indextoname(ifi), socket.inet_ntoa(addr), socket.inet_ntoa(spec)))
            elif (level, kind) == (socket.IPPROTO_IPV6, socket.IPV6_PKTINFO):
                addr, ifi = struct.unpack("16si", data[:20])
                seen.append("IPV6_PKTINFO on %s, to %s" % (
                    socket.if_indextoname(ifi), socket.inet_ntop(socket.AF_INET6, addr)))
            else:
                seen.append("level %d type %d" % (level, kind))
        res = "; ".join(seen) or "no control message"
    except OSError as e:
        res = type(e).__name__
    print("%-36s %s" % (name, res))
    s.close()
    c.close()


pktinfo("pktinfo v4, asked", I4, "0.0.0.0", "127.0.0.1", (socket.IPPROTO_IP, IP_PKTINFO))
pktinfo("pktinfo v4, not asked", I4, "0.0.0.0", "127.0.0.1", None)
pktinfo("pktinfo v6, asked", I6, "::", "::1", (socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO))
