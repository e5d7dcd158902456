#!/bin/sh
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# One generation of the sample design with a given generate_bundle.py, for benchmarks/ab.py A/B runs (A B A B pairs, whole processes):
#   python benchmarks/ab.py -n 4 --warmup 1 \
#       --a 'benchmarks/generate_once.sh roles/pytrackdat_app/files/generate_bundle.py /tmp/gen-a /tmp/a.zip' \
#       --b 'benchmarks/generate_once.sh OLD/generate_bundle.py /tmp/gen-b /tmp/b.zip'
# Usage: generate_once.sh SCRIPT GENERATOR_VENV OUT_ZIP   (each side its own venv: the script writes its shims there)
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
echo '{"username": "admin", "email": "admin@example.test", "password": "Correct-horse-42"}' |
    "$repo/.venv/bin/python" "$1" "$repo/tests/fixtures/pytrackdat/design.csv" ptdsite ptd.example.test "$3" "$2" 0.2.1 > /dev/null
