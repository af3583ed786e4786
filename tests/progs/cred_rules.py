"""cred_rules.py - Linux's rules for changing ids, each tried in a child of
its own (a drop is for good): the same lines natively and fused. Root only."""
import os

N = 65534


def trial(name, steps):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = []
        for step in steps:
            try:
                v = step()
                out.append("ok" if v is None else str(v))
            except PermissionError:
                out.append("EPERM")
            except OSError as e:
                out.append(os.strerror(e.errno))
        out.append("res %s %s" % (os.getresuid(), os.getresgid()))
        os.write(w, (name + ": " + ", ".join(out)).encode())
        os._exit(0)
    os.close(w)
    print(os.read(r, 4096).decode())
    os.waitpid(pid, 0)


trial("setuid as root sets all", [lambda: os.setuid(N), lambda: os.setuid(0)])
trial("seteuid keeps a way back", [lambda: os.seteuid(N), lambda: os.seteuid(0), lambda: os.seteuid(N)])
trial("setreuid moves the saved id", [lambda: os.setreuid(-1, N), lambda: os.setreuid(-1, 0)])
trial("setresuid, then only its own", [lambda: os.setresuid(N, N, 0), lambda: os.setresuid(0, -1, -1), lambda: os.setresuid(-1, -1, N), lambda: os.setresuid(0, -1, -1)])
trial("groups need root", [lambda: os.setgroups([1, 2]), lambda: os.getgroups(), lambda: os.setresgid(N, N, N), lambda: os.setresuid(N, N, N), lambda: os.setgroups([])])
trial("setgid then setegid", [lambda: os.setgid(N), lambda: os.setegid(0), lambda: os.setresuid(N, N, N), lambda: os.setegid(0)])
