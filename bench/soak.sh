#!/bin/bash
# soak.sh - long runs of fused services: do fds, memory or errors grow?
#
#   bench/soak.sh                      # redis, then nginx, 10 minutes each
#   bench/soak.sh --minutes 1 nginx    # one of them, 1 minute
#
# Options: --minutes N (default 10, each service), --interval S (default
# 10), then redis and/or nginx (default both, one after the other).
#
#   redis: pegasus run --stats -- redis-server ::: waitport PORT
#          redis-benchmark -c 50 -l -t set,get   (loops until stopped)
#   nginx: pegasus run --stats -- nginx (1 process) ::: waitport PORT
#          wrk -t1 -c50 -d MINUTES+3s           (a 6-byte response)
#
# Every interval, one line: elapsed seconds; the requests per second the
# server counted over the interval (redis INFO total_commands_processed,
# nginx stub_status; both asked from outside the instance over loopback);
# the instance's host fds (/proc/PID/fd), RSS and host threads, and how many
# of those threads were running (R) at that instant; the syscalls per
# second all programs made (from `pegasus stats PID`, which makes a
# `--stats` instance print its counts) and the calls pegasus refused so
# far; and errors so far (client error lines, pegasus messages other than
# the stats, server error lines). Pegasus does not expose the length of
# its run queues (an internal of src/sched), so the R column is the closest
# outside view. A summary after each service gives first/last/max of fds
# and RSS.
#
# Servers listen on 127.0.0.1 only, on ports chosen in 21000-29999, and
# are stopped by pid. Exit status 1 if an instance died before its time.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
PEGASUS=${PEGASUS:-$BUILD/pegasus}
WAITPORT=$BUILD/bench/waitport
MINUTES=10
INTERVAL=10
WHICH=()
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) MINUTES=$2; shift ;;
	--minutes=*) MINUTES=${1#*=} ;;
	--interval) INTERVAL=$2; shift ;;
	--interval=*) INTERVAL=${1#*=} ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	redis | nginx) WHICH+=("$1") ;;
	*) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ ${#WHICH[@]} -eq 0 ] && WHICH=(redis nginx)
[ -x "$PEGASUS" ] && [ -x "$WAITPORT" ] || { echo "soak.sh: $PEGASUS or $WAITPORT not built (run make)" >&2; exit 1; }

tmp=$(mktemp -d) || exit 1
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local p
	for _ in $(seq 50); do
		p=$((21000 + RANDOM % 9000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	echo 29999
}

# served PORT: the server's count of requests so far.
served_redis() {
	timeout 3 redis-cli -p "$1" info stats 2>/dev/null | tr -d '\r' |
		awk -F: '$1 == "total_commands_processed" { print $2 }'
}
served_nginx() {
	timeout 3 curl -s "http://127.0.0.1:$1/status" 2>/dev/null | awk 'NR == 3 { print $3 }'
}

# The last `pegasus stats` dump in FILE: "SYSCALLS REFUSED" over all programs.
stats_sum() {
	awk '/^pegasus: \[.*\] system calls$/ { name = $2 }
	     name != "" && $1 == "all" { all[name] = $2 }
	     name != "" && $1 == "refused" && NF == 4 { ref[name] = $2 }
	     END { for (n in all) { a += all[n]; r += ref[n] } print a + 0, r + 0 }' "$1"
}

errors_so_far() { # CLIENT-OUT PEGASUS-ERR
	local c p
	c=$(tr '\r' '\n' <"$1" | grep -ci -e 'error' -e 'reset' -e 'refused' -e 'timeout')
	p=$(grep -v -e '^pegasus: \[.*\] system calls$' -e '^  ' -e '^[0-9]*:[CM] .*[*#] ' \
		-e 'killed by SIGTERM' -e ':signal-handler (' "$2" | grep -c .)
	echo $((c + p))
}

RC=0
soak() {
	local kind=$1 port out err secs=$((MINUTES * 60)) args=()
	port=$(free_port)
	out=$tmp/$kind.out err=$tmp/$kind.err
	case $kind in
	redis)
		for t in redis-server redis-benchmark redis-cli; do
			command -v $t >/dev/null || { echo "SKIP redis soak: $t not installed (./scripts/install-deps.sh --services)"; return; }
		done
		# shellcheck disable=SC2054 # no commas here
		args=("$(command -v redis-server)" --port "$port" --bind 127.0.0.1 --save "" --appendonly no :::
			"$WAITPORT" -t 20 "$port" "$(command -v redis-benchmark)" -p "$port" -c 50 -l -q -t set,get)
		;;
	nginx)
		for t in nginx wrk curl; do
			command -v $t >/dev/null || { echo "SKIP nginx soak: $t not installed (./scripts/install-deps.sh --services)"; return; }
		done
		mkdir -p "$tmp/nginx"
		cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log stderr error;
pid $tmp/nginx/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	keepalive_requests 100000000;
	server {
		listen 127.0.0.1:$port;
		location = / { return 200 "hello\n"; }
		location = /status { stub_status; }
	}
}
EOF
		args=("$(command -v nginx)" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" :::
			"$WAITPORT" -t 20 "$port" "$(command -v wrk)" -t1 -c50 -d"$((secs + 3))s" "http://127.0.0.1:$port/")
		;;
	esac
	echo
	echo "$kind soak, $MINUTES min, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load $(cut -d' ' -f1-3 /proc/loadavg):"
	echo "  $PEGASUS run --stats --exit=waitport --$(printf ' %q' "${args[@]}")"
	"$PEGASUS" run --stats --exit=waitport -- "${args[@]}" >"$out" 2>"$err" &
	PID=$!
	"$WAITPORT" -t 20 "$port" true 2>/dev/null || true
	printf '  %6s %9s %5s %8s %7s %3s %11s %7s %6s\n' "time" "req/s" "fds" "RSS MB" "threads" "R" "syscalls/s" "refused" "errors"
	local start now t=0 prev_req prev_sc req sc ref fds rss thr run f1="" fl fmax=0 r1="" rl rmax=0 died=""
	start=$(date +%s)
	prev_req=$("served_$kind" "$port")
	prev_sc=0
	while :; do
		sleep $((INTERVAL - $(($(date +%s) - start)) % INTERVAL))
		now=$(($(date +%s) - start))
		kill -0 "$PID" 2>/dev/null || { [ "$now" -lt "$secs" ] && died=1; break; }
		"$PEGASUS" stats "$PID" 2>/dev/null
		req=$("served_$kind" "$port")
		fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status" 2>/dev/null)
		thr=$(awk '/^Threads:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)
		run=$(cat /proc/"$PID"/task/*/stat 2>/dev/null | awk '{ sub(/.*\) /, ""); if ($1 == "R") n++ } END { print n + 0 }')
		sleep 0.3 # the stats dump is printed by a vCPU, in its own time
		[ -z "$rss" ] && { [ "$now" -lt "$secs" ] && died=1; break; } # ended while sampled
		read -r sc ref <<<"$(stats_sum "$err")"
		printf '  %5ss %9s %5s %8s %7s %3s %11s %7s %6s\n' "$now" \
			"$(awk -v a="${prev_req:-0}" -v b="${req:-0}" -v s="$INTERVAL" 'BEGIN { printf "%.0f", (b - a) / s }')" \
			"$fds" "$rss" "$thr" "$run" \
			"$(awk -v a="$prev_sc" -v b="$sc" -v s="$INTERVAL" 'BEGIN { printf "%.0f", (b - a) / s }')" \
			"$ref" "$(errors_so_far "$out" "$err")"
		prev_req=$req prev_sc=$sc
		[ -z "$f1" ] && f1=$fds r1=$rss
		fl=$fds rl=$rss
		[ "$fds" -gt "$fmax" ] && fmax=$fds
		rmax=$(awk -v a="$rmax" -v b="$rss" 'BEGIN { print (b > a ? b : a) }')
		[ "$now" -ge "$secs" ] && break
	done
	# wrk ends by itself 3 s after the last sample (and prints its summary);
	# redis-benchmark -l is stopped: the SIGTERM goes to the first program,
	# redis-server, whose shutdown resets the client's connections (counted
	# apart from the run's errors).
	local run_errors
	run_errors=$(errors_so_far "$out" "$err")
	if [ "$kind" = redis ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID"
	fi
	wait "$PID"
	local st=$?
	[ -z "$died" ] && [ $st -eq 143 ] && st="143 (our SIGTERM at the end)"
	[ -z "$died" ] && [ "$kind" = redis ] && [ "$st" = 1 ] &&
		st="1 (redis-benchmark's, its connections reset by redis-server's shutdown at our SIGTERM)"
	PID=""
	echo "  summary: fds first $f1, last $fl, max $fmax; RSS MB first $r1, last $rl, max $rmax; errors during the run $run_errors, at the stop $(($(errors_so_far "$out" "$err") - run_errors)); instance exit status $st"
	if [ "$kind" = nginx ]; then
		grep -E 'requests in|Requests/sec|Socket errors|Non-2xx' "$out" | sed 's/^ */  wrk: /'
	fi
	if [ -n "$died" ]; then
		RC=1
		echo "  the instance ended early, after ${now}s; its last messages:"
		grep -v -e '^  ' -e 'system calls$' "$err" | tail -5 | sed 's/^/    /'
	fi
	# Messages that count as errors, for a look.
	grep -v -e '^pegasus: \[.*\] system calls$' -e '^  ' -e '^[0-9]*:[CM] .*[*#] ' \
		-e 'killed by SIGTERM' -e ':signal-handler (' "$err" | head -3 | sed 's/^/  message: /'
}

echo "soak: $(uname -r), CPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), nproc $(nproc); pegasus git $(git describe --always --dirty 2>/dev/null || echo ?), default options (--poll 50)"
for k in "${WHICH[@]}"; do
	soak "$k"
done
exit $RC
