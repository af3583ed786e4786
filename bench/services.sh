#!/bin/bash
# services.sh - real servers and their load clients: Linux processes vs fused.
#
#   bench/services.sh                  # every case, 3 rounds, --poll both (about 4 min)
#   bench/services.sh --quick          # 1 round, shorter runs (about 1 min)
#   bench/services.sh --poll on redis  # only the redis cases, pegasus --poll 50 only
#   bench/services.sh --list           # the cases
#
# Options:
#   --quick            1 round, runs a quarter/half as long
#   --rounds N         rounds (default 3; medians are printed)
#   --poll on|off|both pegasus --poll 50, --poll 0, or both (default)
#   --list             print the case names and what each runs
#   --secs S           seconds a wrk or memcaslap run lasts (default 2; quick 1)
#   --scale N          divide redis-benchmark's request counts by N
#   --rows FILE        also write one line a case to FILE, blank-separated:
#                      case linux-rate pegasus-rate... linux-srv-cpu
#                      linux-total-cpu pegasus-cpu... errors  ("-": none)
#   CASE...            run only the cases whose name contains one of these
#
# Each case runs, in every round, interleaved:
#   Linux:   the server(s) as ordinary processes, then the client once the
#            port(s) accept (build/bench/waitport), each its own process;
#   pegasus: `pegasus run --exit=waitport -- SERVER ::: [SERVER2 :::]
#            waitport PORTS CLIENT ARGS`: server(s) and client fused in one
#            process. The client starts with the server, so waitport (a tiny
#            C program) retries connect() until the port listens, then
#            execs the client in place (no shell in between to measure).
#            The instance ends when the client does (--exit=waitport).
# Nothing is pinned: both sides may use every CPU (pegasus: --cpus defaults
# to one vCPU per CPU). Traffic between fused programs goes through the
# runtime's local sockets (in memory); Linux's through loopback.
#
# Columns: the client's own figure (req/s; memcaslap: ops/s), medians over
# the rounds, pegasus/Linux (> 1: pegasus faster), then CPU time per
# request in microseconds: the Linux server(s) alone (utime+stime from
# /proc/PID/stat over their whole life), Linux server(s) + client (the
# client's rusage), and the whole pegasus process (its rusage: server(s) and
# client together, runtime included). Compare the last two.
#
# Reports; never fails on a figure. A case whose program is missing prints
# SKIP and why; a run that fails prints FAIL with its exit status and the
# last lines of its stderr (kept in the results directory). Exit status 1
# only if some run failed.
#
# Environment: BUILD=build, PEGASUS_ARGS="..." (added to every pegasus run),
# PORT_BASE (first port tried, default a random one in 21000-28999).
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
PEGASUS=${PEGASUS:-$BUILD/pegasus}
WAITPORT=$BUILD/bench/waitport
PEGASUS_ARGS=${PEGASUS_ARGS:-}

ROUNDS=3
QUICK=""
POLL=both
FILTER=()
LIST=""
ROWS=""
SECS="" SCALE=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ROUNDS=1 ;;
	--rounds) ROUNDS=$2; shift ;;
	--rounds=*) ROUNDS=${1#*=} ;;
	--poll) POLL=$2; shift ;;
	--poll=*) POLL=${1#*=} ;;
	--list) LIST=1 ;;
	--secs) SECS=$2; shift ;;
	--scale) SCALE=$2; shift ;;
	--rows) ROWS=$2; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "services.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) FILTER+=("$1") ;;
	esac
	shift
done
case $POLL in
on) CONFIGS=("--poll 50") ;;
off) CONFIGS=("--poll 0") ;;
both) CONFIGS=("--poll 50" "--poll 0") ;;
*) echo "services.sh: --poll on, off or both" >&2; exit 2 ;;
esac

