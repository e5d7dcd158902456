# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control build mode's first step with the wheelhouse, from this checkout or another tree of the collection (--tree,
e.g. a git worktree of an older commit), for benchmarks/ab.py's side-by-side timing:

    git worktree add build/ab-base <commit>
    python benchmarks/ab.py -n 5 --warmup 1 --a '.venv/bin/python benchmarks/wheel_context.py --tree build/ab-base' \\
        --b '.venv/bin/python benchmarks/wheel_context.py'

One ansible-playbook run (connection local, as the role delegates these tasks to the control node) of the tree's own
tasks that put the wheelhouse into a new, empty build context: every task of images_control.yml's build block whose
name mentions the wheelhouse or the wheel folder, with the variables the role gives them. Exits 1 unless the run
succeeds and every wheel arrived byte for byte."""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.rerun_ab import tree_env  # noqa: E402  pylint: disable=wrong-import-position

BLOCK = "Build the images on the control node"


def wheel_tasks(tree: Path) -> list:
    # images_build.yml since the image builds in the background in site.yml (before: images_control.yml)
    tasks_dir = tree / "roles/pytrackdat_app/tasks"
    path = tasks_dir / "images_build.yml" if (tasks_dir / "images_build.yml").exists() else tasks_dir / "images_control.yml"
    tasks = yaml.safe_load(path.read_text(encoding="utf-8"))
    block = next(task for task in tasks if task.get("name") == BLOCK)
    return [task for task in block["block"] if "wheel" in task.get("name", "").lower()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=REPO)
    parser.add_argument("--wheelhouse", type=Path, default=REPO / "build" / "fixtures" / "wheels")
    args = parser.parse_args()
    wheels = sorted(path.name for path in args.wheelhouse.glob("*.whl"))
    if not wheels:
        print("no wheels in %s (make fixtures)" % args.wheelhouse, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="ptd-wheels-") as work:
        control_dir = Path(work) / "build"
        play = [{"name": "Put the wheelhouse into a new build context", "hosts": "localhost", "gather_facts": False,
                 "vars": {"pytrackdat_app_runtime": "debian", "pytrackdat_app_wheelhouse": str(args.wheelhouse),
                          "_pytrackdat_app_wheels": wheels, "_pytrackdat_app_control_dir": str(control_dir),
                          "pytrackdat_app_layout": {"site": "site"}},
                 "tasks": [{"name": "Make the build directory (the role's earlier task does)",
                            "ansible.builtin.file": {"path": str(control_dir / "site"), "state": "directory",
                                                     "mode": "0700"}}] + wheel_tasks(args.tree)}]
        playbook = Path(work) / "play.yml"
        playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
        proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                               "-e", "ansible_python_interpreter=" + sys.executable, str(playbook)],
                              cwd=args.tree, env=tree_env(args.tree.resolve(), None), capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            print(proc.stdout[-3000:] + proc.stderr[-3000:], file=sys.stderr)
            return 1
        context = control_dir / "site" / "wheels"
        missing = [name for name in wheels
                   if not (context / name).is_file() or not filecmp.cmp(args.wheelhouse / name, context / name, False)]
        if missing:
            print("not in the build context as in the wheelhouse: %s" % ", ".join(missing), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
