#!/bin/bash
# shellcheck disable=SC2317 # the section_* functions are called by name
# demo.sh - `make demo`: pegasus against Linux in under a minute.
#
# From a fresh clone: installs the build dependencies (scripts/install-deps.sh)
# and the servers and clients it runs (scripts/install-deps.sh --services:
# redis, nginx, wrk...), builds with `make` if needed, then:
#   - the headline: redis-server + redis-benchmark, then nginx + wrk, each
#     fused in one pegasus process against the same two binaries as Linux
#     processes (bench/services.sh, 3 rounds, medians), both figures and the
#     ratio;
#   - what fusion is, then the benchmark programs of bench/ with a short
#     time box, natively and under `pegasus run`, with the speed-up.
# Same binaries both times: pegasus loads them unmodified. A section whose
# programs are missing says so in one line and the demo goes on.
#
# Sections are functions named in SECTIONS; each runs its comparisons with
# `compare` and prints them with `show`. To add one (say redis and
# redis-benchmark fused), write section_<name> and add <name> to SECTIONS.
#
# Environment: BUILD=build, DEMO_ARGS="-t 0.1 -r 3" (bench program options).
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
PEGASUS=$BUILD/pegasus
DEMO_ARGS=${DEMO_ARGS:--t 0.1 -r 3}
SECTIONS=(redis nginx fusion threads syscalls)

die() {
	echo "demo: $*" >&2
	exit 1
}

./scripts/install-deps.sh || die "installing the build dependencies failed (scripts/install-deps.sh)"
./scripts/install-deps.sh --services >/dev/null 2>&1 ||
	echo "demo: could not install the servers and clients (scripts/install-deps.sh --services); sections that need them are skipped"
if [ ! -x "$PEGASUS" ] || [ ! -x "$BUILD/bench/threads" ] || [ ! -x "$BUILD/bench/syscall_paths" ] ||
	[ ! -x "$BUILD/bench/waitport" ]; then
	echo "demo: building pegasus (make)..."
	make BUILD="$BUILD" >/dev/null || die "the build failed: run make to see why"
fi

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# run_bench OUT PIN PROG ARGS...: one run (PIN: "cpu" pins to CPU 0 when
# taskset can). Stops the demo with the command and its stderr on failure.
run_bench() {
	local out=$1 pin=$2
	shift 2
	local cmd=("$@")
	if [ "$pin" = cpu ] && command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
		cmd=(taskset -c 0 "${cmd[@]}")
	fi
	if ! "${cmd[@]}" >"$out" 2>"$out.err"; then
		echo "demo: this run failed:" >&2
		echo "  ${cmd[*]}" >&2
		sed 's/^/  /' "$out.err" >&2
		exit 1
	fi
}

# compare PIN PROG CASE...: the cases natively and under pegasus (defaults);
# leaves "<case> <linux ns> <pegasus ns>" lines in $tmp/rows and the
# native run's comment lines in $tmp/linux.notes.
compare() {
	local pin=$1 prog=$BUILD/bench/$2
	shift 2
	# shellcheck disable=SC2086 # DEMO_ARGS is a word list
	run_bench "$tmp/linux" "$pin" "$prog" $DEMO_ARGS "$@"
	# shellcheck disable=SC2086
	run_bench "$tmp/pegasus" "$pin" "$PEGASUS" run -q -- "$prog" $DEMO_ARGS "$@"
	grep '^#' "$tmp/linux" >"$tmp/linux.notes"
	awk '/^#/ || NF < 2 { next }
	     FILENAME == ARGV[1] { l[$1] = $2; next }
	     ($1 in l) { print $1, l[$1], $2 }' "$tmp/linux" "$tmp/pegasus" >"$tmp/rows"
}

# show TITLE LABEL=CASE...: the rows of the last compare, with friendly labels.
show() {
	local title=$1
	shift
	printf '\n  %-40s %10s %10s   %s\n' "$title" "Linux" "pegasus" "speed-up"
	local lc
	for lc in "$@"; do
		awk -v label="${lc%%=*}" -v c="${lc#*=}" '
			function t(ns) { return ns < 1000 ? sprintf("%.0f ns", ns) : sprintf("%.1f us", ns / 1000) }
			$1 == c {
				r = $2 / $3
				v = r >= 1.05 ? sprintf("%.*fx faster", r < 10 ? 1 : 0, r) \
				  : r <= 0.95 ? sprintf("%.1fx slower", 1 / r) : "same"
				printf "  %-40s %10s %10s   %s\n", label, t($2), t($3), v
			}' "$tmp/rows"
	done
}

