# tty_reads.py - blocking reads of terminals whose answer only the read
# itself gives, with no input ever typed (a read that waited for input
# first would wait for ever; each case gives up after 5 s):
#   default/ignored/blocked  a background group reads its controlling
#       terminal: stopped by SIGTTIN at once, or EIO when it is ignored or
#       blocked;
#   vmin0  non-canonical reads with VMIN 0 (VTIME 0, then 2): empty;
#   hangup  a read blocked on a pty slave when the master closes: EIO;
#   master  a pty master read with SIGTTIN ignored: the data (a master is
#       no job-control terminal).
import os, pty, signal, sys, termios, threading

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

def vmin0():
    m, s = pty.openpty()
    a = termios.tcgetattr(s)
    a[3] &= ~(termios.ICANON | termios.ECHO)
    for vtime in (0, 2):
        a[6][termios.VMIN], a[6][termios.VTIME] = 0, vtime
        termios.tcsetattr(s, termios.TCSANOW, a)
        signal.alarm(5)
        print("vmin0 vtime %d:" % vtime, os.read(s, 10))
        signal.alarm(0)
    os.close(s)
    os.close(m)

def hangup():
    m, s = pty.openpty()
    threading.Timer(0.3, os.close, (m,)).start()
    signal.alarm(5)
    try:
        print("hangup: read", os.read(s, 10))
    except OSError as e:
        print("hangup: read failed:", os.strerror(e.errno))
    signal.alarm(0)
    os.close(s)

def master():
    m, s = pty.openpty()
    os.write(s, b"typed\n")
    old = signal.signal(signal.SIGTTIN, signal.SIG_IGN)
    signal.alarm(5)
    try:
        print("master: read", os.read(m, 100).replace(b"\r", b""))
    except OSError as e:
        print("master: read failed:", os.strerror(e.errno))
    signal.alarm(0)
    signal.signal(signal.SIGTTIN, old)
    os.close(s)
    os.close(m)

cases = {"vmin0": vmin0, "hangup": hangup, "master": master}
for how in sys.argv[1:] or ["default", "ignored", "blocked", "vmin0", "hangup", "master"]:
    cases[how]() if how in cases else case(how)