# The cases: name | program(s) needed | description. case_setup NAME fills
# in the commands.
CASES=(
	"redis-set-c1-P1    | redis-server redis-benchmark | redis-benchmark -t set -c 1 -P 1"
	"redis-get-c1-P1    | redis-server redis-benchmark | redis-benchmark -t get -c 1 -P 1"
	"redis-set-c50-P1   | redis-server redis-benchmark | redis-benchmark -t set -c 50 -P 1"
	"redis-get-c50-P1   | redis-server redis-benchmark | redis-benchmark -t get -c 50 -P 1"
	"redis-set-c1-P16   | redis-server redis-benchmark | redis-benchmark -t set -c 1 -P 16"
	"redis-get-c1-P16   | redis-server redis-benchmark | redis-benchmark -t get -c 1 -P 16"
	"redis-set-c50-P16  | redis-server redis-benchmark | redis-benchmark -t set -c 50 -P 16"
	"redis-get-c50-P16  | redis-server redis-benchmark | redis-benchmark -t get -c 50 -P 16"
	"nginx-small-c1     | nginx wrk                    | nginx (1 process, master_process off), wrk -t1 -c1, 6-byte response"
	"nginx-small-c50    | nginx wrk                    | nginx, wrk -t1 -c50, 6-byte response"
	"nginx-64k-c1       | nginx wrk                    | nginx, wrk -t1 -c1, 64 KiB static file (sendfile)"
	"nginx-64k-c50      | nginx wrk                    | nginx, wrk -t1 -c50, 64 KiB static file (sendfile)"
	"memcached-c50      | memcached memcaslap          | memcached -t 2, memcaslap -T1 -c50 (90% get, 10% set)"
	"haproxy-nginx-c50  | haproxy nginx wrk            | wrk -c50 -> haproxy (nbthread 1) -> nginx, 6-byte response"
	"nginx-caddy-c50    | nginx caddy wrk              | wrk -c50 -> nginx (proxy_pass, keepalive) -> caddy file_server, 6-byte file"
	"outside-nginx-small-c10  | nginx wrk              | nginx alone under pegasus, wrk -t1 -c10 a native process outside (loopback kernel sockets)"
	"outside-redis-get-c50-P1 | redis-server redis-benchmark | redis-server alone under pegasus, redis-benchmark -t get -c 50 outside"
)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

if [ -n "$LIST" ]; then
	for e in "${CASES[@]}"; do
		IFS='|' read -r n _ d <<<"$e"
		printf '%-20s %s\n' "$(trim "$n")" "$(trim "$d")"
	done
	exit 0
fi

[ -x "$PEGASUS" ] || { echo "services.sh: $PEGASUS not built (run make)" >&2; exit 1; }
[ -x "$WAITPORT" ] || { echo "services.sh: $WAITPORT not built (run make)" >&2; exit 1; }

stamp=$(date -u +%Y%m%d-%H%M%S)
resdir=$BUILD/bench/results/services-$stamp
mkdir -p "$resdir"
tmp=$(mktemp -d) || exit 1
LIVE_PIDS=()
cleanup() {
	local p
	for p in "${LIVE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tick=$(getconf CLK_TCK)
WRK_SECS=2 MC_SECS=2 NSCALE=1
[ -n "$QUICK" ] && WRK_SECS=1 MC_SECS=1 NSCALE=4
[ -n "$SECS" ] && WRK_SECS=$SECS MC_SECS=$SECS
[ -n "$SCALE" ] && NSCALE=$SCALE
[ -n "$ROWS" ] && : >"$ROWS"

# Ports: a fresh one for every server of every run (no TIME_WAIT or
# leftover listener in the way); one something else already listens on is
# passed over.
PORT=${PORT_BASE:-$((21000 + (RANDOM % 800) * 10))}
next_port() {
	while :; do
		PORT=$((PORT + 1))
		[ $PORT -gt 29999 ] && PORT=21000
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
	done
	REPLY=$PORT
}

# Files the servers need: a web root with a 6-byte and a 64 KiB file.
mkdir -p "$tmp/www" "$tmp/xdg"
printf 'hello\n' >"$tmp/www/hello.txt"
head -c 65536 /dev/urandom >"$tmp/www/64k.bin"

nginx_conf() { # FILE PORT LOCATION-BODY
	cat >"$1" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log stderr error;
pid $tmp/nginx-$2.pid;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/body;
	proxy_temp_path $tmp/proxy;
	fastcgi_temp_path $tmp/fastcgi;
	uwsgi_temp_path $tmp/uwsgi;
	scgi_temp_path $tmp/scgi;
	sendfile on;
	keepalive_requests 100000000;
	${4:-}
	server {
		listen 127.0.0.1:$2;
		root $tmp/www;
		$3
	}
}
EOF
}

