# rt_signals_far.py - the three highest signals (62-64, which the runtime also uses for itself) sent
# to a program in another process (a forked child) and from a process outside: handled as Linux does.
import os, signal, time, sys
got = []
for s in (signal.SIGRTMAX, signal.SIGRTMAX - 1, signal.SIGRTMAX - 2, signal.SIGRTMIN + 2):
    signal.signal(s, lambda n, f: got.append(n))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"x")
    deadline = time.monotonic() + 3
    while len(got) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    print("child got", sorted(n - signal.SIGRTMIN for n in got), flush=True)
    os._exit(0)
os.read(r, 1)
for s in (signal.SIGRTMAX, signal.SIGRTMAX - 1, signal.SIGRTMAX - 2, signal.SIGRTMIN + 2):
    os.kill(pid, s)
os.waitpid(pid, 0)
# and to itself from a shell outside its process
import subprocess
got.clear()
subprocess.run(["/bin/sh", "-c", "kill -s RTMAX %d; kill -s RTMAX-1 %d" % (os.getpid(), os.getpid())])
deadline = time.monotonic() + 3
while len(got) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
print("parent got", sorted(n - signal.SIGRTMIN for n in got))
