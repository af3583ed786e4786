#!/bin/sh
# replay.sh - replay the ELF seed corpus (and any files or directories given)
# through the fuzz target, built by meson as build/fuzz/fuzz_elf_replay
# (with ASan+UBSan when the compiler has them).
#
#   fuzz/replay.sh [FILE|DIR...]          BUILD=dir to use another build dir
#
# For the main test runner: prints nothing and exits 0 when every input
# parses without a sanitizer report or broken invariant; otherwise the
# report is on stderr and the exit status is non-zero.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
bin=$BUILD/fuzz/fuzz_elf_replay
if [ ! -x "$bin" ]; then
	echo "replay.sh: $bin not built (run make)" >&2
	exit 1
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec "$bin" fuzz/corpus/elf "$@"
