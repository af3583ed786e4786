#!/bin/bash
# run.sh - benchmarks natively and under pegasus in one run, as tables.
#
#   bench/run.sh                 (or `make bench`, which builds first)
#
# Each benchmark program (built by meson into $BUILD/bench/) runs natively,
# then once as `pegasus run OPTIONS -- PROG` per pegasus configuration of
# that program. The programs print "<case> <ns/op>" lines (protocol in
# bench/bench.h); this script joins them into one Markdown table a program:
#   operation | Linux ns | pegasus ns | pegasus/Linux | Linux/pegasus
# with the last three columns repeated for each further configuration,
# headed by its options ("pegasus --poll 0 ns"). Linux/pegasus is filled
# only where pegasus is faster by more than 5% (below that it is noise: see
# the vDSO control row). The tables are ready for docs/BENCHMARKS.md and
# are saved with the raw outputs in $BUILD/bench/results/<timestamp>/.
#
# What each program gets, the table below (PROGRAMS):
#   name | pinning | pegasus configurations, separated by ';'
# pinning is "cpu" (every run, native and pegasus, under taskset -c
# $BENCH_CPU, so pegasus defaults to one vCPU) or "none" (free to use every
# CPU of the affinity mask; pegasus defaults to one vCPU per CPU). A
# configuration is a list of `pegasus run` options; empty means defaults.
# Leading NAME=VALUE words of a configuration are pegasus's environment:
# PEGASUS_FSGSBASE=0 measures the %fs path of hosts without FSGSBASE.
#
# Benchmarks report; they never fail on a figure. The exit status is
# non-zero only when a program could not be run (its stderr is shown).
#
# Environment:
#   BUILD=build          meson build directory
#   BENCHES="..."        programs to run (default: all in PROGRAMS)
#   BENCH_ARGS="..."     passed to each program, e.g. "-t 0.05 -r 3" (quick)
#   BENCH_CPU=0          CPU the "cpu" programs are pinned to
#   NOPIN=1              pin nothing
#   PEGASUS_ARGS="..."   options added to every pegasus configuration
#   PEGASUS_CONFIGS="a;b" replaces every program's configurations
#   SERVICES_ARGS="..."  options of bench/services.sh (e.g. --quick); BENCHES
#                        without "services" skips it
set -u
cd "$(dirname "$0")/.." || exit 1

PROGRAMS=(
	# name          pinning  pegasus configurations
	"syscall_paths | cpu  | --rewrite=pattern ; --rewrite=zpoline ; --rewrite=off ; PEGASUS_FSGSBASE=0"
	"threads       | none | --poll 50 ; --poll 0 ; PEGASUS_FSGSBASE=0 --poll 50"
	"timers        | cpu  | ; PEGASUS_FSGSBASE=0"
	"epoll         | cpu  | "
	"sockets       | none | ; --cpus 1"
	"procs         | cpu  | ; PEGASUS_FSGSBASE=0"
)

BUILD=${BUILD:-build}
PEGASUS=${PEGASUS:-$BUILD/pegasus}
BENCH_ARGS=${BENCH_ARGS:-}
BENCH_CPU=${BENCH_CPU:-0}
PEGASUS_ARGS=${PEGASUS_ARGS:-}

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# Field F (1: name, 2: pinning, 3: configurations) of program NAME's entry.
prog_field() {
	local e
	for e in "${PROGRAMS[@]}"; do
		IFS='|' read -r n p c <<<"$e"
		[ "$(trim "$n")" = "$1" ] || continue
		case $2 in 2) trim "$p" ;; 3) trim "$c" ;; esac
		return 0
	done
	return 1
}

if [ -z "${BENCHES:-}" ]; then
	BENCHES=""
	for e in "${PROGRAMS[@]}"; do
		BENCHES+=" $(trim "${e%%|*}")"
	done
	BENCHES+=" services"
fi
# "services" is not a program of build/bench/ but bench/services.sh (real
# servers and clients, Linux processes vs fused; about 4 minutes, each run
# bounded by a timeout), run after the programs with $SERVICES_ARGS.
run_services=""
case " $BENCHES " in *" services "*) run_services=1 ;; esac
BENCHES=$(printf '%s\n' $BENCHES | grep -vx services | tr '\n' ' ')

if [ ! -x "$PEGASUS" ]; then
	echo "run.sh: $PEGASUS not built (run make)" >&2
	exit 1
fi

can_pin=""
if command -v taskset >/dev/null && taskset -c "$BENCH_CPU" true 2>/dev/null; then
	can_pin=1
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
	echo "pegasus: $("$PEGASUS" --version 2>/dev/null | head -1), source tree at git $rev${PEGASUS_ARGS:+, added to every run: $PEGASUS_ARGS}"
	echo "program options: ${BENCH_ARGS:-defaults (7 x 0.3 s per case, median)}"
} >"$resdir/table.md"

