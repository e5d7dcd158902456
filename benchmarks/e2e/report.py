#!/usr/bin/env python
"""Render the measurements of an e2e run (tests/e2e/artifacts/measurements.json) to benchmarks/results/e2e.md.

The numbers are measured by the e2e suite itself (`make e2e`), on the one droplet it reuses:
- first site.yml run, wall time and per play (timestamps printed before every play);
- second site.yml run (nothing to change), wall time - target <= 25 s on one host;
- a redeploy of a new version of the same design (deploy.yml) while a poller requests /login/ at 10 Hz -
  target <= 2 s of failed requests;
- the existing-server path's first run.
Usage: report.py MEASUREMENTS.json [OUT.md]
"""

import json
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RERUN_TARGET_S = 25.0
DOWNTIME_TARGET_S = 2.0


def verdict(value, target):
    if value is None:
        return "not measured"
    return "met" if value <= target else "NOT met"


def render(data):
    lines = [
        "# End-to-end timings (make e2e)",
        "",
        f"Measured {data.get('date', '?')} on {platform.node() or 'this machine'} ({platform.machine()}, "
        "2 cores shared with other jobs), emulated droplet = systemd container on 127.0.0.N, nested Docker.",
        f"Load average (1/5/15 min) when the run ended: {data.get('load_average_at_end', 'not recorded')}.",
        "",
        "| Measure | Value | Target | |",
        "|---|---|---|---|",
    ]
    first = data.get("first_run_seconds")
    rerun = data.get("rerun_seconds")
    downtime = data.get("redeploy_downtime_seconds")
    lines.append(f"| First `site.yml` run (token -> live HTTPS site) | {first if first is not None else '-'} s | - | |")
    lines.append(f"| Second `site.yml` run (no change) | {rerun if rerun is not None else '-'} s | <= {RERUN_TARGET_S:.0f} s "
                 f"| {verdict(rerun, RERUN_TARGET_S)} |")
    lines.append(f"| Failed requests during a same-design redeploy (10 Hz poll of /login/) | "
                 f"{data.get('redeploy_failed_requests', '-')} of {data.get('redeploy_requests', '-')} "
                 f"= {downtime if downtime is not None else '-'} s | <= {DOWNTIME_TARGET_S:.0f} s | {verdict(downtime, DOWNTIME_TARGET_S)} |")
    lines.append(f"| Redeploy (`deploy.yml`, new bundle) wall time | {data.get('redeploy_seconds', '-')} s | - | |")
    lines.append(f"| Existing-server path, first `site.yml` run | {data.get('existing_server_first_run_seconds', '-')} s | - | |")
    phases = data.get("first_run_phases") or []
    if phases:
        lines += ["", "## First run, per play", "", "| Play | Seconds |", "|---|---|"]
        lines += [f"| {name} | {seconds} |" for name, seconds in phases]
    recap = data.get("rerun_recap")
    if recap:
        lines += ["", "## Second run recap", "", "```", json.dumps(recap, indent=1), "```"]
    lines += ["", "Per-task timings: the profile_tasks output in tests/e2e/artifacts/*.log of the same run.", ""]
    return "\n".join(lines)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2]) if len(argv) > 2 else REPO / "benchmarks" / "results" / "e2e.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