# case_setup NAME: sets NSRV, SRV1/SRV2 (argv arrays, absolute paths),
# PORTS (comma list the client waits for), CLIENT (argv), KIND (how to read
# the client's output: redis, wrk or memcaslap), NREQ (redis: requests).
case_setup() {
	local name=$1 p1 p2
	NSRV=1 SRV1=() SRV2=() CLIENT=() KIND="" NREQ=0 OUTSIDE=""
	next_port; p1=$REPLY
	PORTS=$p1
	case $name in
	redis-*)
		local t c P
		IFS=- read -r _ t c P <<<"$name"
		c=${c#c} P=${P#P}
		case $c-$P in
		1-1) NREQ=50000 ;; 1-16) NREQ=400000 ;; 50-1) NREQ=100000 ;; *) NREQ=800000 ;;
		esac
		NREQ=$((NREQ / NSCALE))
		SRV1=("$(command -v redis-server)" --port "$p1" --bind 127.0.0.1 --save "" --appendonly no)
		CLIENT=("$(command -v redis-benchmark)" -p "$p1" -c "$c" -P "$P" -n "$NREQ" -t "$t" --csv)
		KIND=redis
		;;
	outside-*)
		# The same case, its client left out of the instance.
		case_setup "${name#outside-}"
		OUTSIDE=1
		return
		;;
	nginx-small-* | nginx-64k-*)
		local c=${name##*-c} path=/
		[ "${name#nginx-64k}" != "$name" ] && path=/64k.bin
		nginx_conf "$tmp/nginx-$p1.conf" "$p1" 'location = / { return 200 "hello\n"; }'
		SRV1=("$(command -v nginx)" -p "$tmp" -c "$tmp/nginx-$p1.conf")
		CLIENT=("$(command -v wrk)" -t1 -c"$c" -d"${WRK_SECS}s" "http://127.0.0.1:$p1$path")
		KIND=wrk
		;;
	memcached-*)
		SRV1=("$(command -v memcached)" -u "$(id -un)" -t 2 -l 127.0.0.1 -p "$p1" -U 0 -m 256)
		CLIENT=("$(command -v memcaslap)" -s "127.0.0.1:$p1" -T 1 -c 50 -t "${MC_SECS}s")
		KIND=memcaslap
		;;
	haproxy-nginx-*)
		next_port; p2=$REPLY
		nginx_conf "$tmp/nginx-$p2.conf" "$p2" 'location = / { return 200 "hello\n"; }'
		cat >"$tmp/haproxy-$p1.cfg" <<EOF
global
	nbthread 1
	maxconn 4096
defaults
	mode http
	timeout connect 5s
	timeout client 30s
	timeout server 30s
	option http-keep-alive
frontend fe
	bind 127.0.0.1:$p1
	default_backend be
backend be
	server n1 127.0.0.1:$p2
EOF
		NSRV=2
		SRV1=("$(command -v haproxy)" -db -f "$tmp/haproxy-$p1.cfg")
		SRV2=("$(command -v nginx)" -p "$tmp" -c "$tmp/nginx-$p2.conf")
		PORTS=$p1,$p2
		CLIENT=("$(command -v wrk)" -t1 -c50 -d"${WRK_SECS}s" "http://127.0.0.1:$p1/")
		KIND=wrk
		;;
	nginx-caddy-*)
		next_port; p2=$REPLY
		nginx_conf "$tmp/nginx-$p1.conf" "$p1" \
			'location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }' \
			"upstream up { server 127.0.0.1:$p2; keepalive 64; }"
		cat >"$tmp/Caddyfile-$p2" <<EOF
{
	admin off
	auto_https off
}
http://:$p2 {
	bind 127.0.0.1
	root * $tmp/www
	file_server
}
EOF
		NSRV=2
		SRV1=("$(command -v nginx)" -p "$tmp" -c "$tmp/nginx-$p1.conf")
		SRV2=("$(command -v caddy)" run --config "$tmp/Caddyfile-$p2" --adapter caddyfile)
		PORTS=$p1,$p2
		CLIENT=("$(command -v wrk)" -t1 -c50 -d"${WRK_SECS}s" "http://127.0.0.1:$p1/hello.txt")
		KIND=wrk
		;;
	esac
}

# parse KIND FILE: "RATE COUNT ERRORS" from a client's output ("-" when
# the figure is not there).
parse() {
	case $1 in
	redis) awk -F'"' -v n="$NREQ" '$2 != "test" && $4 ~ /^[0-9.]+$/ { r = $4 }
		/^Error/ { e++ }
		END { print (r ? r : "-"), (r ? n : "-"), e + 0 }' "$2" "$2.err" ;;
	wrk) awk '/^Requests\/sec:/ { r = $2 } / requests in / { n = $1 }
		/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
		/Non-2xx or 3xx responses:/ { e += $NF }
		END { print (r ? r : "-"), (n ? n : "-"), e + 0 }' "$2" ;;
	memcaslap) awk '/^Run time:/ { for (i = 1; i < NF; i++) { if ($i == "Ops:") n = $(i + 1); if ($i == "TPS:") r = $(i + 1) } }
		END { print (r ? r : "-"), (n ? n : "-"), 0 }' "$2" ;;
	esac
}

