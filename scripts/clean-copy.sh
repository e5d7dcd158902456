#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Copies the files git knows about (tracked, or new and not ignored) to DEST: what `ansible-test sanity` and
# `ansible-galaxy collection build` should see, without .venv, caches, test output or build leftovers.
set -euo pipefail
dest=${1:?usage: clean-copy.sh DEST}
cd "$(dirname "$0")/.."
rm -rf "$dest"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] || continue                     # deleted in the work tree, not yet in git
    mkdir -p "$dest/$(dirname "$f")" && cp -a "$f" "$dest/$f"
done
