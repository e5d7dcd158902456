#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runs Molecule scenarios: all of them, or those named. Scenarios run side by side (PTD_MOLECULE_JOBS at a time,
# default 2: two at a time already keep this machine's 2 cores 90-100 % busy, so a third only stretches the others),
# the longest first so that no long scenario starts last. The Debian versions of one scenario (its `distros` file,
# default 13) run one after another. Each run's output goes to build/molecule/<scenario>-debian<N>.log and is printed
# in full when it fails. Ends with a timing table.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
jobs=${PTD_MOLECULE_JOBS:-2}
# The longest scenarios (about 10 min each here); the others follow in name order.
longest=(pytrackdat_app data_safety)
logdir=build/molecule
mkdir -p "$logdir"

if [ $# -gt 0 ]; then scenarios=("$@"); else
    mapfile -t scenarios < <(for s in "${longest[@]}"; do [ -f "molecule/$s/molecule.yml" ] && echo "$s"; done
                             for d in molecule/*/molecule.yml; do s=$(basename "$(dirname "$d")")
                                 [[ " ${longest[*]} " == *" $s "* ]] || echo "$s"; done)
fi
for s in "${scenarios[@]}"; do
    [ -f "molecule/$s/molecule.yml" ] || { echo "no Molecule scenario named '$s' (see molecule/)" >&2; exit 2; }
done

run_scenario() {   # one scenario, each of its Debian versions in turn; writes one result line per version
    local s=$1 d start rc log
    for d in $(cat "molecule/$s/distros" 2>/dev/null || echo 13); do
        log="$logdir/$s-debian$d.log"
        start=$(date +%s)
        # A run that was killed leaves its test host's nested Docker volume behind, and Molecule's destroy keeps
        # named volumes: the next host would boot with the old site's containers, whose restart policy starts them
        # again over the new deploy (an old upstream web container once wrote .pyc files into the fresh release).
        docker rm -f "ptd-$s-debian$d" > /dev/null 2>&1 || true
        docker volume rm -f "ptd-molecule-$s-docker" > /dev/null 2>&1 || true
        MOLECULE_DISTRO=$d molecule test -s "$s" > "$log" 2>&1; rc=$?
        docker volume rm -f "ptd-molecule-$s-docker" > /dev/null 2>&1 || true
        printf '%-24s debian%-3s %-7s %5ss\n' "$s" "$d" "$([ $rc = 0 ] && echo passed || echo FAILED)" \
            $(( $(date +%s) - start )) > "$log.result"
        echo "--- $(cat "$log.result")"
    done
}

results=()
for s in "${scenarios[@]}"; do
    for d in $(cat "molecule/$s/distros" 2>/dev/null || echo 13); do
        results+=("$logdir/$s-debian$d.log.result")
    done
done
rm -f "${results[@]}"
running=0
for s in "${scenarios[@]}"; do
    echo "--- starting molecule scenario $s"
    run_scenario "$s" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

failed=0
for r in "${results[@]}"; do
    [ -f "$r" ] || { echo "no result for ${r%.log.result}" >&2; failed=1; continue; }
    if grep -q FAILED "$r"; then
        failed=1
        log=${r%.result}
        echo "=================== $(basename "$log") (failed) ==================="
        tail -n 300 "$log"
    fi
done
echo "--- molecule summary"
cat "${results[@]}" 2>/dev/null
exit $failed
