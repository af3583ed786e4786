# chroot.py - a forked child chroots (as sshd's privilege-separated child does), then works inside.
import os, socket, tempfile

d = tempfile.mkdtemp()
os.mkdir(os.path.join(d, "sub"))
with open(os.path.join(d, "sub", "f"), "w") as f:
    f.write("inside\n")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
srv.bind(os.path.join(d, "sub", "sock"))
srv.settimeout(10)
pid = os.fork()
if pid == 0:
    os.chroot(d)
    os.chdir("/")
    print("cwd", os.getcwd(), "ls", sorted(os.listdir("/")))
    print(open("/sub/f").read().strip(), open("/sub/../../../sub/f").read().strip())
    os.chdir("sub")
    print("cwd", os.getcwd())
    # A relative socket name, resolved in the new root (dovecot's login).
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"relative", "sock")
    try:
        os.chroot("/nonexistent")
    except OSError as e:
        print("chroot missing:", e.strerror)
    os._exit(0)
os.waitpid(pid, 0)
print("parent got", srv.recv(100))
print("parent root unchanged:", os.path.exists("/etc/passwd"))
