#!/bin/sh
# run-libfuzzer.sh - fuzz the ELF parser (src/loader/elf.c) with libFuzzer.
#
#   fuzz/run-libfuzzer.sh [elf|pod|channel|sitemap|seccomp] [SECONDS] [extra libFuzzer flags...]
#
# Targets: elf (src/loader/elf.c, the default), pod (src/cli/pod.c, the
# pod file parser, with libyaml) and channel (src/net/local: op sequences on
# the in-memory channel of pipes and local sockets, invariants checked) and
# sitemap (src/entry/sitemap.c: puts and forgets against a model) and
# seccomp (src/proc/seccomp_bpf.c: filters checked, then run); what follows describes elf, pod works the
# same with its own names (fuzz_pod, corpus/pod).
# Builds fuzz/fuzz_elf.c + src/loader/elf.c with
#   clang -g -O1 -fsanitize=fuzzer,address,undefined -I src
# into build-fuzz/fuzz_elf, copies the seed corpus fuzz/corpus/elf/ to
# build-fuzz/corpus/ (the seeds in git are never touched; new inputs found
# accumulate there between runs), and fuzzes for SECONDS (default 60) with
# one job per CPU (-fork=N). Any crash, sanitizer report or invariant
# abort leaves its reproducer in build-fuzz/artifacts/ (crash-<sha1>, ...),
# and the script exits non-zero. Replay a reproducer with
#   build-fuzz/fuzz_elf build-fuzz/artifacts/crash-...      (libFuzzer build)
#   build/fuzz/fuzz_elf_replay -v FILE                       (meson build, gcc)
# Environment: CLANG (default clang), JOBS (default nproc), OUT (build-fuzz).
set -eu
cd "$(dirname "$0")/.."

TARGET=elf
case ${1:-} in elf|pod|channel|sitemap|seccomp) TARGET=$1; shift ;; esac
SECS=${1:-60}
[ $# -gt 0 ] && shift
CLANG=${CLANG:-clang}
OUT=${OUT:-build-fuzz}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 1)}

if [ "$TARGET" = pod ]; then
	OUT=$OUT/pod
	SRCS="fuzz/fuzz_pod.c src/cli/pod.c"
	LIBS=-lyaml
elif [ "$TARGET" = sitemap ]; then
	OUT=$OUT/sitemap
	SRCS="fuzz/fuzz_sitemap.c src/entry/sitemap.c"
	LIBS=
elif [ "$TARGET" = seccomp ]; then
	OUT=$OUT/seccomp
	SRCS="fuzz/fuzz_seccomp.c src/proc/seccomp_bpf.c"
	LIBS=
elif [ "$TARGET" = channel ]; then
	OUT=$OUT/channel
	SRCS="fuzz/fuzz_channel.c src/net/local/ring.c src/net/local/channel.c"
	LIBS=
else
	SRCS="fuzz/fuzz_elf.c src/loader/elf.c"
	LIBS=
fi
mkdir -p "$OUT/corpus" "$OUT/artifacts"
# shellcheck disable=SC2086 # word lists
"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -I src -o "$OUT/fuzz_$TARGET" $SRCS $LIBS
cp -n fuzz/corpus/"$TARGET"/* "$OUT/corpus/" 2>/dev/null || true

# -max_len: the loader reads at most a 64 KiB head; 16 KiB covers 128
# program headers and a 4 KiB PT_INTERP. -use_value_profile helps it get
# past the 64-bit comparisons of offsets and sizes.
echo "fuzzing for ${SECS}s with $JOBS job(s); corpus $OUT/corpus, artifacts $OUT/artifacts"
exec "$OUT/fuzz_$TARGET" -close_fd_mask=2 -max_total_time="$SECS" -fork="$JOBS" -max_len=16384 \
	-use_value_profile=1 -print_final_stats=1 \
	-artifact_prefix="$OUT/artifacts/" "$@" "$OUT/corpus"
