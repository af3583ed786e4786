# threading in CPython: workers on a Queue, a Lock, Event with and without
# timeout, Condition, Semaphore, Barrier, Timer, thread-local data.
import threading, queue, time
q = queue.Queue()
lock = threading.Lock()
total = [0]
def worker(n):
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            break
        with lock:
            total[0] += item * item
        q.task_done()
ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in ts: t.start()
for i in range(10000): q.put(i)
for t in ts: q.put(None)
q.join()
for t in ts: t.join()
print("sum of squares", total[0], "threads alive", sum(t.is_alive() for t in ts))
ev = threading.Event()
t0 = time.monotonic()
print("event wait with 0.1 s timeout:", ev.wait(0.1), time.monotonic() - t0 >= 0.1)
def setter():
    time.sleep(0.05); ev.set()
threading.Thread(target=setter).start()
print("event set by a thread:", ev.wait(5))
cond = threading.Condition()
items = []
def prod():
    for i in range(5):
        with cond:
            items.append(i); cond.notify()
threading.Thread(target=prod).start()
got = []
with cond:
    while len(got) < 5:
        cond.wait_for(lambda: items, timeout=5)
        got += items; items.clear()
print("condition:", got)
sem = threading.Semaphore(2); b = threading.Barrier(3); res = []
def bw(i):
    with sem:
        res.append(i)
    b.wait()
bs = [threading.Thread(target=bw, args=(i,)) for i in range(3)]
for t in bs: t.start()
for t in bs: t.join()
print("barrier:", sorted(res))
tm = threading.Timer(0.02, lambda: print("timer fired"))
tm.start(); tm.join()
local = threading.local()
def lw(i, out):
    local.v = i; time.sleep(0.01); out.append(local.v == i)
out = []
ls = [threading.Thread(target=lw, args=(i, out)) for i in range(8)]
for t in ls: t.start()
for t in ls: t.join()
print("thread-local:", all(out), len(out))
print("active at end:", threading.active_count())