# failed STATUS SIDE PROG ERRFILE COMMAND: report a run that did not exit 0
# on stderr, and as a note under the tables.
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
	pinning=$(prog_field "$b" 2) || pinning=cpu   # not in PROGRAMS: pinned, defaults
	configs=$(prog_field "$b" 3) || configs=""
	[ -n "${PEGASUS_CONFIGS+set}" ] && configs=$PEGASUS_CONFIGS

	PIN=()
	if [ -n "${NOPIN:-}" ]; then
		pin_note="not pinned (NOPIN set), $(nproc) CPUs"
	elif [ "$pinning" = none ]; then
		pin_note="not pinned: $(nproc) CPUs, threads free to run on any (pegasus: --cpus defaults to $(nproc) vCPUs)"
	elif [ -n "$can_pin" ]; then
		PIN=(taskset -c "$BENCH_CPU")
		pin_note="native and pegasus runs pinned to CPU $BENCH_CPU (taskset -c $BENCH_CPU; pegasus: 1 vCPU)"
	else
		pin_note="not pinned (taskset unavailable or refused)"
	fi

	# The configurations, trimmed; an empty list is one default run.
	cfgs=()
	IFS=';' read -r -a parts <<<"$configs"
	for c in "${parts[@]}"; do
		cfgs+=("$(trim "$c")")
	done
	[ ${#cfgs[@]} -eq 0 ] && cfgs=("")

	# shellcheck disable=SC2086 # BENCH_ARGS and PEGASUS_ARGS are word lists
	"${PIN[@]}" "$prog" $BENCH_ARGS >"$resdir/$b.linux" 2>"$resdir/$b.linux.err"
	failed "$?" native "$b" "$resdir/$b.linux.err" "${PIN[*]} $prog $BENCH_ARGS"
	files=("$resdir/$b.linux")
	heads=()
	cfg_notes=()
	for i in "${!cfgs[@]}"; do
		opts="$PEGASUS_ARGS${PEGASUS_ARGS:+ }${cfgs[$i]}"
		out=$resdir/$b.pegasus
		[ ${#cfgs[@]} -gt 1 ] && out=$resdir/$b.pegasus.$((i + 1))
		envs=()
		ropts=()
		for w in $opts; do
			if [ ${#ropts[@]} -eq 0 ] && [[ $w == [A-Z_]*=* ]]; then envs+=("$w"); else ropts+=("$w"); fi
		done
		# shellcheck disable=SC2086
		"${PIN[@]}" env "${envs[@]}" "$PEGASUS" run "${ropts[@]}" -- "$prog" $BENCH_ARGS >"$out" 2>"$out.err"
		failed "$?" "pegasus${opts:+ $opts}" "$b" "$out.err" \
			"${PIN[*]} ${envs[*]} $PEGASUS run ${ropts[*]} -- $prog $BENCH_ARGS"
		files+=("$out")
		heads+=("pegasus${cfgs[$i]:+ ${cfgs[$i]}} ns")
		cfg_notes+=("${opts:-defaults}")
	done

	{
		echo
		joined=${cfg_notes[0]}
		for c in "${cfg_notes[@]:1}"; do joined+=", then $c"; done
		echo "$b: $pin_note; pegasus run options: $joined"
		echo
		printf '| operation | Linux ns |'
		for h in "${heads[@]}"; do printf ' %s | pegasus/Linux | Linux/pegasus |' "$h"; done
		printf '\n|---|---:|'
		for h in "${heads[@]}"; do printf -- '---:|---:|---:|'; done
		printf '\n'
		# Rows in the order cases first appear; a case missing on one side shows "-".
		awk '
			/^#/ || NF < 2 { next }
			FILENAME != cur { cur = FILENAME; for (f = 1; ARGV[f] != cur; f++); }
			{ if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } v[f, $1] = $2 }
			END {
				for (i = 0; i < n; i++) {
					k = order[i]
					l = ((1, k) in v) ? v[1, k] : "-"
					line = sprintf("| %s | %s |", k, l)
					for (j = 2; j <= ARGC - 1; j++) {
						p = ((j, k) in v) ? v[j, k] : "-"
						r = "-"; s = ""
						if (l != "-" && p != "-" && l + 0 > 0 && p + 0 > 0) {
							r = sprintf("%.2fx", p / l)
							if (p + 0 < 0.95 * l) s = sprintf("%.2fx", l / p)
						}
						line = line sprintf(" %s | %s | %s |", p, r, s)
					}
					print line
				}
			}' "${files[@]}"
	} >>"$resdir/table.md"
done

if [ -n "$run_services" ]; then
	echo >>"$resdir/table.md"
	echo "run.sh: bench/services.sh ${SERVICES_ARGS:-}(about 4 minutes; --quick: 1)..." >&2
	# shellcheck disable=SC2086 # SERVICES_ARGS is a word list
	BUILD=$BUILD PEGASUS=$PEGASUS ./bench/services.sh ${SERVICES_ARGS:-} >"$resdir/services.out" 2>"$resdir/services.err"
	st=$?
	cat "$resdir/services.out" >>"$resdir/table.md"
	if [ $st -ne 0 ]; then
		rc=1
		notes+=("bench/services.sh: some runs failed (exit $st): see the FAIL lines above")
	fi
fi

if [ ${#notes[@]} -gt 0 ]; then
	echo >>"$resdir/table.md"
	printf -- '- %s\n' "${notes[@]}" >>"$resdir/table.md"
fi

cat "$resdir/table.md"
echo
echo "(raw outputs and these tables: $resdir/)"
exit $rc
