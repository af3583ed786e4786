"""ctrl_c.py - run a command on a new pseudo-terminal, type Ctrl-C there
after a second, and say how the command ended (by which signal, or its
exit status), or that it still ran 8 s later (then it is killed).

    python3 ctrl_c.py COMMAND [ARGS...]
"""
import os
import pty
import sys
import time

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
time.sleep(1.0)
os.write(fd, b"\x03")  # the terminal sends SIGINT to its foreground group
t0 = time.time()
while True:
    w, st = os.waitpid(pid, os.WNOHANG)
    if w:
        print("killed by signal %d" % os.WTERMSIG(st) if os.WIFSIGNALED(st)
              else "exited %d" % os.WEXITSTATUS(st))
        break
    if time.time() - t0 > 8:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("still running 8 s after Ctrl-C")
        sys.exit(1)
    try:
        os.read(fd, 1024)  # keep the terminal's output flowing
    except OSError:
        pass
    time.sleep(0.05)
