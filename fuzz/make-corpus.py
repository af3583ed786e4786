#!/usr/bin/env python3
"""make-corpus.py - (re)generate the ELF seed corpus in fuzz/corpus/elf/.

    fuzz/make-corpus.py [OUTDIR]        (default: fuzz/corpus/elf next to this file)

The seeds are committed; this script only documents where they came from and
rebuilds them (the real-binary heads depend on the host's Debian packages).
Seeds: heads of real binaries (/bin/true, ld.so, a tiny static executable
built here with gcc), hand-made minimal images, a script, and truncated and
mutated variants, each aimed at one check of src/loader/elf.c.

fuzz_elf.c reads knobs from e_ident[EI_PAD] (bytes 9-15), which the parser
ignores: bytes 9-10 pick a smaller file_size, bytes 11-14 add to file_size
(a head of a bigger file), byte 15 the length of a prefix to parse.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus", "elf")

PT_LOAD, PT_INTERP, PT_PHDR, PT_DYNAMIC = 1, 3, 6, 2
ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
EHDR = "<16sHHIQQQIHHHHHH"
PHDR = "<IIQQQQQQ"


def ident(cls=2, data=1, ver=1, pad=b""):
    return (b"\x7fELF" + bytes([cls, data, ver, 0, 0]) + pad).ljust(16, b"\0")[:16]


def ehdr(etype=ET_EXEC, machine=62, entry=0x401000, phoff=64, phnum=1,
         phentsize=56, ident_=None):
    return struct.pack(EHDR, ident_ or ident(), etype, machine, 1, entry, phoff, 0,
                       0, 64, phentsize, phnum, 64, 0, 0)


def phdr(ptype=PT_LOAD, flags=5, off=0, vaddr=0x400000, filesz=0x1000,
         memsz=0x1000, align=0x1000):
    return struct.pack(PHDR, ptype, flags, off, vaddr, vaddr, filesz, memsz, align)


def image(etype, phdrs, tail=b"", size=None, **kw):
    b = ehdr(etype=etype, phnum=len(phdrs), **kw) + b"".join(phdrs) + tail
    if size is not None:
        b = b.ljust(size, b"\0")
    return b


def knobs(b, small=None, big=None, cut=None):
    """Set the fuzzer's EI_PAD knobs in an image."""
    b = bytearray(b)
    if small is not None:
        b[9:11] = struct.pack("<H", small & 0xffff)
    if big is not None:
        b[11:15] = struct.pack("<I", big & 0xffffffff)
    if cut is not None:
        b[15] = cut
    return bytes(b)


def head(path, n=4096):
    with open(path, "rb") as f:
        return f.read(n)


