#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# ansible-test sanity needs the collection at ansible_collections/<namespace>/<name> and a tree free of
# build output, so it runs on a copy of the files git knows about (tracked, or new and not ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
dest=${PTD_SANITY_ROOT:-$top/build/sanity}/ansible_collections/pytrackdat/deploy   # make matrix sets its own
bash scripts/clean-copy.sh "$dest"

# ansible-test bootstraps pip by downloading a script from Ansible's CI host, which is unreachable here.
# This stand-in does the same job with the interpreter's own ensurepip.
cache=${HOME}/.ansible/test/cache
mkdir -p "$cache"
cat > "$cache/get_pip_24_2.py" <<'PY'
"""Offline stand-in for get-pip.py: ensurepip, then pip installs the requested packages."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel", "--disable-pip-version-check")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args)
PY
# ansible-core 2.17's ansible-test (make matrix) asks for pip 23.1.2 under its own name.
cp "$cache/get_pip_24_2.py" "$cache/get_pip_23_1_2.py"

cd "$dest"
git init -q . && git add -A   # ansible-test finds the files to test through git
ansible-test sanity --local --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --requirements --color no "$@"
