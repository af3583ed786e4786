#!/usr/bin/env python3
"""lean_closure.py - check that code the lean gate may run is lean.

With --mid, the same for the mid path's reads, writes and epoll calls
(src/sys/mid_io.c), which run on the app's %fs where FSGSBASE is absent:
no %fs (TLS) anywhere they reach. Vector registers and library calls are
theirs to use (only xmm0-15 are live there, and the runtime's libraries
are SSE-only: memcpy); what they call only on paths a check excludes is
named in MID_GUARDED and not followed.

The lean gate (src/entry/lean.c) serves calls on the app's %fs with the
app's vector registers still live, so every instruction it may reach must
leave both alone and call no library code. The compiler decides that, not
the source: GCC zeroes a 128-byte array with SSE stores, and a struct copy
becomes movups. This reads the built binary's disassembly, follows direct
calls and jumps from the lean entry points and from every file object's
poll op (which an epoll collection calls through a pointer), and reports
any reached function that uses an xmm/ymm/zmm register, %fs, or the PLT.

    lean_closure.py PEGASUS_BINARY SRC_DIR

Exit 0 when clean, 1 with one line per finding (and the call path to it).
"""
import re
import subprocess
import sys

ROOTS = ["lean_entry_c", "lean_return_check"]
MID_ROOTS = ["mid_io", "mid_epoll_wait", "mid_epoll_ctl", "mid_close", "mid_query", "mid_sendfile", "mid_openat", "mid_clock_gettime", "mid_rt_sigaction"]
# Calls not followed on the mid path (caller, callee; caller None: any),
# each excluded by a check before it or harmless:
MID_GUARDED = {
    (None, "pg_die"): "fatal: the process ends there",
    (None, "clock_gettime"): "sets errno only for a bad clock id",
    ("stream_send", "msg_alloc"): "ancillary records only: TCP carries none (chan_mid_send)",
    ("stream_drop_records", "msg_free"): "ancillary records only (chan_mid_recv)",
    ("stream_recv", "msg_free"): "the same, inlined",
    ("timer_arm", "__libc_realloc"): "the heap's growth: timer_room() first",
    ("watch", "kwait_watch"): "a set with kernel parts: needs_kwait() first",
    ("wait_loop", "kwait_watch"): "the same, inlined",
    ("modify", "kwait_watch"): "a moved member: eventpoll_ctl_mid refuses those",
    ("insert", "kwait_watch"): "a set in a set: eventpoll_ctl_mid refuses those",
    ("insert", "hash_grow"): "nitems < nbuckets first",
    ("insert", "__free"): "hash_grow's, inlined: nitems < nbuckets first",
    ("insert", "__calloc"): "a spare item first",
    ("insert", "to_moved"): "a file in the kernel: refused first",
    ("ep_remove", "__free"): "nspare < SPARE_MAX first",
    ("sigaction_call", "signal_discard"): "may_discard: the full path's alone",
}

FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
BRANCH = re.compile(r"^\s*[0-9a-f]+:\s+(?:notrack\s+|bnd\s+)?(call|j[a-z]+)\s+([0-9a-f]+) <([^>+]+)(?:\+0x[0-9a-f]+)?>")
BAD = [(re.compile(r"%[xyz]mm\d+"), "uses a vector register"),
       (re.compile(r"%fs:"), "reads or writes through %fs (TLS)")]


def ops(src, op):
    """Every vfile op of this name in the sources (not the scheduler's pollers)."""
    names = set()
    out = subprocess.run(["grep", "-rhoz", "--include=*.c", "-E", r"[^;]*\." + op + r" *= *[A-Za-z_0-9]+", src],
                         capture_output=True, text=True).stdout
    for stmt in out.split("\0"):
        if "sched_poller" in stmt:
            continue
        names.update(re.findall(r"\." + op + r" *= *([A-Za-z_0-9]+)", stmt))
    return sorted(names)


def plt_ranges(binary):
    """The PLT sections' address ranges: a static binary's calls of libc's
    IFUNCs (memcpy, strlen) go through them, and objdump names no symbol
    for their entries (`<_init+0x170>`)."""
    heads = subprocess.run(["objdump", "-h", binary], capture_output=True, text=True, check=True).stdout
    ranges = []
    for line in heads.splitlines():
        f = line.split()
        if len(f) > 3 and re.fullmatch(r"\.i?plt(\.\w+)?", f[1]):
            ranges.append((int(f[3], 16), int(f[3], 16) + int(f[2], 16)))
    return ranges


def functions(binary, mid):
    """name -> (findings, callees) from objdump's disassembly."""
    plt = plt_ranges(binary)
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary],
                         capture_output=True, text=True, check=True).stdout
    funcs, cur = {}, None
    for line in dis.splitlines():
        m = FUNC.match(line)
        if m:
            cur = m.group(1)
            funcs[cur] = ([], set())
            continue
        if cur is None or not line.strip():
            continue
        found, callees = funcs[cur]
        for pat, what in BAD[1:] if mid else BAD:
            if pat.search(line):
                found.append(f"{what}: {line.strip()}")
        b = BRANCH.match(line)
        if b and b.group(3) != cur:
            target, at = b.group(3), int(b.group(2), 16)
            if target.endswith("@plt") or any(lo <= at < hi for lo, hi in plt):
                if not mid:
                    found.append(f"calls library code: {line.strip()}")
            else:
                callees.add(target)
    return funcs


def main():
    args = sys.argv[1:]
    mid = args[:1] == ["--mid"]
    args = args[1:] if mid else args
    if len(args) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    funcs = functions(args[0], mid)
    entries = MID_ROOTS if mid else ROOTS
    roots = entries + ops(args[1], "poll") + (ops(args[1], "mid_io") + ops(args[1], "mid_call") + ops(args[1], "func") if mid else [])
    missing = [r for r in entries if r not in funcs]
    if missing:
        print(f"entry points not in the binary: {', '.join(missing)}")
        return 1
    parent, todo = {r: None for r in roots if r in funcs}, [r for r in roots if r in funcs]
    while todo:
        f = todo.pop()
        for c in sorted(funcs.get(f, ([], set()))[1]):
            if mid and ((None, c) in MID_GUARDED or (f, c) in MID_GUARDED):
                continue
            if c not in parent:
                parent[c] = f
                todo.append(c)
    bad = 0
    for f in sorted(parent):
        for what in funcs.get(f, ([], set()))[0][:1]:
            path, p = [], f
            while p:
                path.append(p)
                p = parent[p]
            print(f"{f}: {what} (reached: {' <- '.join(path)})")
            bad += 1
    print(f"{len(parent)} functions reached from {len(roots)} roots, {bad} not {'mid-safe' if mid else 'lean'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