def main():
    seeds = {}

    # Real binaries: a 4 KiB head as exec.c reads it (file_size = whole file
    # via the big knob), and the bare head (segments past the end: rejected).
    true_size = os.path.getsize("/bin/true")
    t = head("/bin/true")
    seeds["real-true-head"] = t
    seeds["real-true-head-bigfile"] = knobs(t, big=true_size - len(t))
    seeds["real-true-head-cut"] = knobs(t, big=true_size - len(t), cut=40)
    ld = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
    l = head(ld)
    seeds["real-ldso-head-bigfile"] = knobs(l, big=os.path.getsize(ld) - len(l))

    # A tiny static non-PIE executable and a static-pie one, whole.
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "t.c")
        with open(src, "w") as f:
            f.write("void _start(void){__asm__ volatile(\"mov $60,%eax; xor %edi,%edi; syscall\");}\n")
        for name, extra in (("real-static-tiny", ["-static", "-no-pie"]),
                            ("real-static-pie-tiny", ["-static-pie", "-fPIE"])):
            exe = os.path.join(tmp, name)
            subprocess.run(["gcc", "-Os", "-nostdlib", "-s", "-Wl,--build-id=none",
                            "-Wl,-z,max-page-size=4096", "-Wl,-z,norelro", *extra,
                            "-o", exe, src], check=True)
            with open(exe, "rb") as f:
                seeds[name] = f.read()
    finally:
        shutil.rmtree(tmp)

    # Hand-made minimal images.
    interp = b"/lib64/ld-linux-x86-64.so.2\0"
    ok_exec = image(ET_EXEC, [phdr(filesz=0x100, memsz=0x100)], size=0x100)
    seeds["min-exec"] = ok_exec
    n_ph = 3
    int_off = 64 + 56 * n_ph
    seeds["min-dyn-interp"] = image(ET_DYN, [
        phdr(PT_PHDR, off=64, vaddr=64, filesz=56 * n_ph, memsz=56 * n_ph, align=8),
        phdr(PT_INTERP, off=int_off, vaddr=int_off, filesz=len(interp), memsz=len(interp), align=1),
        phdr(off=0, vaddr=0, filesz=0x200, memsz=0x3000),
    ], tail=interp, size=0x200, entry=0x100)
    seeds["min-dyn-bss-only"] = image(ET_DYN, [
        phdr(off=0, vaddr=0, filesz=0x100, memsz=0x100),
        phdr(off=0, vaddr=0x10000, filesz=0, memsz=0x5000, flags=6),
        phdr(off=0, vaddr=0x20000, filesz=0, memsz=0),   # empty PT_LOAD: skipped
    ], size=0x100)
    seeds["min-exec-knobs"] = knobs(ok_exec, small=0x80, big=0x10000, cut=100)

    # Not ELF / wrong kind.
    seeds["script-sh"] = b"#!/bin/sh\necho hello\n"
    seeds["empty"] = b""
    seeds["magic-only"] = b"\x7fELF"
    seeds["ehdr-63"] = ok_exec[:63]
    seeds["ehdr-only"] = ok_exec[:64]
    seeds["phdr-partial"] = ok_exec[:64 + 30]
    seeds["elf32"] = ident(cls=1) + ok_exec[16:]
    seeds["big-endian"] = ident(data=2) + ok_exec[16:]
    seeds["em-386"] = image(ET_EXEC, [phdr()], machine=3, size=0x100)
    seeds["et-rel"] = image(ET_REL, [phdr()], size=0x100)
    seeds["et-core"] = image(ET_CORE, [phdr()], size=0x100)
    seeds["bad-version"] = ident(ver=0) + ok_exec[16:]

    # Corrupt program headers.
    seeds["phnum-0"] = image(ET_EXEC, [], size=0x100)
    seeds["phnum-129"] = ehdr(phnum=129) + phdr(filesz=0x100, memsz=0x100) * 129
    seeds["phnum-128"] = ehdr(phnum=128) + phdr(filesz=0x100, memsz=0x100) * 128
    seeds["phentsize-32"] = image(ET_EXEC, [phdr()], phentsize=32, size=0x100)
    seeds["phoff-huge"] = image(ET_EXEC, [phdr()], phoff=0xfffffffffffffff0, size=0x100)
    seeds["phoff-past-end"] = image(ET_EXEC, [phdr()], phoff=0xf0, size=0x100)
    seeds["load-past-file"] = image(ET_EXEC, [phdr(filesz=0x2000, memsz=0x2000)], size=0x100)
    seeds["load-off-overflow"] = image(ET_EXEC, [phdr(off=0xfffffffffffff000, vaddr=0x400000,
                                                       filesz=0x2000, memsz=0x2000)], size=0x100)
    seeds["load-vaddr-top"] = image(ET_EXEC, [phdr(vaddr=0x7ffffffff000, filesz=0x100,
                                                    memsz=0x2000)], size=0x100)
    seeds["load-vaddr-wrap"] = image(ET_EXEC, [phdr(vaddr=0xfffffffffffff000, filesz=0x100,
                                                     memsz=0x2000)], size=0x100)
    seeds["load-filesz-gt-memsz"] = image(ET_EXEC, [phdr(filesz=0x100, memsz=0x80)], size=0x100)
    seeds["load-misaligned"] = image(ET_EXEC, [phdr(off=0x10, filesz=0x10, memsz=0x10)], size=0x100)
    seeds["exec-at-zero"] = image(ET_EXEC, [phdr(vaddr=0, filesz=0x100, memsz=0x100)], size=0x100)
    seeds["span-too-big"] = image(ET_DYN, [phdr(vaddr=0, filesz=0x100, memsz=0x100),
                                           phdr(vaddr=0x7fff00000000, filesz=0, memsz=0x1000)],
                                  size=0x100)
    seeds["phdr-after-load"] = image(ET_DYN, [phdr(vaddr=0, filesz=0x100, memsz=0x100),
                                              phdr(PT_PHDR, off=64, vaddr=0x9040, filesz=112,
                                                   memsz=112, align=8)], size=0x100)

    # PT_INTERP variants (valid one at int_off in a 3-phdr image).
    def with_interp(s, filesz=None, off=None, extra=None):
        ph = [phdr(PT_INTERP, off=off if off is not None else int_off, vaddr=int_off,
                   filesz=filesz if filesz is not None else len(s), memsz=len(s), align=1),
              phdr(off=0, vaddr=0, filesz=0x200, memsz=0x1000)]
        ph.append(extra or phdr(PT_DYNAMIC, off=0, vaddr=0, filesz=0, memsz=0, align=8))
        return image(ET_DYN, ph, tail=s, size=0x200)
    seeds["interp-no-nul"] = with_interp(b"/lib64/ld-linux-x86-64.so.2X")
    seeds["interp-inner-nul"] = with_interp(b"/lib64/ld\0linux-x86-64.so.2\0")
    seeds["interp-1-byte"] = with_interp(b"\0")
    seeds["interp-past-len"] = with_interp(interp, off=0x1f0)
    seeds["interp-off-overflow"] = with_interp(interp, off=0xffffffffffffffff)
    seeds["interp-4097"] = with_interp(interp, filesz=4097)
    seeds["interp-twice"] = with_interp(interp, extra=phdr(PT_INTERP, off=int_off, vaddr=0,
                                                           filesz=len(interp), memsz=0, align=1))
    big_interp = b"/" + b"a" * 4094 + b"\0"  # 4096 bytes with the NUL: the limit
    ph = [phdr(PT_INTERP, off=0x100, vaddr=0, filesz=len(big_interp), memsz=0, align=1),
          phdr(off=0, vaddr=0, filesz=0x1100, memsz=0x2000)]
    seeds["interp-4096"] = image(ET_DYN, ph, size=0x100) + big_interp

    os.makedirs(OUT, exist_ok=True)
    total = 0
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"{len(seeds)} seeds, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
