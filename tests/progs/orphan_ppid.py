"""orphan_ppid.py - an orphan's getppid() names its parent no more: after a
double fork (the middle's whole process is gone), and when its parent was
a program spawned beside others (its process lives on). Linux gives it to
init or a subreaper; pegasus to the instance's first program, or the host's
reaper."""
import os
import subprocess
import time

# Double fork: the middle exits at once, the grandchild asks until its
# parent changes (natively at once; under load pegasus learns of the
# middle's end a little later), 10 s at most.
r, w = os.pipe()
middle = os.fork()
if middle == 0:
    me = os.getpid()
    if os.fork() == 0:
        end = time.time() + 10
        while os.getppid() == me and time.time() < end:
            time.sleep(0.02)
        os.write(w, b"%d\n" % os.getppid())
        os._exit(0)
    os._exit(0)
os.waitpid(middle, 0)
os.close(w)
ppid = int(os.read(r, 100))
print("double fork: the middle is no longer the parent:", ppid != middle)
os.close(r)

# A spawned program (perl) forks and ends; its child asks later, then
# once more after an exec (which publishes what the child is).
r, w = os.pipe()
perl = subprocess.Popen(["/usr/bin/perl", "-e",
                         '$| = 1; if (fork() == 0) { sleep 1; print getppid(), "\\n"; exec("/bin/sh", "-c", q{echo $PPID}) } exit 0'],
                        stdout=w)
os.close(w)
perl.wait()
out = b""
while True:
    b = os.read(r, 100)
    if not b:
        break
    out += b
ids = [int(x) for x in out.split()]
print("spawned parent's orphan: not the parent any more:", [i != perl.pid for i in ids])