proc_cpu() { # PID -> utime+stime in ticks (0 if gone)
	local st
	read -r -a st <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
	# Field 2 (comm) has no blanks for these servers.
	echo $((st[13] + st[14]))
}

# A run's budget: the client's own duration plus room for start and stop.
run_limit() { echo $((WRK_SECS + MC_SECS + 40)); }

FAILED=0
# fail_note CASE MODE STATUS ERRFILE
fail_note() {
	FAILED=1
	local why
	why=$(grep -v -e '^\s*$' -e 'killed by SIGTERM; the other programs go on' "$4" 2>/dev/null | tail -3 | tr '\n' ' ' | cut -c1-400)
	[ "$3" -eq 124 ] && why="timed out after $(run_limit) s; $why"
	echo "FAIL $1 [$2]: exit $3: ${why:-no output on stderr}" | tee -a "$resdir/failures"
}

# run_linux CASE ROUND: "RATE SRVCPU_US TOTALCPU_US ERRORS" into $resdir.
run_linux() {
	local name=$1 r=$2 out=$resdir/$1.linux.$2 pids=() i
	case_setup "$name"
	for i in $(seq "$NSRV"); do
		local s=("${SRV1[@]}")
		[ "$i" -eq 2 ] && s=("${SRV2[@]}")
		XDG_DATA_HOME=$tmp/xdg XDG_CONFIG_HOME=$tmp/xdg "${s[@]}" >"$out.srv$i" 2>&1 &
		pids+=($!)
		LIVE_PIDS+=($!)
	done
	# Wait for the port(s), at most 20 s, and no longer than the servers live.
	local up=""
	for _ in $(seq 100); do
		"$WAITPORT" -t 0.2 "$PORTS" true 2>"$out.err" && { up=1; break; }
		for i in "${pids[@]}"; do kill -0 "$i" 2>/dev/null || break 2; done
	done
	if [ -z "$up" ]; then
		for i in "${pids[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
		cat "$out".srv* >>"$out.err" 2>/dev/null
		fail_note "$name" linux 1 "$out.err"
		return
	fi
	local c1=0 st tf rate n err
	tf=$tmp/time
	TIMEFORMAT='%3U %3S'
	{ time timeout -k 5 "$(run_limit)" "${CLIENT[@]}" >"$out" 2>"$out.err"; } 2>"$tf"
	st=$?
	# The server's whole life, start-up included, as pegasus's rusage has.
	for i in "${pids[@]}"; do c1=$((c1 + $(proc_cpu "$i"))); done
	for i in "${pids[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	LIVE_PIDS=()
	read -r rate n err <<<"$(parse "$KIND" "$out")"
	if [ "$st" -ne 0 ] || [ "$rate" = - ]; then
		fail_note "$name" linux "$st" "$out.err"
		return
	fi
	awk -v rate="$rate" -v n="$n" -v srv="$c1" -v hz="$tick" -v ct="$(cat "$tf")" -v e="$err" 'BEGIN {
		split(ct, t, " "); s = srv / hz
		printf "%s %.2f %.2f %d\n", rate, s * 1e6 / n, (s + t[1] + t[2]) * 1e6 / n, e }' >"$out.row"
}

# run_outside CASE OUT CONFIG: the server alone under pegasus, its client a
# native process: "RATE - TOTALCPU_US ERRORS" (pegasus's CPU and the
# client's) into OUT.row.
run_outside() {
	local name=$1 out=$2 cfg=$3 pid st tf rate n err
	# shellcheck disable=SC2206 # option lists
	local args=(run $PEGASUS_ARGS $cfg -- "${SRV1[@]}")
	echo "$PEGASUS ${args[*]}; ${CLIENT[*]}" >"$out.cmd"
	XDG_DATA_HOME=$tmp/xdg XDG_CONFIG_HOME=$tmp/xdg "$PEGASUS" "${args[@]}" >"$out.srv" 2>&1 &
	pid=$!
	LIVE_PIDS+=("$pid")
	if ! "$WAITPORT" -t 20 "$PORTS" true 2>"$out.err"; then
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		fail_note "$name" "pegasus $cfg" 1 "$out.err"
		return
	fi
	tf=$tmp/time
	TIMEFORMAT='%3U %3S'
	{ time timeout -k 5 "$(run_limit)" "${CLIENT[@]}" >"$out" 2>>"$out.err"; } 2>"$tf"
	st=$?
	local c=$(proc_cpu "$pid")
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	LIVE_PIDS=()
	read -r rate n err <<<"$(parse "$KIND" "$out")"
	if [ "$st" -ne 0 ] || [ "$rate" = - ]; then
		fail_note "$name" "pegasus $cfg" "$st" "$out.err"
		return
	fi
	awk -v rate="$rate" -v n="$n" -v srv="$c" -v hz="$tick" -v ct="$(cat "$tf")" -v e="$err" 'BEGIN {
		split(ct, t, " "); printf "%s - %.2f %d\n", rate, (srv / hz + t[1] + t[2]) * 1e6 / n, e }' >"$out.row"
}

