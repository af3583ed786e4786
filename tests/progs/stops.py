# stops.py - SIGSTOP/SIGTSTP and SIGCONT of a child (forked, spawned beside its parent, or exec'd elsewhere): waits and SIGCHLD report them.
import os, signal, subprocess, sys, time

codes = []
signal.signal(signal.SIGCHLD, lambda s, f: None)


def forked():
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(7)
    return pid


def spawned():
    return subprocess.Popen(["/bin/sleep", "5"]).pid


def elsewhere():
    # Debian's python3 is not PIE: beside its parent's image it is exec'd
    # into a host process of its own, for which its pid here stands in.
    return subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(5)"]).pid


def state(pid):
    return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0]


for kind, make in (("forked", forked), ("spawned", spawned), ("exec'd elsewhere", elsewhere)):
    for sig in (signal.SIGSTOP, signal.SIGTSTP):
        pid = make()
        time.sleep(0.3)
        os.kill(pid, sig)
        _, st = os.waitpid(pid, os.WUNTRACED)
        print(kind, sig.name, "stopped", os.WIFSTOPPED(st), signal.Signals(os.WSTOPSIG(st)).name, "state", state(pid))
        # The parent goes on meanwhile (a stop of a program beside it stopped it too).
        t = time.time()
        while time.time() - t < 0.1:
            pass
        info = os.waitid(os.P_PID, pid, os.WSTOPPED | os.WNOHANG)
        print(" waitid again:", info)  # reported once
        os.kill(pid, signal.SIGCONT)
        _, st = os.waitpid(pid, os.WCONTINUED)
        print(" continued", os.WIFCONTINUED(st))
        os.kill(pid, signal.SIGTERM)
        _, st = os.waitpid(pid, 0)
        print(" then", "killed by", signal.Signals(os.WTERMSIG(st)).name)

# SIGCONT sent before the stop is taken: Linux drops the pending stop.
pid = spawned()
time.sleep(0.3)
os.kill(pid, signal.SIGKILL)
print("killed while running:", os.waitpid(pid, 0)[1] == signal.SIGKILL)
# A stopped child dies of SIGKILL.
pid = forked()
time.sleep(0.3)
os.kill(pid, signal.SIGSTOP)
os.waitpid(pid, os.WUNTRACED)
os.kill(pid, signal.SIGKILL)
print("stopped then killed:", os.WTERMSIG(os.waitpid(pid, 0)[1]) == signal.SIGKILL)
# Every thread of a stopped program stops, not only the one that took the
# signal (argv[1]: a program whose thread writes to an fd every 10 ms).
r, w = os.pipe()
p = subprocess.Popen([sys.argv[1], str(w)], pass_fds=[w])
os.close(w)
os.read(r, 1)
os.kill(p.pid, signal.SIGSTOP)
os.waitpid(p.pid, os.WUNTRACED)
os.set_blocking(r, False)
time.sleep(0.1)
try:
    os.read(r, 4096)  # what it wrote before it stopped
except BlockingIOError:
    pass
time.sleep(0.3)
try:
    wrote = len(os.read(r, 4096))
except BlockingIOError:
    wrote = 0
print("threads stopped too:", wrote == 0)
os.kill(p.pid, signal.SIGKILL)
p.wait()
