#!/usr/bin/env bash
# Differential test suite: every case runs natively and under pegasus, once
# per pegasus mode, and its stdout and exit status must match (stderr only
# where a case asks). A few cases check pegasus alone (bad input, --trace).
#
# usage: tests/run.sh [-v] [-k] [-l] [PATTERN...]
#   PATTERN  run only cases whose name (with the mode tag, e.g.
#            "ls-l [pattern]") matches one of these bash regexes
#   -v       verbose: show commands, full diffs and stderr of failures
#   -k       keep the temporary directory (its path is printed)
#   -l       list the case names and exit
#
# environment:
#   PEGASUS        the runtime to test (default: build/pegasus)
#   PEGASUS_MODES  ';'-separated option strings, one run per mode, e.g.
#                  ";--rewrite=off;--rewrite=pattern;--rewrite=zpoline"
#                  (default: a single empty mode)
#   BUILD_DIR      build directory (default: build); test programs are
#                  taken from $BUILD_DIR/tests unless TEST_PROGS is set
#   TEST_TIMEOUT   seconds allowed for each program run (default 30)
#
# `make test` builds first and then runs this script; it builds nothing.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PEGASUS=${PEGASUS:-$BUILD_DIR/pegasus}
PROGS=${TEST_PROGS:-$BUILD_DIR/tests}
TIMEOUT=${TEST_TIMEOUT:-30}

VERBOSE=0
KEEP=0
LIST=0
PATTERNS=()
while [ $# -gt 0 ]; do
    case $1 in
    -v) VERBOSE=1 ;;
    -k) KEEP=1 ;;
    -l) LIST=1 ;;
    -h | --help)
        sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    --) shift; PATTERNS+=("$@"); break ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) PATTERNS+=("$1") ;;
    esac
    shift
done

# Modes: split PEGASUS_MODES on ';', trimming blanks; default one empty mode.
MODES=()
if [ -z "${PEGASUS_MODES+x}" ] || [ -z "${PEGASUS_MODES//[[:space:];]/}" ]; then
    MODES=("")
else
    IFS=';' read -r -a _raw <<<"$PEGASUS_MODES"
    for m in "${_raw[@]}"; do
        m="${m#"${m%%[![:space:]]*}"}"
        m="${m%"${m##*[![:space:]]}"}"
        MODES+=("$m")
    done
    # a trailing ';' means a trailing empty mode
    case $PEGASUS_MODES in *';') MODES+=("") ;; esac
fi