# service TITLE CLIENT-LINE LABEL=CASE...: bench/services.sh on these
# cases (3 rounds, interleaved, medians; pegasus with its default polling)
# and a small table: client-reported throughput, Linux vs fused, and the
# CPU time per request of all the processes involved.
service() {
	local title=$1 what=$2
	shift 2
	local cases=() lc
	for lc in "$@"; do cases+=("${lc#*=}"); done
	: >"$tmp/svc.rows"
	BUILD=$BUILD ./bench/services.sh --rounds 3 --poll on --secs 2 --scale 2 --rows "$tmp/svc.rows" \
		"${cases[@]}" >"$tmp/svc.out" 2>&1
	echo
	echo "  $title"
	echo "  $what"
	local skip
	skip=$(grep -m1 '^SKIP' "$tmp/svc.out")
	if [ -n "$skip" ]; then
		echo "  skipped: ${skip#SKIP }"
		return
	fi
	printf '  %-40s %10s %10s   %s\n' "" "Linux" "pegasus" "pegasus/Linux"
	for lc in "$@"; do
		awk -v label="${lc%%=*}" -v c="${lc#*=}" '
			function n(v) { return v == "-" ? "failed" : sprintf("%.0f", v) }
			$1 == c {
				r = ($2 != "-" && $3 != "-" && $2 > 0) ? sprintf("%.2fx", $3 / $2) : "-"
				printf "  %-40s %10s %10s   %s\n", label, n($2), n($3), r
				cl = cl == "" ? $5 : cl; cp = cp == "" ? $6 : cp
			}
			END { if (cl != "") printf "  %-40s %7s us %7s us\n", "CPU time per request, all processes", cl, cp }' "$tmp/svc.rows"
	done
	grep '^FAIL' "$tmp/svc.out" | head -2 | cut -c1-200 | sed 's/^/  /'
}

section_redis() {
	service "redis-server + redis-benchmark: two Linux processes, vs fused in one pegasus process" \
		"(redis-benchmark -c 50 -P 1 -n 50000, each test a fresh server; median of 3 rounds, alternating)" \
		"SET, requests per second=redis-set-c50-P1" \
		"GET, requests per second=redis-get-c50-P1"
	section_note
}

section_nginx() {
	service "nginx + wrk: two Linux processes, vs fused in one pegasus process" \
		"(nginx: 1 process, master_process off; wrk -t1 -c50 -d2s, a 6-byte response; median of 3)" \
		"requests per second=nginx-small-c50"
	section_note
}

# Said once, under the first service section shown.
section_note() {
	[ -n "${noted:-}" ] && return
	noted=1
	echo "  Command: pegasus run --exit=waitport -- SERVER ARGS ::: waitport PORT CLIENT ARGS"
	echo "  Fused, the client's TCP connections to the server are in-process channels"
	echo "  (no kernel call per request): a read, a write or an epoll_wait is served in"
	echo "  user space, and a wake-up is a switch between user-level threads. Linux:"
	echo "  loopback TCP through the kernel, and a kernel wake-up per message."
}

section_threads() {
	compare none threads condvar_pingpong futex_pingpong
	show "Two threads taking turns ($(nproc) CPUs)" \
		"condvar ping-pong, one round trip=condvar_pingpong" \
		"futex ping-pong, one round trip=futex_pingpong"
	local apart
	apart=$(sed -n 's/^# condvar_pingpong: the two threads on different CPUs in \([0-9]*%\).*/\1/p' "$tmp/linux.notes")
	echo "  Linux: every wait sleeps in the kernel and every wakeup goes through it"
	echo "  (an inter-processor interrupt when the threads are on different CPUs:"
	echo "  ${apart:-?} of the time here); pegasus: a switch between user-level threads."
}

section_syscalls() {
	compare cpu syscall_paths getpid_glibc getppid_raw clock_gettime_vdso
	show "One system call (pinned to one CPU)" \
		"getpid() through glibc=getpid_glibc" \
		"getppid() as a bare syscall instruction=getppid_raw" \
		"clock_gettime() via the vDSO (control)=clock_gettime_vdso"
	echo "  Linux: a trip into the kernel and back; pegasus: the call site was"
	echo "  rewritten to jump into the runtime, which serves the (virtual) pid in"
	echo "  user space. The vDSO call makes no system call: equal on both sides."
}

# Three unmodified programs fused into one process, each with its own pid,
# fds and working directory. (The speed-up of fused programs talking over
# local sockets comes with in-process sockets; here: what fusion is.)
section_fusion() {
	echo
	echo "  Three programs fused into one process (pegasus run --prefix -- A ::: B ::: C):"
	local out
	out=$("$PEGASUS" run --prefix --exit=all -- \
		sh -c 'echo "pid $$"; cd /tmp; echo "cwd $PWD"' ::: \
		sh -c 'echo "pid $$"; echo "cwd $PWD"' ::: \
		/usr/bin/perl -e 'print "pid $$, a different program\n"' 2>&1) ||
		die "the fused run failed: $out"
	echo "$out" | sed 's/^/    /'
	echo "  Same host process for all three; each sees its own pid and keeps its own"
	echo "  working directory (the first moved to /tmp, the second did not)."
}

echo
echo "Pegasus demo: the same unmodified binaries run by Linux as ordinary"
echo "processes, then by 'pegasus run', which fuses them into one process, serves"
echo "their system calls and runs their threads in user space. First real servers"
echo "with their load clients (throughput: higher is better), then single operations"
echo "(time per operation, median of short runs: lower is better)."
for s in "${SECTIONS[@]}"; do
	"section_$s"
done
echo
echo "More: make bench (full tables), docs/BENCHMARKS.md."
exit 0
