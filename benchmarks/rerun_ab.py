# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One no-change site.yml run against the demo droplet (`make demo` first), from this checkout or from another tree
of the collection (--tree, e.g. a git worktree of an older commit), for benchmarks/ab.py's side-by-side timing (A B A B
pairs, whole processes):

    git worktree add build/ab-base <commit>
    python benchmarks/ab.py -n 3 --warmup 1 --a '.venv/bin/python benchmarks/rerun_ab.py' \\
        --b '.venv/bin/python benchmarks/rerun_ab.py --tree build/ab-base'

Exits 1 unless the run succeeds with changed=0, so a timing of a run that changed or failed is never taken.

Both trees may keep fast-rerun stamps in /var/lib/pytrackdat-deploy on the droplet, and each tree's roles key their
inputs with their own files: run one after the other, each would find the other's stamps and run in full. So each
tree's stamps are put in place before its run and kept aside after it (in /var/lib/ptd-ab-stamps/<tree>)."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e import harness  # noqa: E402  pylint: disable=wrong-import-position

STATE = REPO / ".demo"


def tree_env(tree: Path, emulator) -> dict:
    """The demo's playbook environment, with the collection (and ansible.cfg) taken from tree."""
    env = harness.playbook_env(emulator, STATE)
    link = tree / ".collections" / "ansible_collections" / "pytrackdat" / "deploy"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(tree.resolve(), target_is_directory=True)
    env.update({"ANSIBLE_CONFIG": str(tree / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(tree / ".collections")})
    return env


def stamps(emulator, tree: Path, action: str) -> None:
    """Put this tree's own fast-rerun stamps in place on the demo droplet (restore), or keep them aside (keep)."""
    kept = "/var/lib/ptd-ab-stamps/" + hashlib.sha256(str(tree).encode()).hexdigest()[:12]
    script = {"restore": f"rm -rf /var/lib/pytrackdat-deploy; [ ! -d {kept} ] || cp -a {kept} /var/lib/pytrackdat-deploy",
              "keep": f"rm -rf {kept}; mkdir -p /var/lib/ptd-ab-stamps; "
                      f"[ ! -d /var/lib/pytrackdat-deploy ] || cp -a /var/lib/pytrackdat-deploy {kept}"}[action]
    for found in harness.emulator_containers_of(emulator):
        kind, ident = found.split()
        if kind == "container":
            subprocess.run(["docker", "exec", ident, "sh", "-c", script], check=True, capture_output=True)


def demo_args(doc: str, parser_extra=None):
    """The command line (--tree and what parser_extra adds), the demo's emulator and the chosen tree's playbook
    environment; exits 2 when no demo runs (`make demo` first)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=REPO, help="the collection's tree to run (default: this checkout)")
    if parser_extra:
        parser_extra(parser)
    args = parser.parse_args()
    emulator = harness.EmulatorProcess.load(STATE / "emulator")
    if emulator is None:
        sys.exit("no demo emulator: run `make demo` first")  # exit status 1 (benchmarks/ab.py counts it as a failed run)
    args.tree = args.tree.resolve()
    return args, emulator, tree_env(args.tree, emulator)


def main() -> int:
    args, emulator, env = demo_args(__doc__)
    tree = args.tree
    command = [str(harness.venv_bin() / "ansible-playbook"), "-i", str(STATE / "inventory" / "droplets.yml"),
               str(tree / "playbooks" / "site.yml")]
    stamps(emulator, tree, "restore")
    try:
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    finally:
        stamps(emulator, tree, "keep")
    recap = [line for line in proc.stdout.splitlines() if " changed=" in line and " ok=" in line]
    changed = sum(int(line.split(" changed=")[1].split()[0]) for line in recap)
    if proc.returncode != 0 or changed != 0 or not recap:
        print(proc.stdout[-4000:], file=sys.stderr)
        print("rc=%d changed=%d: not a no-change run" % (proc.returncode, changed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
