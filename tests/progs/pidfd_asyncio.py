# pidfd_asyncio.py - os.pidfd_open with select and waitid(P_PIDFD), and asyncio's PidfdChildWatcher.
import asyncio, os, select, signal
pid = os.fork()
if pid == 0:
    os._exit(6)
fd = os.pidfd_open(pid)
r, _, _ = select.select([fd], [], [], 5)
print("select ready", r == [fd])
print("waitid", os.waitid(os.P_PIDFD, fd, os.WEXITED).si_status)
os.close(fd)

async def main():
    p = await asyncio.create_subprocess_exec('sh', '-c', 'echo hi; exit 4', stdout=asyncio.subprocess.PIPE)
    out = await p.stdout.read()
    print(out, await p.wait())
    q = await asyncio.create_subprocess_exec('sleep', '10')
    q.send_signal(signal.SIGTERM)
    print("killed", await q.wait())

w = asyncio.PidfdChildWatcher()
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
asyncio.set_child_watcher(w)
w.attach_loop(loop)
loop.run_until_complete(main())
