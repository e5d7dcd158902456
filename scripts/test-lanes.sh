#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The long suites of `make test`, in two lanes side by side (the quick ones, lint to unit, ran before, one by one):
#   molecule:   make molecule (its own scenarios two at a time);
#   emulator:   make integration, make matrix, make e2e, one after another: each starts the DigitalOcean emulator
#               and its Docker droplets (127.0.0.10 and up, container names from droplet ids), so they must not overlap.
# Molecule's test hosts use neither the emulator nor loopback addresses. The e2e suite alone keeps about one core
# busy (measured: 50-60 % of two), so the lanes share the machine instead of waiting on each other.
# Each lane's output goes to build/test-lanes/<lane>.log; a lane stops at its first failing suite, and the end of
# that lane's log is printed. Exits non-zero when any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
logdir=build/test-lanes
mkdir -p "$logdir"
t0=$(date +%s)

lane() {   # lane NAME TARGET...: the make targets in turn, stopping at the first failure
    local name=$1 target start rc=0
    shift
    : > "$logdir/$name.log"
    for target in "$@"; do
        start=$(date +%s)
        echo "--- lane $name: make $target started at $(( start - t0 ))s"
        # make test built the venv, fixtures, images and stand-ins before the lanes: not again, and not in both lanes at
        # once (the fixtures' bundles are rewritten in place while the other lane's tests read them).
        make --no-print-directory -o venv -o fixtures -o images -o standins "$target" >> "$logdir/$name.log" 2>&1; rc=$?
        echo "--- lane $name: make $target $([ $rc = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start ))s"
        [ $rc = 0 ] || break
    done
    echo $rc > "$logdir/$name.rc"
}

rm -f "$logdir"/*.rc
lane molecule molecule &
lane emulator integration matrix e2e &
wait

failed=0
for name in molecule emulator; do
    rc=$(cat "$logdir/$name.rc" 2>/dev/null || echo 1)
    if [ "$rc" != 0 ]; then
        failed=1
        echo "=================== lane $name failed: the end of $logdir/$name.log ==================="
        tail -n 400 "$logdir/$name.log"
    fi
done
echo "--- lanes done in $(( $(date +%s) - t0 ))s"
exit $failed