# run_pegasus CASE ROUND CONFIG: the same, fused in one pegasus run.
run_pegasus() {
	local name=$1 r=$2 cfg=$3 tag out st tf rate n err
	tag=pegasus$(echo "$cfg" | tr -d ' -')
	out=$resdir/$1.$tag.$2
	case_setup "$name"
	if [ -n "$OUTSIDE" ]; then
		run_outside "$name" "$out" "$cfg"
		return
	fi
	local args=(run --exit=waitport)
	# shellcheck disable=SC2206 # option lists
	args+=($PEGASUS_ARGS $cfg -- "${SRV1[@]}" :::)
	[ "$NSRV" -eq 2 ] && args+=("${SRV2[@]}" :::)
	args+=("$WAITPORT" -t 20 "$PORTS" "${CLIENT[@]}")
	echo "$PEGASUS ${args[*]}" >"$out.cmd"
	tf=$tmp/time
	TIMEFORMAT='%3U %3S'
	{ time XDG_DATA_HOME=$tmp/xdg XDG_CONFIG_HOME=$tmp/xdg \
		timeout -k 5 "$(run_limit)" "$PEGASUS" "${args[@]}" >"$out" 2>"$out.err"; } 2>"$tf"
	st=$?
	read -r rate n err <<<"$(parse "$KIND" "$out")"
	if [ "$st" -ne 0 ] || [ "$rate" = - ]; then
		fail_note "$name" "pegasus $cfg" "$st" "$out.err"
		return
	fi
	awk -v rate="$rate" -v n="$n" -v ct="$(cat "$tf")" -v e="$err" 'BEGIN {
		split(ct, t, " "); printf "%s - %.2f %d\n", rate, (t[1] + t[2]) * 1e6 / n, e }' >"$out.row"
}

# The cases to run: filtered, and SKIP for those whose programs are missing.
selected=()
for e in "${CASES[@]}"; do
	IFS='|' read -r n need _ <<<"$e"
	n=$(trim "$n")
	if [ ${#FILTER[@]} -gt 0 ]; then
		hit=""
		for f in "${FILTER[@]}"; do
			# A case's full name selects it alone; anything else is a substring.
			if printf '%s\n' "${CASES[@]}" | awk -F'|' -v f="$f" '{ gsub(/ /, "", $1) } $1 == f { x = 1 } END { exit !x }'; then
				[ "$n" = "$f" ] && hit=1
			elif [[ $n == *"$f"* ]]; then
				hit=1
			fi
		done
		[ -z "$hit" ] && continue
	fi
	miss=""
	for p in $need; do command -v "$p" >/dev/null || miss+=" $p"; done
	if [ -n "$miss" ]; then
		case $miss in
		*caddy*) hint="caddy is a Debian package (apt-get install caddy); not installed by scripts/install-deps.sh" ;;
		*) hint="./scripts/install-deps.sh --services installs it" ;;
		esac
		echo "SKIP $n: not installed:$miss ($hint)" | tee -a "$resdir/skips"
		continue
	fi
	selected+=("$n")
done

