"""job_control.py - drive an interactive shell on a new pseudo-terminal as
a user would: stop a job with Ctrl-Z, list it, resume it in the background
and the foreground, end it with Ctrl-C, stop and kill a pipeline. Prints
one line per step: ok, or what the terminal showed instead.

    python3 job_control.py SHELL [ARGS...]     (e.g. bash --norc -i)
"""
import os
import pty
import re
import select
import sys
import time

PROMPT = b"PROMPT$ "

pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.execvp(sys.argv[1], sys.argv[1:])

seen = b""


def expect(pattern, timeout=8.0):
    """Read until pattern (bytes regex) shows; True, or False on timeout."""
    global seen
    end = time.time() + timeout
    while True:
        m = re.search(pattern, seen, re.S)
        if m:
            seen = seen[m.end():]
            return True
        left = end - time.time()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            seen += data


def step(label, typed, pattern, pause=0.0):
    global seen
    os.write(fd, typed)
    if pause:
        time.sleep(pause)
    before = seen
    ok = expect(pattern)
    print("%s: %s" % (label, "ok" if ok else "NOT SEEN %r" % (before + seen)[-120:]), flush=True)
    return ok


STOPPED = rb"[Ss]topped.*PROMPT\$ "
try:
    os.write(fd, b"PS1='PROMPT$ '\r")
    if not expect(rb"\r?\n" + re.escape(PROMPT)):
        print("no prompt: %r" % seen[-200:])
        sys.exit(1)
    step("start", b"sleep 30\r", rb"sleep 30\r?\n", 0.5)
    step("ctrl-z", b"\x1a", STOPPED)
    step("jobs", b"jobs\r", rb"Stopped.*sleep 30.*PROMPT\$ ")
    step("bg", b"bg; echo BG-DONE\r", rb"BG-DONE\r?\n.*PROMPT\$ ")
    step("fg", b"fg\r", rb"sleep 30\r?\n", 0.5)
    step("ctrl-c", b"\x03", re.escape(PROMPT))
    step("status", b"echo st=$?\r", rb"st=130")
    step("pipeline", b"sleep 30 | cat\r", rb"cat\r?\n", 0.5)
    step("pipeline ctrl-z", b"\x1a", STOPPED)
    # Until the shell has seen every process of the job die (one may be
    # reported after the other, natively too: exit then finds "stopped jobs").
    step("kill stopped", b"kill -9 %1; while [ -n \"$(jobs)\" ]; do sleep 0.1; done; echo K-DONE\r",
         rb"K-DONE\r?\n.*PROMPT\$ ")
    step("exit", b"exit\r", rb"exit")
finally:
    # The shell may still count the killed job for a moment and answer
    # "There are stopped jobs." (natively too: seen both ways in CI); a
    # second exit leaves anyway. The answer may have come with the echo
    # of the first exit, already read into `seen`.
    deadline = time.time() + 15
    shown = seen
    tail = seen[-200:]
    again = True
    while time.time() < deadline:
        w, st = os.waitpid(pid, os.WNOHANG)
        if w:
            break
        if b"stopped jobs" in shown and again:
            os.write(fd, b"exit\r")
            again = False
        shown = b""
        if select.select([fd], [], [], 0.05)[0]:
            try:
                shown = os.read(fd, 4096)
                tail = (tail + shown)[-200:]
            except OSError:
                pass
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print("shell still running 15 s after exit; the terminal showed %r" % tail)
