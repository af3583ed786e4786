# unix_perm.py - a socket file's mode (the binder's umask) and the write permission connect and sendto need.
import os, socket, sys, tempfile

d = tempfile.mkdtemp()
os.chmod(d, 0o755)
os.umask(0o022)
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    path = os.path.join(d, "s%d" % kind)
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    if kind == socket.SOCK_STREAM:
        s.listen(5)
    print("mode", oct(os.stat(path).st_mode & 0o777))
    for mode in (0o755, 0o777):
        os.chmod(path, mode)
        pid = os.fork()
        if pid == 0:
            os.setgid(65534)
            os.setuid(65534)
            c = socket.socket(socket.AF_UNIX, kind)
            try:
                if kind == socket.SOCK_STREAM:
                    c.connect(path)
                else:
                    c.sendto(b"x", path)
                print(oct(mode), "as nobody: ok", flush=True)
            except OSError as e:
                print(oct(mode), "as nobody:", e.strerror, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
