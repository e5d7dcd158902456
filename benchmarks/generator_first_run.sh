#!/bin/sh
# generator_first_run.sh SCRIPT DIR: a first generation on a control node without the generator (fresh venv folder), as make e2e's first run
# (the A/B of benchmarks/results/generator-first-run-ab.md: SCRIPT is a generate_bundle.py, DIR a scratch folder)
set -e
rm -rf "$2"; mkdir -p "$2"
echo '{"username":"admin","email":"","password":"Unit-test-pw-4711"}' | "${PYTHON:-python3}" "$1" "$(dirname "$0")"/../tests/fixtures/pytrackdat/design.csv ptdsite ptd.example.test "$2/out.zip" "$2/generator-0.2.1" 0.2.1 > "$2/out.json" 2>/dev/null
grep -q '"changed": true' "$2/out.json"
