"""moved_tcp.py - a TCP connection accepted from a client of the same
program, served by a forked child (postgres's backends): its names, family,
protocol and TCP options are a TCP socket's still (under pegasus the local
connection leaves the process as an AF_UNIX pair)."""
import os
import socket
import threading

l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
port = l.getsockname()[1]


def client():
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"x")
    print("client got", c.recv(10))


t = threading.Thread(target=client)
t.start()
conn, peer = l.accept()
pid = os.fork()
if pid == 0:
    s = conn
    print("peer", s.getpeername()[0], "self", s.getsockname() == l.getsockname(), s.family.name, s.type.name)
    print("SO_DOMAIN inet", s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET,
          "SO_PROTOCOL tcp", s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == socket.IPPROTO_TCP)
    print("defaults", [s.getsockopt(socket.IPPROTO_TCP, o) for o in
                       (socket.TCP_NODELAY, socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT)])
    for opt, v in ((socket.TCP_NODELAY, 1), (socket.TCP_KEEPIDLE, 77), (socket.TCP_KEEPCNT, 3)):
        s.setsockopt(socket.IPPROTO_TCP, opt, v)
        print("set", opt, s.getsockopt(socket.IPPROTO_TCP, opt))
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 0)
    except OSError as e:
        print("KEEPIDLE 0:", e.strerror)
    print("server got", s.recv(1))
    s.sendall(b"y")
    os._exit(0)
conn.close()
os.waitpid(pid, 0)
t.join()

# A writer blocked on a full connection when it moves: every byte arrives.
data = os.urandom(4 << 20)


def sender():
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(data)
    c.close()


t = threading.Thread(target=sender)
t.start()
conn, peer = l.accept()
import time
time.sleep(0.3)  # the sender fills the connection and waits
pid = os.fork()
if pid == 0:
    got = bytearray()  # not until EOF: this child holds the sender's end too
    while len(got) < len(data):
        b = conn.recv(1 << 16)
        if not b:
            break
        got += b
    print("child read all:", bytes(got) == data, len(got))
    os._exit(0)
conn.close()
os.waitpid(pid, 0)
t.join()

# A second connect of a connected socket: EISCONN (ab checks its
# non-blocking connect so).
c = socket.create_connection(("127.0.0.1", port))
conn, peer = l.accept()
pid = os.fork()
if pid == 0:
    try:
        c.connect(("127.0.0.1", port))
        print("connect again: connected")
    except OSError as e:
        print("connect again:", e.strerror)
    os._exit(0)
os.waitpid(pid, 0)
