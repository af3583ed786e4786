#!/bin/bash
# redis.sh - redis-server natively and under pegasus, driven by redis-benchmark.
#
#   bench/redis.sh              # 3 rounds, about 1 minute
#   ROUNDS=5 REQUESTS=500000 bench/redis.sh
#   PEGASUS_ARGS="--rewrite=off" bench/redis.sh
#
# The server is pinned to CPU $SERVER_CPU (pegasus: 1 vCPU), redis-benchmark
# (50 clients, SET and GET) to CPU $CLIENT_CPU, over loopback TCP (kernel
# sockets on both sides: pegasus runs the server only). Native and pegasus
# runs alternate, ROUNDS times each; the table gives medians of requests
# per second and of the server's CPU time per request (user + system, from
# /proc/PID/stat), which shows the runtime's cost even when the client is
# the bottleneck. Reports; never fails on a figure. Skips (exit 0, a line
# saying why) if redis-server or redis-benchmark is missing.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
PEGASUS=${PEGASUS:-$BUILD/pegasus}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PEGASUS_ARGS=${PEGASUS_ARGS:-}

for t in redis-server redis-benchmark redis-cli; do
	if ! command -v $t >/dev/null; then
		echo "redis.sh: skipped: $t not installed (apt-get install redis-server redis-tools)"
		exit 0
	fi
done
[ -x "$PEGASUS" ] || { echo "redis.sh: $PEGASUS not built (run make)" >&2; exit 1; }

tick=$(getconf CLK_TCK)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# one MODE ROUND: start the server, benchmark it, record req/s and CPU.
one() {
	local mode=$1 round=$2 port=$((20000 + RANDOM % 20000)) pid
	local srv=(redis-server --port "$port" --save '' --appendonly no --daemonize no)
	if [ "$mode" = linux ]; then
		taskset -c "$SERVER_CPU" "${srv[@]}" >/dev/null 2>&1 &
	else
		# shellcheck disable=SC2086
		taskset -c "$SERVER_CPU" "$PEGASUS" run $PEGASUS_ARGS -- "$(command -v redis-server)" \
			"${srv[@]:1}" >/dev/null 2>"$out/$mode.$round.err" &
	fi
	pid=$!
	for _ in $(seq 100); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && break
		sleep 0.05
	done
	local cpu0 cpu1
	read -r -a st </proc/$pid/stat
	cpu0=$((st[13] + st[14]))
	taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 50 -n "$REQUESTS" -t set,get -q 2>/dev/null |
		tr '\r' '\n' | awk '/requests per second/ { sub(":", "", $1); print $1, $2 }' >"$out/$mode.$round"
	read -r -a st </proc/$pid/stat
	cpu1=$((st[13] + st[14]))
	kill "$pid"
	wait "$pid" 2>/dev/null
	# CPU per request over both tests, in microseconds.
	echo "CPU $(awk -v t=$((cpu1 - cpu0)) -v hz="$tick" -v n=$((2 * REQUESTS)) \
		'BEGIN { printf "%.2f", t / hz * 1e6 / n }')" >>"$out/$mode.$round"
}

for r in $(seq "$ROUNDS"); do
	one linux "$r"
	one pegasus "$r"
done

median() { sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
col() { cat "$out/$1".[0-9]* 2>/dev/null | awk -v k="$2" '$1 == k { print $2 }' | median; }

echo "redis-server, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs," \
	"$(redis-server --version | awk '{ print $3 }'); server on CPU $SERVER_CPU, redis-benchmark" \
	"-c 50 -n $REQUESTS on CPU $CLIENT_CPU; median of $ROUNDS${PEGASUS_ARGS:+; pegasus $PEGASUS_ARGS}"
echo
echo "| | Linux | pegasus | pegasus/Linux |"
echo "|---|---:|---:|---:|"
for k in SET GET CPU; do
	l=$(col linux $k) p=$(col pegasus $k)
	name="$k req/s"
	[ $k = CPU ] && name="server CPU µs/request"
	echo "| $name | $l | $p | $(awk -v l="$l" -v p="$p" 'BEGIN { if (l > 0 && p > 0) printf "%.2fx", p / l; else print "-" }') |"
done
if ls "$out"/pegasus.*.err >/dev/null 2>&1 && [ -s "$(ls "$out"/pegasus.*.err | head -1)" ]; then
	echo
	echo "pegasus stderr (first run):"
	head -5 "$(ls "$out"/pegasus.*.err | head -1)"
fi
