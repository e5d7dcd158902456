# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One same-design update (deploy.yml, the bundle regenerated with a new admin e-mail, as make e2e's redeploy does)
against the demo droplet (`make demo` first), from this checkout or from another tree of the collection (--tree), for
benchmarks/ab.py's side-by-side timing:

    git worktree add build/ab-base <commit>
    python benchmarks/ab.py -n 3 --warmup 1 --a '.venv/bin/python benchmarks/update_ab.py' \\
        --b '.venv/bin/python benchmarks/update_ab.py --tree build/ab-base'

Every run regenerates (a new e-mail each time, so no tree reuses the other's bundle), installs the new code and
recreates the containers. Exits 1 unless the run succeeds and the app role installed the code (a run that installed
nothing is not an update and is never timed). Each tree's fast-rerun stamps are put in place before its run and kept
aside after it, as rerun_ab.py does."""

from __future__ import annotations

import subprocess
import sys
import uuid

from rerun_ab import STATE, demo_args, harness, stamps

INSTALLED = "changed: [pytrackdat-demo]"


def main() -> int:
    args, emulator, env = demo_args(__doc__)
    tree = args.tree
    command = [str(harness.venv_bin() / "ansible-playbook"), "-i", str(STATE / "inventory" / "droplets.yml"),
               str(tree / "playbooks" / "deploy.yml"), "-e", f"pytrackdat_app_admin_email=ab-{uuid.uuid4().hex[:10]}@example.test"]
    stamps(emulator, tree, "restore")
    try:
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    finally:
        stamps(emulator, tree, "keep")
    task = "TASK [pytrackdat.deploy.pytrackdat_app : Install the code and keep the live data"
    after = proc.stdout.split(task, 1)[1] if task in proc.stdout else ""
    installed = after.split("\n\n", 1)[0]
    if proc.returncode != 0 or INSTALLED not in installed:
        print(proc.stdout[-4000:], file=sys.stderr)
        print("rc=%d: not an update that installed new code" % proc.returncode, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
