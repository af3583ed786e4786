"""udp_fionread.py - FIONREAD of a UDP socket whose answers come from
outside (a forked process: its socket is the kernel's): the size of the
next datagram, as glibc's resolver asks before it reads its second answer
(an A and an AAAA query sent at once). It said 0, and every lookup of a
name through a real nameserver failed."""
import fcntl
import os
import select
import socket
import struct
import termios

srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", 0))
addr = srv.getsockname()
pid = os.fork()
if pid == 0:
    for n in (36, 52):
        _, a = srv.recvfrom(100)
        srv.sendto(b"x" * n, a)
    os._exit(0)
srv.close()
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(addr)
c.send(b"q1")
c.send(b"q2")
for _ in range(2):
    select.select([c], [], [], 10)
    n = struct.unpack("i", fcntl.ioctl(c, termios.FIONREAD, b"\0\0\0\0"))[0]
    print("FIONREAD says %d, recv reads %d" % (n, len(c.recv(100))))
os.waitpid(pid, 0)
