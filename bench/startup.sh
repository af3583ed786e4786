#!/bin/bash
# startup.sh - fused instances: start-up time and memory, against the same
# programs run as separate Linux processes. Standalone (not part of
# bench/run.sh):
#
#   bench/startup.sh             (after make)
#
# Start-up: wall time of the whole run, median of RUNS (20) runs:
#   1 program:   /bin/true natively  vs  pegasus run -- /bin/true
#   10 programs: 10x /bin/true from one `sh -c`, one after another and all at
#                once (& ... wait)  vs  pegasus run --exit=all -- /bin/true
#                ::: /bin/true ::: ... (10 fused). The sh rows include the
#                start of sh itself (shown alone as a row).
# With hyperfine (apt-get install hyperfine) the runs are timed by it (-N,
# no intermediate shell, 3 warm-ups); else by a bash loop with date +%s%N.
#
# Memory: N copies of `sleep SECS` (N = 1 and 10) as N separate processes
# vs fused into one pegasus process (--exit=all), sampled once they all run:
# the sum of VmRSS (/proc/PID/status) over the separate processes vs the one
# pegasus process, and the same with Pss (/proc/PID/smaps_rollup), which
# shares pages between processes fairly: RSS counts libc once per process.
#
# Environment: BUILD=build, PEGASUS=$BUILD/pegasus, RUNS=20, PEGASUS_ARGS="".
# Benchmarks report; they never fail on a figure.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
PEGASUS=${PEGASUS:-$BUILD/pegasus}
RUNS=${RUNS:-20}
read -r -a PARGS <<<"${PEGASUS_ARGS:-}"
TRUE=/bin/true
SLEEP=/bin/sleep
[ -x "$PEGASUS" ] || { echo "startup.sh: $PEGASUS not built (run make)" >&2; exit 1; }
"$PEGASUS" run "${PARGS[@]}" -- "$TRUE" || { echo "startup.sh: pegasus cannot run $TRUE" >&2; exit 1; }

TMP=$(mktemp -d /tmp/pegasus-startup.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

fused() { # N PROGRAM ARGS -> words of "PROGRAM ARGS ::: PROGRAM ARGS ..."
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		[ "$i" = 0 ] || printf ' ::: '
		printf '%s ' "$@"
	done
}
seq_sh() { local i s=""; for ((i = 0; i < $1; i++)); do s+="$TRUE; "; done; printf '%s' "$s"; }
par_sh() { local i s=""; for ((i = 0; i < $1; i++)); do s+="$TRUE & "; done; printf '%swait' "$s"; }

# Each row: label | command (run without a shell: words split on blanks,
# except that the sh rows pass their script as one argument).
LABELS=() CMDS=()
row() { LABELS+=("$1"); CMDS+=("$2"); }
row "native: /bin/true" "$TRUE"
row "pegasus: /bin/true" "$PEGASUS run ${PARGS[*]} -- $TRUE"
row "native: sh -c : (the shell alone)" "sh -c :"
row "native: 10x /bin/true, sequential (sh)" "sh -c '$(seq_sh 10)'"
row "native: 10x /bin/true, parallel (sh)" "sh -c '$(par_sh 10)'"
row "pegasus: 10x /bin/true fused, --exit=all" "$PEGASUS run ${PARGS[*]} --exit=all -- $(fused 10 "$TRUE")"

median_loop() { # COMMAND-STRING -> median ms over RUNS runs (bash loop)
	local c=$1 i t0 t1 ts=()
	for ((i = 0; i < 3; i++)); do eval "$c" >/dev/null 2>&1; done
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		eval "$c" >/dev/null 2>&1
		t1=$(date +%s%N)
		ts+=($((t1 - t0)))
	done
	printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1e6 }'
}
median_hf() { # COMMAND-STRING -> median ms (hyperfine)
	hyperfine -N -w 3 -r "$RUNS" --export-json "$TMP/hf.json" "$1" >/dev/null 2>&1 || { echo "?"; return; }
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$TMP/hf.json"
}
if command -v hyperfine >/dev/null && command -v python3 >/dev/null; then
	TIMER="hyperfine $(hyperfine --version | awk '{ print $2 }')"
	median() { median_hf "$1"; }
else
	TIMER="bash loop (date +%s%N)"
	median() { median_loop "$1"; }
fi

echo "# Fusion: start-up and memory"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), git $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), Linux $(uname -r)"
echo
echo "Start-up: median of $RUNS runs, $TIMER"
echo
echo "| run | median ms |"
echo "|---|---|"
for i in "${!LABELS[@]}"; do
	echo "| ${LABELS[$i]} | $(median "${CMDS[$i]}") |"
done

# ---------------------------------------------------------------------------
# Memory.
SECS=3
kb_of() { # PID FIELD(VmRSS|Pss) -> kB
	case $2 in
	VmRSS) awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null ;;
	Pss) awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null ;;
	esac
}
settle() { # PIDS: wait until the summed RSS stops changing (at most 2 s)
	local last=-1 now p n
	for ((n = 0; n < 40; n++)); do
		sleep 0.05
		now=0
		for p in "$@"; do now=$((now + $(kb_of "$p" VmRSS || echo 0))); done
		[ "$now" = "$last" ] && [ "$now" -gt 0 ] && break
		last=$now
	done
}
sum_kb() { # FIELD PIDS
	local f=$1 s=0 p v
	shift
	for p in "$@"; do v=$(kb_of "$p" "$f"); s=$((s + ${v:-0})); done
	echo "$s"
}
mem_separate() { # N -> "rss pss"
	local pids=() i
	for ((i = 0; i < $1; i++)); do "$SLEEP" "$SECS" & pids+=($!); done
	settle "${pids[@]}"
	echo "$(sum_kb VmRSS "${pids[@]}") $(sum_kb Pss "${pids[@]}")"
	wait "${pids[@]}"
}
mem_fused() { # N -> "rss pss"
	local pid
	# shellcheck disable=SC2046  # the ::: words
	"$PEGASUS" run "${PARGS[@]}" --exit=all -- $(fused "$1" "$SLEEP" "$SECS") &
	pid=$!
	sleep 0.3 # all programs are loaded before any runs; let them start
	settle "$pid"
	echo "$(sum_kb VmRSS "$pid") $(sum_kb Pss "$pid")"
	wait "$pid"
}
echo
echo "Memory: N x \`sleep $SECS\`, sampled while all run (kB)"
echo
echo "| N | separate: sum VmRSS | fused: pegasus VmRSS | separate: sum Pss | fused: Pss | fused/separate (RSS) |"
echo "|---|---|---|---|---|---|"
declare -A FR FP SR SP
for n in 1 10; do
	read -r SR[$n] SP[$n] <<<"$(mem_separate "$n")"
	read -r FR[$n] FP[$n] <<<"$(mem_fused "$n")"
	echo "| $n | ${SR[$n]} | ${FR[$n]} | ${SP[$n]} | ${FP[$n]} | $(awk -v a="${FR[$n]}" -v b="${SR[$n]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }') |"
done
echo
echo "Each program beyond the first (from N=1 to N=10, per program): separate +$(((SR[10] - SR[1]) / 9)) kB RSS" \
	"(+$(((SP[10] - SP[1]) / 9)) kB Pss), fused +$(((FR[10] - FR[1]) / 9)) kB RSS (+$(((FP[10] - FP[1]) / 9)) kB Pss)."
