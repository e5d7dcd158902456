#!/usr/bin/env bash
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Runs ShellCheck on every shell script git knows about: *.sh, files whose first line is a sh/bash/dash shebang
# (.ci/run, the stand-in tools), and the roles' shell templates (*.sh.j2, checked with each Jinja expression
# replaced by a plain word). Prints the files it checked; fails on any finding, or when shellcheck is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck > /dev/null || { echo "shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }

scripts=() templates=()
while IFS= read -r -d '' file; do
    [ -f "$file" ] || continue
    case "$file" in
        *.sh.j2) templates+=("$file"); continue ;;
        *.sh) scripts+=("$file"); continue ;;
    esac
    if head -n 1 "$file" | grep -qE '^#!.*[/ ](ba|da)?sh( |$)'; then
        scripts+=("$file")
    fi
done < <(git ls-files -z --cached --others --exclude-standard)

status=0
shellcheck "${scripts[@]}" || status=1
for template in "${templates[@]}"; do
    # Jinja only fills values here ({{ var }}); {% %} blocks would need rendering and are refused.
    if grep -q '{%' "$template"; then
        echo "$template: has Jinja statements; render it before checking" >&2; status=1; continue
    fi
    sed -E 's/\{\{[^}]*\}\}/jinja_value/g' "$template" | shellcheck - \
        | sed "s|^In - line|In $template line|" || status=1
done
printf 'shellcheck: %s scripts, %s templates\n' "${#scripts[@]}" "${#templates[@]}"
exit "$status"
