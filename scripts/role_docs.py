#!/usr/bin/env python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes each role's full variable reference into its README from meta/argument_specs.yml.

The reference sits between two markers at the end of roles/<role>/README.md, so the prose above it stays
hand-written while the table can never drift from the typed contract Ansible enforces.

    python scripts/role_docs.py          # rewrite the sections
    python scripts/role_docs.py --check  # exit 1 and name the READMEs that are out of date
"""
import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN generated variable reference: python scripts/role_docs.py -->"
END = "<!-- END generated variable reference -->"


def cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def default_text(option):
    if "default" not in option:
        return "**required**" if option.get("required") else ""
    return "`" + cell(json.dumps(option["default"])) + "`"


def description_text(option):
    description = option.get("description", "")
    if isinstance(description, list):
        description = " ".join(description)
    choices = option.get("choices")
    if choices:
        description += " Choices: " + ", ".join(f"`{c}`" for c in choices) + "."
    return cell(description)


def reference(role_dir):
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]
    lines = [BEGIN, "## Variable reference", "",
             "Generated from `meta/argument_specs.yml`; Ansible checks every variable against it before the role runs.", ""]
    for entry, spec in specs.items():
        how = "the role" if entry == "main" else f"`tasks_from: {entry}`"
        lines += [f"### Entry point `{entry}` ({how})", "", cell(spec.get("short_description", "")), "",
                  "| variable | type | default | description |", "| --- | --- | --- | --- |"]
        for name, option in sorted(spec.get("options", {}).items()):
            kind = option.get("type", "str")
            if kind == "list" and option.get("elements"):
                kind = f"list of {option['elements']}"
            lines.append(f"| `{name}` | {kind} | {default_text(option)} | {description_text(option)} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def updated(readme_text, section):
    if BEGIN in readme_text and END in readme_text:
        head = readme_text[:readme_text.index(BEGIN)]
        tail = readme_text[readme_text.index(END) + len(END):].lstrip("\n")
        return head + section + tail
    return readme_text.rstrip("\n") + "\n\n" + section


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report READMEs that are out of date")
    args = parser.parse_args()
    stale = []
    for role_dir in sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()):
        readme = role_dir / "README.md"
        text = readme.read_text(encoding="utf-8") if readme.exists() else f"# pytrackdat.deploy.{role_dir.name}\n"
        new = updated(text, reference(role_dir))
        if new != text:
            stale.append(str(readme.relative_to(ROOT)))
            if not args.check:
                readme.write_text(new, encoding="utf-8")
    if args.check and stale:
        print("out of date (run: python scripts/role_docs.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
