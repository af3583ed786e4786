# vpid_task.py - /proc/self/task and /proc/<pid>/task/<tid> list and describe the program's own threads.
import os
import subprocess
import threading

ev = threading.Event()
ts = [threading.Thread(target=ev.wait) for _ in range(3)]
for t in ts:
    t.start()
tids = os.listdir("/proc/self/task")
print("tasks", len(tids), "leader listed", str(os.getpid()) in tids)
ok = 0
for tid in tids:
    st = open(f"/proc/self/task/{tid}/stat").read().split()
    status = open(f"/proc/{os.getpid()}/task/{tid}/status").read()
    ok += st[0] == tid and f"\nPid:\t{tid}\n" in status and os.path.isdir(f"/proc/{os.getpid()}/task/{tid}")
print("tasks described", ok)
ps = subprocess.run(["ps", "-L", "-o", "pid=,lwp=", "-p", str(os.getpid())], capture_output=True, text=True)
print("ps -L lines", ps.stdout.count("\n"), "status", ps.returncode)
# Relative to an fd of /proc, as fdopendir/openat users do.
pfd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
me = str(os.getpid())
st = open(f"{me}/status", opener=lambda p, f: os.open(p, f, dir_fd=pfd)).read()
print("via dirfd: listed", me in os.listdir(pfd), "status", f"\nPid:\t{me}\n" in st,
      "stat", os.stat(me, dir_fd=pfd).st_mode & 0o170000 == 0o040000,
      "exe", os.readlink(f"{me}/exe", dir_fd=pfd) == os.readlink("/proc/self/exe"))
os.close(pfd)
ev.set()
for t in ts:
    t.join()
# The same of a forked child, in a host process of its own under pegasus
# (ps -L found none of its threads there).
r, w = os.pipe()
r2, w2 = os.pipe()
child = os.fork()
if child == 0:
    os.close(r)
    os.close(w2)
    cts = [threading.Thread(target=ev.wait) for _ in range(2)]
    ev.clear()
    for t in cts:
        t.start()
    os.write(w, b"x")
    os.read(r2, 1)  # until the parent has looked (its end closes)
    ev.set()
    os._exit(0)
os.close(w)
os.close(r2)
os.read(r, 1)
ctids = os.listdir(f"/proc/{child}/task")
readable = sum(os.path.isdir(f"/proc/{child}/task/{t}") and
               open(f"/proc/{child}/task/{t}/status").read().startswith("Name:") for t in ctids)
ps = subprocess.run(["ps", "-L", "-o", "lwp=", "-p", str(child)], capture_output=True, text=True)
print("forked child: tasks", len(ctids), "described", readable, "ps -L lines", ps.stdout.count("\n"))
os.close(w2)
os.waitpid(child, 0)
