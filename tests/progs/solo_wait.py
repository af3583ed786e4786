# solo_wait.py - a forked child waits alone on kernel fds (epoll, a blocking read) while its
# parent wakes it in every way a wait can end: data, a signal with a handler, a signalfd, a
# thread that a signal wakes, a timer, a timeout. Under pegasus the child's one thread waits in
# the kernel's own call (sched/solo.h); the output must be Linux's.
import ctypes
import os
import select
import signal
import sys
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)


def say(*a):
    print(*a, flush=True)


def signalfd(sig):
    mask = (ctypes.c_ulong * 16)()
    mask[0] = 1 << (sig - 1)
    fd = libc.signalfd(-1, ctypes.byref(mask), os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "signalfd")
    return fd


data_r, data_w = os.pipe()   # parent -> child: the kernel member every wait has
ctl_r, ctl_w = os.pipe()     # child -> parent: "I am about to wait"

pid = os.fork()
if pid == 0:
    os.close(data_w)
    os.close(ctl_r)
    names = {data_r: "data"}

    def ready(step):
        os.write(ctl_w, step.encode())

    def show(step, evs):
        say(step, sorted((names[fd], ev & (select.EPOLLIN | select.EPOLLHUP)) for fd, ev in evs))

    ep = select.epoll()
    ep.register(data_r, select.EPOLLIN)

    # A: data arrives while the child waits with no timeout.
    ready("A")
    show("A", ep.poll(-1))
    say("A read", os.read(data_r, 16))

    # B: nothing comes: the timeout ends the wait, not before.
    t = time.monotonic()
    evs = ep.poll(0.3)
    say("B", evs, "timeout ok" if 0.28 <= time.monotonic() - t < 3 else "timeout %.3f" % (time.monotonic() - t))

    # C: a signal with a handler comes first (the wait goes on after it), then data.
    signal.signal(signal.SIGUSR1, lambda s, f: say("C handler"))
    ready("C")
    show("C", ep.poll(-1))
    say("C read", os.read(data_r, 16))

    # D: a signalfd in the set: the signal's arrival is the event.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
    sfd = signalfd(signal.SIGUSR2)
    names[sfd] = "signalfd"
    ep.register(sfd, select.EPOLLIN)
    ready("D")
    show("D", ep.poll(-1))
    say("D siginfo signo", int.from_bytes(os.read(sfd, 128)[:4], "little"))
    ep.unregister(sfd)
    os.close(sfd)

    # E: a thread, woken by a signal, makes an eventfd in the set ready.
    efd = os.eventfd(0, os.EFD_NONBLOCK)
    names[efd] = "eventfd"
    ep.register(efd, select.EPOLLIN)

    def waker():
        signal.sigwait({signal.SIGUSR2})
        os.eventfd_write(efd, 7)

    th = threading.Thread(target=waker)
    th.start()
    ready("E")
    show("E", ep.poll(-1))
    say("E value", os.eventfd_read(efd))
    th.join()
    ep.unregister(efd)

    # F: a blocking read of the kernel pipe, a signal with a handler in the middle.
    signal.signal(signal.SIGUSR1, lambda s, f: say("F handler"))
    ready("F")
    say("F read", os.read(data_r, 16))

    # G: a timer's signal during a wait with a timeout: the handler runs, the wait goes on.
    signal.signal(signal.SIGALRM, lambda s, f: say("G alarm"))
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    t = time.monotonic()
    evs = ep.poll(0.5)
    say("G", evs, "timeout ok" if 0.48 <= time.monotonic() - t < 3 else "timeout %.3f" % (time.monotonic() - t))

    # H: the writer closes: the pipe's hangup ends the wait.
    ready("H")
    show("H", ep.poll(-1))
    os._exit(0)

os.close(data_r)
os.close(ctl_w)


def step(name):
    got = os.read(ctl_r, 1).decode()
    assert got == name, (got, name)
    time.sleep(0.15)  # the child is in its wait by then (if not, it finds the event at once)


step("A")
os.write(data_w, b"a")
step("C")
os.kill(pid, signal.SIGUSR1)
time.sleep(0.15)
os.write(data_w, b"c")
step("D")
os.kill(pid, signal.SIGUSR2)
step("E")
os.kill(pid, signal.SIGUSR2)
step("F")
os.kill(pid, signal.SIGUSR1)
time.sleep(0.15)
os.write(data_w, b"f")
step("H")
os.close(data_w)
_, st = os.waitpid(pid, 0)
say("child status", os.waitstatus_to_exitcode(st))