# The host: CPU, the cost of a system call here, pinning, polling.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
# The least disturbed of 5 short runs (min): other work on the host only adds.
sc=$(taskset -c 0 "$BUILD/bench/syscall_paths" -t 0.05 -r 5 getppid_raw getuid_glibc 2>/dev/null |
	awk '/^# [a-z_]+: min/ { sub(":", "", $2); v[$2] = $4 }
	     END { printf "bare syscall (getppid) %.0f ns, glibc getuid %.0f ns (min of 5 x 50 ms)", v["getppid_raw"], v["getuid_glibc"] }')
{
	echo "services: Linux processes vs fused in one pegasus instance, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: kernel $(uname -r), CPU ${cpu:-?}, nproc $(nproc); system call cost here (native, pinned): $sc"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min load average at the start: other work on this host skews both columns)"
	echo "pinning: none (servers and clients free on all $(nproc) CPUs; pegasus --cpus defaults to $(nproc) vCPUs)"
	joined=${CONFIGS[0]}
	for c in "${CONFIGS[@]:1}"; do joined+=", then $c"; done
	echo "pegasus: git $(git describe --always --dirty 2>/dev/null || echo ?); polling: $joined${PEGASUS_ARGS:+; added to every run: $PEGASUS_ARGS} (--poll USEC: an idle vCPU spins that long before it sleeps)"
	echo "rounds: $ROUNDS, medians; wrk ${WRK_SECS} s a run, memcaslap ${MC_SECS} s, redis-benchmark -n 50k..800k/$NSCALE"
	echo "sockets: fused programs talk through in-process channels (src/net/local); the Linux processes through loopback TCP"
} | tee "$resdir/table.md"
echo

for r in $(seq "$ROUNDS"); do
	for n in "${selected[@]}"; do
		echo "round $r/$ROUNDS: $n" >&2
		run_linux "$n" "$r"
		for cfg in "${CONFIGS[@]}"; do
			run_pegasus "$n" "$r" "$cfg"
		done
	done
done

# median FILES... COLUMN: the median of one column of the .row files.
median_col() {
	local col=$1
	shift
	cat "$@" 2>/dev/null | awk -v c="$col" '$c != "-" { print $c }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%s", v[int((NR + 1) / 2)]; else printf "-" }'
}
ratio() { awk -v l="$1" -v p="$2" 'BEGIN { if (l > 0 && p > 0) printf "%.2fx", p / l; else printf "-" }'; }
fmt() { awk -v v="$1" 'BEGIN { if (v == "-") printf "-"; else if (v >= 1000) printf "%.0f", v; else printf "%.1f", v }'; }

{
	echo
	printf '| case | Linux req/s |'
	for cfg in "${CONFIGS[@]}"; do printf ' pegasus %s req/s | ratio |' "$cfg"; done
	printf ' CPU µs/req: Linux server | Linux server+client |'
	for cfg in "${CONFIGS[@]}"; do printf ' pegasus %s (all) |' "$cfg"; done
	printf ' errors |\n|---|---:|'
	for cfg in "${CONFIGS[@]}"; do printf -- '---:|---:|'; done
	printf -- '---:|---:|'
	for cfg in "${CONFIGS[@]}"; do printf -- '---:|'; done
	printf -- '---:|\n'
	for n in "${selected[@]}"; do
		lrows=("$resdir/$n".linux.*.row)
		l=$(median_col 1 "${lrows[@]}")
		line="| $n | $(fmt "$l") |"
		cpus=" $(median_col 2 "${lrows[@]}") | $(median_col 3 "${lrows[@]}") |"
		rrates="$l" rcpus="$(median_col 2 "${lrows[@]}") $(median_col 3 "${lrows[@]}")"
		errs=$(cat "$resdir/$n".*.row 2>/dev/null | awk '{ e += $4 } END { print e + 0 }')
		for cfg in "${CONFIGS[@]}"; do
			tag=pegasus$(echo "$cfg" | tr -d ' -')
			prows=("$resdir/$n.$tag".*.row)
			p=$(median_col 1 "${prows[@]}")
			line+=" $(fmt "$p") | $(ratio "$l" "$p") |"
			cpus+=" $(median_col 3 "${prows[@]}") |"
			rrates+=" $p" rcpus+=" $(median_col 3 "${prows[@]}")"
		done
		echo "$line$cpus $errs |"
		[ -n "$ROWS" ] && echo "$n $rrates $rcpus $errs" >>"$ROWS"
	done
	[ -s "$resdir/skips" ] && { echo; sed 's/^/- /' "$resdir/skips"; }
	[ -s "$resdir/failures" ] && { echo; sed 's/^/- /' "$resdir/failures"; }
	echo
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ratio: pegasus/Linux throughput (> 1: pegasus faster). errors: client-reported (wrk socket errors and non-2xx, redis-benchmark error lines), all runs."
} | tee -a "$resdir/table.md"
echo
echo "(raw outputs, commands and this table: $resdir/)"
exit $FAILED
