# orphans.py - what outlives its parent: parent-death signals, a dead daemon's pid, /proc/<pid> as a directory fd.
import ctypes, os, signal, subprocess, sys, time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def pdeathsig(spawn):
    """A grandchild asks for SIGTERM at its parent's death; the parent dies."""
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    mid = os.fork()
    if mid == 0:
        if spawn:  # vfork+exec'd, in the same process as its parent
            code = ("import ctypes, os, signal, sys, time\n"
                    "signal.signal(15, lambda *a: (os.write(%d, b'TERM'), os._exit(0)))\n"
                    "ctypes.CDLL(None).prctl(1, 15, 0, 0, 0)\n"
                    "os.write(%d, b'r')\n"
                    "time.sleep(5)\nos.write(%d, b'none')\n" % (w, ready_w, w))
            subprocess.Popen([sys.executable, "-c", code], pass_fds=[w, ready_w])
        elif os.fork() == 0:  # forked: a process of its own
            signal.signal(signal.SIGTERM, lambda *a: (os.write(w, b"TERM"), os._exit(0)))
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            os.write(ready_w, b"r")
            time.sleep(5)
            os.write(w, b"none")
            os._exit(0)
        os.read(ready_r, 1)  # it asked: now its parent dies
        os._exit(0)
    os.close(ready_w)
    os.close(w)
    os.waitpid(mid, 0)
    print("pdeathsig", "spawned" if spawn else "forked", os.read(r, 10).decode())
    os.close(r)


def dead_daemon():
    """A double-forked daemon is killed: kill -0 of its pid fails soon after."""
    r, w = os.pipe()
    if os.fork() == 0:
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            time.sleep(30)
        os._exit(0)
    os.close(w)
    pid = int(os.read(r, 20))
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("dead daemon: gone")
            return
        time.sleep(0.05)
    print("dead daemon: still there after 5 s")


def proc_dirfd():
    """Files opened relative to /proc/<pid>, and that fd as a pidfd."""
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/sleep", ["sleep", "10"])
    time.sleep(0.3)
    for who, name in ((pid, "child"), (os.getpid(), "self")):
        d = os.open("/proc/%d" % who, os.O_RDONLY | os.O_DIRECTORY)
        f = os.open("stat", os.O_RDONLY, dir_fd=d)
        stat = os.read(f, 200).split()[1].decode()
        c = os.open("comm", os.O_RDONLY, dir_fd=d)
        comm = os.read(c, 50).decode().strip()
        print(name, "stat", stat, "comm", comm)
        for fd in (f, c):
            os.close(fd)
        if who == pid:
            signal.pidfd_send_signal(d, signal.SIGTERM)
        os.close(d)
    print("child", os.waitpid(pid, 0)[1])


pdeathsig(False)
pdeathsig(True)
dead_daemon()
proc_dirfd()
