#!/bin/bash
# test-modes.sh - the rewrite and %fs modes this host can run the suite in.
#
#   scripts/test-modes.sh PEGASUS
#
# Prints a PEGASUS_MODES value for tests/run.sh (make test): every rewrite
# mode and the %fs path of hosts without FSGSBASE forced on
# (PEGASUS_FSGSBASE=0: the next machine may lack it). A mode the host cannot run,
# or that would repeat another here, is left out with a SKIP line on stderr:
# zpoline where page 0 cannot be mapped; the forced %fs path where the host
# has no FSGSBASE, so that the default modes already take it (the suite
# would run twice the same, ~10 minutes more on such a host).
set -u
pegasus=$1
nofsgs=PEGASUS_FSGSBASE=0
modes=";--rewrite=off"
if "$pegasus" run --rewrite=zpoline -- /bin/true 2>/dev/null; then
	modes+=";--rewrite=zpoline"
else
	echo "SKIP all [zpoline]: page 0 cannot be mapped here (not root, vm.mmap_min_addr > 0)" >&2
fi
if "$pegasus" check 2>/dev/null | grep -q '^fsgsbase .*%fs path: wrfsbase'; then
	modes+=";$nofsgs;$nofsgs --rewrite=off"
else
	echo "SKIP all [fsgsbase=0]: this host has no FSGSBASE: the default modes take the %fs path already" >&2
fi
printf '%s\n' "$modes"
