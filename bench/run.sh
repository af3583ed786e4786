#!/bin/bash
# run.sh - benchmarks natively and under pegasus in one run, as one table.
#
#   bench/run.sh                 (or `make bench`, which builds first)
#
# Each benchmark program in BENCHES (built by meson into $BUILD/bench/) runs
# twice: natively, then as `pegasus run -- PROG`, both pinned to one CPU with
# `taskset -c $BENCH_CPU` when taskset works (the header says whether). The
# programs print "<case> <ns/op>" lines (protocol in bench/bench.h); this
# script joins them into
#   operation | Linux ns | pegasus ns | pegasus/Linux | Linux/pegasus
# where the last column is filled only where pegasus is faster by more than
# 5% (below that it is noise: see the vDSO control row). The table is
# Markdown, ready for docs/BENCHMARKS.md, and is also saved with the raw
# outputs in $BUILD/bench/results/.
#
# Benchmarks report; they never fail on a figure. The exit status is
# non-zero only when a program could not be run (its stderr is shown).
#
# Environment:
#   BUILD=build          meson build directory
#   BENCHES="..."        programs to run (default: all listed below)
#   BENCH_ARGS="..."     passed to each program, e.g. "-t 0.05 -r 3" (quick)
#   BENCH_CPU=0          CPU to pin to; NOPIN=1 to not pin
#   PEGASUS_ARGS="..."   options for `pegasus run` (e.g. --cpus, --poll later)
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
PEGASUS=${PEGASUS:-$BUILD/pegasus}
BENCHES=${BENCHES:-syscall_paths}
BENCH_ARGS=${BENCH_ARGS:-}
BENCH_CPU=${BENCH_CPU:-0}
PEGASUS_ARGS=${PEGASUS_ARGS:-}

if [ ! -x "$PEGASUS" ]; then
	echo "run.sh: $PEGASUS not built (run make)" >&2
	exit 1
fi

PIN=()
if [ -z "${NOPIN:-}" ] && command -v taskset >/dev/null && taskset -c "$BENCH_CPU" true 2>/dev/null; then
	PIN=(taskset -c "$BENCH_CPU")
	pin_note="both runs pinned to CPU $BENCH_CPU (taskset -c $BENCH_CPU)"
elif [ -n "${NOPIN:-}" ]; then
	pin_note="not pinned (NOPIN set)"
else
	pin_note="not pinned (taskset unavailable or refused)"
fi

stamp=$(date -u +%Y%m%d-%H%M%S)
resdir=$BUILD/bench/results/$stamp
mkdir -p "$resdir"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null || echo "glibc ?")
rev=$(git describe --always --dirty 2>/dev/null || echo "?")

{
	echo "pegasus benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(uname -n), kernel $(uname -r), CPU ${cpu:-?}, nproc $(nproc), $glibc"
	echo "pegasus: $("$PEGASUS" --version 2>/dev/null | head -1), source tree at git $rev${PEGASUS_ARGS:+, run options: $PEGASUS_ARGS}"
	echo "pinning: $pin_note; program options: ${BENCH_ARGS:-defaults (7 x 0.3 s per case, median)}"
	echo
	echo "| operation | Linux ns | pegasus ns | pegasus/Linux | Linux/pegasus |"
	echo "|---|---:|---:|---:|---:|"
} >"$resdir/table.md"

# failed STATUS SIDE PROG ERRFILE COMMAND: report a run that did not exit 0
# on stderr, and as a note under the table.
rc=0
notes=()
failed() {
	[ "$1" -eq 0 ] && return
	rc=1
	echo "run.sh: $2 run of $3 failed (exit $1)" >&2
	echo "  command: $5" >&2
	sed 's/^/  /' "$4" >&2
	notes+=("$2 run of $3 failed (exit $1): $(head -c 300 "$4" | head -3 | tr '\n' ' ')")
}

for b in $BENCHES; do
	prog=$BUILD/bench/$b
	if [ ! -x "$prog" ]; then
		echo "run.sh: $prog not built" >&2
		rc=1
		continue
	fi
	# shellcheck disable=SC2086 # BENCH_ARGS and PEGASUS_ARGS are word lists
	"${PIN[@]}" "$prog" $BENCH_ARGS >"$resdir/$b.linux" 2>"$resdir/$b.linux.err"
	failed "$?" native "$b" "$resdir/$b.linux.err" "${PIN[*]} $prog $BENCH_ARGS"
	# shellcheck disable=SC2086
	"${PIN[@]}" "$PEGASUS" run $PEGASUS_ARGS -- "$prog" $BENCH_ARGS \
		>"$resdir/$b.pegasus" 2>"$resdir/$b.pegasus.err"
	failed "$?" pegasus "$b" "$resdir/$b.pegasus.err" \
		"${PIN[*]} $PEGASUS run $PEGASUS_ARGS -- $prog $BENCH_ARGS"
	# Rows in the native order; a case missing on one side shows "-".
	awk '
		/^#/ || NF < 2 { next }
		FILENAME == ARGV[1] { if (!($1 in lx)) order[n++] = $1; lx[$1] = $2; next }
		{ if (!($1 in lx) && !($1 in pg)) order[n++] = $1; pg[$1] = $2 }
		END {
			for (i = 0; i < n; i++) {
				k = order[i]
				l = (k in lx) ? lx[k] : "-"; p = (k in pg) ? pg[k] : "-"
				r = "-"; s = ""
				if (l != "-" && p != "-" && l + 0 > 0 && p + 0 > 0) {
					r = sprintf("%.2fx", p / l)
					if (p + 0 < 0.95 * l) s = sprintf("%.2fx", l / p)
				}
				printf "| %s | %s | %s | %s | %s |\n", k, l, p, r, s
			}
		}' "$resdir/$b.linux" "$resdir/$b.pegasus" >>"$resdir/table.md"
done

if [ ${#notes[@]} -gt 0 ]; then
	echo >>"$resdir/table.md"
	printf -- '- %s\n' "${notes[@]}" >>"$resdir/table.md"
fi

cat "$resdir/table.md"
echo
echo "(raw outputs and this table: $resdir/)"
exit $rc
