# devfd_objects.py - /dev/fd/N and /proc/self/fd/N of fds that are user-space objects under pegasus
# (pipes, socket pairs, TCP sockets, eventfds): stat, lstat, access, and names relative to an opened
# /dev/fd/ directory (gzip opens bash's <(...) so), as Linux resolves its magic links.
import os
import socket
import stat


def kind(m):
    for name, test in (("fifo", stat.S_ISFIFO), ("socket", stat.S_ISSOCK), ("link", stat.S_ISLNK),
                       ("regular", stat.S_ISREG), ("chr", stat.S_ISCHR)):
        if test(m):
            return name
    return "other %o" % stat.S_IFMT(m)


r, w = os.pipe()
os.write(w, b"data\n")
a, b = socket.socketpair()
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen()
t = socket.create_connection(ls.getsockname())
efd = os.eventfd(0)
for name, fd in (("pipe", r), ("socketpair", a.fileno()), ("tcp", t.fileno()), ("eventfd", efd)):
    for base in ("/dev/fd/", "/proc/self/fd/", "/proc/%d/fd/" % os.getpid()):
        p = base + str(fd)
        try:
            st, lst = os.stat(p), os.lstat(p)
            print(name, base.replace(str(os.getpid()), "PID"), kind(st.st_mode), "perm %o" % stat.S_IMODE(st.st_mode) if name != "eventfd" else "",
                  "lstat", kind(lst.st_mode), "%o" % stat.S_IMODE(lst.st_mode), "access", os.access(p, os.F_OK))
        except OSError as e:
            print(name, base.replace(str(os.getpid()), "PID"), "error", e.strerror)
for d in ("/dev/fd/", "/proc/self/fd/"):
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    fd = os.open(str(r), os.O_RDONLY | os.O_NONBLOCK, dir_fd=dfd)
    print(d, "openat the pipe:", os.read(fd, 2), kind(os.stat(str(r), dir_fd=dfd).st_mode))
    os.close(fd)
    os.close(dfd)
