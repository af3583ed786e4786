#!/usr/bin/env python3
"""lean_closure.py - check that code the lean gate may run is lean.

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

FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
BRANCH = re.compile(r"^\s*[0-9a-f]+:\s+(?:notrack\s+|bnd\s+)?(call|j[a-z]+)\s+([0-9a-f]+) <([^>+]+)(?:\+0x[0-9a-f]+)?>")
BAD = [(re.compile(r"%[xyz]mm\d+"), "uses a vector register"),
       (re.compile(r"%fs:"), "reads or writes through %fs (TLS)")]


def poll_ops(src):
    """Every vfile poll op named in the sources (not the scheduler's pollers)."""
    names = set()
    out = subprocess.run(["grep", "-rhoz", "--include=*.c", "-E", r"[^;]*\.poll *= *[A-Za-z_0-9]+", src],
                         capture_output=True, text=True).stdout
    for stmt in out.split("\0"):
        if "sched_poller" in stmt:
            continue
        names.update(re.findall(r"\.poll *= *([A-Za-z_0-9]+)", stmt))
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


def functions(binary):
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
        for pat, what in BAD:
            if pat.search(line):
                found.append(f"{what}: {line.strip()}")
        b = BRANCH.match(line)
        if b and b.group(3) != cur:
            target, at = b.group(3), int(b.group(2), 16)
            if target.endswith("@plt") or any(lo <= at < hi for lo, hi in plt):
                found.append(f"calls library code: {line.strip()}")
            else:
                callees.add(target)
    return funcs


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    funcs = functions(sys.argv[1])
    roots = ROOTS + poll_ops(sys.argv[2])
    missing = [r for r in ROOTS if r not in funcs]
    if missing:
        print(f"lean entry points not in the binary: {', '.join(missing)}")
        return 1
    parent, todo = {r: None for r in roots if r in funcs}, [r for r in roots if r in funcs]
    while todo:
        f = todo.pop()
        for c in sorted(funcs.get(f, ([], set()))[1]):
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
    print(f"{len(parent)} functions reached from {len(roots)} roots, {bad} not lean")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
