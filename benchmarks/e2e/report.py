#!/usr/bin/env python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the measurements of an e2e run (tests/e2e/artifacts/measurements.json) to benchmarks/results/e2e.md.

The numbers are measured by the e2e suite itself (`make e2e`), on the one droplet it reuses:
- first site.yml run from the design CSV, wall time and per play (timestamps printed before every play);
- generating the bundle from the design CSV with PyTrackDat's generator (the role's generate task, from
  profile_tasks): first (installs the generator, then generates), again (new site settings, generator installed),
  cached (nothing changed: no generation);
- sizes: the bundle PyTrackDat generated, the release the role packs from it (without the virtualenv), the runtime
  image archive shipped in control build mode;
- second site.yml run (nothing to change), wall time - target <= 25 s on one host; then three more back to back and
  the new SSH logins and connections (ufw's count) they opened (its LIMIT refuses a 6th in 30 s);
- a redeploy of the same design regenerated (deploy.yml) while a poller requests /login/ at 10 Hz -
  target <= 2 s of failed requests;
- a changed design refused, then carried over (deploy.yml with pytrackdat_app_allow_design_change=true);
- the existing-server path's first run (a bundle zip PyTrackDat generated).
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


def seconds(value):
    return "-" if value is None else f"{value} s"


def counts(tables):
    return ", ".join(f"{table} {n}" for table, n in (tables or {}).items()) or "-"


def size(value):
    if value is None:
        return "-"
    if value >= 1 << 20:
        return f"{value / (1 << 20):.1f} MiB ({value:,} bytes)"
    return f"{value / 1024:.1f} KiB ({value:,} bytes)"


def summary_rows(data):
    """The main table's rows: the runs of the e2e suite and their targets."""
    lines = []
    first = data.get("first_run_seconds")
    rerun = data.get("rerun_seconds")
    downtime = data.get("redeploy_downtime_seconds")
    lines.append(f"| First `site.yml` run (token -> live HTTPS site) | {first if first is not None else '-'} s | - | |")
    lines.append(f"| Second `site.yml` run (no change) | {rerun if rerun is not None else '-'} s | <= {RERUN_TARGET_S:.0f} s "
                 f"| {verdict(rerun, RERUN_TARGET_S)} |")
    if "back_to_back_rerun_logins" in data:
        logins = data["back_to_back_rerun_logins"]
        lines.append(f"| New SSH logins of three more no-change runs, back to back (ufw refuses a 6th in 30 s) | {logins} "
                     f"| <= 1 | {verdict(logins, 1)} |")
    if "back_to_back_rerun_ssh_connections" in data:
        connections = data["back_to_back_rerun_ssh_connections"]
        lines.append(f"| New connections to SSH of those runs, as ufw counts them (a login or a probe) | {connections} "
                     f"| <= 1 | {verdict(connections, 1)} |")
    lines.append(f"| Failed requests during a same-design redeploy (10 Hz poll of /login/) | "
                 f"{data.get('redeploy_failed_requests', '-')} of {data.get('redeploy_requests', '-')} "
                 f"= {downtime if downtime is not None else '-'} s | <= {DOWNTIME_TARGET_S:.0f} s | {verdict(downtime, DOWNTIME_TARGET_S)} |")
    update = data.get("redeploy_seconds")
    ratio = update / first if update is not None and first else None
    lines.append(f"| Redeploy (`deploy.yml`, same design regenerated) wall time | {seconds(update)}"
                 f"{f', {ratio:.2f}x the first run' if ratio is not None else ''} | <= 30 s, <= 0.15x | "
                 f"{'not measured' if update is None else 'met' if update <= 30 and (ratio or 0) <= 0.15 else 'NOT met'} |")
    lines.append(f"| Changed design refused (`deploy.yml`, no opt-in) wall time | {seconds(data.get('design_refused_seconds'))} | - | |")
    rows = data.get("design_change_rows") or {}
    lines.append(f"| Changed design carried over (`deploy.yml`, `pytrackdat_app_allow_design_change=true`) wall time | "
                 f"{seconds(data.get('design_change_seconds'))} | - | |")
    if rows:
        lines.append(f"| Rows before -> after the design change | {counts(rows.get('before'))} -> {counts(rows.get('after'))} | 0 lost | "
                     f"{'met' if rows.get('before') == rows.get('after') else 'NOT met'} |")
    lines.append(f"| Existing-server path (a generated bundle zip), first `site.yml` run | "
                 f"{seconds(data.get('existing_server_first_run_seconds'))} | - | |")
    return lines


def render(data):
    lines = [
        "# End-to-end timings (make e2e)",
        "",
        f"Measured {data.get('date', '?')} on {platform.node() or 'this machine'} ({platform.machine()}, "
        "2 cores shared with other jobs), emulated droplet = systemd container on 127.0.0.N, nested Docker.",
        f"Load average (1/5/15 min) when the run ended: {data.get('load_average_at_end', 'not recorded')}.",
        f"Tests in that run: {tests_line(data.get('tests'))}.",
        "",
        "| Measure | Value | Target | |",
        "|---|---|---|---|",
    ]
    lines += summary_rows(data)
    lines += [
        "",
        "## From the design CSV to what the server receives",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| Generate the bundle from the CSV, first run (installs PyTrackDat 0.2.1 in its venv, then `ptd-generate`) | "
        f"{seconds(data.get('generate_first_seconds'))} |",
        f"| Generate again (new site settings: generator already installed) | {seconds(data.get('generate_again_seconds'))} |",
        f"| Generate, cached (design and settings unchanged: nothing generated) | {seconds(data.get('generate_cached_seconds'))} |",
        f"| Bundle PyTrackDat generated (`<site>.zip`, with its virtualenv) | {size(data.get('bundle_bytes'))}, "
        f"{data.get('bundle_entries', '-')} entries |",
        f"| Release shipped to the server (packed without the virtualenv and compiled Python) | "
        f"{size(data.get('release_bytes'))}, {data.get('release_entries', '-')} entries "
        f"({data.get('release_dropped_entries', '-')} left out) |",
        "| Runtime image shipped once (control build mode; the image's size, its archive is removed from both ends) | "
        f"{size(data.get('runtime_image_shipped_bytes'))} |",
    ]
    phases = data.get("first_run_phases") or []
    if phases:
        lines += ["", "## First run, per play", "", "| Play | Seconds |", "|---|---|"]
        lines += [f"| {name} | {secs} |" for name, secs in phases]
    lines += unavoidable_lines(data)
    recap = data.get("rerun_recap")
    if recap:
        lines += ["", "## Second run recap", "", "```", json.dumps(recap, indent=1), "```"]
    lines += ["", "Per-task timings: the profile_tasks output in tests/e2e/artifacts/*.log of the same run.", ""]
    return "\n".join(lines)


UNAVOIDABLE_TARGET = 1.3


def unavoidable(data):
    """(first run, its unavoidable parts (apt + image), the ratio) or None: issue 14's first-run measure."""
    parts, first = data.get("first_run_unavoidable"), data.get("first_run_seconds")
    if not parts or not first:
        return None
    base = parts.get("apt", 0) + parts.get("image", 0)
    return first, base, (first / base if base else None)


def unavoidable_lines(data):
    measured = unavoidable(data)
    if measured is None:
        return []
    first, base, ratio = measured
    parts = data["first_run_unavoidable"]
    return ["", "## First run against its unavoidable parts", "",
            "The package installs (apt's task time, downloads included) and the runtime image (build, save, copy, "
            "load) are what a first run cannot do without; the droplet's boot and PyTrackDat's generator are shown "
            "beside them, and count as the collection's time in the ratio.", "",
            "| Part | Seconds |", "|---|---|",
            f"| apt installs (server_setup, docker, Caddy) | {parts.get('apt')} |",
            f"| runtime image (build, ship) | {parts.get('image')} |",
            *([f"| ... of which the build and save, on the control node while the server was set up (background job) | "
               f"{data['background_build_seconds']} |"] if data.get("background_build_seconds") else []),
            *([f"| ... of which the load on the server, in the background while Caddy and the code were installed | "
               f"{data['background_load_seconds']} |"] if data.get("background_load_seconds") else []),
            f"| droplet create and boot (DigitalOcean; the emulator here) | {parts.get('droplet')} |",
            f"| PyTrackDat's generator | {parts.get('generate')} |",
            f"| **first run / (apt + image)** | {first} s / {base:.1f} s = **{ratio:.2f}x** "
            f"(target <= {UNAVOIDABLE_TARGET}x: {'met' if ratio is not None and ratio <= UNAVOIDABLE_TARGET else 'NOT met'}) |"]


def tests_line(tests):
    if not tests:
        return "not recorded"
    return ", ".join(f"{tests.get(k, 0)} {k}" for k in ("passed", "failed", "skipped")) + f" of {tests.get('collected', '?')} collected"


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
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