# "--rewrite=pattern" -> "pattern"; "--cpus=1 --rewrite=off" -> "cpus=1 off";
# "PEGASUS_FSGSBASE=0 --rewrite=off" -> "fsgsbase=0 off"
mode_tag() {
    local m=$1 t="" w
    [ -z "$m" ] && return
    for w in $m; do
        w=${w#--}
        w=${w#rewrite=}
        w=${w#PEGASUS_}
        case $w in *=*) w="$(printf '%s' "${w%%=*}" | tr '[:upper:]' '[:lower:]')=${w#*=}" ;; esac
        t="${t:+$t }$w"
    done
    printf ' [%s]' "$t"
}

# mode_runner MODE - set RUNNER (pegasus run MODE --) and PEGASUS_RUN (the
# same without "--"). Leading NAME=VALUE words of a mode are pegasus's
# environment (PEGASUS_FSGSBASE=0), the rest its options.
mode_runner() {
    local envs=() opts=() w
    for w in $1; do
        if [ ${#opts[@]} -eq 0 ] && [[ $w == [A-Z_]*=* ]]; then envs+=("$w"); else opts+=("$w"); fi
    done
    PEGASUS_RUN=("$PEGASUS" run "${opts[@]}")
    [ ${#envs[@]} -gt 0 ] && PEGASUS_RUN=(env "${envs[@]}" "${PEGASUS_RUN[@]}")
    RUNNER=("${PEGASUS_RUN[@]}" --)
}

# ---------------------------------------------------------------------------
# A deterministic environment for every run, native or not.
export LC_ALL=C TZ=UTC PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
unset LANG LANGUAGE LC_CTYPE LC_MESSAGES PERL5LIB PERL5OPT PYTHONPATH PYTHONSTARTUP \
    POSIXLY_CORRECT GREP_OPTIONS GREP_COLORS LS_COLORS LD_PRELOAD LD_LIBRARY_PATH \
    MALLOC_CHECK_ MALLOC_PERTURB_ TMPDIR
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
ulimit -c 0 2>/dev/null

T=$(mktemp -d /tmp/pegasus-tests.XXXXXX) || exit 2
FIX=$T/fix      # fixtures, made once
RUN=$T/run      # cwd of each run, fresh copy of the fixtures
OUT=$T/out      # captured outputs
mkdir -p "$FIX" "$OUT"
cleanup() {
    if [ "$KEEP" = 1 ]; then
        echo "kept $T" >&2
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# Running programs. Case bodies call `x PROGRAM ARGS...`, which runs the
# program natively or under pegasus depending on the side being run.
RUNNER=()
x() {
    timeout -k 5 "$TIMEOUT" "${RUNNER[@]}" "$@"
}
# xe NAME=VALUE... -- PROGRAM ARGS: like x, with exactly this environment
# (env -i sits outside pegasus, so pegasus must pass it on unchanged).
xe() {
    local a=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    timeout -k 5 "$TIMEOUT" env -i "${a[@]}" "${RUNNER[@]}" "$@"
}

# xc N PROGRAM ARGS: like x, on N CPUs: natively under `taskset -c 0-(N-1)`,
# under pegasus with `--cpus N` (after the mode's own options).
xc() {
    local n=$1
    shift
    if [ ${#RUNNER[@]} -eq 0 ]; then
        timeout -k 5 "$TIMEOUT" taskset -c "0-$((n - 1))" "$@"
    else
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]:0:${#RUNNER[@]}-1}" --cpus "$n" -- "$@"
    fi
}

have() {
    case $1 in
    /*) [ -x "$1" ] ;;
    cpu:*) grep -qw "${1#cpu:}" /proc/cpuinfo ;;
    root) [ "$(id -u)" = 0 ] ;;
    # a runtime built without sanitizers (their instrumentation calls its library anywhere)
    unsanitized) ! { nm "$PEGASUS"; nm -D "$PEGASUS"; } 2>/dev/null | grep -q '__[at]san_init\|__ubsan_handle' ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

# ---------------------------------------------------------------------------
# Case registry.
#   dcase NAME [opts] -- PROGRAM ARGS...   differential, body is `x PROGRAM ARGS`
#   fcase NAME [opts] -- FUNCTION          differential, body is a function
#   pcase NAME [opts] -- FUNCTION          pegasus only, once per mode;
#                                          FUNCTION runs pegasus through
#                                          $RUNNER / $PEGASUS_RUN, returns 0
#                                          if good, else prints why
#   ncase NAME [opts] -- FUNCTION          like pcase, but once, without
#                                          pegasus (checks of the test setup)
# opts:
#   --need CMD      SKIP unless CMD is installed (repeatable; cpu:FLAG, root,
#                   unsanitized)
#   --prog NAME     needs the test program $PROGS/NAME (FAIL if not built)
#   --status N      the native status must be N (checks the case itself)
#   --stderr        compare stderr too
#   --not-in 'MODE:REASON'  SKIP in pegasus modes containing MODE (a mode
#                   that cannot behave like Linux there by design)
C_NAME=() C_KIND=() C_BODY=() C_NEED=() C_PROG=() C_STATUS=() C_STDERR=() C_NOTIN=()

_reg() {
    local kind=$1 name=$2
    shift 2
    local need="" prog="" status="" stderr=0 notin=""
    while [ $# -gt 0 ]; do
        case $1 in
        --need) need="$need $2"; shift 2 ;;
        --not-in) notin=$2; shift 2 ;;
        --prog) prog="$prog $2"; shift 2 ;;
        --status) status=$2; shift 2 ;;
        --stderr) stderr=1; shift ;;
        --) shift; break ;;
        *) echo "run.sh: bad option $1 in case $name" >&2; exit 2 ;;
        esac
    done
    local body
    if [ "$kind" = d ]; then
        body="x$(printf ' %q' "$@")"
        kind="diff"
    else
        body=$1
    fi
    C_NAME+=("$name") C_KIND+=("$kind") C_BODY+=("$body") C_NEED+=("$need")
    C_PROG+=("$prog") C_STATUS+=("$status") C_STDERR+=("$stderr") C_NOTIN+=("$notin")
}
dcase() { _reg d "$@"; }
fcase() { _reg diff "$@"; }
pcase() { _reg peg "$@"; }
ncase() { _reg native "$@"; }

# ---------------------------------------------------------------------------
# Fixtures: fixed contents and timestamps.
make_fixtures() {
    cd "$FIX" || exit 2
    mkdir -p dir/sub bin
    printf 'alpha\nbeta\ngamma\n' >dir/a.txt
    printf 'hello world\n' >dir/b.txt
    printf 'nested file\n' >dir/sub/c.txt
    printf '#!/bin/sh\necho run\n' >dir/tool
    chmod 755 dir/tool
    chmod 600 dir/b.txt
    ln -s a.txt dir/link
    cat >text.txt <<'EOF'
The quick brown fox jumps over the lazy dog
pack my box with five dozen liquor jugs
Sphinx of black quartz, judge my vow
the five boxing wizards jump quickly
42 apples
7 pears
108 plums
zebra
Apple
apple
banana	split	with	tabs
foo bar foo baz foo
EOF
    seq 1 20000 >nums.txt
    cat /bin/ls nums.txt text.txt >data.bin
    printf 'a\tb\001\177\200\377 end\n\r\\x' >ctrl.bin
    cp text.txt copy.txt

    # scripts
    printf '#!/bin/sh\necho "script: $# args: $*"\ni=0\nwhile [ $i -lt 3 ]; do i=$((i+1)); printf "%%s," $i; done\necho\nexit 5\n' >s-sh
    printf '#!/usr/bin/perl -w\nprint "warnings ", ($^W ? "on" : "off"), "\\n";\nprint "args: @ARGV\\n";\nexit 4;\n' >s-perl
    printf '#!/usr/bin/env perl\nprint "via env: ", join("|", @ARGV), "\\n";\n' >s-envperl
    printf '#!/bin/sh\necho "found through PATH as ${0##*/} with $1"\n' >bin/pegasus-test-script
    printf '#!/nonexistent/interpreter\necho never\n' >s-nointerp
    chmod 755 s-sh s-perl s-envperl bin/pegasus-test-script s-nointerp

    # bad programs
    printf 'echo this is text without a shebang\n' >notelf.txt
    chmod 755 notelf.txt
    cp /bin/true noexec && chmod 644 noexec
    cp /bin/true wrongarch && printf '\050\000' | dd of=wrongarch bs=1 seek=18 conv=notrunc status=none
    cp /bin/true elf32 && printf '\001' | dd of=elf32 bs=1 seek=4 conv=notrunc status=none
    cp /bin/true etrel && printf '\001\000' | dd of=etrel bs=1 seek=16 conv=notrunc status=none
    cp /bin/true badphent && printf '\020\000' | dd of=badphent bs=1 seek=54 conv=notrunc status=none
    head -c 100 /bin/true >truncated
    : >empty
    chmod 755 wrongarch elf32 etrel badphent truncated empty
    mkdir -p adir

    find "$FIX" -exec touch -h -d '2021-03-04 05:06:07 UTC' {} +
    cd / || exit 2
}

# ---------------------------------------------------------------------------
# The cases.

# -- Debian programs ---------------------------------------------------------
dcase true --status 0 -- /bin/true
dcase false --status 1 -- /bin/false
dcase ls --need ls -- /bin/ls dir dir/sub
dcase ls-l --need ls -- /bin/ls -l dir
dcase ls-lR --need ls -- /bin/ls -lR --full-time dir
dcase path-lookup-ls --need ls -- ls -1 dir
dcase ls-missing --need ls --status 2 --stderr -- /bin/ls no-such-file
dcase cat --need cat -- /bin/cat text.txt dir/a.txt
f_cat_stdin() { x /bin/cat <text.txt; }
fcase cat-stdin --need cat -- f_cat_stdin
f_cat_pipes() {
    local st
    printf 'through\na pipe\n' | x /bin/cat - dir/a.txt | /bin/cat
    st=("${PIPESTATUS[@]}")
    return "${st[1]}"
}
fcase cat-pipes --need cat -- f_cat_pipes
dcase sort --need sort -- /usr/bin/sort text.txt
dcase sort-nr --need sort -- /usr/bin/sort -t ' ' -k1,1nr -s text.txt
f_sort_big() { x /usr/bin/sort -r nums.txt >sorted; local s=$?; sha256sum <sorted; return $s; }
fcase sort-big --need sort -- f_sort_big
dcase sha256sum --need sha256sum -- /usr/bin/sha256sum data.bin text.txt
dcase od-c --need od -- /usr/bin/od -c ctrl.bin
dcase od-x --need od -- /usr/bin/od -A x -t x1z -N 256 data.bin
dcase wc --need wc -- /usr/bin/wc text.txt nums.txt data.bin
f_wc_stdin() { x /usr/bin/wc -l <nums.txt; }
fcase wc-stdin --need wc -- f_wc_stdin
f_tr() { x /usr/bin/tr a-z A-Z <text.txt; }
fcase tr --need tr -- f_tr
f_tr_d() { x /usr/bin/tr -d '\n[:digit:]' <text.txt; }
fcase tr-delete --need tr -- f_tr_d
dcase stat --need stat -- /usr/bin/stat -c '%n|%s|%F|%a|%A|%U|%G|%h|%N|%Y' dir dir/a.txt dir/b.txt dir/link dir/tool
dcase stat-L --need stat -- /usr/bin/stat -L -c '%n %s %F %a' dir/link
dcase id --need id -- /usr/bin/id
dcase id-ug --need id -- /usr/bin/id -u -g -G -n
dcase env-i --need env -- /usr/bin/env -i A=1 B=2 /usr/bin/env
f_env_inherit() { xe A=1 'B=two words' C= -- /usr/bin/env; }
fcase env-inherit --need env -- f_env_inherit
dcase sed --need sed -- /bin/sed -n -e 's/foo/bar/gp' -e '/^[0-9]/p' -e '$=' text.txt
f_sed_i() { x /bin/sed -i -e 's/o/0/g' -e '1d' copy.txt; local s=$?; cat copy.txt; ls; return $s; }
fcase sed-inplace --need sed -- f_sed_i
dcase grep --need grep -- /bin/grep -n -i -E 'fox|apple|^[0-9]+ ' text.txt
dcase grep-count --need grep --status 1 -- /bin/grep -c nomatch text.txt
f_grep_r() { x /bin/grep -r -n e dir >o; local s=$?; sort o; return $s; }
fcase grep-r --need grep -- f_grep_r
AWKPROG='{ n += NF; for (i = 1; i <= NF; i++) w[$i]++ } END { printf "%d words, %d lines, %.3f\n", n, NR, n / NR; print length(w) " distinct"; print toupper(substr($0, 1, 3)), index($0, "foo"); split("a:b:c", p, ":"); print p[3] }'
dcase awk --need awk -- awk "$AWKPROG" text.txt
dcase gawk --need gawk -- gawk "$AWKPROG" text.txt
dcase mawk --need mawk -- mawk "$AWKPROG" text.txt
dcase perl --need /usr/bin/perl -- /usr/bin/perl -e '
    my %h = (b => 2, a => 1, c => 3);
    print join(" ", map { "$_=$h{$_}" } sort keys %h), "\n";
    print join(",", map { $_ * $_ } 1 .. 10), "\n";
    printf "%.6f %s\n", atan2(1, 1) * 4, scalar reverse "pegasus";
    open(my $f, "<", "text.txt") or die; my @l = grep { /o/ } <$f>; close $f;
    print scalar(@l), " lines with o\n";
    my $s = "x" x 100000; print length($s), "\n";
    exit 3;'
f_perl_status() { x /usr/bin/perl -e 'print "dying\n"; die "bye\n"'; }
fcase perl-die --need /usr/bin/perl --status 255 -- f_perl_status
dcase python3 --need /usr/bin/python3 -- /usr/bin/python3 -c '
import sys, os, json, hashlib, re, zlib, struct
print(json.dumps({"b": [1, 2, 3], "a": None}, sort_keys=True))
print(hashlib.sha256(b"pegasus").hexdigest())
print(sum(range(10**6)), 2**100)
print(len(zlib.compress(b"abc" * 1000)), struct.pack("<I", 258).hex())
with open("text.txt") as f:
    print(sorted(set(re.findall(r"\b[a-z]{5}\b", f.read())))[:5])
print(os.path.exists("dir/a.txt"), os.listdir("dir/sub"), os.getcwd() == os.path.realpath("."))
print(sys.argv[1:], sys.byteorder, sys.maxsize)
sys.exit(6)' one two
f_python_exc() { x /usr/bin/python3 -c 'print("raising"); raise SystemExit("bye")'; }
fcase python3-exit --need /usr/bin/python3 --status 1 -- f_python_exc
dcase sh-builtins --need /bin/sh --status 7 -- /bin/sh -c '
    i=0; s=0
    while [ $i -lt 100 ]; do i=$((i + 1)); s=$((s + i * i)); done
    echo "sum of squares: $s"
    f() { echo "f got $# args: $*"; return 3; }
    f a "b c" d; echo "f returned $?"
    if test -d dir && [ -f dir/a.txt ] && [ ! -e nope ]; then echo "tests ok"; fi
    case "hello.txt" in *.txt) echo "case ok" ;; *) echo "case bad" ;; esac
    for w in one two three; do printf "%s:%d " "$w" ${#w}; done; echo
    set -- x y z; shift; echo "positional: $# $1"
    v=abcdef; echo "${v#ab} ${v%ef} ${#v} ${u:-default}"
    cd dir && echo * && cd ..
    printf "%5.2f|%-4s|%x\n" 3 ab 255
    exit 7'
dcase bash-builtins --need /bin/bash --status 9 -- /bin/bash -c '
    declare -A m=([x]=1 [y]=2); a=(3 1 2)
    echo "${#a[@]} ${a[1]} ${m[y]}"
    [[ abc =~ ^a(b)c$ ]] && echo "match ${BASH_REMATCH[1]}"
    printf -v out "%03d" 7; echo "$out"
    for ((i = 0; i < 3; i++)); do echo -n "$i "; done; echo
    s="hello"; echo "${s^^} ${s:1:3} ${s/l/L}"
    mapfile -t lines < dir/a.txt; echo "${#lines[@]} ${lines[2]}"
    exit 9'
dcase sh-kill-segv --need /bin/sh --status 139 -- /bin/sh -c 'echo before; kill -SEGV $$; echo after'
dcase sh-kill-term --need /bin/sh --status 143 -- /bin/sh -c 'echo before; kill -TERM $$; echo after'
dcase sh-exit-300 --need /bin/sh --status 44 -- /bin/sh -c 'exit 300'
f_gzip() {
    x /bin/gzip -n -6 -c data.bin >d.gz || return $?
    sha256sum d.gz
    x /bin/gzip -d -c d.gz >d.out || return $?
    sha256sum d.out data.bin
    cmp data.bin d.out && echo "round trip ok"
}
fcase gzip-roundtrip --need gzip -- f_gzip
f_xz() {
    x /usr/bin/xz -T1 -3 -c data.bin >d.xz || return $?
    sha256sum d.xz
    x /usr/bin/xz -d -c d.xz >d.out || return $?
    sha256sum d.out data.bin
    cmp data.bin d.out && echo "round trip ok"
}
fcase xz-roundtrip --need xz -- f_xz
f_tar() {
    x /bin/tar --sort=name -cf t.tar dir || return $?
    x /bin/tar -tvf t.tar
}
fcase tar --need tar -- f_tar
f_find() { x /usr/bin/find dir -printf '%p %y %m %s\n' >o; local s=$?; sort o; return $s; }
fcase find --need find -- f_find
f_dd() { x /bin/dd if=data.bin of=copy.bin bs=4096 count=20 skip=1 status=none; local s=$?; sha256sum copy.bin; return $s; }
fcase dd --need dd -- f_dd
dcase date --need date -- /bin/date -u -d '2020-02-29 12:34:56' '+%s %A %j %F %T %Z'
dcase printf-args --need printf -- /usr/bin/printf '[%s]\n' '' 'a b' '--' '--trace' '--rewrite=off' 'run' $'tab\there' 'ü'
f_many_args() {
    local a=() i
    for ((i = 0; i < 20000; i++)); do a+=("argument-$i"); done
    x /usr/bin/printf '%s\n' "${a[@]}" >o
    local s=$?
    wc -l <o
    sha256sum <o
    return $s
}
fcase many-args --need printf -- f_many_args

# -- #! scripts ----------------------------------------------------------------
dcase shebang-sh --status 5 -- ./s-sh one 'two three'
dcase shebang-perl-w --need /usr/bin/perl --status 4 -- ./s-perl a b
dcase shebang-env --need /usr/bin/perl -- ./s-envperl x 'y z'
f_shebang_path() { PATH=$PWD/bin:$PATH x pegasus-test-script arg; }
fcase shebang-path -- f_shebang_path
# An exec with tens of thousands of arguments (xargs, a big glob): the new
# stack's pointers were kept on the runtime's 64 KiB stack (SIGSEGV past
# ~4,800), a script's new argv too.
dcase exec-many-args -- /bin/sh -c '/bin/echo $(seq 30000) | md5sum; ./s-sh $(seq 20000) | tail -c 40'
f_xargs_many() { seq 1 200000 | x xargs echo | md5sum; }
fcase xargs-many -- f_xargs_many
# wait4's struct rusage of a forked child (/usr/bin/time): its CPU time,
# not zeros.
f_time_child() {
    x /usr/bin/time -f '%U %S' sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done' 2>&1 |
        awk '{ print ($1 + $2 > 0.05) ? "CPU time reported" : "no CPU time: " $0 }'
}
fcase time-child-rusage --need /usr/bin/time -- f_time_child

# -- C test programs ---------------------------------------------------------
ZP_REDZONE='zpoline:zpoline rewrites a site into call *%rax, which pushes its return address into the red zone this case checks (see docs/ARCHITECTURE.md)'
dcase raw-syscall --prog raw_syscall --status 0 --not-in "$ZP_REDZONE" -- "$PROGS/raw_syscall"
dcase raw-syscall-static --prog raw_syscall_static --status 0 --not-in "$ZP_REDZONE" -- "$PROGS/raw_syscall_static"
dcase avx-live --prog avx_live --status 0 -- "$PROGS/avx_live"
dcase efault --prog efault --status 0 -- "$PROGS/efault"
dcase efault-page0 --prog efault --status 0 -- "$PROGS/efault" page0
dcase long-reads --prog long_reads --status 0 -- "$PROGS/long_reads"
# CPUID answers through rewritten sites (entry/cpuid.h), forced on where the
# host can make CPUID fault; elsewhere the same check of the plain path.
f_cpuid() { PEGASUS_CPUID=1 x "$PROGS/cpuid"; }
fcase cpuid --prog cpuid --status 0 -- f_cpuid
p_cpuid_rewritten() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    PEGASUS_CPUID=1 timeout -k 5 "$TIMEOUT" "${R[@]}" -v -v -- "$PROGS/cpuid" addrs >"$OUT/p.out" 2>"$OUT/p.err" </dev/null ||
        { echo "status $?: $(grep -v '^\[' "$OUT/p.out" | head -3; tail -3 "$OUT/p.err")"; return 1; }
    # Each of the program's own sites that fit (all but "jump") rewritten:
    # a rewritten address within 256 bytes of its function.
    local name fn at hit missing=""
    while read -r _ name fn; do
        [ "$name" = jump ] && continue
        hit=no
        for at in $(sed -n 's/.*rewrote a CPUID site at \(0x[0-9a-f]*\).*/\1/p' "$OUT/p.err"); do
            if [ $((at)) -ge $((fn)) ] && [ $((at)) -lt $((fn + 256)) ]; then hit=yes; fi
        done
        [ $hit = yes ] || missing="$missing $name"
    done < <(grep '^site ' "$OUT/p.out")
    [ -z "$missing" ] && grep -q '^site rip' "$OUT/p.out" ||
        { echo "sites not rewritten:${missing:- (no site addresses printed)}"; return 1; }
}
pcase cpuid-sites-rewritten --prog cpuid --need cpu:cpuid_fault --not-in 'off:rewriting is off in this mode' -- p_cpuid_rewritten
# ld.so's CPUIDs rewritten before it runs, with or without CPUID faulting
# (entry/cpuid.h; forced on where a CPUID is cheap): every one found by the
# sweep rewritten, and what ld.so learnt of the CPU the same as natively.
f_cpu_features() { PEGASUS_CPUID=1 x "$PROGS/cpu_features"; }
fcase cpu-features --prog cpu_features -- f_cpu_features
p_cpuid_ldso() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    local line found done of
    # Swept at ld.so's second mapping: the exec.
    PEGASUS_CPUID=1 timeout -k 5 "$TIMEOUT" "${R[@]}" -v -v -- /bin/sh -c 'exec /bin/true' >"$OUT/p.out" 2>"$OUT/p.err" </dev/null ||
        { echo "status $?: $(tail -3 "$OUT/p.err")"; return 1; }
    line=$(grep -m1 "the interpreter's CPUID sites" "$OUT/p.err") || { echo "no sweep reported"; tail -3 "$OUT/p.err"; return 1; }
    read -r found done of < <(echo "$line" | sed -n 's/.*sites: \([0-9-]*\) found, \([0-9]*\) of \([0-9]*\) rewritten.*/\1 \2 \3/p')
    [ "${found:-0}" -gt 0 ] && [ "$done" = "$found" ] && [ "$of" = "$found" ] || { echo "$line"; return 1; }
}
pcase cpuid-ldso-swept --not-in 'off:rewriting is off in this mode' -- p_cpuid_ldso
# The sweep's instruction lengths (entry/insn_len.h), each the one objdump
# gives, in the code of real binaries: none declined there.
p_insn_len() {
    local f files=()
    for f in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 \
        /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /bin/bash "$PEGASUS"; do
        [ -f "$f" ] && files+=("$f")
    done
    out=$("$BUILD_DIR/tests/unit/insn_sweep" -s "${files[@]}" 2>&1) || { echo "$out" | head -12; return 1; }
}
ncase insn-len-objdump --need objdump -- p_insn_len
for sec in basic siginfo sigaction resethand nodefer masks pending ignore wait sigfd sigfd-info altstack \
    faults fpstate restart; do
    dcase "signals-$sec" --prog signals --status 0 -- "$PROGS/signals" "$sec"
done
# A SIGCONT from outside (kill, `timeout`) while the program is not
# stopped: its waits go on asleep (natively and fused the same lines).
f_signals_nothing() {
    local r
    "${RUNNER[@]}" "$PROGS/signals" nothing &
    r=$!
    sleep 0.2
    kill -CONT "$r"
    wait "$r"
}
fcase signals-nothing --prog signals --status 0 -- f_signals_nothing
dcase signals-resethand-kill --prog signals --status 138 -- "$PROGS/signals" resethand-kill
dcase signals-static-all --prog signals_static --status 0 -- "$PROGS/signals_static"
f_hello() { PEGASUS_TEST_VAR='v a l' x "$PROGS/$1" first 'sec ond' ''; }
f_hello_dyn() { f_hello hello; }
f_hello_static() { f_hello hello_static; }
f_hello_spie() { f_hello hello_static_pie; }
fcase hello-dynamic --prog hello --status 7 -- f_hello_dyn
fcase hello-static --prog hello_static --status 7 -- f_hello_static
fcase hello-static-pie --prog hello_static_pie --status 7 -- f_hello_spie
f_hello_rel() {
    ln -s "$PROGS/hello_static_pie" hsp && ln -s "$PROGS/hello" hd || return 99
    x ./hsp
    x ./hd x
}
fcase hello-relative-path --prog hello --prog hello_static_pie --status 5 -- f_hello_rel
f_hello_path() { ln -s "$PROGS/hello" bin/hello-p || return 99; PATH=bin:$PATH x hello-p arg; }
fcase hello-path-lookup --prog hello --status 5 -- f_hello_path
# the three builds really are dynamic PIE, static and static-pie (native check)
p_build_kinds() {
    local bad="" k
    for k in hello:ET_DYN:yes hello_static:ET_EXEC:no hello_static_pie:ET_DYN:no; do
        IFS=: read -r p t i <<<"$k"
        "$PROGS/$p" >"$OUT/k.out" 2>&1
        grep -qx "e_type=$t" "$OUT/k.out" && grep -qx "PT_INTERP present: $i" "$OUT/k.out" ||
            bad="${bad:+$bad; }$p is not e_type=$t with PT_INTERP $i"
    done
    [ -z "$bad" ] || { echo "$bad"; return 1; }
}
# The ELF parser's fuzz corpus, replayed (sanitizers on when available).
p_fuzz_corpus() {
    local out
    out=$(BUILD="$BUILD_DIR" "$ROOT/fuzz/replay.sh" 2>&1) || { echo "$out" | head -5; return 1; }
}
ncase fuzz-elf-corpus -- p_fuzz_corpus
# The local channel's corpus (found by fuzz/run-libfuzzer.sh channel).
p_fuzz_channel() {
    local out
    out=$("$BUILD_DIR/fuzz/fuzz_channel_replay" "$ROOT/fuzz/corpus/channel" 2>&1) || { echo "$out" | head -5; return 1; }
}
ncase fuzz-channel-corpus -- p_fuzz_channel
# The rewriter's site map against a model (fuzz/run-libfuzzer.sh sitemap).
p_fuzz_sitemap() {
    local out
    out=$("$BUILD_DIR/fuzz/fuzz_sitemap_replay" "$ROOT/fuzz/corpus/sitemap" 2>&1) || { echo "$out" | head -5; return 1; }
}
ncase fuzz-sitemap-corpus -- p_fuzz_sitemap
# seccomp filters' BPF: checked, then run (fuzz/run-libfuzzer.sh seccomp).
p_fuzz_seccomp() {
    local out
    out=$("$BUILD_DIR/fuzz/fuzz_seccomp_replay" "$ROOT/fuzz/corpus/seccomp" 2>&1) || { echo "$out" | head -5; return 1; }
}
ncase fuzz-seccomp-corpus -- p_fuzz_seccomp
# What the lean gate may run is lean: no vector register, no %fs, no
# library call, as the compiler built it (tests/lean_closure.py).
p_lean_closure() {
    local out
    out=$(python3 "$ROOT/tests/lean_closure.py" "$PEGASUS" "$ROOT/src" 2>&1) || { echo "$out" | tail -6; return 1; }
}
ncase lean-closure --need objdump --need python3 --need unsanitized -- p_lean_closure
# ...and what the mid path's reads, writes and epoll calls run on the
# app's %fs touches no TLS (sys/mid_io.c; --mid).
p_mid_closure() {
    local out
    out=$(python3 "$ROOT/tests/lean_closure.py" --mid "$PEGASUS" "$ROOT/src" 2>&1) || { echo "$out" | tail -6; return 1; }
}
ncase mid-closure --need objdump --need python3 --need unsanitized -- p_mid_closure
# Unit tests of internals (tests/unit): every case of every test binary is
# a case here, named unit-<file>-<case>.
p_unit() {
    local out
    out=$("$BUILD_DIR/tests/unit/$1" "$2" 2>&1) || { echo "$out" | grep -v '^ok' | head -5; return 1; }
}
p_unit_missing() { echo "no unit test binaries in $BUILD_DIR/tests/unit (run make)"; return 1; }
units=()
for u in "$BUILD_DIR"/tests/unit/test_*; do
    [ -f "$u" ] && [ -x "$u" ] && units+=("$u")
done
[ ${#units[@]} -gt 0 ] || ncase unit-tests -- p_unit_missing
for u in "${units[@]}"; do
    for c in $("$u" -l); do
        ncase "unit-${u##*/test_}-$c" -- "p_unit ${u##*/} $c"
    done
done
ncase build-kinds --prog hello --prog hello_static --prog hello_static_pie -- p_build_kinds
dcase procself --prog procself --status 3 -- "$PROGS/procself" a b
# lstat of /proc/self/exe, cwd and root: links (they said the file or
# directory: `[ -L ]` false, python's realpath left them, ls -l showed no
# target)
dcase procself-links --need /usr/bin/stat -- /bin/bash -c 'stat -c "%A %s %N" /proc/self/exe; stat -c "%A %s" /proc/self/cwd /proc/self/root /proc/$$/exe; [ -L /proc/$$/exe ] && echo "-L exe"; [ -L /proc/self/cwd ] && echo "-L cwd"; find /proc/self/ -maxdepth 1 -type l -name exe | wc -l'
# cd into a program's /proc directory (a shell's cd /proc/$$/fd): ENOENT for
# /proc/<vpid>; /proc/self and /dev/fd landed in the host's, whose listing
# was the runtime's fds. /proc/self/fd/. too.
dcase proc-cwd -- /bin/sh -c 'exec 7>/dev/null; cd /proc/$$/fd && echo "cd ok: $(ls | tr "\n" " ")"; [ -e 7 ] && echo "7 is there"; echo "fd/.: $(ls /proc/self/fd/. | tr "\n" " ")"; cd /proc/self/fd && echo "self: $(ls | tr "\n" " ")"; cd -P /proc/self && [ "$(pwd -P)" = "/proc/$$" ] && echo "pwd -P is /proc/\$\$"; cd /dev/fd && [ "$(pwd -P)" = "/proc/$$/fd" ] && echo "/dev/fd is /proc/\$\$/fd"; cd .. && ls -d fd'
# A working directory deeper than PATH_MAX, reached one relative step at a
# time (Go's os.TestRemoveAllLongPath): Linux limits names given, not the
# cwd; getcwd then says ENAMETOOLONG. mkdir, open and chdir said it.
dcase deep-cwd --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os
n = "a" * 100
for i in range(45):
    os.mkdir(n); os.chdir(n)
open("f", "w").write("deep\n")
print(open("f").read(), end="")
print(os.listdir("."), os.stat("..").st_nlink)
try:
    os.getcwd(); print("getcwd: ok")
except OSError as e:
    print("getcwd:", e.strerror)
for i in range(45):
    os.chdir("..")
print(os.path.basename(os.getcwd()) != n)
import shutil; shutil.rmtree(n); print("removed")'
# /dev/fd/N and /dev/stdin name the program's fds (symlinks into
# /proc/self/fd the kernel would resolve in pegasus's own process); a pipe
# opens again through them (bash's process substitution), on either side
# of a fork.
# An *at() call's dirfd does not matter for an absolute path, even one that
# names nothing (Linux ignores it; mariadb's Aria relies on it); with a
# relative path it is EBADF.
dcase at-absolute-bad-dirfd --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, errno
fd = os.open("/etc/hostname", os.O_RDONLY, dir_fd=9999); print(len(os.read(fd, 100)) > 0)
print(os.stat("/tmp", dir_fd=9999).st_mode > 0, os.access("/tmp", os.R_OK, dir_fd=9999))
try: os.open("hostname", os.O_RDONLY, dir_fd=9999)
except OSError as e: print(errno.errorcode[e.errno])'
# A connected UDP socket's name is the source address of the route to its
# peer (local or not); glibc's getaddrinfo relies on it (an assertion that
# aborted apache2 and python's getaddrinfo(None, 80)).
dcase udp-connected-name --need /usr/bin/python3 -- /usr/bin/python3 -c 'import socket
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); srv.bind(("127.0.0.1", 0))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.connect(srv.getsockname()); print("local peer", c.getsockname()[0])
c2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c2.connect(("127.0.0.1", 9)); print("no peer", c2.getsockname()[0])
c6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c6.connect(("::1", 9)); print("v6", c6.getsockname()[0])
m = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); m.connect(("::ffff:127.0.0.1", 9)); print("v4-mapped", m.getsockname()[0])
print(sorted({a[4][0] for a in socket.getaddrinfo(None, 80)}))'
# Raising a hard limit needs CAP_SYS_RESOURCE, which root in a container
# may lack: the kernel's answer, not "root may" (lowering is free).
# RLIMIT_CPU, per program: SIGXCPU each second past the soft limit (which
# moves on), SIGKILL at the hard one; a child inherits it.
dcase rlimit-cpu --need /bin/bash -- /bin/bash -c 'ulimit -S -t 1; ulimit -H -t 3; trap "echo got XCPU" XCPU; while :; do :; done'
dcase rlimit-cpu-child --need /bin/bash -- /bin/bash -c 'ulimit -t 1; /bin/sh -c "while :; do :; done"; echo "child status $?"'
dcase epoll-fork-inherited --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" inherited
dcase epoll-fork-child-adds --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" child-adds
dcase epoll-fork-oneshot --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" oneshot
dcase epoll-fork-et --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" et
dcase epoll-fork-oneshot-scm --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" oneshot-scm
dcase epoll-fork-et-scm --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" et-scm
dcase epoll-fork-read-across --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" read-across
dcase epoll-fork-del-across --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" del-across
dcase epoll-fork-fired-oneshot --prog epoll_fork_share --status 0 -- "$PROGS/epoll_fork_share" fired-oneshot
dcase itimer --prog itimer --status 0 -- "$PROGS/itimer"
# ITIMER_VIRTUAL and ITIMER_PROF: each program's, gone with it (a spawned
# program's went on in the host process and killed its parent)
fcase itimer-cpu --prog itimer --status 0 -- "f_t8 $PROGS/itimer cpu"
# nice, I/O priority, scheduling policy and personality: each program's
# own (a spawned child's reached its parent through the shared vCPU threads)
for sec in nice ioprio policy personality prctl stat; do
    fcase "sched-$sec" --prog sched_attrs --status 0 -- "f_t8 $PROGS/sched_attrs $sec"
done
# mlockall: the program's own memory (the kernel's locked the runtime's and
# other programs' too: a gigabyte as root, ENOMEM within RLIMIT_MEMLOCK)
fcase mlockall --prog mlockall --status 0 -- "f_t8 $PROGS/mlockall"
# SEM_UNDO undone at the end of the program that asked (spawned, vforked,
# forked, after an exec), dropped by SETVAL, clamped at 0
dcase semundo --prog semundo --status 0 -- "$PROGS/semundo"
# linkat(AT_FDCWD, "/proc/self/fd/N", ...) of an O_TMPFILE file (mpd's
# commit), utimensat through /proc/self/fd, once rewritten: the program's N
dcase procfd-link --prog procfd_link --status 0 -- "$PROGS/procfd_link"
# a bound AF_UNIX datagram socket and its connected client across a fork,
# with and without a datagram waiting (postfix's postlog)
# A UDP server that answers from a forked child, to a client whose socket
# no bind named (autobound by its send or connect): socat's
# UDP-RECVFROM,fork. The reply reached the kernel port only.
fcase udp-fork-reply --prog udp_fork_reply --status 0 -- "f_t8 $PROGS/udp_fork_reply"
# A pid outside the instance (the parent) is the kernel's to answer for;
# a thread id names its thread's process (python's test_posix asks the
# parent's scheduler).
fcase pid-kinds --prog pid_kinds --status 0 -- "f_t8 $PROGS/pid_kinds"
fcase dgram-fork --prog dgram_fork --status 0 -- "f_t8 $PROGS/dgram_fork 0"
fcase dgram-fork-queued --prog dgram_fork --status 0 -- "f_t8 $PROGS/dgram_fork 1"
# listeners with connections not yet accepted, their clients in one epoll
# set, a fork per listener (postfix's master)
fcase queued-fork --prog queued_fork --status 0 -- "f_t8 $PROGS/queued_fork"
# CPUID sites faulted on by several threads at once while one rewrites them
dcase cpuid-race --prog cpuid_race --status 0 -- "$PROGS/cpuid_race"
# /proc of a zombie: Z, no memory or umask lines, no signals, environ ESRCH
dcase zombie-proc --prog zombie_proc --status 0 -- "$PROGS/zombie_proc"
# /proc/self/status of a program with no_new_privs and a CPU mask of its own
f_status_nnp() { x /usr/bin/setpriv --no-new-privs /bin/grep NoNewPrivs /proc/self/status; }
fcase status-nonewprivs --need /usr/bin/setpriv -- f_status_nnp
f_status_cpus() { x /usr/bin/taskset -c 0 /bin/grep Cpus_allowed /proc/self/status; }
fcase status-cpus --need /usr/bin/taskset -- f_status_cpus
dcase fexecve --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os; fd = os.open("/bin/echo", os.O_RDONLY); os.execve(fd, ["echo", "fexecve"], {})'
dcase unix-perm --need root --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/unix_perm.py"
dcase unix-dgram-outside --need /usr/bin/python3 -- /bin/bash -c 'd=$(mktemp -d); /usr/bin/python3 -c "import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1); s.bind(sys.argv[1]); s.settimeout(10); print(s.recv(100)); print(s.recv(100))" $d/s & while [ ! -S $d/s ]; do sleep 0.05; done; for m in one two; do /usr/bin/python3 -c "import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[2].encode(), sys.argv[1])" $d/s $m; done; wait'
dcase chroot-forked --need root --need /usr/bin/python3 -- /usr/bin/timeout 30 /usr/bin/python3 "$ROOT/tests/progs/chroot.py"
dcase orphans --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/orphans.py"
# PR_SET_CHILD_SUBREAPER: a spawned program's orphaned grandchild is its to
# reap, and its getppid says so; without the request it is not.
dcase subreaper --prog subreaper --status 0 -- "$PROGS/subreaper"
# The same across forks: a forked grandchild orphaned below the first
# program or a forked child that asked is theirs to wait for, running or
# ended (it went to the host's init, and their wait said ECHILD).
dcase subreaper-fork --prog subreaper_fork --status 0 -- "$PROGS/subreaper_fork"
# A parent-death signal whose parent's process is SIGKILLed (it never came)
# or exits (once, not also from the kernel)
dcase pdeath --prog pdeath --status 0 -- "$PROGS/pdeath"
# ...set before an exec of the same non-PIE image, which runs in a host
# process of its own: the fork behind it cleared it (Go's syscall
# TestDeathSignal: a Go binary execs itself so).
dcase pdeath-exec --prog pdeath_exec --status 0 -- "$PROGS/pdeath_exec"
# A vfork child's setsid and TIOCSCTTY before its exec (Go's os/exec with
# Setsid and Setctty): its host process led no session, and the kernel
# said EPERM; the exec'd program has the terminal.
dcase vfork-ctty --prog vfork_ctty --need /usr/bin/python3 --status 0 -- "$PROGS/vfork_ctty" /usr/bin/python3 -c 'import os
fd = os.open("/dev/tty", os.O_RDWR); print("/dev/tty opens")
print("tcgetsid is its session:", os.tcgetsid(0) == os.getsid(0) == os.getpid())
print("foreground group:", os.tcgetpgrp(0) == os.getpgrp())'
# unshare of what only threads share (CLONE_FS, CLONE_FILES...) by a
# program with one thread: nothing to leave, as Linux (samba, systemd).
dcase unshare-one-thread --need perl -- perl -e 'for my $f (0, 0x200, 0x400, 0x600, 0x40000, 0x200|0x400|0x800) { my $r = syscall(272, $f); print "unshare($f): ", ($r == 0 ? "ok" : "errno " . ($!+0)), "\n" }'
# POSIX record locks belong to each program, as to each process on Linux:
# a spawned child conflicts with its parent, F_GETLK names the holder, any
# close drops them, F_SETLKW waits for the unlock.
dcase record-locks --prog record_locks --status 0 -- "$PROGS/record_locks"
# A program linked with an executable stack (PT_GNU_STACK RWE): its stack
# is mapped executable, as the kernel does (GCC's nested-function trampolines).
dcase exec-stack --prog exec_stack --status 0 -- "$PROGS/exec_stack"
# A library that asks for one, dlopened: glibc's mprotect(PROT_GROWSDOWN)
# of the main stack reaches down to its lowest page, as the kernel's.
dcase dlopen-exec-stack --prog dlopen_xstack --status 0 -- "$PROGS/dlopen_xstack" "$PROGS/libxstack.so"
# getppid() of an orphan whose parent ran in another host process: a
# double fork's grandchild, a spawned program's forked child (also after
# it execs, which publishes what it is).
dcase orphan-ppid --need /usr/bin/python3 --need /usr/bin/perl -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/orphan_ppid.py"
# The sleeper has a name of its own: killall by name reaches every process
# of the host so named (it ended the other sleeps of whoever ran the suite).
dcase killall --need killall -- /bin/bash -c 'd=$(mktemp -d); n=pgkill$$; cp /bin/sleep "$d/$n"; "$d/$n" 30 & s=$!; for i in $(seq 100); do killall -q -0 "$n" && break; sleep 0.1; done; echo "killall -0 $?"; killall -TERM "$n"; echo "killall $?"; wait $s; echo "wait $?"; rm -rf "$d"'
# A SIGCONT the program blocks: it continues a stop all the same, stays
# pending, and a later stop flushes it (else the stop undid itself).
fcase cont-pending --prog cont_pending --status 0 -- "f_t8 $PROGS/cont_pending"
dcase stops --need /usr/bin/python3 --prog ticker -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/stops.py" "$PROGS/ticker"
dcase script-dollar0 -- /bin/sh "$ROOT/tests/progs/dollar0.sh"
dcase mp-forkserver --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/mp_start.py" forkserver
dcase mp-spawn --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/mp_start.py" spawn
dcase rlimit-fsize --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/fsize.py"
dcase rlimit-fsize-shell --need /bin/bash -- /bin/bash -c 'cd "$(mktemp -d)"; ulimit -f 1; trap "echo got XFSZ" XFSZ; dd if=/dev/zero of=a bs=700 count=2 2>/dev/null; echo "dd $? $(stat -c %s a)"; head -c 3000 /dev/zero >b; echo "head $? $(stat -c %s b)"; (printf "%0900d" 0 >>b) 2>/dev/null; echo "append $? $(stat -c %s b)"; truncate -s 5000 c; echo "truncate $?"; seq 1000 >d; echo "seq $? $(stat -c %s d)"; sh -c "ulimit -f unlimited" 2>/dev/null; echo "raise $?"'
dcase rlimit-as --need /bin/bash --need /usr/bin/python3 -- /bin/bash -c 'ulimit -v 200000; /usr/bin/python3 -c "
import mmap
try: x = bytearray(300 << 20); print(\"big ok\")
except MemoryError: print(\"big MemoryError\")
y = bytearray(50 << 20); print(\"small ok\")
try: m = mmap.mmap(-1, 400 << 20); print(\"mmap ok\")
except OSError as e: print(\"mmap\", e.errno)
m = mmap.mmap(-1, 10 << 20); m.resize(20 << 20); print(\"resize ok\")
try: m.resize(500 << 20); print(\"resize big ok\")
except OSError as e: print(\"resize big\", e.errno)
"; ulimit -v 20000; /bin/ls / >/dev/null; echo "ls $?"'
dcase rlimit-raise-hard --need /bin/bash -- /bin/bash -c 'ulimit -n $(( $(ulimit -Hn) + 1 )) 2>/dev/null; echo "raise $?"; ulimit -n 1000; echo "lower $?"; ulimit -Hn'
dcase dev-fd-bash --need /bin/bash -- /bin/bash -c 'diff <(seq 3) <(seq 4); echo "diff $?"; while read l; do echo "L:$l"; done < <(printf "x\ny\n"); cat < <(echo in); echo x | cat /dev/stdin; exec 5</etc/hostname; cat /dev/fd/5 | wc -c; readlink /dev/stdin /dev/fd; stat -L -c %F /dev/stdin </dev/null; true'
# Descriptors past the table's first pages (fd 4096 on) and past its own
# directory: opened, read, written, listed, closed as natively.
# A soft fd limit below the hard one, set before the program (pegasus raises
# its own): the program keeps it, runs out of fds where Linux would, and
# keeps an fd it was given above it.
f_nofile_soft() { (exec 230</dev/null; ulimit -Sn 200 && x /bin/bash -c 'ulimit -n; [ "$(ulimit -Hn)" -gt 200 ] && echo "hard higher"; [ -e /proc/self/fd/230 ] && echo "fd 230 kept"; for i in $(seq 3 250); do eval "exec $i</dev/null" 2>/dev/null || { echo "fd $i refused"; break; }; done'); }
fcase rlimit-nofile-soft --need /bin/bash -- f_nofile_soft
# A program with an fd above a lowered RLIMIT_NOFILE spawns (vfork) and
# forks, and the children have it too: a spawn said EBADF (the copy of its
# table stopped at the limit), python's fallback fork then EAGAIN.
dcase rlimit-nofile-spawn --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, resource, subprocess
os.dup2(1, 200)
resource.setrlimit(resource.RLIMIT_NOFILE, (100, 456))
for i in range(2):
    print(subprocess.run(["/bin/sh", "-c", "echo child; [ -e /proc/self/fd/200 ] && echo has 200"]).returncode, flush=True)
p = os.fork()
if p == 0:
    print("forked child has 200:", os.path.exists("/proc/self/fd/200"), flush=True); os._exit(0)
print(os.waitpid(p, 0)[1])'
dcase fd-high --need /bin/bash -- /bin/bash -c 'ulimit -n 20000; cd "$(mktemp -d)"; exec 9000>hifd 5000</etc/hostname 4095</etc/hostname 4096</etc/hostname; echo hi >&9000; read x <&5000; echo "${#x}"; read y <&4096; echo "${#y}"; ls /proc/self/fd | sort -n | tail -4; exec 9000>&-; cat hifd; exec 15000</etc/hostname; ls -l /proc/self/fd/15000 | grep -c hostname; rm -r "$PWD"'
# A listener one thread accepts on while another forks: the child that
# closes it holds it no more (the thread's call never returns there), so
# once its parent is gone the port refuses; and the accept, moved into the
# kernel by the fork, ends with the process instead of spinning.
dcase fork-thread-accepting --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, socket, threading, time
r, w = os.pipe(); gr, gw = os.pipe(); cr, cw = os.pipe()
m = os.fork()
if m == 0:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
    os.write(w, str(s.getsockname()[1]).encode().ljust(8))
    threading.Thread(target=s.accept, daemon=True).start()
    time.sleep(0.2)
    if os.fork() == 0:
        s.close(); os.write(cw, b"c"); os.read(gr, 1); os._exit(0)
    os._exit(0)
port = int(os.read(r, 8)); os.waitpid(m, 0); os.read(cr, 1)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2); print("connected to a closed listener")
except ConnectionRefusedError:
    print("refused")
os.write(gw, b"x")'
# /proc/PID/stat of a child started beside its parent (posix_spawn,
# vfork): its own start time, the same at each read (java's Process.destroy
# checks it before it sends the signal: the parent's, which flipped between
# the vCPU threads', made destroyForcibly() a no-op).
dcase proc-stat-spawned-start --need /usr/bin/python3 -- /usr/bin/python3 -c 'import subprocess, time, os
time.sleep(0.15)
p = subprocess.Popen(["sleep", "2"])
def start(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])
me = start(os.getpid())
seen = {start(p.pid) for _ in range(20)}
print("child started later:", min(seen) >= me + 10, "stable:", len(seen) == 1)
p.kill(); p.wait(); print("killed:", p.returncode)'
# The same through java: destroyForcibly() of a child it started (run as a
# single-file source program, no javac step).
f_java_kill() { local TIMEOUT=60; x /usr/bin/java "$ROOT/tests/progs/JavaKill.java"; }
fcase java-destroy-forcibly --need /usr/bin/java -- f_java_kill
# /proc/self/stat's CPU times are the process's, every thread's (they were
# those of the vCPU thread that read them).
dcase proc-stat-process-cpu --need /usr/bin/python3 -- /usr/bin/python3 -c 'import threading, hashlib, time, os
data = b"x" * (1 << 20)
def burn():
    end = time.monotonic() + 0.6
    while time.monotonic() < end:
        hashlib.sha256(data).digest()
ts = [threading.Thread(target=burn) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
with open("/proc/self/stat") as f:
    f = f.read().rsplit(")", 1)[1].split()
stat = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
pt = time.process_time()
print("stat cpu matches the process clock:", abs(stat - pt) < 0.25 * pt)'
# A thread CPU clock first read after some work shows that work (a lone
# thread's: counting per thread starts at the first read). The work is
# measured in CPU time, so that a loaded machine changes nothing.
dcase thread-cpuclock-first-read --need /usr/bin/python3 -- /usr/bin/python3 -c 'import time, hashlib
while time.process_time() < 0.4:
    hashlib.sha256(b"y" * 4096).digest()
print("thread clock counts the work before its first read:", time.thread_time() > 0.3)'
# ...and in a program with several threads, each thread's own work (the
# counting starts at the first read; what ran before is the scheduler's
# TSC estimate): the main thread's shows, the idle thread's stays small.
dcase thread-cpuclock-first-read-threads --need /usr/bin/python3 -- /usr/bin/python3 -c 'import time, hashlib, threading
ev, idle = threading.Event(), []
def waiter():
    ev.wait()
    idle.append(time.thread_time())
t = threading.Thread(target=waiter); t.start()
while time.process_time() < 0.4:
    hashlib.sha256(b"y" * 4096).digest()
print("main thread counts its work:", time.thread_time() > 0.3)
ev.set(); t.join()
print("idle thread counts little:", idle[0] < 0.1)'
dcase proc-fd-reopen-pipe --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os; r, w = os.pipe(); os.write(w, b"abc"); print(open(f"/proc/self/fd/{r}", "rb", buffering=0).read(3)); w2 = os.open(f"/dev/fd/{r}", os.O_WRONLY); os.write(w2, b"via-w2"); os.close(w2); os.close(w); print(os.read(r, 100)); print(os.read(r, 100))'
for m in segv:139 abort:134 exit42:42 _exit7:7 kill:137 term:143 fpe:136 ill:132 \
    blocked-segv:139 ignored-segv:139 atexit:3 return:200 exit256:0; do
    dcase "die-${m%%:*}" --prog die --status "${m##*:}" -- "$PROGS/die" "${m%%:*}"
done

# -- threads, futex, signals in threads (issue 3) ------------------------------
# These programs hang rather than fail when a wakeup is lost: 8 s is plenty
# (each takes well under 2 s natively).
f_t8() { local TIMEOUT=8; x "$@"; }
f_t8c1() { local TIMEOUT=8; xc 1 "$@"; }
for sec in mutex cond rwlock barrier sem tls once cancel join many affinity; do
    fcase "threads-$sec" --prog threads --status 0 -- "f_t8 $PROGS/threads $sec"
done
# 1,000 threads, a spinner beside a sleeper, blocked FIFO readers, main's
# pthread_exit: also on one CPU (taskset natively, --cpus 1 under pegasus)
fcase threads-many-1cpu --need taskset --prog threads --status 0 -- "f_t8c1 $PROGS/threads many"
fcase threads-spin --prog threads --status 0 -- "f_t8 $PROGS/threads spin"
fcase threads-spin-1cpu --need taskset --prog threads --status 0 -- "f_t8c1 $PROGS/threads spin"
fcase threads-fifo-blocked --prog threads --status 0 -- "f_t8 $PROGS/threads fifo"
fcase threads-fifo-blocked-1cpu --need taskset --prog threads --status 0 -- "f_t8c1 $PROGS/threads fifo"
fcase threads-mainexit --prog threads --status 0 -- "f_t8 $PROGS/threads mainexit"
fcase threads-mainexit-1cpu --need taskset --prog threads --status 0 -- "f_t8c1 $PROGS/threads mainexit"
for sec in condwait futexwait eintr restart sigwait alarm vtalarm timer timedwait overrun rearm ignore shared limits reuse stdtimers; do
    fcase "thread-signals-$sec" --prog thread_signals --status 0 -- "f_t8 $PROGS/thread_signals $sec"
done
# Host signals 32 and 33 from outside, and SIGEV_THREAD timer signals (32),
# while the runtime starts worker threads: none may end the instance.
f_helper_signals() {
    local TIMEOUT=15
    x "$PROGS/helper_signals" &
    local runner=$! pid="" c i
    for i in $(seq 500); do
        [ -e helper_signals.ready ] && break
        sleep 0.01
    done
    # The program natively, pegasus otherwise: the last of x's descendants.
    c=$runner
    while [ -n "$c" ]; do
        pid=$c
        c=$(pgrep -P "$pid" | head -1)
    done
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
        kill -s 32 "$pid" 2>/dev/null
        kill -s 33 "$pid" 2>/dev/null
        sleep 0.002
    done
    wait "$runner"
}
fcase helper-signals --need pgrep --prog helper_signals --status 0 -- f_helper_signals
for sec in value timeout wake requeue wakeop bitset robust quirks robustproc; do
    fcase "futex-$sec" --prog futex --status 0 -- "f_t8 $PROGS/futex $sec"
done
f_py_threads() { local TIMEOUT=10; x /usr/bin/python3 "$ROOT/tests/progs/py_threads.py"; }
fcase python3-threading --need /usr/bin/python3 -- f_py_threads
# -- child programs: vfork, posix_spawn, wait (issue 14) ----------------------
for sec in filacts vfork system popen status wnohang sigchld waitid groups sigdef; do
    fcase "spawn-$sec" --prog spawn --status 0 -- "f_t8 $PROGS/spawn $sec"
done
# on 2 CPUs: concurrent loads into one address space (taskset natively)
f_spawn_threads() { local TIMEOUT=60; xc 2 "$PROGS/spawn" threads; }
fcase spawn-threads --need taskset --prog spawn --status 0 -- f_spawn_threads
f_spawn_forks() { local TIMEOUT=60; xc 2 "$PROGS/spawn" forks; }
fcase spawn-forks --need taskset --prog spawn --status 0 -- f_spawn_forks
# dash runs external commands through vfork; python's subprocess and
# os.popen through vfork/posix_spawn; env and perl's exec replace themselves.
dcase sh-external --status 4 -- /bin/sh -c 'echo a; /bin/echo b; /usr/bin/env -i /bin/echo c; exit 4'
dcase sh-status-chain -- /bin/sh -c '/bin/false || /bin/echo after-false; /bin/sh -c "exit 3"; echo "status $?"'
dcase sh-redirect -- /bin/sh -c '/bin/echo to-file >out.txt; /bin/cat <out.txt; /bin/ls nothing-here 2>/dev/null; echo "ls: $?"'
dcase py-subprocess --need /usr/bin/python3 -- /usr/bin/python3 -c 'import subprocess as s; print(s.run(["echo","hi"],capture_output=True).stdout); print(s.run(["sh","-c","exit 7"]).returncode); print(s.check_output("echo $((6*7))", shell=True)); p = s.Popen(["cat"], stdin=s.PIPE, stdout=s.PIPE); print(p.communicate(b"piped")[0])'
dcase py-popen --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os; print(os.popen("/bin/echo popen").read().strip()); print(os.system("exit 5") >> 8)'
dcase env-exec -- /usr/bin/env -i A=1 /usr/bin/env
# -- fork without exec: a host fork keeping the forking program --------------
for sec in memory fds status signals ids wait thread exec sigfd bomb sockets dontfork epoll waitfor dgrampair dgramrights ipopts kwatched grandchild spawnedlives pgroup pidcalls names solo jobgroup stopcont queued again sockopts; do
    fcase "fork-$sec" --prog fork --status 0 -- "f_t8 $PROGS/fork $sec"
done
# execve beside other threads (spinning, sleeping, blocked; from main or
# not): they end, the new image runs (rustup's proxy execs rustc so).
fcase exec-threads --prog exec_threads --status 0 -- "f_t8 $PROGS/exec_threads"
fcase exec-threads-1cpu --need taskset --prog exec_threads --status 0 -- "f_t8c1 $PROGS/exec_threads"
# A fork in one program while another waits on a socket whose peer is a
# third's: the child closes that peer (not its own), which must not wake
# the waiter there (redis master + replica fused beside a shell).
p_fork_ghost() {
    # Below the kernel's ephemeral range (32768-60999), which other tests'
    # connections use: a port taken there failed the bind (exit 2).
    local port=$((20000 + RANDOM % 12000)) g="$PROGS/fork_ghost"
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    timeout -k 5 "$TIMEOUT" "${R[@]}" --exit=all -- "$g" server "$port" ::: "$g" client "$port" ::: "$g" forker \
        >"$OUT/p.out" 2>"$OUT/p.err" </dev/null || { echo "status $?: $(tail -3 "$OUT/p.err")"; return 1; }
    [ "$(sort "$OUT/p.out" | tr '\n' '|')" = "client: got 0 |forker: done|server: closed|" ] ||
        { echo "output: $(tr '\n' '|' <"$OUT/p.out") $(tail -3 "$OUT/p.err")"; return 1; }
    ! grep -E 'internal error|assertion failed' "$OUT/p.err" | head -3 | grep . ||
        { echo "(stderr above: a thread ran in a forked child)"; return 1; }
}
pcase fork-ghost --prog fork_ghost -- p_fork_ghost
# vcpu_process PID - the process with pegasus's vCPU threads: PID itself
# or the copy of itself it re-executed (a child); waits up to 5 s for it.
vcpu_process() {
    local i p
    for i in $(seq 100); do
        for p in $1 $(pgrep -P $1); do
            [ "$(ls /proc/$p/task 2>/dev/null | wc -l)" -gt 1 ] && { echo $p; return 0; }
        done
        sleep 0.05
    done
    return 1
}
# An idle instance sleeps: a vCPU with nothing to run takes no slice
# ticks (each woke 100 times a second), so the instance's threads switch
# a handful of times in a second, not hundreds.
p_idle_quiet() {
    "${RUNNER[@]}" /bin/sleep 4 >"$OUT/p.out" 2>"$OUT/p.err" </dev/null &
    local r=$! pid n0 n1
    sleep 1
    pid=$(vcpu_process $r) || { wait $r; echo "no multi-threaded pegasus process found"; return 1; }
    switches() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n + 0}'; }
    n0=$(switches)
    sleep 1
    n1=$(switches)
    wait $r || { echo "status $?: $(tail -3 "$OUT/p.err")"; return 1; }
    [ $((n1 - n0)) -lt 25 ] || { echo "$((n1 - n0)) context switches in a second of idling"; return 1; }
}
pcase idle-quiet -- p_idle_quiet
# The host's ps and pgrep name pegasus's process as its first program, whose
# pid it is (not "exe" once it restarted itself through /proc/self/exe with
# glibc's AVX masked, nor "pegasus": `pgrep -x sleep` finds it).
p_host_comm() {
    "${RUNNER[@]}" /bin/sleep 2 >"$OUT/p.out" 2>"$OUT/p.err" </dev/null &
    local r=$! pid comm
    pid=$(vcpu_process $r) || { wait $r; echo "no multi-threaded pegasus process found"; return 1; }
    # Named once its program is loaded: a loaded host gets there later.
    for i in $(seq 30); do
        comm=$(cat /proc/$pid/comm 2>/dev/null)
        [ "$comm" = sleep ] && break
        sleep 0.05
    done
    wait $r || { echo "status $?: $(tail -3 "$OUT/p.err")"; return 1; }
    [ "$comm" = sleep ] || { echo "the host calls it \"$comm\""; return 1; }
    # A forked child's process, once it exec'd, is called by its program.
    local tag="2.$RANDOM" names p
    "${RUNNER[@]}" /bin/sh -c "sleep $tag & wait" >/dev/null 2>"$OUT/p.err" </dev/null &
    r=$!
    for i in $(seq 50); do
        names=$(for p in $(pgrep -f "sleep $tag"); do cat /proc/$p/comm 2>/dev/null; done | sort | tr '\n' ' ')
        [ "$names" = "sh sleep " ] && break
        sleep 0.05
    done
    wait $r
    [ "$names" = "sh sleep " ] || { echo "the host calls the instance and its forked sleep \"$names\""; return 1; }
}
pcase host-comm -- p_host_comm
# ...and its command line is the program's (ps -ef, pidof, pgrep -f read
# /proc/PID/cmdline): "pegasus run -- sleep ..." before. A forked child's
# process, once it exec'd, shows what it runs.
# host_cmdlines_are PATTERN WANT - within 2.5 s, the host's command lines
# of the processes pgrep -f PATTERN finds are WANT (sorted, each ended by
# "|"), while the instance started just before ($r) runs; then waits for it.
host_cmdlines_are() {
    local p cmd lines=
    for i in $(seq 50); do
        cmd=$(for p in $(pgrep -f "$1"); do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | sed 's/ *$//'; echo; done | sort -u | tr '\n' '|')
        [ -n "$cmd" ] && lines=$cmd
        [ "$lines" = "$2" ] && break
        sleep 0.05
    done
    wait $r
    [ "$lines" = "$2" ] || { echo "the host shows: $lines"; return 1; }
}
p_host_cmdline() {
    local tag="2.$RANDOM"
    "${RUNNER[@]}" /bin/sh -c "sleep $tag & wait" >/dev/null 2>"$OUT/p.err" </dev/null &
    local r=$!
    host_cmdlines_are "sleep $tag" "/bin/sh -c sleep $tag & wait|sleep $tag|"
}
pcase host-cmdline --need pgrep -- p_host_cmdline
# The same for a forked child of a program the first one spawned in its
# own process (dash runs python3 there): the child's host process showed
# the instance's command line, "/bin/sh -c ...".
p_host_cmdline_spawned() {
    local tag="2.$RANDOM"
    "${RUNNER[@]}" /bin/sh -c "/usr/bin/python3 -c 'import os, time; os.fork() or time.sleep($tag)'; true" \
        >/dev/null 2>"$OUT/p.err" </dev/null &
    local r=$!
    host_cmdlines_are "time.sleep\\($tag" "/usr/bin/python3 -c import os, time; os.fork() or time.sleep($tag)|"
}
pcase host-cmdline-spawned --need pgrep --need python3 -- p_host_cmdline_spawned
# `pegasus stats PID` asks a running --stats instance for its counts (a
# sigqueue of signal 62 with a value; without it, 62 is a program's).
p_stats_request() {
    "${PEGASUS_RUN[@]}" --stats -- /bin/sleep 3 >"$OUT/p.out" 2>"$OUT/p.err" </dev/null &
    local r=$! pid i
    pid=$(vcpu_process $r) || { wait $r; echo "no multi-threaded pegasus process found"; return 1; }
    "$PEGASUS" stats "$pid" || { wait $r; echo "pegasus stats: status $?"; return 1; }
    for i in $(seq 100); do grep -q "system calls" "$OUT/p.err" && break; sleep 0.02; done
    grep -q "system calls" "$OUT/p.err" || { wait $r; echo "no counts before the end"; return 1; }
    wait $r || { echo "status $?: $(tail -3 "$OUT/p.err")"; return 1; }
    [ "$(grep -c 'system calls' "$OUT/p.err")" -eq 2 ] || { echo "$(grep -c 'system calls' "$OUT/p.err") reports, 2 expected"; return 1; }
}
pcase stats-request -- p_stats_request
# Reads, writes and epoll calls that the mid path may serve (no %fs change
# without FSGSBASE: sys/mid_io.c), with the cases it must leave to the full
# path: EOF, a reset, bad buffers, a full socket, eventfd limits, more
# epoll adds and deletes than a set keeps spare.
dcase mid-io --prog mid_io -- "$PROGS/mid_io"
# Reads of a regular file, once their site is rewritten, are served on the
# lean path (a misplaced line once sent every fd-waiting call, reads and
# writes of kernel sockets too, to the full path: same results, slower).
p_lean_reads() {
    head -c 1000000 /dev/zero >"$OUT/zeros"
    "${PEGASUS_RUN[@]}" --stats -- /bin/cat "$OUT/zeros" >/dev/null 2>"$OUT/p.err" </dev/null || { echo "status $?"; return 1; }
    local lean sites
    lean=$(awk '$1 == "read" { print $5 }' "$OUT/p.err")
    sites=$(sed -n 's/.*call sites rewritten: \([0-9]*\).*/\1/p' "$OUT/p.err")
    [ "${sites:-0}" -eq 0 ] || [ "${lean:-0}" -gt 0 ] || { echo "no read on the lean path: $(grep -E 'call  | read |rewritten' "$OUT/p.err")"; return 1; }
}
pcase lean-reads -- p_lean_reads
# A forked child's calls are counted in its process and shown at its end
# (they went to /dev/null, and the parent showed an empty table for each
# child); a site only children run traps in the first two and is patched
# for the rest (the site journal: each child trapped at the same sites).
p_fork_children_learn() {
    "${PEGASUS_RUN[@]}" --stats -- "$PROGS/fork" learn >"$OUT/p.out" 2>"$OUT/p.err" </dev/null || { echo "status $?"; return 1; }
    grep -q "statuses sum to 21" "$OUT/p.out" || { echo "got: $(cat "$OUT/p.out")"; return 1; }
    local all
    all=$(awk '$1 == "all" { printf "%s/%s ", $2, $3 }' "$OUT/p.err")
    # total/trapped of each child, then the parent's
    set -- $all
    [ $# -eq 7 ] || { echo "$# tables, 7 expected: $all"; return 1; }
    local i
    for i in 1 2 3 4 5 6; do
        eval "local t=\${$i}"
        [ "${t%/*}" -ge 2 ] || { echo "child $i counted ${t%/*} calls (close and exit_group at least): $all"; return 1; }
        [ "$i" -le 2 ] || [ "${t#*/}" -eq 0 ] || { echo "child $i trapped ${t#*/} times: $all"; return 1; }
    done
}
pcase fork-children-learn --prog fork --not-in 'off:rewriting is off in this mode' -- p_fork_children_learn
# A local TCP connection served by a forked child (postgres's backends)
# leaves the process as an AF_UNIX pair: its names, family, protocol and
# TCP options stay a TCP socket's (TCP_NODELAY was EOPNOTSUPP); a reader
# blocked on it when it moved reads the pair (it read EOF once the parent
# closed its copy); a writer blocked on it loses nothing.
dcase moved-tcp --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/moved_tcp.py"
dcase kernel-connect --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/kernel_connect.py"
dcase inet-families --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/inet_families.py"
dcase udp-fionread --need /usr/bin/python3 -- /usr/bin/timeout 30 /usr/bin/python3 "$ROOT/tests/progs/udp_fionread.py"
# A forked child waits alone on kernel fds (its vCPU in the kernel's own
# epoll_pwait2 or ppoll: sched/solo.h): data, a handled signal, a
# signalfd, a thread a signal wakes, a timer and a timeout all end or
# interrupt the wait as on Linux.
dcase solo-wait --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/solo_wait.py"
# /dev/fd/N of fds that are the runtime's objects (pipes, sockets,
# eventfds): stat, lstat, access, and opens relative to an opened /dev/fd/
# (the host's links name pegasus's own fds: ENOENT, or another file).
dcase devfd-objects --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/devfd_objects.py"
dcase devfd-procsub --need /bin/bash --need /usr/bin/gzip -- /bin/bash -c 'gzip -dc <(echo hello | gzip); echo "gzip $?"; stat -L -c %F <(true); test -e <(true) && echo exists; diff <(echo a) <(echo b); echo "diff $?"'
# The main stack grows as far as RLIMIT_STACK at exec says (it was 8 MB
# whatever `ulimit -s` said): a small limit faults, a large one holds.
f_stack_limit() { x /bin/sh -c "(ulimit -s 4000; exec $PROGS/stack_depth 6000) 2>/dev/null; echo \"4000: \$?\"; (ulimit -s 20000 && exec $PROGS/stack_depth 12000) 2>/dev/null; echo \"20000: \$?\"; (ulimit -s unlimited && exec $PROGS/stack_depth 16000) 2>/dev/null; echo \"unlimited: \$?\""; }
fcase stack-limit --prog stack_depth -- f_stack_limit
# sched_setaffinity is kept, and inherited by threads, children and exec
# (`taskset -c 0 nproc` said 2).
dcase affinity-kept --need /usr/bin/python3 --need /usr/bin/taskset -- /usr/bin/python3 -c 'import os, threading, subprocess
os.sched_setaffinity(0, {0}); print(os.sched_getaffinity(0))
r = []; t = threading.Thread(target=lambda: r.append(os.sched_getaffinity(0))); t.start(); t.join(); print("thread", r[0])
pid = os.fork()
if pid == 0:
    print("child", os.sched_getaffinity(0)); os._exit(0)
os.wait()
print("exec", subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
print("taskset", subprocess.run(["taskset", "-c", "1", "nproc", "--all"], capture_output=True, text=True).stdout.strip() != "")'
# /dev/stdin and /dev/fd/N reached through the /dev directory (gzip opens
# "/dev/", then "stdin") or from a cwd of /dev: the program's fds, not
# pegasus's own.
dcase devfd-via-dev --need /usr/bin/gzip -- /bin/bash -c 'cd "$(mktemp -d)"; echo hi | gzip >h.gz; gzip -dc /dev/stdin <h.gz; exec 5<h.gz; gzip -dc /dev/fd/5; echo data | (cd /dev && cat stdin); rm -r "$PWD"'
# SIGRTMAX, -1 and -2 to a forked child (and from outside): the host
# signals the runtime kicks, interrupts and counts with are a program's
# too (the child's handlers never ran).
dcase rt-signals-far --need /usr/bin/python3 -- /usr/bin/timeout 60 /usr/bin/python3 "$ROOT/tests/progs/rt_signals_far.py"
# A daemon's child drops root (memcached -d -u nobody): its /proc/self/mem
# is root's then; its call sites are still rewritten (or it traps on).
fcase fork-setuid --need root --prog fork --status 0 -- "f_t8 $PROGS/fork setuid"
# A forked child stops recording what it did not inherit (MADV_DONTFORK):
# else its exec would later unmap whatever the runtime put there.
p_fork_dontfork_dropped() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    timeout -k 5 "$TIMEOUT" "${R[@]}" -v -v -- "$PROGS/fork" dontfork >"$OUT/p.out" 2>"$OUT/p.err" </dev/null ||
        { echo "status $?: $(tail -3 "$OUT/p.err")"; return 1; }
    grep -q 'MADV_DONTFORK) dropped' "$OUT/p.err" || { echo "no dropped records logged: $(grep -i fork "$OUT/p.err" | head -3)"; return 1; }
}
pcase fork-dontfork-dropped --prog fork -- p_fork_dontfork_dropped
dcase node-child-process --need /usr/bin/node -- /usr/bin/node -e 'const c = require("child_process"); console.log(c.execSync("echo child").toString().trim(), c.spawnSync("sh", ["-c", "exit 3"]).status, c.spawnSync("/bin/true").status)'
# pidfds: of forked and spawned children, through poll, epoll, waitid,
# pidfd_send_signal, clone3's CLONE_PIDFD and pidfd_getfd.
for sec in open signal waitid spawned clone3 getfd errors parent; do
    fcase "pidfd-$sec" --prog pidfd --status 0 -- "f_t8 $PROGS/pidfd $sec"
done
dcase pidfd-asyncio --need /usr/bin/python3 -- /usr/bin/python3 -W ignore "$ROOT/tests/progs/pidfd_asyncio.py"
# A terminal: openpty (TIOCGPTPEER makes an fd), and a forked child that
# takes it as its controlling terminal (setsid, TIOCSCTTY): python's pty,
# script(1).
dcase pty-python --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, pty
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", "echo hello-from-pty; tty >/dev/null && echo has-tty"])
out = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    out += d
print(out, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))'
dcase pty-script --need /usr/bin/script -- /usr/bin/script -qec 'echo hi; tty >/dev/null && echo has-tty' /dev/null
# Started on a terminal by a shell without job control (pegasus leads no
# host group there): the program is in the foreground, as natively; bash
# -i took itself for a background job and stopped the whole instance.
f_tty_fg_nonleader() {
    timeout -k 5 "$TIMEOUT" script -qec \
        "sh -c 'true; ${RUNNER[*]} /usr/bin/python3 $ROOT/tests/progs/tty_foreground.py'" /dev/null | tr -d '\r'
}
fcase tty-foreground-nonleader --need /usr/bin/script --need /usr/bin/python3 -- f_tty_fg_nonleader
# A foreground job of a shell with job control on a terminal: its stat's
# tpgid (field 8) is its group, and ps marks it + (the host's group was
# shown, which no program's group is).
f_tty_fg_job() {
    timeout -k 5 "$TIMEOUT" script -qec "${RUNNER[*]} /bin/dash -c 'set -m; sh -c \"set -- \\\$(cut -d\\\" \\\" -f5,8 /proc/\\\$\\\$/stat); [ \\\"\\\$1\\\" = \\\"\\\$2\\\" ] && echo pgrp is tpgid || echo pgrp is not tpgid\"'" /dev/null | tr -d '\r'
}
fcase tty-foreground-job --need /usr/bin/script -- f_tty_fg_job
# A program pegasus started is reaped when it ends, as by the shell that
# ran pegasus: the others stop seeing its pid (kill -0 and /proc/<pid>
# answered for it until the instance ended: a "stop it and wait till it is
# gone" loop never finished). (/proc/<pid> of the first program, whose
# pid is pegasus's own, stays: it is the host's.)
p_toplevel_gone() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    rm -f "$OUT/daemon.pid"
    local out
    out=$(timeout -k 5 "$TIMEOUT" "${R[@]}" --exit=all -- /bin/sh -c "echo \$\$ > $OUT/daemon.pid; exec sleep 30" ::: \
        /bin/sh -c "while [ ! -s $OUT/daemon.pid ]; do sleep 0.05; done; d=\$(cat $OUT/daemon.pid); kill \$d
            i=0; while kill -0 \$d 2>/dev/null; do i=\$((i+1)); [ \$i -gt 100 ] && { echo still there; exit 1; }; sleep 0.05; done
            echo gone" 2>&1)
    [ "$(echo "$out" | tail -1)" = gone ] || { echo "$out" | tail -3; return 1; }
}
pcase toplevel-reaped -- p_toplevel_gone
# The closing SIGTERM (--exit=first) goes to the programs left whose
# parent is not left: a server's forked helper hears it from the server,
# as when the server is stopped by its pid natively (squid's helpers died
# beside their parent: "helpers are crashing too rapidly").
f_term_tree() {
    local TIMEOUT=15 p
    if [ ${#RUNNER[@]} -eq 0 ]; then
        "$PROGS/term_tree" &
        p=$!
        until [ -e ready ]; do sleep 0.05; done
        kill -TERM $p
        wait $p
    else
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]:0:${#RUNNER[@]}-1}" --exit=first -- \
            /bin/sh -c 'until [ -e ready ]; do sleep 0.05; done' ::: "$PROGS/term_tree"
    fi
}
fcase exit-term-tree --prog term_tree --status 0 -- f_term_tree
# --exit=all: a SIGTERM from outside after the first program has ended
# (and been released) is for the programs still running: it was dropped,
# and only SIGKILL ended pegasus.
p_term_after_first() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    "${R[@]}" --exit=all -- /bin/true ::: /bin/sleep 60 </dev/null >/dev/null 2>&1 &
    local pid=$! i
    sleep 1
    kill -TERM "$pid"
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid"; echo "still running 5 s after SIGTERM"; return 1; fi
    wait "$pid"
    return 0
}
pcase term-after-first-ended -- p_term_after_first
dcase proc-self-fd-dots --stderr -- /bin/sh -c 'ls -la /proc/self/fd/ >/dev/null && stat -c %F /proc/self/fd/. /proc/self/fd/..'
dcase proc-self-stat-state -- /bin/sh -c 'cut -d" " -f3 /proc/self/stat; awk "/^State/{print \$2}" /proc/self/status'
# A thread's name: PR_GET_NAME said "" before a rename; writes to comm
# (pthread_setname_np of another thread, `echo name >/proc/self/comm`)
# were dropped; a new thread has its creator's name.
dcase thread-names --prog thread_names -- "$PROGS/thread_names"
# /proc/self/status's Umask is the program's own (it said 0000 always).
dcase proc-status-umask -- /bin/sh -c 'umask 027; grep Umask /proc/self/status; umask 0; grep Umask /proc/self/status'
# /proc/<pid>/limits are the program's own rlimits (setrlimit, ulimit), as
# its own and its children see them (they were the host's), in Linux's
# format.
dcase proc-limits-own --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, resource, subprocess
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_STACK, (4 << 20, resource.RLIM_INFINITY))
resource.setrlimit(resource.RLIMIT_CPU, (1000, resource.RLIM_INFINITY))
mine = open("/proc/self/limits").read(); print(mine, end="")
print("seen by a child:", subprocess.run(["cat", f"/proc/{os.getpid()}/limits"], capture_output=True, text=True).stdout == mine)
print("a child inherits them:", subprocess.run(["cat", "/proc/self/limits"], capture_output=True, text=True).stdout == mine)
resource.setrlimit(resource.RLIMIT_NOFILE, (123, 456))
print([l for l in open("/proc/self/limits") if l.startswith("Max open files")][0], end="")'
dcase proc-limits-ulimit --need /bin/bash -- /bin/bash -c 'ulimit -s 4096; ulimit -n 123; grep -E "^Max (stack size|open files)" /proc/self/limits; while read -r l; do case $l in "Max open files"*) echo "$l";; esac; done </proc/$$/limits'
# /proc/self files are made when read, not when opened (as Linux's): a
# shell opens them in its forked child, which execs the program that reads
# them (they described the shell); a read from offset 0 makes them again
# (seq_file), lseek and pread read the bytes made, fstat and sendfile are a
# /proc file's.
dcase proc-made-at-read --need /bin/bash -- /bin/bash -c 'echo "cmdline: $(tr "\0" " " < /proc/self/cmdline)"; grep ^Name: < /proc/self/status; cat < /proc/self/comm; cut -d" " -f2 < /proc/self/stat; echo "$(grep -c . < /proc/self/limits) limits"'
dcase proc-made-reread --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, ctypes, errno
fd = os.open("/proc/self/comm", os.O_RDONLY)
print(os.read(fd, 3), os.read(fd, 100), os.read(fd, 100))
ctypes.CDLL(None).prctl(15, b"renamed", 0, 0, 0)
print("same offset:", os.pread(fd, 100, 2), "from 0:", os.pread(fd, 100, 0))
os.lseek(fd, 0, os.SEEK_SET); print("after lseek 0:", os.read(fd, 100))
print("lseek cur:", os.lseek(fd, -3, os.SEEK_CUR), os.read(fd, 100))
try: os.lseek(fd, 0, os.SEEK_END)
except OSError as e: print("SEEK_END", errno.errorcode[e.errno])
print("size", os.fstat(fd).st_size)
out = os.open("/dev/null", os.O_WRONLY)
try: print("sendfile", os.sendfile(out, fd, 0, 100))
except OSError as e: print("sendfile", errno.errorcode[e.errno])
st = os.open("/proc/self/status", os.O_RDONLY)
print(os.readv(st, [bytearray(5), bytearray(3)]), os.read(st, 3))'
# Priority-inheritance mutexes (FUTEX_LOCK_PI and its kin): refused with
# ENOSYS, pthread_mutex_init said ENOTSUP (uWSGI warned and fell back).
f_pi_mutex() { local TIMEOUT=60; x "$PROGS/pi_mutex"; }
fcase pi-mutex --prog pi_mutex --status 0 -- f_pi_mutex
# -- virtual pids wherever a pid appears (issue 14) ---------------------------
for sec in ids siblings owner cpuclock zombie umask relative strings; do
    fcase "vpid-$sec" --prog vpid --status 0 -- "f_t8 $PROGS/vpid $sec"
done
# The pid a program writes to its pid file is one a plain `kill` outside
# reaches: pegasus's own, whose signals go to the first program.
f_vpid_pidfile() {
    x "$PROGS/vpid" "${1:-pidfile}" prog.pid &
    local r=$! i
    for i in $(seq 500); do [ -s prog.pid ] && break; sleep 0.01; done
    kill -TERM "$(cat prog.pid)" || echo "kill failed"
    wait $r
}
fcase vpid-pidfile --prog vpid --status 0 -- f_vpid_pidfile
# A forked child's pid is its host pid (when no program holds that id).
fcase vpid-forkpidfile --prog vpid --status 0 -- "f_vpid_pidfile forkpidfile"
# ps inside an instance lists its programs by the pids they know each
# other by (natively: among every process of the host). Compared by shape:
# the lines of sh ($$), its background sleep ($!, forked) and ps itself.
f_vpid_ps() {
    x /bin/sh -c 'sleep 3 & until [ "$(cat /proc/$!/comm)" = sleep ]; do sleep 0.01; done; echo "ids $$ $!"; ps -e -o pid=,ppid=,comm=; echo "ps $?"; ps -o pid=,args= -p $!; ps aux >aux.out; echo "aux $?"; kill $!' >ps.out || return $?
    local sh bg
    read -r _ sh bg <ps.out
    awk -v sh="$sh" -v bg="$bg" '
        $1 == sh && $3 == "sh" { s = 1 }
        $1 == bg && $2 == sh && $3 == "sleep" { b = 1 }
        $2 == sh && $3 == "ps" { p = 1 }
        $1 == bg && $2 == "sleep" && $3 == "3" { a = 1 }
        /^(ps|aux) / { print }
        END { print "sh line " s + 0; print "sleep line " b + 0; print "ps line " p + 0; print "ps -p args " a + 0 }' ps.out
    awk -v bg="$bg" '$2 == bg && $11 == "sleep" { n++ } END { print "aux sleep " n + 0 }' aux.out
}
fcase vpid-ps --need ps -- f_vpid_ps
# /proc/<pid> of a program and of its forked child: links, stat, files.
f_vpid_proc() {
    x /bin/sh -c 'cd /tmp; sleep 3 & p=$!; cd /; until [ "$(cat /proc/$p/comm)" = sleep ]; do sleep 0.01; done; readlink /proc/$$/exe /proc/$$/cwd /proc/$p/exe /proc/$p/cwd; stat -c %F /proc/$$ /proc/$p; test -e /proc/$p/status && echo exists; tr "\0" " " </proc/$p/cmdline; echo; cat /proc/$p/comm; grep -c "^Pid:[[:space:]]*$p\$" /proc/$p/status; read -r sp sc _ </proc/$p/stat; [ "$sp" = "$p" ] && echo "stat $sc"; ls /proc | grep -qx "$$" && echo "sh listed"; ls /proc | grep -qx "$p" && echo "sleep listed"; pidof sleep | tr " " "\n" | grep -qx "$p" && echo "pidof finds sleep"; cd /proc && cat $$/comm; kill $p'
}
fcase vpid-proc -- f_vpid_proc
# nginx as a daemon: the master forks, writes its pid file, sets itself
# as its channels' owner (F_SETOWN); a plain kill outside reloads it (HUP)
# and stops it (QUIT). Natively `x` returns when the parent exits, under
# pegasus when the instance ends: both run in the background.
f_vpid_nginx() {
    local d=$PWD/ngx port=$((20000 + $$ % 10000)) r i pid
    mkdir -p "$d/logs"
    printf 'daemon on; master_process on; worker_processes 2; pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents { worker_connections 64; }\nhttp { access_log off; client_body_temp_path %s/t1; proxy_temp_path %s/t2; fastcgi_temp_path %s/t3; uwsgi_temp_path %s/t4; scgi_temp_path %s/t5;\n server { listen 127.0.0.1:%d; location / { return 200 "hello\\n"; } } }\n' \
        "$d" "$d" "$d" "$d" "$d" "$d" "$d" "$port" >"$d/nginx.conf"
    x /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" &
    r=$!
    for i in $(seq 500); do [ -s "$d/nginx.pid" ] && curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.01; done
    pid=$(cat "$d/nginx.pid")
    curl -s "http://127.0.0.1:$port/"
    kill -HUP "$pid" && echo "reload sent"
    for i in $(seq 200); do grep -q 'reconfiguring' "$d/logs/error.log" && break; sleep 0.01; done
    sleep 0.2
    curl -s "http://127.0.0.1:$port/"
    kill -QUIT "$pid" && echo "quit sent"
    for i in $(seq 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -0 "$pid" 2>/dev/null && echo "still running"
    wait $r
    echo "nginx status $?"
    grep -c 'F_SETOWN\|emerg\|alert' "$d/logs/error.log"
}
fcase vpid-nginx --need /usr/sbin/nginx --need curl -- f_vpid_nginx
f_vpid_task() { x /usr/bin/python3 "$ROOT/tests/progs/vpid_task.py"; }
fcase vpid-task --need /usr/bin/python3 --need ps -- f_vpid_task
dcase fork-sh-pipe -- /bin/sh -c 'echo a | tr a b'
dcase fork-sh-subst -- /bin/sh -c 'x=$(echo hi); echo $x; y=`echo there`; echo $y'
dcase fork-bash -- /bin/bash -c 'x=$(echo hi | tr h H); echo $x; for i in 1 2 3; do (exit $i); echo "sub $?"; done; ls nothing 2>/dev/null | wc -l; echo "pipe ${PIPESTATUS[*]}"'
dcase fork-sh-status --status 3 -- /bin/sh -c 'false | true; echo "last $?"; (exit 4); echo "sub $?"; exit 3'
dcase fork-perl --need /usr/bin/perl -- /usr/bin/perl -e 'system("true"); print "system $?\n"; system("sh", "-c", "exit 2"); print "status ", $? >> 8, "\n"; my $x = `echo hi`; print "backticks $x"; my $pid = fork(); if (!$pid) { exit 5 } waitpid($pid, 0); print "fork ", $? >> 8, "\n"; open(my $p, "-|", "echo", "from a pipe") or die; print <$p>'
dcase fork-python --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, sys
r, w = os.pipe()
p = os.fork()
if p == 0:
    os.write(w, b"from the child")
    os._exit(3)
os.close(w)
print(os.read(r, 100).decode(), os.waitpid(p, 0)[1] >> 8)
import multiprocessing as mp
mp.set_start_method("fork")
with mp.Pool(2) as pool:
    print(pool.map(abs, [-1, -2, -3]))'
# The CPU time of a posix_spawn'd child (a program of the same process):
# its wait4 rusage and the parent's RUSAGE_CHILDREN and times() (they
# stayed 0: python's subprocess children never counted)
dcase spawn-rusage --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, resource, subprocess
child = ["/usr/bin/python3", "-c", "x = sum(range(4 * 10**7)); b = bytearray(30 * 2**20)"]
r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime, os.times().children_user
pid = os.posix_spawn(child[0], child, os.environ)
p, st, ru = os.wait4(pid, 0)
print("spawn: status", st, "utime > 0.05", ru.ru_utime > 0.05, "maxrss > 30000", ru.ru_maxrss > 30000)
subprocess.run(child)
print("RUSAGE_CHILDREN grew", resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - r0 > 0.1)
print("times() grew", os.times().children_user - t0 > 0.1)'
dcase fork-xargs -- /bin/sh -c 'printf "1 2 3\n" | xargs -n1 echo; printf "a\nb\n" | xargs -I{} sh -c "echo item {}"'
dcase fork-find-exec -- /usr/bin/find dir -name '*.txt' -exec /bin/echo found {} ';'
# make runs its recipes through sh -c and forks for $(shell ...).
f_make() {
    mkdir proj && cd proj || return 99
    printf 'a\nb\n' >a.in
    printf 'c\n' >b.in
    printf 'N := $(shell echo 2)\nall: out\n\t@echo "built $(N) parts: $$(cat out | wc -l) lines"\nout: a.part b.part\n\tcat $^ > $@\n%%.part: %%.in\n\ttr a-z A-Z < $< > $@\n' >Makefile
    x /usr/bin/make -s -j2 || return $?
    cat out
}
fcase fork-make --need make -- f_make
# gcc's driver and cc1 are both non-PIE at 0x400000: cc1 runs in a host
# process of its own, the vfork child standing in for it (sys_exec.c).
f_gcc() {
    printf '#include <stdio.h>\nint f(void);\nint main(void) { printf("%%d\\n", f()); return 3; }\n' >m.c
    printf 'int f(void) { return 42; }\n' >f.c
    printf 'prog: m.o f.o\n\tgcc -o prog m.o f.o\n%%.o: %%.c\n\tgcc -O1 -c $< -o $@\n' >Makefile
    x /usr/bin/make -s -j2 || return $?
    ./prog
    echo "status $?"
    x /usr/bin/gcc -O1 -o hello m.c f.c && ./hello
}
fcase gcc-make --need make --need gcc -- f_gcc
# Debian's python3 is non-PIE: exec'ing itself needs the addresses its own
# old image holds.
dcase exec-self-nonpie --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os; os.execv("/usr/bin/python3", ["python3", "-c", "print(\"re-exec ok\")"])'
# A non-PIE child of a non-PIE program (python's vfork + exec of itself)
# runs in a host process of its own: the pipe that tells the parent the
# exec happened must end then (not when the child ends), and a SIGTERM to
# the child's pid must end the child, not only the program standing in.
STANDIN_PY='import subprocess, sys, time, os
t0 = time.time()
p = subprocess.Popen([sys.executable, "-c", "import time, sys; time.sleep(3); open(sys.argv[1], \"w\").write(\"late\")", "flag"])
print("popen returned before the child ended:", time.time() - t0 < 2)
time.sleep(0.5)
p.terminate()
print("status", p.wait())
time.sleep(3)
print("flag written:", os.path.exists("flag"))'
dcase exec-standin-signals --need /usr/bin/python3 -- /usr/bin/python3 -c "$STANDIN_PY"
# execve's argument limits: one string past 128 KiB, or 2 MiB in all, is
# E2BIG; what fits runs.
dcase exec-arg-limits --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, subprocess
for args in (["x" * 131071], ["x" * 131072], ["y" * 100000] * 30, ["z" * 60000] * 10):
    try:
        print(subprocess.run(["/bin/echo"] + args, capture_output=True).stdout.__len__())
    except OSError as e:
        print("error", e.errno)'

# Fused non-PIE programs that need the same addresses: the second starts
# with an execve of itself, which takes it to a host process of its own
# (instance.c, exec_stub; sys_exec.c, exec_elsewhere). The output order
# between programs is not fixed: each waits for a file the other renames
# into place, or the output is compared sorted.
nonpie_python() { file -L /usr/bin/python3 2>/dev/null | grep -q 'LSB executable'; }
if nonpie_python; then NONPIE_PY=/usr/bin/python3; else NONPIE_PY=/usr/bin/python3-non-pie; fi
py_wait_for() { # FILE: python that waits (10 s at most) for FILE
    printf 'import os, sys, time\nfor _ in range(1000):\n    if os.path.exists("%s"): break\n    time.sleep(0.01)\nelse:\n    sys.exit(9)\n' "$1"
}
py_put() { # FILE TEXT: python that writes FILE whole (a rename)
    printf 'open("%s.tmp", "w").write("%s\\n"); __import__("os").rename("%s.tmp", "%s")\n' "$1" "$2" "$1" "$1"
}
p_fused_nonpie_twice() {
    # The first decides (status 5); it waits for what the second wrote.
    fz -- "$NONPIE_PY" -c "$(py_wait_for f)
print(open('f').read().strip()); sys.exit(5)" ::: "$NONPIE_PY" -c "print('two', flush=True)
$(py_put f 'from two')"
    fz_status 5 $? || return 1
    fz_out 'two
from two'
}
p_fused_nonpie_killed_child() {
    # A non-PIE program's child of the same binary runs in a process of its
    # own, a stand-in here; SIGKILL to it (on one vCPU) spun the stand-in's
    # wait for ever, and the instance with it. The stand-in reaps that
    # process before it ends: no stray child for its parent.
    fz --cpus 1 -- "$NONPIE_PY" -c 'import os, subprocess, sys, time
p = subprocess.Popen([sys.executable, "-c", "import time; print(\"child up\", flush=True); time.sleep(30)"])
time.sleep(0.5)
p.kill()
print("wait", p.wait(), flush=True)
time.sleep(0.3)
try:
    print("any", os.waitpid(-1, os.WNOHANG))
except ChildProcessError:
    print("no other child")'
    fz_status 0 $? || return 1
    fz_out 'child up
wait -9
no other child'
}
p_fused_nonpie_exit_named() {
    # The clashing one decides, and ends with 3.
    local name
    name=$(basename "$NONPIE_PY")-2
    fz --exit="$name" -- "$NONPIE_PY" -c "$(py_put f 'from one')" ::: \
        "$NONPIE_PY" -c "$(py_wait_for f)
print(open('f').read().strip()); sys.exit(3)"
    fz_status 3 $? || return 1
    fz_out 'from one' || return 1
    grep -qx "pegasus: \[$name\] exited with code 3" "$OUT/p.err" ||
        { echo "stderr: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"; return 1; }
}
p_fused_nonpie_node() {
    # python3 and node (both non-PIE at 0x400000 in Debian); node's end
    # with 4 is reported, the first program's status is pegasus's.
    fz --exit=all -- "$NONPIE_PY" -c 'print(1)' ::: node -e 'console.log(2); console.error("to stderr"); process.exitCode = 4'
    fz_status 0 $? || return 1
    fz_out '1
2' || return 1
    grep -qx 'to stderr' "$OUT/p.err" && grep -qx 'pegasus: \[node\] exited with code 4' "$OUT/p.err" ||
        { echo "stderr: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"; return 1; }
}
# A non-PIE image at the runtime's own addresses (pegasus is PIE: with
# ASLR off it is at 0x555555554000) still cannot run: a clear error, 126.
p_fused_nonpie_runtime_clash() {
    printf '.globl _start\n_start: mov $60, %%eax\n xor %%edi, %%edi\n syscall\n' >rc.s
    gcc -nostdlib -static -no-pie -Wl,-Ttext-segment=0x555555554000 -o rc rc.s || { echo "cannot build rc"; return 1; }
    timeout -k 5 "$TIMEOUT" setarch -R "${PEGASUS_RUN[@]}" -- "$NONPIE_PY" -c 'print(1)' ::: ./rc \
        >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    fz_status 126 $? || return 1
    [ ! -s "$OUT/p.out" ] || { echo "a program ran: $(head -c 200 "$OUT/p.out")"; return 1; }
    grep -q 'cannot be fused: .*which the runtime uses' "$OUT/p.err" ||
        { echo "stderr: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"; return 1; }
}
# Two programs exec'ing the non-PIE image at once: the one whose mapping
# came second took the first's mapped-but-unrecorded image for the
# runtime's, and its execve said ENOMEM (1 run in 3).
p_fused_nonpie_exec_race() {
    local i
    for i in $(seq 8); do
        fz --exit=all -- /bin/sh -c "exec $NONPIE_PY -c 'import os; os.write(1, b\"1\\n\")'" ::: \
            /bin/sh -c "exec $NONPIE_PY -c 'import os; os.write(1, b\"2\\n\")'"
        fz_status 0 $? || return 1
        fz_out '1
2' || return 1
    done
}
# One that went to a host process of its own ends with pegasus's: a
# SIGKILL of pegasus left it running, holding its listening port.
p_fused_nonpie_killed() {
    "${PEGASUS_RUN[@]}" -- "$NONPIE_PY" -c 'import time; time.sleep(60)' ::: \
        "$NONPIE_PY" -c "$(py_put f up)
import time; time.sleep(60)" </dev/null >/dev/null 2>&1 &
    local pid=$! i kids
    for i in $(seq 100); do [ -e f ] && break; sleep 0.05; done
    kids=$(ps -o pid= --ppid "$pid" | tr -d ' ')
    [ -n "$kids" ] || { kill -KILL "$pid"; echo "no host process of its own"; return 1; }
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    for i in $(seq 40); do kill -0 $kids 2>/dev/null || return 0; sleep 0.05; done
    kill -KILL $kids
    echo "its host process outlived pegasus"
    return 1
}
# A signal sent from outside to that host process is for the program it
# runs (it went to the instance's first program: a SIGTERM did nothing).
p_fused_nonpie_term_own() {
    "${PEGASUS_RUN[@]}" --exit=all -- "$NONPIE_PY" -c "$(py_wait_for g)" ::: \
        "$NONPIE_PY" -c "$(py_put f up)
import time; time.sleep(60)" </dev/null >/dev/null 2>"$OUT/p.err" &
    local pid=$! i kid
    for i in $(seq 100); do [ -e f ] && break; sleep 0.05; done
    kid=$(ps -o pid= --ppid "$pid" | tr -d ' ' | head -1)
    [ -n "$kid" ] || { kill -KILL "$pid"; echo "no host process of its own"; return 1; }
    kill -TERM "$kid"
    for i in $(seq 100); do kill -0 "$kid" 2>/dev/null || break; sleep 0.05; done
    touch g
    wait "$pid"
    grep -q 'python3.*-2\] killed by SIGTERM' "$OUT/p.err" || { echo "stderr: $(tr '\n' '|' <"$OUT/p.err")"; return 1; }
}
pcase fused-nonpie-term-own --need "$NONPIE_PY" -- p_fused_nonpie_term_own
# The second, in a host process of its own from the start (its fork is
# the instance's first), sees the first in /proc and signals it, and its
# parent is pegasus's (outside), as the first's: not a program here.
p_fused_nonpie_see_first() {
    fz -- "$NONPIE_PY" -c "import os, signal, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
open('a.pid.tmp', 'w').write('%d %d' % (os.getpid(), os.getppid())); os.rename('a.pid.tmp', 'a.pid')
for _ in range(1000):
    if got: break
    time.sleep(0.01)
print('first got usr1', bool(got))" ::: "$NONPIE_PY" -c "import os, signal
$(py_wait_for a.pid)
a, app = map(int, open('a.pid').read().split())
print('second sees first', os.path.exists('/proc/%d' % a), str(a) in os.listdir('/proc'))
os.kill(a, signal.SIGUSR1)
print('second parent outside', os.getppid() == app)"
    fz_status 0 $? || return 1
    fz_out 'second sees first True True
second parent outside True
first got usr1 True'
}
pcase fused-nonpie-see-first --need "$NONPIE_PY" -- p_fused_nonpie_see_first
# Started with stdin closed: the program's fd 0 is closed too (it was a
# runtime file, pegasus's /proc/self/mem), and its first open takes it.
p_stdin_closed() {
    timeout -k 5 "$TIMEOUT" "${PEGASUS_RUN[@]}" -- /usr/bin/python3 -c 'import os
print("fd 0", os.readlink("/proc/self/fd/0") if os.path.exists("/proc/self/fd/0") else "closed")
print("first open", os.open("/dev/null", os.O_RDONLY))' >"$OUT/p.out" 2>"$OUT/p.err" <&-
    fz_status 0 $? || return 1
    fz_out 'fd 0 closed
first open 0'
}
pcase stdin-closed --need /usr/bin/python3 -- p_stdin_closed
pcase fused-nonpie-exec-race --need "$NONPIE_PY" -- p_fused_nonpie_exec_race
pcase fused-nonpie-killed --need "$NONPIE_PY" -- p_fused_nonpie_killed
pcase fused-nonpie-twice --need "$NONPIE_PY" -- p_fused_nonpie_twice
pcase fused-nonpie-killed-child --need "$NONPIE_PY" -- p_fused_nonpie_killed_child
# A program spawned (vfork) into a process of its own, its image's
# addresses being taken (python3 spawning python3), is the pid its parent
# knows: it saw its host process's pid as getpid() and its stand-in's as
# getppid(), so a kill of its parent came back to itself (rc -10).
dcase spawned-elsewhere-ids --need "$NONPIE_PY" -- "$NONPIE_PY" -c 'import os, signal, subprocess, sys, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
code = """import os, signal, sys, threading
signal.signal(signal.SIGUSR2, lambda s, f: print("child usr2", flush=True))
me = os.getpid()
stat = open("/proc/self/stat").read().split()[0]
print(me, os.getppid(), threading.get_native_id(), stat, os.listdir("/proc").count(str(me)), flush=True)
os.kill(os.getppid(), signal.SIGUSR1)
sys.stdin.read(1)
"""
p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
me, ppid, tid, stat, listed = p.stdout.readline().split()
print("pid", me == str(p.pid), "ppid", ppid == str(os.getpid()), "tid", tid == me, "stat", stat == me, "listed", listed)
for _ in range(500):
    if got: break
    time.sleep(0.01)
print("parent usr1", bool(got), "listed here", os.listdir("/proc").count(str(p.pid)), flush=True)
os.kill(p.pid, signal.SIGUSR2)
print(p.stdout.readline().strip())
p.stdin.write("x"); p.stdin.close()
print("rc", p.wait())'
# A group's signal reaches every program of a host process: a forked
# shell and the command it spawned beside it (one process) both take
# timeout's SIGTERM. Standard signals forwarded to one process for two
# programs coalesced in the kernel, and the spawned one lived on.
dcase fork-group-kill-spawned -- /bin/bash -c 'rm -f f; ( timeout 0.3 /bin/sh -c "/bin/sh -c \"sleep 1; echo survived > f\"; true"; echo "rc=$?" ); /bin/sleep 1.5; cat f 2>/dev/null || echo "none survived"'
dcase fork-killpg-spawned --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, signal, subprocess, time
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    subprocess.Popen(["/bin/sh", "-c", "sleep 1; echo survived > f"]).wait()
    os._exit(0)
time.sleep(0.3)
os.killpg(pid, signal.SIGTERM)
print("child", os.waitpid(pid, 0)[1], flush=True)
time.sleep(1.3)
print("spawned one survived" if os.path.exists("f") else "spawned one ended")'
# A program read from another host process's /proc (a command looking at
# its shell: a fork): its fd numbers, links, threads and signal masks are
# the program's, not its host process's (runtime fds, vCPU threads).
dcase proc-other-process-view -- /bin/bash -c 'exec 7>/dev/null 9<dir/a.txt; trap "echo" USR1; trap "" HUP
/bin/sh -c "ls /proc/\$PPID/fd | sort -n | tr \"\\n\" \" \"; echo; ls /proc/\$PPID/task | wc -l"
readlink /proc/$$/fd/9 | sed "s#.*/##"
/bin/sh -c "readlink /proc/\$PPID/fd/9 | sed s#.*/##; grep -E \"^(Threads|SigBlk|SigIgn|SigCgt)\" /proc/\$PPID/status"
/bin/sleep 1 & /bin/sleep 0.3; /bin/sh -c "ls /proc/$!/fd | sort -n | tr \"\\n\" \" \"; echo"; wait'
# SIGKILL and SIGSTOP for one program of a host process that runs others
# (a command spawned beside its parent) are that program's alone: the
# kernel's took the whole process (the parent died or stopped with it).
dcase fork-kill9-spawned-beside --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, signal, subprocess, time
p = subprocess.Popen(["/bin/sleep", "30"])
time.sleep(0.2)
if os.fork() == 0:
    os.kill(p.pid, signal.SIGKILL); os._exit(0)
print("sleep status", p.wait(), flush=True)
os.wait()
print("parent lives", flush=True)'
dcase fork-stop-spawned-beside --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, signal, subprocess, time
p = subprocess.Popen(["/bin/sleep", "30"])
time.sleep(0.2)
if os.fork() == 0:
    os.kill(p.pid, signal.SIGSTOP); os._exit(0)
os.wait()
print("stopped", os.waitpid(p.pid, os.WUNTRACED)[1] & 0xff == 0x7f, flush=True)
print("sleep state", open("/proc/%d/stat" % p.pid).read().split(")")[1].split()[0], flush=True)
os.kill(p.pid, signal.SIGKILL)
print("sleep status", p.wait(), flush=True)'
dcase fork-kill9-orphan-beside -- /bin/bash -c 'rm -f f; /bin/sh -c "/bin/sh -c \"sleep 0.5; echo orphan ran > f\"; echo never" & p=$!; /bin/sleep 0.2; kill -KILL $p; wait $p; echo "rc=$?"; /bin/sleep 0.8; cat f'
# A program that sleeps beside others in one host process is S, not the
# host's R (a vCPU running another), to ps (status) and in stat.
dcase ps-state-spawned-sleeping --need /usr/bin/python3 --need ps -- /usr/bin/python3 -c 'import subprocess, time
p = subprocess.Popen(["/bin/sleep", "2"]); time.sleep(0.3)
print("stat", open("/proc/%d/stat" % p.pid).read().split(")")[1].split()[0])
print("ps", subprocess.run(["ps", "-o", "stat=", "-p", str(p.pid)], capture_output=True, text=True).stdout.strip())
p.kill(); p.wait()'
# A program forks while another program of its host process is parked in
# poll on a kernel file (dnsmasq, beside the shell that ran `dig | cat`).
# The child closes that file (it has not that program) and reuses its fd
# number for its own: its poll there must wake. The parked call's kernel
# watch, left in the child, said the number was armed already, and the
# child slept forever. Forty FIFOs cover the numbers the child reuses.
f_fork_poll_abandoned() {
    local TIMEOUT=15 py=/usr/bin/python3 st
    # perl, a PIE, shares its host process with python (two non-PIE
    # pythons would not); its select hangs callbacks on the pipe and kwait.
    local a='open(my $f, "+<", "a.fifo") or die; pipe(my $r, my $w);
my $in = ""; vec($in, fileno($f), 1) = 1; vec($in, fileno($r), 1) = 1;
open(my $x, ">", "a.ready"); close $x;
select($in, undef, undef, undef); sysread($f, my $b, 10); print "A woke: $b\n";'
    local b='import os, select, threading, time
while not os.path.exists("a.ready"):
    time.sleep(0.01)
time.sleep(0.2)
n = 40
for i in range(n):
    os.mkfifo("f%d" % i)
go_r, go_w = os.pipe()
pid = os.fork()
if pid == 0:
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    fds = [os.open("f%d" % i, os.O_RDWR | os.O_NONBLOCK) for i in range(n)]
    for i, fd in enumerate(fds):
        p = select.poll(); p.register(fd, select.POLLIN)
        os.write(go_w, b"x")
        print("child: fifo %d" % i, "ready" if p.poll() else "never", flush=True)
        os.read(fd, 10)
    os._exit(0)
os.close(go_w)
for i in range(n):
    fd = os.open("f%d" % i, os.O_WRONLY)
    os.read(go_r, 1)
    time.sleep(0.02)
    os.write(fd, b"y")
os.waitpid(pid, 0)
os.write(os.open("a.fifo", os.O_WRONLY), b"done")'
    mkfifo a.fifo
    if [ ${#RUNNER[@]} -eq 0 ]; then
        timeout -k 5 "$TIMEOUT" perl -e "$a" >a.out &
        timeout -k 5 "$TIMEOUT" "$py" -c "$b"
        st=$?
        wait
        cat a.out
    else
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]:0:${#RUNNER[@]}-1}" --exit=all -- perl -e "$a" ::: "$py" -c "$b" >out.all
        st=$?
        grep -v '^A' out.all
        grep '^A' out.all
    fi
    return $st
}
fcase fork-poll-abandoned --need /usr/bin/python3 --need perl --status 0 -- f_fork_poll_abandoned
# A fork while a writer and a reader thread stream records through a pipe
# or a UNIX stream socketpair: the fork moves it into the kernel, and
# bytes written into its ring while it was drained were lost.
dcase fork-stream-pipe --prog fork_stream --status 0 -- "$PROGS/fork_stream" pipe
dcase fork-stream-socket --prog fork_stream --status 0 -- "$PROGS/fork_stream" socket
# An orphan reaped by the host's init is gone for getpgid, getsid, kill
# and /proc (its record said its old group and session).
dcase orphan-gone --prog orphan_gone --status 0 -- "$PROGS/orphan_gone"
# Files in flight (SCM_RIGHTS not received yet) across a fork that moves
# their sockets into the kernel: each arrives and works.
dcase fork-rights --prog fork_rights --status 0 -- "$PROGS/fork_rights"
# A TCP connection between fused programs passed from a forked child to
# its parent (libuv's ipc_tcp_connection, node's cluster): still TCP there,
# with its names and options (it said AF_UNIX).
dcase tcp-passed --prog tcp_passed --status 0 -- "$PROGS/tcp_passed"
# An ioctl whose argument is an fd (FICLONE: cp --reflink; LOOP_SET_FD:
# busybox mount) got the program's number as the kernel's: another file.
dcase ioctl-fd-arg -- /bin/sh -c 'echo data > f1; cp --reflink=always f1 f2 2>&1 | sed "s/^cp: //"; echo "rc=$?"; ls f2 2>/dev/null'
# A pid that is none of the instance's (init) for the scheduler calls,
# ioprio and prlimit: the kernel's, as kill's (ESRCH: busybox's taskset).
dcase pid-outside-sched --need /usr/bin/taskset --need /usr/bin/chrt --need /usr/bin/ionice --need /usr/bin/prlimit -- /bin/sh -c 'taskset -p 1; chrt -p 1; ionice -p 1; prlimit --pid 1 --nofile --noheadings'
# A program that dropped root forks; the child signals its parent (a
# server run through runuser: postgres's children wake the postmaster so).
# The kernel checked the child's ids against the parent's host process,
# root, and said EPERM; the program's own ids decide.
dcase fork-setuid-signal-parent --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, signal, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
try:
    os.setgid(65534); os.setuid(65534)
except PermissionError:
    print("not root"); raise SystemExit
pid = os.fork()
if pid == 0:
    try:
        os.kill(os.getppid(), signal.SIGUSR1); print("child: kill(parent) ok", flush=True)
    except OSError as e:
        print("child: kill(parent)", e.strerror, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
for _ in range(200):
    if got: break
    time.sleep(0.01)
print("parent got SIGUSR1", bool(got))'
# A forked child killed by a signal: what it spawned (in its own host
# process) lives on as orphans, as Linux's; it ended with its parent.
dcase fork-killed-orphans --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, subprocess, time
pid = os.fork()
if pid == 0:
    subprocess.Popen(["/bin/sh", "-c", "sleep 0.5; echo grandchild alive"])
    time.sleep(0.2)
    os.kill(os.getpid(), 15)
print("child", os.waitpid(pid, 0)[1], flush=True)
time.sleep(1.5)'
pcase fused-nonpie-exit-named --need "$NONPIE_PY" -- p_fused_nonpie_exit_named
pcase fused-nonpie-node --need "$NONPIE_PY" --need node -- p_fused_nonpie_node
pcase fused-nonpie-runtime-clash --need "$NONPIE_PY" --need gcc --need setarch -- p_fused_nonpie_runtime_clash
# Debian programs with real worker threads; the input has several blocks.
big_input() { seq 1 400000 | awk '{ print ($1 * 7919) % 1000003 }' >big.txt; }
f_xz_mt() {
    big_input
    x /usr/bin/xz -T2 --block-size=262144 -3 -c big.txt >big.xz || return $?
    sha256sum big.xz
    x /usr/bin/xz -T2 -d -c big.xz >big.out || return $?
    cmp big.txt big.out && echo "round trip ok"
}
fcase xz-threads --need xz -- f_xz_mt
f_zstd_mt() {
    big_input
    x zstd -q -T2 -3 -c big.txt >big.zst || return $?
    sha256sum big.zst
    x zstd -q -T2 -d -c big.zst >big.out || return $?
    cmp big.txt big.out && echo "round trip ok"
}
fcase zstd-threads --need zstd -- f_zstd_mt
f_pigz() {
    big_input
    x pigz -p 2 -b 128 -n -c big.txt >big.gz || return $?
    sha256sum big.gz
    x pigz -p 2 -d -c big.gz >big.out || return $?
    cmp big.txt big.out && echo "round trip ok"
}
fcase pigz-threads --need pigz -- f_pigz
f_sort_parallel() {
    big_input
    x /usr/bin/sort --parallel=2 -S 1M -n big.txt >sorted || return $?
    sha256sum <sorted
    x /usr/bin/sort --parallel=2 -S 1M -u -r big.txt | sha256sum
    return "${PIPESTATUS[0]}"
}
fcase sort-parallel --need sort -- f_sort_parallel

# -- rewriting under threads (issue 5) ---------------------------------------
for sec in glibc raw signals spin timer; do
    fcase "rewrite-race-$sec" --prog rewrite_race --status 0 -- "f_t8 $PROGS/rewrite_race $sec"
done
for sec in fcntl fionbio created partial reuse epoll file badfd interrupted select; do
    fcase "nonblock-$sec" --prog nonblock --status 0 -- "f_t8 $PROGS/nonblock $sec"
done
# a blocking write bigger than the buffer, its reader a thread of the same vCPU
fcase nonblock-partial-1cpu --need taskset --prog nonblock --status 0 -- "f_t8c1 $PROGS/nonblock partial"
fcase rewrite-race-signals-1cpu --need taskset --prog rewrite_race --status 0 -- "f_t8c1 $PROGS/rewrite_race signals"
fcase rewrite-race-raw-1cpu --need taskset --prog rewrite_race --status 0 -- "f_t8c1 $PROGS/rewrite_race raw"
# two threads keep their own ymm/MXCSR/x87 state through preemption on one CPU
fcase avx-preempt-1cpu --need taskset --prog avx_preempt --status 0 -- "f_t8c1 $PROGS/avx_preempt"
fcase avx-preempt --prog avx_preempt --status 0 -- "f_t8 $PROGS/avx_preempt"
# Vector registers kept across futex waits that switch threads (the mid
# gate's switch saves them with plain moves). The futex site here is a bare
# syscall with no pattern around it: zpoline's call pushes into the red zone
# where the compiler keeps spills.
fcase vec-futex --prog vec_futex --status 0 --not-in "$ZP_REDZONE" -- "f_t8 $PROGS/vec_futex"
fcase vec-futex-1cpu --need taskset --prog vec_futex --status 0 --not-in "$ZP_REDZONE" -- "f_t8c1 $PROGS/vec_futex"
# -- local sockets, pipes, eventfd, epoll/poll/select (issues 11, 12) --------
# Single programs (threads, or both ends in one thread): each section its
# own case, 8 s. Today the kernel serves them; they guard the user-space
# implementation. sock-tcp-bulk, sock-unix-bulk and pipes-pipe-bulk move
# 100 MB each (well under a second natively).
for sec in tcp-basic misuse timeo tcp6 tcp-connect tcp-shutdown tcp-lshut tcp-reset tcp-states tcp-path tcp-inherit tcp-epipe tcp-flags tcp-urgent tcp-bothwrite tcp-ioctl tcp-opts \
    tcp-reuse tcp-backlog tcp-vec tcp-sendfile tcp-bulk tcp-nbbig tcp-fastopen tcp-many udp-basic udp-connect udp-trunc \
    udp-mmsg udp-queue udp-cmsg; do
    fcase "sock-$sec" --prog sock_inet --status 0 -- "f_t8 $PROGS/sock_inet $sec"
done
for sec in check actions kill ip tsync; do
    fcase "seccomp-$sec" --prog seccomp_filter --status 0 -- "f_t8 $PROGS/seccomp_filter $sec"
done
for sec in pair empty path abstract autobind dgram dgramroom lclose seqpacket rights creds shutdown bulk nonul longrel relout; do
    fcase "sock-unix-$sec" --prog sock_unix --status 0 -- "f_t8 $PROGS/sock_unix $sec"
done
for sec in pipe-basic pipe-epipe pipe-size pipe-atomic pipe-bulk splice eventfd eventfd-sem eventfd-block \
    pipe-stat pipe-threads pipe-intr pipe-leave splice-more; do
    fcase "pipes-$sec" --prog pipes_eventfd --status 0 -- "f_t8 $PROGS/pipes_eventfd $sec"
done
fcase pipes-sigpipe-death --prog pipes_eventfd --status 141 -- "f_t8 $PROGS/pipes_eventfd sigpipe"
for sec in tcp unix udp pipe-r pipe-w eventfd timerfd signalfd file api nested loop twosets dup passed \
    pwait fair exclusive wake mixed kernelset userset args order etedge; do
    fcase "epoll-$sec" --prog epoll --status 0 -- "f_t8 $PROGS/epoll $sec"
done
for sec in poll ppoll select pselect; do
    fcase "pollsel-$sec" --prog pollsel --status 0 -- "f_t8 $PROGS/pollsel $sec"
done
# A kernel epoll set the program inherits from a parent outside (waits,
# a signal, members of its own added), and a set of its own sent out to
# that parent through an inherited socket (tests/progs/epoll_foreign.c).
f_epoll_foreign() {
    local TIMEOUT=10
    timeout -k 5 "$TIMEOUT" "$PROGS/epoll_foreign" parent "${RUNNER[@]}" "$PROGS/epoll_foreign" child
}
fcase epoll-foreign --prog epoll_foreign --status 0 -- f_epoll_foreign
# O_ASYNC, F_SETSIG and SIGURG of in-memory pipes and sockets
for sec in pipe plain unix tcp urgent flags handler forkmove; do
    fcase "sigio-$sec" --prog sigio --status 0 -- "f_t8 $PROGS/sigio $sec"
done
# ... and fused after another program, whose host process's SIGIO is that
# one's: the owner hears nothing once the pipe moved, and nobody dies of it
p_sigio_fused_move() {
    timeout -k 5 20 "${PEGASUS_RUN[@]}" --exit=all -- /bin/sleep 1 ::: "$PROGS/sigio" forkmove >"$OUT/p.out" 2>"$OUT/p.err"
    local st=$?
    [ $st = 0 ] && ! grep -q 'killed by' "$OUT/p.err" || { echo "status $st: $(cat "$OUT/p.err")"; return 1; }
}
pcase sigio-fused-move --prog sigio -- p_sigio_fused_move
# peers on one CPU: a writer and its reader take turns only by blocking
dcase proc-net-sockets --prog procnet --status 0 -- "$PROGS/procnet"
fcase sock-tcp-many-1cpu --need taskset --prog sock_inet --status 0 -- "f_t8c1 $PROGS/sock_inet tcp-many"
fcase sock-unix-bulk-1cpu --need taskset --prog sock_unix --status 0 -- "f_t8c1 $PROGS/sock_unix bulk"
fcase pipes-pipe-atomic-1cpu --need taskset --prog pipes_eventfd --status 0 -- "f_t8c1 $PROGS/pipes_eventfd pipe-atomic"
fcase pipes-pipe-threads-1cpu --need taskset --prog pipes_eventfd --status 0 -- "f_t8c1 $PROGS/pipes_eventfd pipe-threads"
fcase epoll-wake-1cpu --need taskset --prog epoll --status 0 -- "f_t8c1 $PROGS/epoll wake"
fcase epoll-mixed-1cpu --need taskset --prog epoll --status 0 -- "f_t8c1 $PROGS/epoll mixed"
# Two programs, a client and a server (tests/progs/sock_fused.c): natively
# two processes started together; under pegasus one fused run
# (--exit=all, client first so its status is pegasus's). The client's
# stdout, its status and then the server's log are compared.
f_sock_fused() { # KIND [1cpu]: natively under taskset -c 0, fused with --cpus 1
    local P=$PROGS/sock_fused st sp TIMEOUT=15 ts=() cpus=()
    [ "${2:-}" = 1cpu ] && ts=(taskset -c 0) cpus=(--cpus 1)
    if [ ${#RUNNER[@]} -eq 0 ]; then
        timeout -k 5 "$TIMEOUT" "${ts[@]}" "$P" "$1" server srv.log &
        sp=$!
        timeout -k 5 "$TIMEOUT" "${ts[@]}" "$P" "$1" client
        st=$?
        wait "$sp"
    else
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]:0:${#RUNNER[@]}-1}" "${cpus[@]}" --exit=all -- \
            "$P" "$1" client ::: "$P" "$1" server srv.log
        st=$?
    fi
    cat srv.log
    return $st
}
for kind in tcp unix udp rights halfclose many unixdgram forktcp forkunix epollconnect stalepeer listenrace sigio greet; do
    fcase "sock-fused-$kind" --prog sock_fused --status 0 -- "f_sock_fused $kind"
done
# Two programs on one sqlite database, in one host process (python3 is not
# PIE and comes first, the sqlite3 shell is PIE and joins it): the shell
# holds an exclusive transaction, python is refused ("database is locked"),
# then waits for the commit and sees its row. sqlite locks with POSIX
# record locks, which such programs shared until each owned its own.
f_sqlite_fused() {
    local st sp TIMEOUT=20 py=/usr/bin/python3
    local a=(sqlite3 db "create table t(x);" "begin exclusive;" ".shell touch a.ready" ".shell sleep 1"
        "insert into t values (1);" "commit;" ".shell echo A committed > a.log")
    local b='import sqlite3, time, os
while not os.path.exists("a.ready"):
    time.sleep(0.01)
try:
    sqlite3.connect("db", timeout=0, isolation_level=None).execute("begin exclusive")
    print("B: got the lock beside A")
except sqlite3.OperationalError as e:
    print("B:", e)
c = sqlite3.connect("db", timeout=10, isolation_level=None)
c.execute("begin exclusive")
print("B: then sees", c.execute("select count(*) from t").fetchone()[0], "row")'
    if [ ${#RUNNER[@]} -eq 0 ]; then
        timeout -k 5 "$TIMEOUT" "${a[@]}" &
        sp=$!
        timeout -k 5 "$TIMEOUT" "$py" -c "$b"
        st=$?
        wait "$sp"
    else
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]:0:${#RUNNER[@]}-1}" --exit=all -- "$py" -c "$b" ::: "${a[@]}"
        st=$?
    fi
    cat a.log
    return $st
}
fcase sqlite-fused-locks --need /usr/bin/python3 --need sqlite3 --status 0 -- f_sqlite_fused
# One program drops root (a daemon's setuid to nobody); a program beside it
# keeps root's ids and rights: ids are per program, not per host process
# (natively two processes; fused on one vCPU, whose kernel thread runs
# each program with its own ids).
f_cred_neighbour() {
    local P=$PROGS/cred st TIMEOUT=15
    rm -f dropped
    if [ ${#RUNNER[@]} -eq 0 ]; then
        timeout -k 5 "$TIMEOUT" "$P" drop >drop.out &
        timeout -k 5 "$TIMEOUT" "$P" neighbour
        st=$?
        wait
    else
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]:0:${#RUNNER[@]}-1}" --cpus 1 --exit=all -- \
            "$P" neighbour ::: "$P" drop >out.all
        st=$?
        grep '^neighbour' out.all
        grep '^drop' out.all >drop.out
    fi
    cat drop.out
    return $st
}
fcase cred-neighbour --need root --prog cred --status 0 -- f_cred_neighbour
# An exec of a set-user-ID (set-group-ID) file by a program that dropped
# root takes the file's owner (group) as effective id, unless no_new_privs;
# ld.so runs it in secure mode (AT_SECURE: LD_PRELOAD ignored): exim4
# regains root that way for a local delivery.
dcase setuid-exec --need root --need /usr/bin/setpriv -- /bin/sh -c 'd=$(mktemp -d); chmod 755 $d
cp /usr/bin/id $d/uid; chmod 4755 $d/uid; cp /usr/bin/id $d/gid; chgrp mail $d/gid; chmod 2755 $d/gid
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody $d/uid; as_nobody $d/gid; as_nobody --no-new-privs $d/uid
as_nobody /bin/sh -c "LD_PRELOAD=/nonexistent.so $d/uid -u; /usr/bin/id -u"; rm -rf $d'
# An exec of a file with capabilities (setcap cap_net_raw=ep) by a program
# that dropped root gives it those (squid's pinger: its ICMP socket), not
# with no_new_privs, and not a file without them.
dcase file-caps --need root --need /usr/bin/setpriv --need /usr/sbin/setcap -- /bin/sh -c 'd=$(mktemp -d); chmod 755 $d
cp '"$PROGS"'/raw_socket $d/plain; cp '"$PROGS"'/raw_socket $d/capped; /usr/sbin/setcap cap_net_raw=ep $d/capped
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_nobody $d/plain; as_nobody $d/capped; as_nobody --no-new-privs $d/capped; rm -rf $d'
# Linux's rules for changing ids (root, then not): the same answers fused.
dcase cred-rules --need root --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/cred_rules.py"
# Capabilities are each program's too: kept across setuid with
# PR_SET_KEEPCAPS (setpriv), capset, bounding and ambient sets, execve.
for sec in drop keep capset bounding ambient; do
    fcase "caps-$sec" --need root --prog caps --status 0 -- "f_t8 $PROGS/caps $sec"
done
dcase setpriv-reuid --need root --need /usr/bin/setpriv -- /usr/bin/setpriv --reuid=nobody --regid=nogroup --clear-groups id
# One side fused, the other a native process: a fused listener is reached
# from outside through its kernel listener, a fused client reaches an
# outside server through the kernel (natively: two processes).
f_sock_outside() { # KIND fused-SIDE (server|client)
    local P=$PROGS/sock_fused st sp TIMEOUT=15
    if [ "$2" = server ]; then
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]}" "$P" "$1" server srv.log &
        sp=$!
        timeout -k 5 "$TIMEOUT" "$P" "$1" client
    else
        timeout -k 5 "$TIMEOUT" "$P" "$1" server srv.log &
        sp=$!
        timeout -k 5 "$TIMEOUT" "${RUNNER[@]}" "$P" "$1" client
    fi
    st=$?
    wait "$sp"
    cat srv.log
    return $st
}
for kind in tcp unix udp many epollconnect greet; do
    for side in server client; do
        fcase "sock-outside-$kind-$side" --prog sock_fused --status 0 -- "f_sock_outside $kind $side"
    done
done
fcase sock-fused-tcp-1cpu --need taskset --prog sock_fused --status 0 -- "f_sock_fused tcp 1cpu"
fcase sock-fused-unix-1cpu --need taskset --prog sock_fused --status 0 -- "f_sock_fused unix 1cpu"
fcase sock-fused-many-1cpu --need taskset --prog sock_fused --status 0 -- "f_sock_fused many 1cpu"

# Go: goroutines on gccgo's libgo (built here, in the run directory), and
# Debian's caddy (gc toolchain, non-PIE at 0x400000, raw syscalls of its own)
f_gccgo() {
    gccgo -O1 -o goroutines "$ROOT/tests/progs/goroutines.go" 2>&1 || return 99
    local TIMEOUT=10
    x ./goroutines
}
fcase gccgo-goroutines --need gccgo -- f_gccgo
dcase caddy-version --need caddy -- caddy version
f_caddy_adapt() {
    printf ':8080 {\n\trespond "hello" 200\n\tlog\n}\nexample.test {\n\treverse_proxy 127.0.0.1:9000\n}\n' >Caddyfile
    local TIMEOUT=10
    x caddy adapt --config Caddyfile --pretty
}
fcase caddy-adapt --need caddy -- f_caddy_adapt
dcase caddy-list-modules --need caddy -- caddy list-modules --versions

# -- pegasus alone: bad input ------------------------------------------------
# expect STATUS PROGRAM...: pegasus must exit STATUS with nothing on stdout
# and exactly one non-empty line on stderr.
expect() {
    local want=$1
    shift
    timeout -k 5 "$TIMEOUT" "${RUNNER[@]}" "$@" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local s=$? lines
    lines=$(wc -l <"$OUT/p.err")
    if [ "$s" != "$want" ]; then
        echo "status $s, expected $want"
        return 1
    fi
    if [ -s "$OUT/p.out" ]; then
        echo "unexpected stdout: $(head -c 200 "$OUT/p.out")"
        return 1
    fi
    if [ "$lines" != 1 ] || [ "$(wc -c <"$OUT/p.err")" -le 1 ]; then
        echo "expected one line on stderr, got $lines: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"
        return 1
    fi
    [ "$VERBOSE" = 1 ] && echo "stderr: $(cat "$OUT/p.err")"
    return 0
}
p_missing() { expect 127 ./no-such-program; }
p_missing_path() { expect 127 no-such-command-pegasus-test; }
p_text() { expect 126 ./notelf.txt; }
p_noexec() { expect 126 ./noexec; }
p_dir() { expect 126 ./adir; }
p_empty() { expect 126 ./empty; }
p_wrongarch() { expect 126 ./wrongarch; }
p_elf32() { expect 126 ./elf32; }
p_etrel() { expect 126 ./etrel; }
p_badphent() { expect 126 ./badphent; }
p_truncated() { expect 126 ./truncated; }
p_nointerp() { expect 127 ./s-nointerp; }
# A host without something pegasus needs: exit 125 (pegasus could not run)
# with one line saying what and what to do; here a seccomp filter that
# refuses Syscall User Dispatch, as a container sandbox might.
p_no_sud() {
    local -a RUNNER=("$PROGS/no_sud" "${RUNNER[@]}")
    expect 125 /bin/true || return 1
    grep -q seccomp "$OUT/p.err" || { echo "stderr does not name the seccomp filter: $(cat "$OUT/p.err")"; return 1; }
}
pcase host-refuses-sud --prog no_sud -- p_no_sud
# A non-PIE program at 0x400000: its loader-reserved break region covers
# what lies above its image within a rel32 jump, so the stubs must go below.
p_rewrite_nonpie() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    timeout -k 5 "$TIMEOUT" "${R[@]}" --stats -- "$PROGS/hello_static" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local n
    n=$(sed -n 's/.*call sites rewritten: \([0-9]*\),.*/\1/p' "$OUT/p.err")
    [ "${n:-0}" -gt 0 ] || { echo "no call site rewritten: $(tail -1 "$OUT/p.err")"; return 1; }
}
pcase rewrite-nonpie --prog hello_static --not-in 'off:rewriting is off in this mode' -- p_rewrite_nonpie
# valgrind, a static program that loads and translates its guest's ld.so
# itself: that code is not rewritten as it is mapped (the stubs' jumps,
# translated as guest code, crashed it). Not beside ASan's shadow memory,
# which leaves valgrind's address-space manager no room.
dcase valgrind-guest --need /usr/bin/valgrind --need unsanitized -- /usr/bin/valgrind -q --error-exitcode=3 /bin/sh -c 'echo under valgrind'
# Non-PIE programs exec'ing non-PIE programs in one instance, the first
# runs' call sites rewritten as later images are mapped: a larger image at
# the same base (Go's toolchain: "go vet" died of SIGSEGV), from a vfork
# child and by exec; an image whose interpreter does not exist (ENOENT
# before anything is mapped, not in a host process of its own).
f_nonpie_exec() {
    local TIMEOUT=20 e=$PROGS/nonpie_exec b=$PROGS/nonpie_big i=$PROGS/nonpie_badinterp
    x /bin/bash -c "$e; $e; $e vfork $b big; $e exec $b big; $e vfork $i; $e exec $i; echo rc=\$?"
}
fcase nonpie-exec --prog nonpie_exec --prog nonpie_big --prog nonpie_badinterp --status 0 -- f_nonpie_exec
# Code unmapped and mapped again (dlclose, dlopen): its sites are matched
# anew, not taken for the old mapping's, which would leave them trapping.
p_rewrite_reload() {
    local -a R=("${RUNNER[@]}")
    unset 'R[${#R[@]}-1]'
    timeout -k 5 "$TIMEOUT" "${R[@]}" --stats -- "$PROGS/reload" "$PROGS/librelib.so" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null ||
        { echo "status $?: $(cat "$OUT/p.out" "$OUT/p.err" | head -5)"; return 1; }
    local n
    n=$(awk '$1 == "getppid" { print $3 }' "$OUT/p.err")
    [ -n "$n" ] && [ "$n" -lt 100 ] || { echo "getppid trapped ${n:-?} times of 2000: $(grep getppid "$OUT/p.err")"; return 1; }
}
pcase rewrite-reload --prog reload --not-in 'off:rewriting is off in this mode' -- p_rewrite_reload
pcase bad-missing -- p_missing
pcase bad-missing-in-path -- p_missing_path
pcase bad-text-no-shebang -- p_text
pcase bad-not-executable -- p_noexec
pcase bad-directory -- p_dir
pcase bad-empty-file -- p_empty
pcase bad-wrong-arch -- p_wrongarch
pcase bad-elf32 -- p_elf32
pcase bad-elf-relocatable -- p_etrel
pcase bad-phentsize -- p_badphent
pcase bad-truncated-elf -- p_truncated
pcase bad-missing-interpreter -- p_nointerp

# -- pegasus alone: a signal death is a real one -------------------------------
# A shell's $? cannot tell exit(139) from death by SIGSEGV; perl's wait
# status can. Pegasus must re-raise the signal, not just exit 128+N.
how_it_ended() { # PROGRAM ARGS -> "signal N" or "exit N"
    /usr/bin/perl -e 'system { $ARGV[0] } @ARGV; my $s = $?;
        if ($s == -1) { print "not started\n" }
        elsif ($s & 127) { printf "signal %d\n", $s & 127 } else { printf "exit %d\n", $s >> 8 }' \
        -- "$@" 2>/dev/null </dev/null
}
p_real_death() {
    local m want got bad=""
    for m in segv:'signal 11' abort:'signal 6' term:'signal 15' kill:'signal 9' exit42:'exit 42'; do
        want=${m#*:}
        got=$(how_it_ended timeout -k 5 "$TIMEOUT" "${RUNNER[@]}" "$PROGS/die" "${m%%:*}" | tail -n 1)
        [ "$got" = "$want" ] || bad="${bad:+$bad; }die ${m%%:*}: $got, expected $want"
    done
    [ -z "$bad" ] || { echo "$bad"; return 1; }
}
pcase signal-death-is-real --need /usr/bin/perl --prog die -- p_real_death

# -- pegasus alone: --trace ----------------------------------------------------
# $PEGASUS_RUN is the pegasus command with the mode, without the final "--".
trace_lines_ok() { # FILE: the loader's calls before main must be there
    local f=$1 bad=""
    grep -q 'openat.*libc\.so\.6' "$f" || bad="$bad no-openat-libc.so.6"
    grep -q 'mmap' "$f" || bad="$bad no-mmap"
    grep -q 'exit_group' "$f" || bad="$bad no-exit_group"
    if [ -n "$bad" ]; then
        echo "trace lacks:$bad; first lines: $(head -n 5 "$f" | tr '\n' '|')"
        return 1
    fi
}
p_trace_stderr() {
    timeout -k 5 "$TIMEOUT" "${PEGASUS_RUN[@]}" --trace -- /bin/true >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local s=$?
    [ "$s" = 0 ] || { echo "status $s"; return 1; }
    trace_lines_ok "$OUT/p.err"
}
p_trace_stdout_clean() {
    timeout -k 5 "$TIMEOUT" "${PEGASUS_RUN[@]}" --trace -- /bin/echo traced >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local s=$?
    [ "$s" = 0 ] || { echo "status $s"; return 1; }
    [ "$(cat "$OUT/p.out")" = traced ] || { echo "stdout is not just the program's: $(head -c 200 "$OUT/p.out" | tr '\n' '|')"; return 1; }
    grep -q 'write' "$OUT/p.err" || { echo "trace does not show the write"; return 1; }
}
p_trace_file() {
    rm -f "$RUN/trace.txt"
    timeout -k 5 "$TIMEOUT" "${PEGASUS_RUN[@]}" --trace="$RUN/trace.txt" -- /bin/true >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local s=$?
    [ "$s" = 0 ] || { echo "status $s"; return 1; }
    [ -s "$RUN/trace.txt" ] || { echo "--trace=FILE wrote no file"; return 1; }
    trace_lines_ok "$RUN/trace.txt" || return 1
    if grep -q 'exit_group' "$OUT/p.err"; then
        echo "trace went to stderr as well as the file"
        return 1
    fi
}
p_trace_status() {
    timeout -k 5 "$TIMEOUT" "${PEGASUS_RUN[@]}" --trace -- /bin/false >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local s=$?
    [ "$s" = 1 ] || { echo "status $s, expected 1"; return 1; }
}
# The trace's reader goes away (`--trace 2>&1 | head`): the program gets
# one SIGPIPE and ends of it, as under strace; each trace line raised
# another SIGPIPE, whose delivery made a line of its own, forever.
p_trace_reader_gone() {
    timeout -s KILL "$TIMEOUT" "${PEGASUS_RUN[@]}" --trace -- /bin/bash -c 'trap "echo" EXIT; for i in $(seq 300); do /bin/true; done' 2>&1 </dev/null | head -5 >/dev/null
    local s=${PIPESTATUS[0]}
    [ "$s" = 141 ] || { echo "status $s, expected 141 (SIGPIPE)"; return 1; }
}
pcase trace-stderr -- p_trace_stderr
pcase trace-reader-gone --need /bin/bash -- p_trace_reader_gone
pcase trace-stdout-clean -- p_trace_stdout_clean
pcase trace-file -- p_trace_file
pcase trace-status -- p_trace_status

# -- pegasus alone: fused programs (pegasus run -- A ::: B ::: C) -------------
# Several programs in one instance, each with its own pid, fds, cwd, signals
# and memory. tests/progs/fused.c does one job per program; partners meet
# through files in the run directory, with bounded polling (never sleeps).
# fz ARGS...: pegasus run MODE ARGS, stdout/stderr to $OUT/p.{out,err}
fz() {
    timeout -k 5 "$TIMEOUT" "${PEGASUS_RUN[@]}" "$@" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
}
fz_status() { # WANT GOT
    [ "$1" = "$2" ] && return 0
    echo "status $2, expected $1; stderr: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"
    return 1
}
fz_out() { # EXPECTED-STDOUT: stdout, sorted, must be exactly this (sorted)
    local want got
    want=$(printf '%s\n' "$1" | sort)
    got=$(sort "$OUT/p.out")
    [ "$want" = "$got" ] && return 0
    echo "stdout: $(tr '\n' '|' <"$OUT/p.out"), expected (any order): $(printf '%s' "$1" | tr '\n' '|')"
    return 1
}
p_fused_order() {
    local F=$PROGS/fused n s
    fz --exit=all --prefix -- "$F" say a 40 ::: "$F" say b 40 ::: "$F" say c 40
    fz_status 0 $? || return 1
    for n in a:fused b:fused-2 c:fused-3; do
        s=$(grep "^${n#*:} | " "$OUT/p.out" | sed 's/^[^|]*| //')
        if [ "$s" != "$(for i in $(seq 1 40); do echo "${n%%:*} $i"; done)" ]; then
            echo "lines of ${n#*:} not its own, in order: $(printf '%s' "$s" | head -n 5 | tr '\n' '|')"
            return 1
        fi
    done
    [ "$(wc -l <"$OUT/p.out")" = 120 ] || { echo "$(wc -l <"$OUT/p.out") lines, expected 120"; return 1; }
}
p_fused_fd() {
    local F=$PROGS/fused
    fz --exit=all -- "$F" fd one two ::: "$F" fd two one
    fz_status 0 $? || return 1
    fz_out 'one: fd 3 reads "one"
two: fd 3 reads "two"' || return 1
    [ "$(cat one)" = one ] && [ "$(cat two)" = two ] || { echo "files: one=$(cat one) two=$(cat two)"; return 1; }
}
p_fused_cwd() {
    local F=$PROGS/fused
    fz --exit=all -- "$F" chdir dir/sub moved ::: "$F" stay moved
    fz_status 0 $? || return 1
    fz_out 'chdir: now in sub (from the start dir: /dir/sub)
stay: cwd unchanged, relative moved found'
}
p_fused_ten() {
    local F=$PROGS/fused a=() i want=""
    for i in 0 1 2 3 4 5 6 7 8 9; do
        [ "$i" = 0 ] || a+=(:::)
        a+=("$F" say "p$i" 3)
        want="$want${want:+
}p$i 1
p$i 2
p$i 3"
    done
    fz --exit=all -- "${a[@]}"
    fz_status 0 $? || return 1
    fz_out "$want"
}
p_fused_segv() {
    local F=$PROGS/fused
    # The others end only after it: the line says they go on.
    fz --exit=all -- "$F" outlive segv.pid a 3 ::: "$F" segv segv.pid ::: "$F" outlive segv.pid c 3
    fz_status 0 $? || return 1
    fz_out 'a 1
a 2
a 3
c 1
c 2
c 3' || return 1
    grep -qx 'pegasus: \[fused-2\] killed by SIGSEGV; the other programs go on' "$OUT/p.err" ||
        { echo "no 'killed by SIGSEGV' line: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"; return 1; }
    # and when the crashing program is the first, its status is pegasus's
    fz --exit=all -- "$F" segv ::: "$F" say c 3
    fz_status 139 $? || return 1
    fz_out 'c 1
c 2
c 3'
}
p_fused_kill() {
    local F=$PROGS/fused
    fz --exit=all -- "$F" wait-usr1 waiter.pid ::: "$F" kill waiter.pid
    fz_status 0 $? || return 1
    fz_out 'wait-usr1: got SIGUSR1, code SI_USER
kill: 0' || return 1
    [ "$(cat waiter.pid)" -gt 1 ] || { echo "virtual pid $(cat waiter.pid) <= 1"; return 1; }
}
p_fused_pids() {
    local F=$PROGS/fused
    fz --exit=all -- "$F" pid p1 ::: "$F" pid p2 ::: "$F" pid p3
    fz_status 0 $? || return 1
    fz_out 'pid > 1, not the parent'"'"'s: yes
pid > 1, not the parent'"'"'s: yes
pid > 1, not the parent'"'"'s: yes' || return 1
    [ "$(cat p1 p2 p3 | sort -u | wc -l)" = 3 ] || { echo "pids not distinct: $(cat p1 p2 p3 | tr '\n' ' ')"; return 1; }
}
p_fused_munmap() {
    local F=$PROGS/fused
    fz --exit=all -- "$F" mmap-probe probe.addr probe.done ::: "$F" munmap-other probe.addr probe.done
    fz_status 0 $? || return 1
    fz_out 'munmap-other: munmap 0
munmap-other: mprotect -1 ENOMEM
munmap-other: in own maps: no
mmap-probe: page intact, writable, in own maps: yes'
}
p_fused_maps() {
    local F=$PROGS/fused
    cp "$F" "$RUN/fused2" || return 1
    fz --exit=all -- "$F" maps "$RUN/fused2" maps.done ::: "$RUN/fused2" wait-file maps.done
    fz_status 0 $? || return 1
    fz_out 'maps: own exe present, fused2 absent' || return 1
    # and the other way round
    fz --exit=all -- "$F" wait-file maps.done2 ::: "$RUN/fused2" maps "$F" maps.done2
    fz_status 0 $? || return 1
    fz_out 'maps: own exe present, fused absent'
}
p_fused_pod_error() {
    printf 'exit: all\nprograms:\n  - name: a\n    command: x: y: z\n  - name: b\n    command: [true]\n' >bad1.yaml
    fz -f bad1.yaml
    fz_status 2 $? || return 1
    grep -q '^pegasus: bad1\.yaml:4: ' "$OUT/p.err" || { echo "stderr: $(head -c 300 "$OUT/p.err" | tr '\n' '|'), expected bad1.yaml:4"; return 1; }
    printf 'exit: all\nprograms:\n  - name: a\n    command: [/bin/true]\n    colour: red\n' >bad2.yaml
    fz -f bad2.yaml
    fz_status 2 $? || return 1
    grep -q '^pegasus: bad2\.yaml:5: ' "$OUT/p.err" || { echo "stderr: $(head -c 300 "$OUT/p.err" | tr '\n' '|'), expected bad2.yaml:5"; return 1; }
    [ ! -s "$OUT/p.out" ] || { echo "unexpected stdout"; return 1; }
}
p_fused_pod() {
    local F=$PROGS/fused
    cat >pod.yaml <<POD
# two programs, each with its own env and cwd
exit: all
prefix: true
programs:
  - name: one
    command: [$F, show, FOO]
    env: {FOO: bar}
    cwd: dir
  - name: two
    command: $F show FOO
    cwd: dir/sub
POD
    fz -f pod.yaml
    fz_status 0 $? || return 1
    fz_out 'one | show: FOO=bar cwd=dir
two | show: FOO=(unset) cwd=sub'
}
# A fork in one program while another waits in select on its listener: the
# child process must not keep that listener (perl, not a second python3:
# Debian's is not PIE, so the two would not share a host process) (the port stayed bound, and
# took connections no one accepted, while the child lived).
p_fused_fork_keeps_no_listener() {
    fz --exit=all -- python3 -c 'import socket, select, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); port = s.getsockname()[1]
select.select([s], [], [], 1.0); s.close(); time.sleep(0.3)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2); print("connected to a closed listener")
except ConnectionRefusedError:
    print("refused")
t = socket.socket(); t.bind(("127.0.0.1", port)); t.listen(); print("bound again")' ::: \
        perl -e 'select(undef, undef, undef, 0.3); fork or sleep 3'
    fz_status 0 $? || return 1
    fz_out 'refused
bound again'
}
p_fused_exit_first() {
    local F=$PROGS/fused t0 ms
    t0=$(date +%s%N)
    fz -- "$F" exit 3 ::: "$F" loop
    fz_status 3 $? || return 1
    ms=$((($(date +%s%N) - t0) / 1000000))
    grep -qx 'pegasus: \[fused-2\] killed by SIGTERM' "$OUT/p.err" ||
        { echo "the looping program did not die of SIGTERM: $(head -c 300 "$OUT/p.err" | tr '\n' '|')"; return 1; }
    [ "$ms" -lt 2500 ] || { echo "took $ms ms (grace is 5 s)"; return 1; }
}
# A SIGTERM sent to pegasus from outside (kill, `timeout`) ends the
# instance: the first program's, with what it spawned (natively the shell
# dies and its child lives on, but a supervisor waits for pegasus); once
# the first program is gone, every program left takes it.
p_outside_term() { # SHELL-SCRIPT EXPECTED-STATUS
    local r st
    "${PEGASUS_RUN[@]}" -- /bin/sh -c "$1" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null &
    r=$!
    sleep 1
    kill -TERM "$r"
    # The children sleep 30 s: an instance that waits for them is caught
    # by the bounded wait, not by a time measured here.
    timeout 10 tail --pid="$r" -f /dev/null || { kill -KILL "$r"; echo "pegasus still runs 10 s after SIGTERM"; return 1; }
    wait "$r"
    st=$?
    fz_status "$2" "$st"
}
p_outside_term_alive() { p_outside_term 'sleep 30 & sleep 30' 143; }
# A background job its shell left running (forked: a host process of its
# own) outlives pegasus, as natively it outlives the shell: pegasus ends
# with the shell, and the job runs on (a reader of pegasus's stdout, or
# `gpg | grep` with gpg's agent left running, waited for it).
p_background_outlives() {
    local r st tag="31.$RANDOM"
    "${PEGASUS_RUN[@]}" -- /bin/sh -c "sleep $tag & exit 0" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null &
    r=$!
    timeout 10 tail --pid="$r" -f /dev/null || { kill -KILL "$r"; echo "pegasus still runs 10 s after its shell ended"; return 1; }
    wait "$r"
    st=$?
    local left
    left=$(pgrep -f "sleep $tag")
    [ -n "$left" ] && kill $left
    [ "$st" -eq 0 ] || { echo "status $st: $(tail -3 "$OUT/p.err")"; return 1; }
    [ -n "$left" ] || { echo "the background job did not outlive pegasus"; return 1; }
    # One that sent its stdout elsewhere holds none of pegasus's: a
    # reader of it sees EOF while the job still runs.
    tag="32.$RANDOM"
    timeout 10 "${PEGASUS_RUN[@]}" -- /bin/sh -c "(exec >/dev/null 2>&1 </dev/null; sleep $tag) & echo bye" | cat >"$OUT/p.out"
    left=$(pgrep -f "sleep $tag")
    [ -n "$left" ] && kill $left
    [ "$(cat "$OUT/p.out")" = bye ] || { echo "read \"$(head -c 100 "$OUT/p.out")\""; return 1; }
    [ -n "$left" ] || { echo "the job was gone before the reader saw EOF"; return 1; }
    # Also when the shell dies of a signal of its own (a crash, an abort):
    # its forked job is not stopped with it.
    tag="33.$RANDOM"
    timeout 10 "${PEGASUS_RUN[@]}" -- /bin/sh -c "sleep $tag & kill -ABRT \$\$" >/dev/null 2>"$OUT/p.err"
    st=$?
    left=$(pgrep -f "sleep $tag")
    [ -n "$left" ] && kill $left
    [ "$st" -eq 134 ] || { echo "status $st after an abort: $(tail -2 "$OUT/p.err")"; return 1; }
    [ -n "$left" ] || { echo "the job of a shell that aborted was stopped with it"; return 1; }
}
pcase outside-term-first-alive -- p_outside_term_alive
# The first program's parent is pegasus's own, as natively the shell that
# started it (not 1: a program that polls getppid() for its parent's death
# thought it orphaned).
p_first_ppid() {
    local out
    out=$(bash -c 'echo "$$"; "$@"; true' _ "${RUNNER[@]}" /bin/sh -c 'echo "$PPID"' </dev/null 2>"$OUT/p.err") || { echo "status $?"; return 1; }
    [ "$(echo "$out" | sed -n 1p)" = "$(echo "$out" | sed -n 2p)" ] || { echo "launcher and first program's ppid differ: $(echo $out)"; return 1; }
}
pcase first-ppid -- p_first_ppid
# A first program that stops itself stops pegasus as by that signal: the
# shell that started it reports 128 + SIGTSTP, as natively (SIGSTOP's before).
p_first_stops_tstp() {
    local out
    out=$(bash -c 'set -m; "$@"; echo "rc=$?"; kill -CONT %1; wait' _ "${RUNNER[@]}" /bin/sh -c 'kill -TSTP $$; echo back' </dev/null 2>"$OUT/p.err") || { echo "status $?"; return 1; }
    [ "$out" = "$(printf 'rc=148\nback')" ] || { echo "got: $(echo $out)"; return 1; }
}
pcase first-stops-tstp -- p_first_stops_tstp
# A command-line program is in pegasus's group and session, as a command is
# in its shell's: not a leader, so setsid works (each program was made a
# group and session leader: EPERM), and setsid(1) runs its command itself.
dcase setsid-first --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os
print("leader", os.getpgid(0) == os.getpid(), os.getsid(0) == os.getpid())
print("setsid", os.setsid() == os.getpid(), os.getpgid(0) == os.getpid(), os.getsid(0) == os.getpid())'
dcase setsid-command --need /usr/bin/setsid --status 3 -- /usr/bin/setsid /bin/sh -c 'echo in the foreground; exit 3'
# In a pid namespace of its own (a container's, a CI runner's), the group
# and session that pegasus was started in are outside it: getpgid and
# getsid say 0, the program is no leader, setsid works (the first program
# was made a leader when the host's answer was 0).
f_ids_outside_namespace() {
    timeout -k 5 "$TIMEOUT" unshare -p -f /bin/sh -c '"$@"; echo "rc=$?"' _ "${RUNNER[@]}" /usr/bin/python3 -c 'import os
print("ids", os.getpgid(0), os.getsid(0), os.getppid() > 0)
print("leader", os.getpgid(0) == os.getpid(), os.getsid(0) == os.getpid())
print("setsid", os.setsid() == os.getpid(), os.getsid(0) == os.getpid())'
}
fcase ids-outside-namespace --need root --need unshare --need /usr/bin/python3 -- f_ids_outside_namespace
# setpgid into a group that does not exist in the session is EPERM (it
# made the group up); into the parent's group, which does, it works.
dcase setpgid-missing-group --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os
try:
    os.setpgid(0, 99999); print("moved")
except OSError as e:
    print("refused", e.errno)
os.setpgid(0, 0)
pid = os.fork()
if pid == 0:
    os.setpgid(0, os.getppid()); print("child joined", os.getpgid(0) == os.getppid(), flush=True); os._exit(0)
os.waitpid(pid, 0)'
# A program of another user may not signal one of root's: EPERM, and it
# lives (kill said 0 and the signal was dropped).
dcase kill-other-user --need root --need setpriv -- /bin/sh -c 'sleep 5 & V=$!; setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "kill -TERM $V 2>/dev/null; echo kill-rc=\$?; kill -0 $V 2>/dev/null; echo probe-rc=\$?"; if kill -0 $V; then echo survived; kill $V; else echo killed; fi; wait'
# A program that renames itself (perl's $0 = PR_SET_NAME of its main
# thread) is found by that name from a forked child's process.
dcase rename-seen-by-child --need /usr/bin/perl --need /usr/bin/pgrep -- /usr/bin/perl -e '$0 = "myworker"; system("pgrep -x myworker >/dev/null && echo found || echo missing"); system("cat /proc/$$/comm")'
# ...and it can signal and ask about that parent, an outside process whose
# number the instance keeps for it (kill said ESRCH).
dcase first-ppid-reach --need /usr/bin/python3 -- /bin/sh -c 'kill -0 $PPID && echo "parent signalled"; python3 -c "import os; p = os.getppid(); print(os.getsid(p) > 0, os.getpgid(p) > 0)"'
# poll for POLLWRNORM alone on a socket connecting to a server outside the
# instance (varnish's backend connect): its kernel socket's readiness with
# RDNORM/WRNORM, which the kernel reports only when asked.
p_poll_wrnorm_outside() {
    # The server picks its own port (a random one was once taken: EADDRINUSE)
    # and names it once listening, before the client starts (a slow start
    # under load made it a refused connect: ERR|HUP).
    /usr/bin/python3 -c 'import socket, sys, time; l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(); print(l.getsockname()[1], flush=True); time.sleep(8)' >"$OUT/port" &
    local srv=$! i port=
    for i in $(seq 100); do port=$(cat "$OUT/port"); [ -n "$port" ] && break; sleep 0.1; done
    timeout -k 5 "$TIMEOUT" "${RUNNER[@]}" /usr/bin/python3 -c 'import select, socket, sys
s = socket.socket(); s.setblocking(False)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except BlockingIOError:
    pass
p = select.poll(); p.register(s, select.POLLWRNORM)
print([hex(e) for f, e in p.poll(3000)])' "$port" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local st=$?
    kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
    [ "$st" -eq 0 ] && [ "$(cat "$OUT/p.out")" = "['0x100']" ] || { echo "status $st: $(cat "$OUT/p.out") $(tail -2 "$OUT/p.err")"; return 1; }
}
pcase poll-wrnorm-outside --need /usr/bin/python3 -- p_poll_wrnorm_outside
# A read of the error queue never waits, on a new socket and on one whose
# connect was refused (socat then hung instead of exiting).
# A process-directed signal goes to the main thread when it does not block
# it (Linux's complete_signal), here parked in accept() while a worker
# waits in a read: python runs handlers on its main thread only.
dcase signal-main-thread --need /usr/bin/python3 -- /usr/bin/python3 -c 'import os, signal, socket, sys, threading, time
r, w = os.pipe()
threading.Thread(target=lambda: os.read(r, 4), daemon=True).start()
def later():
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=later, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *a: (print("handler ran", flush=True), sys.exit(0)))
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.accept()'
dcase recvmsg-errqueue --need /usr/bin/python3 -- /usr/bin/python3 -c 'import socket
for kind in ("fresh", "refused"):
    s = socket.socket()
    if kind == "refused":
        try:
            s.connect(("127.0.0.1", 1))
        except OSError as e:
            print(kind, "connect:", e.strerror)
    try:
        print(kind, s.recvmsg(100, 0, socket.MSG_ERRQUEUE | socket.MSG_TRUNC))
    except OSError as e:
        print(kind, "recvmsg:", e.strerror)'
# Linux AIO names fds inside its requests (struct iocb), which would reach
# the kernel untranslated: io_setup is refused (ENOSYS, so that libaio
# users such as InnoDB fall back to their own threads).
p_no_linux_aio() {
    fz -- /usr/bin/python3 -c 'import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); ctx = ctypes.c_ulong(0); r = libc.syscall(206, 8, ctypes.byref(ctx)); print(r, os.strerror(ctypes.get_errno()))'
    fz_status 0 $? || return 1
    fz_out '-1 Function not implemented'
}
pcase io-setup-refused --need /usr/bin/python3 -- p_no_linux_aio
# The notice of a refused call names the program that made it as it is
# called now: the exec'd one after a fork+exec (bash) or a vfork+exec
# (dash), not the shell (it said [bash] for strace's ptrace).
p_refused_label() {
    local out
    out=$("${PEGASUS_RUN[@]}" -- /bin/bash -c 'strace -o /dev/null true; /bin/sh -c "strace -o /dev/null true"' 2>&1 >/dev/null)
    [ "$(echo "$out" | grep -c '^pegasus: \[strace\] ptrace ')" = 2 ] || { echo "notices: $out"; return 1; }
}
pcase refused-label-execd --need strace -- p_refused_label
# Ctrl-C on the terminal signals the foreground group: a program that
# survives it (a handler) and the child it waits for (spawned: a program
# of the instance, no host process of its own to take the terminal's
# signal), which dies of it, as natively.
p_ctrl_c() {
    timeout -k 5 20 python3 "$ROOT/tests/progs/ctrl_c.py" "${PEGASUS_RUN[@]}" -- /usr/bin/python3 -c 'import signal, subprocess; signal.signal(signal.SIGINT, lambda *a: None); subprocess.call(["sleep", "30"])' >"$OUT/p.out" 2>"$OUT/p.err"
    grep -qx 'exited 0' "$OUT/p.out" || { echo "$(tr '\n' '|' <"$OUT/p.out") $(head -c 200 "$OUT/p.err")"; return 1; }
}
pcase ctrl-c-group --need /usr/bin/python3 -- p_ctrl_c
# Job control on a terminal, as a user at an interactive bash: Ctrl-Z
# stops the foreground job (a forked child: the shell's tcsetpgrp named a
# program group, which the kernel knew as no group of its own, and the
# stop reached no one), jobs, bg, fg, Ctrl-C, a stopped pipeline killed.
# With the terminal outside the instance and inside it (python's pty.fork).
p_job_control() {
    timeout -k 5 60 python3 "$ROOT/tests/progs/job_control.py" "${PEGASUS_RUN[@]}" -- /bin/bash --norc --noprofile -i >"$OUT/p.out" 2>"$OUT/p.err"
    local st=$?
    [ "$st" -eq 0 ] && ! grep -qv ': ok$' "$OUT/p.out" && [ "$(grep -c ': ok$' "$OUT/p.out")" -eq 11 ] ||
        { echo "status $st: $(grep -v ': ok$' "$OUT/p.out" | head -3 | tr '\n' '|') $(head -c 200 "$OUT/p.err")"; return 1; }
}
pcase job-control-terminal --need /usr/bin/python3 -- p_job_control
dcase fork-rights-ctrunc --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/rights_ctrunc.py"
# A poll for no events on a pipe's write end, whose reader (another
# process) goes: the error ends it (tail -f checks its output so).
dcase poll-reader-gone --need /usr/bin/tail -- /bin/bash -c 'd=$(mktemp -d); echo late > $d/log; tail -f $d/log | head -1; echo "done $?"; rm -r $d'
dcase tty-reads --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/tty_reads.py"
dcase job-control-inside --need /usr/bin/python3 -- /usr/bin/python3 "$ROOT/tests/progs/job_control.py" /bin/bash --norc --noprofile -i
pcase background-outlives -- p_background_outlives
# kill of a process outside the instance reaches it (a supervisor stopping
# a service it did not start; `kill $(cat x.pid)`): it said ESRCH.
p_kill_outside() {
    sleep 30 &
    local s=$!
    "${RUNNER[@]}" /bin/sh -c "kill -0 $s && echo alive; kill -TERM $s && echo sent" >"$OUT/p.out" 2>"$OUT/p.err"
    local st=$?
    wait "$s" 2>/dev/null
    local ws=$?
    kill "$s" 2>/dev/null
    [ "$st" -eq 0 ] && [ "$(tr '\n' ' ' <"$OUT/p.out")" = "alive sent " ] ||
        { echo "status $st: $(tr '\n' '|' <"$OUT/p.out") $(head -c 200 "$OUT/p.err")"; return 1; }
    [ "$ws" -eq 143 ] || { echo "the outside process ended with $ws, not by SIGTERM"; return 1; }
}
pcase kill-outside -- p_kill_outside
# Signals ignored when pegasus starts stay ignored for its programs, as
# for an exec'd program (`nohup pegasus run -- X` died of SIGHUP).
p_host_sigign() {
    local want got
    want=$(bash -c 'trap "" HUP USR1; exec "$@"' _ /bin/grep SigIgn /proc/self/status)
    got=$(bash -c 'trap "" HUP USR1; exec "$@"' _ "${RUNNER[@]}" /bin/grep SigIgn /proc/self/status 2>"$OUT/p.err")
    [ "$got" = "$want" ] || { echo "natively \"$want\", under pegasus \"$got\""; return 1; }
}
pcase host-sigign -- p_host_sigign
# gpg starts its own agent (which binds its sockets, forks, and whose
# parent exits), then connects to it: the key is made. The agent is
# stopped by a native client afterwards.
p_gpg_agent() {
    local g st
    g=$(mktemp -d)
    chmod 700 "$g"
    GNUPGHOME=$g timeout 60 "${PEGASUS_RUN[@]}" -- /usr/bin/gpg --batch --passphrase "" \
        --quick-gen-key "Test <t@example.org>" ed25519 sign 0 >"$OUT/p.out" 2>"$OUT/p.err"
    st=$?
    GNUPGHOME=$g timeout 5 gpgconf --kill gpg-agent >/dev/null 2>&1
    rm -rf "$g"
    [ "$st" -eq 0 ] || { echo "status $st: $(grep -v '^gpg: \(directory\|keybox\)' "$OUT/p.err" | head -3 | tr '\n' '|')"; return 1; }
}
pcase gpg-agent --need /usr/bin/gpg --need /usr/bin/gpgconf -- p_gpg_agent
# A SIGTERM sent to pegasus from outside reaches every command-line
# program at once: the first one here waits for the second to go (as a
# database for a fused pooler's connections); sent to the first alone,
# the second got it only once the first had ended, i.e. never.
p_outside_term_all_roots() {
    local d="$OUT/roots" r
    mkdir -p "$d"
    rm -f "$d/b-gone"
    "${PEGASUS_RUN[@]}" -- /bin/sh -c "trap 'echo A got TERM' TERM; while [ ! -e $d/b-gone ]; do sleep 0.1; done; echo A done" \
        ::: /bin/sh -c "trap 'echo B got TERM; touch $d/b-gone; exit 0' TERM; sleep 30 & wait" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null &
    r=$!
    sleep 1
    kill -TERM "$r"
    timeout 10 tail --pid="$r" -f /dev/null || { kill -KILL "$r"; echo "pegasus still runs 10 s after SIGTERM: $(tr '\n' '|' <"$OUT/p.out")"; return 1; }
    wait "$r"
    [ "$(sort "$OUT/p.out" | tr '\n' '|')" = "A done|A got TERM|B got TERM|" ] || { echo "output: $(tr '\n' '|' <"$OUT/p.out")"; return 1; }
}
pcase outside-term-all-roots -- p_outside_term_all_roots
# ITIMER_REAL and alarm() are each program's (one host timer for all of them
# gave one program's SIGALRM to another, or killed it).
p_itimer_fused() {
    timeout -k 5 30 "${PEGASUS_RUN[@]}" --exit=all -- "$PROGS/itimer" periodic 50 ::: "$PROGS/itimer" periodic 100 \
        ::: /bin/sh -c 'sleep 1.2; echo sh ok' ::: /usr/bin/python3 -c 'import signal; signal.alarm(1)' \
        >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local st=$?
    [ "$(sort "$OUT/p.out" | tr '\n' '|')" = "100 ms: ok|50 ms: ok|sh ok|" ] || { echo "status $st, output: $(tr '\n' '|' <"$OUT/p.out")"; return 1; }
}
pcase itimer-fused --prog itimer --need /usr/bin/python3 -- p_itimer_fused
# ITIMER_PROF counts its program's CPU time, not another's fused beside it
p_itimer_prof_fused() {
    timeout -k 5 30 "${PEGASUS_RUN[@]}" --exit=first -- "$PROGS/itimer" prof-asleep ::: /bin/sh -c 'while :; do :; done' \
        >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    [ "$(cat "$OUT/p.out")" = "asleep with ITIMER_PROF: 0 signals" ] || { echo "output: $(cat "$OUT/p.out")"; return 1; }
}
pcase itimer-prof-fused --prog itimer -- p_itimer_prof_fused
# clone with new namespaces: EPERM as for an unprivileged caller (vsftpd
# falls back to a plain fork on EPERM or EINVAL, not on ENOSYS).
p_clone_ns_eperm() {
    local out
    out=$("${PEGASUS_RUN[@]}" -- /usr/bin/python3 -c 'import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.syscall(56, 0x08000000 | 17, 0, 0, 0, 0); print(r, ctypes.get_errno())' 2>&1)
    [ "$out" = "-1 1" ] || { echo "clone(CLONE_NEWIPC): $out"; return 1; }
}
pcase clone-ns-eperm --need /usr/bin/python3 -- p_clone_ns_eperm
# Fds above stderr that pegasus starts with (exec 5<f, 3>log wrappers, make's
# jobserver) are every command-line program's, at the same numbers, and are
# inherited by what they exec.
p_inherited_fds() {
    printf 'five\n' >"$OUT/five"
    timeout -k 5 30 "${PEGASUS_RUN[@]}" --exit=all -- /bin/sh -c 'cat <&5; echo seven >&7; /bin/sh -c "echo again >&7"' \
        ::: /bin/sh -c 'echo other >&8' \
        5<"$OUT/five" 7>"$OUT/seven" 8>"$OUT/eight" >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    [ "$(cat "$OUT/p.out")|$(tr '\n' ' ' <"$OUT/seven")|$(cat "$OUT/eight")" = "five|seven again |other" ] ||
        { echo "got: $(cat "$OUT/p.out")|$(tr '\n' ' ' <"$OUT/seven")|$(cat "$OUT/eight") $(head -c 300 "$OUT/p.err")"; return 1; }
}
pcase inherited-fds -- p_inherited_fds
# With --exit=all, a SIGTERM from outside (`timeout`) that ends the first
# program, by default or by its handler, stops the others too (they took
# no signal before: timeout never ended).
p_outside_term_exit_all() {
    local -a R=("${PEGASUS_RUN[@]}")
    local first=$1 want=$2 handler='trap "echo sh got TERM; exit 3" TERM; sleep 30 & wait'
    # --foreground: timeout signals pegasus alone, not its process group
    # (where a forked child, a host process of its own, would take it).
    timeout -s KILL 15 timeout --foreground 2 "${R[@]}" --exit=all -- /bin/sh -c "$first" ::: /bin/sleep 30 ::: /bin/sh -c "$handler" \
        >"$OUT/p.out" 2>"$OUT/p.err" </dev/null
    local st=$?
    [ "$st" -eq 124 ] || { echo "status $st (timeout's 124 expected; 137: still running 15 s on): $(tail -3 "$OUT/p.err")"; return 1; }
    [ "$(sort "$OUT/p.out" | tr '\n' '|')" = "$want" ] || { echo "output: $(tr '\n' '|' <"$OUT/p.out")"; return 1; }
}
p_outside_term_exit_all_killed() { p_outside_term_exit_all 'exec sleep 30' 'sh got TERM|'; }
p_outside_term_exit_all_handled() {
    p_outside_term_exit_all 'trap "echo first got TERM; exit 0" TERM; sleep 30 & wait' 'first got TERM|sh got TERM|'
}
pcase outside-term-exit-all -- p_outside_term_exit_all_killed
pcase outside-term-exit-all-handled -- p_outside_term_exit_all_handled
pcase fused-order --prog fused -- p_fused_order
pcase fused-fd --prog fused -- p_fused_fd
pcase fused-fork-keeps-no-listener --need python3 --need perl -- p_fused_fork_keeps_no_listener
pcase fused-cwd --prog fused -- p_fused_cwd
pcase fused-ten --prog fused -- p_fused_ten
pcase fused-segv --prog fused -- p_fused_segv
pcase fused-kill --prog fused -- p_fused_kill
pcase fused-pids --prog fused -- p_fused_pids
pcase fused-munmap-other --prog fused -- p_fused_munmap
pcase fused-maps --prog fused -- p_fused_maps
# /proc/self/maps names [heap], [stack], [vdso], [vvar] and [vsyscall] as
# Linux does (the program's break and stack had no names, the host's vDSO
# pages were left out).
dcase maps-names --prog maps_names --status 0 -- "$PROGS/maps_names"
pcase fused-pod-error -- p_fused_pod_error
pcase fused-pod --prog fused -- p_fused_pod
pcase fused-exit-first --prog fused -- p_fused_exit_first

# ---------------------------------------------------------------------------
# The engine.
NPASS=0 NFAIL=0 NSKIP=0

selected() { # full name
    [ ${#PATTERNS[@]} -eq 0 ] && return 0
    local p
    for p in "${PATTERNS[@]}"; do
        [[ $1 =~ $p ]] && return 0
    done
    return 1
}

pass() { NPASS=$((NPASS + 1)); echo "PASS $1"; }
fail() {
    NFAIL=$((NFAIL + 1))
    echo "FAIL $1: $2"
    if [ -n "${3:-}" ]; then
        if [ "$VERBOSE" = 1 ]; then
            printf '%s\n' "$3" | sed 's/^/    /'
        else
            printf '%s\n' "$3" | head -n 12 | sed 's/^/    /'
        fi
    fi
}
skip() { NSKIP=$((NSKIP + 1)); echo "SKIP $1: $2"; }

case_label() { # NAME MODE-INDEX|native
    if [ "$2" = native ]; then echo "$1"; else echo "$1$(mode_tag "${MODES[$2]}")"; fi
}

fresh_run_dir() {
    rm -rf "$RUN"
    mkdir -p "$RUN"
    cp -a "$FIX/." "$RUN/"
}

# run_side IDX SIDE(native|MODE-INDEX) -> $OUT/SIDE.{out,err,st}
run_side() {
    local i=$1 tag=$2
    fresh_run_dir
    (
        cd "$RUN" || exit 2
        eval "${C_BODY[$i]}"
    ) >"$OUT/$tag.out" 2>"$OUT/$tag.err" </dev/null
    echo $? >"$OUT/$tag.st"
}

short_diff() { # a b labels
    diff -u --label "$3" --label "$4" "$1" "$2" | head -n "$([ "$VERBOSE" = 1 ] && echo 200 || echo 14)"
}

if [ "$LIST" = 1 ]; then
    for i in "${!C_NAME[@]}"; do
        if [ "${C_KIND[$i]}" = native ]; then
            selected "${C_NAME[$i]}" && echo "${C_NAME[$i]}"
            continue
        fi
        for mi in "${!MODES[@]}"; do
            full="${C_NAME[$i]}$(mode_tag "${MODES[$mi]}")"
            selected "$full" && echo "$full"
        done
    done
    exit 0
fi

if [ ! -x "$PEGASUS" ]; then
    echo "FAIL setup: pegasus runtime not found at $PEGASUS (run make, or set PEGASUS)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

make_fixtures

for i in "${!C_NAME[@]}"; do
    name=${C_NAME[$i]}
    # which modes of this case are selected?
    sel=()
    if [ "${C_KIND[$i]}" = native ]; then
        selected "$name" && sel=(native)
    else
        for mi in "${!MODES[@]}"; do
            selected "$name$(mode_tag "${MODES[$mi]}")" && sel+=("$mi")
        done
    fi
    # modes that cannot pass this case by design
    if [ -n "${C_NOTIN[$i]}" ] && [ "${C_KIND[$i]}" != native ]; then
        keep=()
        for mi in "${sel[@]}"; do
            if [[ ${MODES[$mi]} == *"${C_NOTIN[$i]%%:*}"* ]]; then
                skip "$(case_label "$name" "$mi")" "${C_NOTIN[$i]#*:}"
            else
                keep+=("$mi")
            fi
        done
        sel=("${keep[@]}")
    fi
    [ ${#sel[@]} -eq 0 ] && continue

    # requirements
    why=""
    for n in ${C_NEED[$i]}; do
        have "$n" || why="${why:+$why, }$(case $n in cpu:*) echo "no ${n#cpu:} on this CPU" ;; unsanitized) echo "a sanitizer build" ;; *) echo "$n not installed" ;; esac)"
    done
    if [ -n "$why" ]; then
        for mi in "${sel[@]}"; do skip "$(case_label "$name" "$mi")" "$why"; done
        continue
    fi
    why=""
    for p in ${C_PROG[$i]}; do
        [ -x "$PROGS/$p" ] || why="${why:+$why, }test program $PROGS/$p not built"
    done
    if [ -n "$why" ]; then
        for mi in "${sel[@]}"; do fail "$(case_label "$name" "$mi")" "$why"; done
        continue
    fi

    if [ "${C_KIND[$i]}" = native ]; then
        RUNNER=()
        PEGASUS_RUN=()
        fresh_run_dir
        if msg=$(cd "$RUN" && eval "${C_BODY[$i]}"); then
            pass "$name"
        else
            fail "$name" "${msg:-failed}"
        fi
    elif [ "${C_KIND[$i]}" = diff ]; then
        RUNNER=()
        [ "$VERBOSE" = 1 ] && echo "  ($name: ${C_BODY[$i]})"
        run_side "$i" native
        nst=$(cat "$OUT/native.st")
        native_bad=""
        if [ -n "${C_STATUS[$i]}" ] && [ "$nst" != "${C_STATUS[$i]}" ]; then
            native_bad="native run exited $nst, the case expects ${C_STATUS[$i]} (broken case or host)"
        fi
        for mi in "${sel[@]}"; do
            mode=${MODES[$mi]}
            full="$name$(mode_tag "$mode")"
            if [ -n "$native_bad" ]; then
                fail "$full" "$native_bad" "$(head -n 5 "$OUT/native.err")"
                continue
            fi
            mode_runner "$mode"
            run_side "$i" peg
            pst=$(cat "$OUT/peg.st")
            problems="" details=""
            if [ "$nst" != "$pst" ]; then
                problems="status native=$nst pegasus=$pst"
                [ "$pst" = 124 ] && problems="$problems (timed out)"
            fi
            if ! cmp -s "$OUT/native.out" "$OUT/peg.out"; then
                problems="${problems:+$problems; }stdout differs"
                details=$(short_diff "$OUT/native.out" "$OUT/peg.out" native pegasus)
            fi
            if [ "${C_STDERR[$i]}" = 1 ] && ! cmp -s "$OUT/native.err" "$OUT/peg.err"; then
                problems="${problems:+$problems; }stderr differs"
                details="$details
$(short_diff "$OUT/native.err" "$OUT/peg.err" native-stderr pegasus-stderr)"
            fi
            if [ -z "$problems" ]; then
                pass "$full"
            else
                if [ -s "$OUT/peg.err" ]; then
                    details="$details
pegasus stderr:
$(head -n "$([ "$VERBOSE" = 1 ] && echo 60 || echo 5)" "$OUT/peg.err")"
                fi
                fail "$full" "$problems" "$details"
            fi
        done
    else
        for mi in "${sel[@]}"; do
            mode=${MODES[$mi]}
            full="$name$(mode_tag "$mode")"
            mode_runner "$mode"
            fresh_run_dir
            if msg=$(cd "$RUN" && "${C_BODY[$i]}"); then
                pass "$full"
                [ "$VERBOSE" = 1 ] && [ -n "$msg" ] && printf '%s\n' "$msg" | sed 's/^/    /'
            else
                fail "$full" "${msg:-failed}"
            fi
        done
    fi
done

echo "$NPASS passed, $NFAIL failed, $NSKIP skipped"
[ "$NFAIL" = 0 ]
