"""kernel_connect.py - a blocking connect(2) to a kernel TCP listener (served
without a worker thread under pegasus): refused, then connected on the same
socket, then EISCONN."""
import os, socket
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); a = l.getsockname()
if os.fork() == 0:  # the listener leaves with the fork: connects reach the kernel's
    s, _ = l.accept(); print("server got", s.recv(1)); os._exit(0)
c = socket.socket()
try:
    c.connect(("127.0.0.1", 1))
except OSError as e:
    print("refused:", e.strerror)
try:
    c.connect(a); print("then connected")
except OSError as e:
    print("then:", e.strerror)
try:
    c.connect(a)
except OSError as e:
    print("again:", e.strerror)
c.send(b"x"); os.wait()
