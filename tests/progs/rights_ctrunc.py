# rights_ctrunc.py - three fds passed in a datagram from a forked sibling's
# process to a receiver with room for one more fd: it gets one, and the
# message says it was cut (MSG_CTRUNC), as Linux's scm_detach_fds.
import array, os, resource, socket, tempfile

path = os.path.join(tempfile.mkdtemp(), "ctr.sock")
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    k = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    k.bind(path)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    fill = []
    try:
        while True:
            fill.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        pass
    os.close(fill.pop())
    os.write(w, b"r")
    msg, anc, flags, _ = k.recvmsg(16, socket.CMSG_SPACE(3 * 4))
    fds = [x for c in anc for x in array.array("i", c[2][: len(c[2]) - len(c[2]) % 4])]
    print("received", msg, "with", len(fds), "fd; MSG_CTRUNC", bool(flags & socket.MSG_CTRUNC), flush=True)
    print("the fd reads:", os.read(fds[0], 4) if fds else None, flush=True)
    os._exit(0)
os.read(r, 1)
files = [open("/etc/hostname", "rb") for _ in range(3)]
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.sendmsg([b"L"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [f.fileno() for f in files]))], 0, path)
os.waitpid(pid, 0)
os.unlink(path)
