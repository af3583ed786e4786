# fsize.py - RLIMIT_FSIZE on each call that can make a file longer: what is cut, what fails, SIGXFSZ.
import os, resource, signal, tempfile

os.chdir(tempfile.mkdtemp())
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))
signal.signal(signal.SIGXFSZ, lambda *a: print("SIGXFSZ"))


def call(name, f):
    try:
        print(name, f())
    except OSError as ex:
        print(name, "errno", ex.errno)


fd = os.open("f", os.O_CREAT | os.O_RDWR | os.O_TRUNC)
call("write", lambda: os.write(fd, b"w" * 700))
call("write across", lambda: os.write(fd, b"w" * 700))
call("write past", lambda: os.write(fd, b"w"))
call("write empty", lambda: os.write(fd, b""))
call("pwrite across", lambda: os.pwrite(fd, b"p" * 600, 800))
call("pwrite past", lambda: os.pwrite(fd, b"p", 1024))
os.ftruncate(fd, 100)
os.lseek(fd, 100, os.SEEK_SET)
call("writev across", lambda: os.writev(fd, [b"a" * 300, b"b" * 900, b"c" * 10]))
call("pwritev across", lambda: os.pwritev(fd, [b"x" * 500, b"y" * 500], 300))
call("pwritev2 append", lambda: os.pwritev(fd, [b"z"], 0, os.RWF_APPEND))
call("ftruncate up", lambda: os.ftruncate(fd, 2000))
call("ftruncate to", lambda: os.ftruncate(fd, 1024))
call("fallocate", lambda: os.posix_fallocate(fd, 0, 4096))
os.ftruncate(fd, 10)
os.lseek(fd, 10, os.SEEK_SET)
src = os.open("/etc/passwd", os.O_RDONLY)
call("sendfile across", lambda: os.sendfile(fd, src, 0, 5000) > 0)
os.ftruncate(fd, 10)
call("copy_file_range across", lambda: os.copy_file_range(src, fd, 5000, 0, 500) > 0)
print("size", os.fstat(fd).st_size)
call("truncate path", lambda: os.truncate("f", 5000))
a = os.open("g", os.O_CREAT | os.O_WRONLY | os.O_APPEND)
os.write(a, b"q" * 1000)
call("append across", lambda: os.write(a, b"q" * 100))
r, w = os.pipe()
call("pipe not limited", lambda: os.write(w, b"x" * 4096))
