# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every benchmark under benchmarks/ and write its results to benchmarks/results/ (`make bench`).

- plugins.py: the DigitalOcean inventory plugin and droplet module vs community.digitalocean
  -> benchmarks/results/plugins.md
- pytrackdat_bundle.py: a real PyTrackDat bundle - generation, release size, image builds per runtime
  -> benchmarks/results/pytrackdat_bundle.md
- multi_droplet.py (with BENCH_MULTI=1): the no-change rerun on 4 emulated droplets vs 1
  -> benchmarks/results/multi-droplet.md
- site_rerun.py: site.yml with nothing to change against the demo droplet (make demo first; without it, its last
  figures in results/site-rerun.json), three runs back to back and their SSH logins, per role, and issue 14's whole
  table (the inventory, 4-vs-1, update and first-run rows from plugins.py, multi_droplet.py and make e2e's figures)
  -> benchmarks/results/site.md
- e2e/report.py: renders the timings the e2e suite measured (make e2e), when they exist
  -> benchmarks/results/e2e.md
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main():
    failed = []
    steps = [("plugins", [sys.executable, str(REPO / "benchmarks" / "plugins.py")]),
             ("pytrackdat bundle", [sys.executable, str(REPO / "benchmarks" / "pytrackdat_bundle.py")]),
             ("site.yml rerun (demo droplet) and issue 14's table", [sys.executable, str(REPO / "benchmarks" / "site_rerun.py")])]
    if os.environ.get("BENCH_MULTI") == "1":  # about 10 min: its own emulator, four droplets converged, then timed
        steps.insert(2, ("site.yml rerun, 4 droplets vs 1", [sys.executable, str(REPO / "benchmarks" / "multi_droplet.py")]))
    else:
        print("4 droplets vs 1: not run (about 10 min; BENCH_MULTI=1 runs it); the table uses results/multi-droplet.json")
    measurements = REPO / "tests" / "e2e" / "artifacts" / "measurements.json"
    if measurements.exists():
        steps.append(("e2e report", [sys.executable, str(REPO / "benchmarks" / "e2e" / "report.py"), str(measurements)]))
    else:
        print("e2e report: skipped, %s does not exist (run make e2e first)" % measurements.relative_to(REPO))
    for name, command in steps:
        print("== %s" % name, flush=True)
        if subprocess.run(command, cwd=REPO, env=dict(os.environ), check=False).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit("benchmarks failed: %s" % ", ".join(failed))


if __name__ == "__main__":
    main()
