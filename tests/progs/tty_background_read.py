# tty_background_read.py - a background group reads its controlling terminal,
# with no input ever typed: Linux stops it with SIGTTIN at once, or fails the
# read with EIO when SIGTTIN is ignored or blocked. (A read that waited for
# input first would wait for ever: the session leader gives up after 5 s.)
import os, pty, signal, sys

def case(how):
    pid, master = pty.fork()
    if pid == 0:
        c = os.fork()
        if c == 0:
            os.setpgid(0, 0)
            if how == "ignored":
                signal.signal(signal.SIGTTIN, signal.SIG_IGN)
            elif how == "blocked":
                signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTTIN])
            try:
                os.read(0, 10)
                print("read returned data")
            except OSError as e:
                print("read failed:", os.strerror(e.errno))
            os._exit(0)
        os.setpgid(c, c)
        signal.signal(signal.SIGALRM, lambda *a: (print("still waiting after 5 s"), os.kill(c, 9)))
        signal.alarm(5)
        _, st = os.waitpid(c, os.WUNTRACED)
        if os.WIFSTOPPED(st):
            print("stopped by", signal.Signals(os.WSTOPSIG(st)).name)
            os.kill(c, 9)
            os.waitpid(c, 0)
        os._exit(0)
    out = b""
    while True:
        try:
            d = os.read(master, 1000)
        except OSError:
            break
        if not d:
            break
        out += d
    os.waitpid(pid, 0)
    print(how + ":", out.decode().replace("\r\n", " | ").strip(" |"))

for how in sys.argv[1:] or ["default", "ignored", "blocked"]:
    case(how)
