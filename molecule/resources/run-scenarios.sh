#!/usr/bin/env bash
# Runs Molecule scenarios one after another: all of them, or those named. A scenario directory may hold a
# file `distros` listing the Debian versions to run it on (default: 13). Prints a timing line per run.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ $# -gt 0 ]; then scenarios=("$@"); else
    mapfile -t scenarios < <(for d in molecule/*/molecule.yml; do basename "$(dirname "$d")"; done)
fi

failed=()
summary=()
for s in "${scenarios[@]}"; do
    [ -f "molecule/$s/molecule.yml" ] || { echo "no Molecule scenario named '$s' (see molecule/)" >&2; exit 2; }
    distros=$(cat "molecule/$s/distros" 2>/dev/null || echo 13)
    for d in $distros; do
        start=$(date +%s)
        echo "=== molecule test -s $s (Debian $d)"
        if MOLECULE_DISTRO=$d molecule test -s "$s"; then result=passed; else result=FAILED; failed+=("$s/debian$d"); fi
        docker volume rm -f "ptd-molecule-$s-docker" > /dev/null 2>&1 || true
        summary+=("$(printf '%-22s debian%-3s %-7s %4ss' "$s" "$d" "$result" $(( $(date +%s) - start )))")
    done
done
printf '%s\n' "--- molecule summary" "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}" >&2; exit 1; fi
