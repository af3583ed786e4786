# mp_start.py - a multiprocessing pool under a start method (fork, spawn, forkserver); the run must end.
import multiprocessing as mp, sys
def sq(x): return x*x
if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    with ctx.Pool(2) as p: print(sys.argv[1], sum(p.map(sq, range(10))), flush=True)
    print("main done", flush=True)
