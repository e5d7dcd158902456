# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A first site.yml run on a new demo droplet (`make demo` first: its emulator and settings), from this checkout or
from another tree of the collection (--tree, e.g. a git worktree of an older commit), for benchmarks/ab.py's
side-by-side timing of first runs (A B A B pairs, whole processes):

    git worktree add build/ab-base <commit>
    python benchmarks/ab.py -n 3 --warmup 1 --a '.venv/bin/python benchmarks/first_run_ab.py' \\
        --b '.venv/bin/python benchmarks/first_run_ab.py --tree build/ab-base'

Each run destroys the demo droplet (destroy.yml, the same for both trees), then runs site.yml, which creates a new
droplet and sets up, installs and deploys everything on it. The design's bundle and the runtime image stay on the
control node between runs (as for a second site from one control node): what differs is the server's side and the
ship. With --cold-image, the runtime image and Docker's build cache go too (before the timed run), so the image
builds from nothing, as on a new control node. Both parts' seconds are appended to --times (JSON lines), so the
destroy can be told apart from the run. Exits 1 unless both succeed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.rerun_ab import STATE, demo_args  # noqa: E402  pylint: disable=wrong-import-position
from tests.e2e import harness  # noqa: E402  pylint: disable=wrong-import-position


def playbook(tree: Path, env: dict, name: str, *extra: str) -> tuple[int, float, str]:
    command = [str(harness.venv_bin() / "ansible-playbook"), "-i", str(STATE / "inventory" / "droplets.yml"),
               str(tree / "playbooks" / name), *extra]
    started = time.monotonic()
    proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, time.monotonic() - started, proc.stdout + proc.stderr


def main() -> int:
    def extra(parser):
        parser.add_argument("--times", type=Path, default=REPO / "build" / "first-run-ab.jsonl")
        parser.add_argument("--cold-image", action="store_true", help="remove the runtime image and the build cache first")

    args, _emulator, env = demo_args(__doc__, extra)
    tree = args.tree
    rc, destroy_s, out = playbook(tree, env, "destroy.yml", "-e", "confirm_destroy=" + harness.DROPLET_NAME)
    if rc != 0:
        print(out[-4000:], file=sys.stderr)
        return 1
    if args.cold_image:
        images = subprocess.run(["docker", "image", "ls", "-q", "pytrackdat-runtime/*"], capture_output=True,
                                text=True, check=True).stdout.split()
        if images:
            subprocess.run(["docker", "image", "rm", "-f", *sorted(set(images))], capture_output=True, check=True)
        subprocess.run(["docker", "builder", "prune", "-af"], capture_output=True, check=True)
    rc, site_s, out = playbook(tree, env, "site.yml")
    args.times.parent.mkdir(parents=True, exist_ok=True)
    with args.times.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"tree": str(tree), "destroy_s": round(destroy_s, 1), "site_s": round(site_s, 1),
                                 "rc": rc, "cold_image": args.cold_image,
                                 "at": time.strftime("%Y-%m-%d %H:%M:%S")}) + "\n")
    if rc != 0:
        print(out[-4000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
