# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml with nothing to change, against the demo droplet (`make demo` first), and issue 14's table.

Runs site.yml BENCH_SITE_REPEAT times back to back (default 3) with profile_tasks and profile_roles, keeps the figures
in benchmarks/results/site-rerun.json and writes benchmarks/results/site.md: issue 14's table (each target, what was
measured, the verdict), the measured reasons, and per role the tasks run and skipped and their seconds. The rerun's
ratio is taken against the first run of the same make e2e (both measured in one run); the demo's reruns give the SSH
logins (sshd's journal on the droplet) over back-to-back runs, the most in any 30 s, and the new connections to SSH that
ufw counted (a login or a probe: its LIMIT on the SSH port refuses a 6th in 30 s). The other rows come from
plugins.json (plugins.py), multi-droplet.json (multi_droplet.py) and make e2e's measurements.json. Without a demo
droplet the table is written from the last site-rerun.json.
"""

from __future__ import annotations

import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.e2e.report import UNAVOIDABLE_TARGET, unavoidable  # noqa: E402  pylint: disable=wrong-import-position
from benchmarks.multi_report import cpu_floor, pair_ratios  # noqa: E402  pylint: disable=wrong-import-position
from tests.e2e import harness  # noqa: E402  pylint: disable=wrong-import-position

RESULTS = REPO / "benchmarks" / "results" / "site.md"
SAVED = RESULTS.with_name("site-rerun.json")
STATE = REPO / ".demo"
MEASUREMENTS = REPO / "tests" / "e2e" / "artifacts" / "measurements.json"
MODULE_COST = REPO / "benchmarks" / "results" / "module-cost.json"
REPEAT = int(os.environ.get("BENCH_SITE_REPEAT", "3"))
UFW_LIMIT = 6  # new connections per 30 s from one address


INVENTORY_REASON = (
    "- The inventory's `--list` is mostly ansible-core's own per-host work (variables, JSON output: an empty "
    "`ansible-inventory` takes 0.5 s, 1,000 hosts with one variable 0.87 s); the plugin's part is its import and "
    "build, about 0.15 s at 1,000 droplets. The ratios above are from the same `make bench` run."
)


def first_run_reason(data):
    """Why the first run cannot reach 1.3x its apt installs and image, from the last make e2e's figures."""
    measured = unavoidable(data)
    if not measured or not measured[1]:
        return []
    first, base, ratio = measured
    parts = data["first_run_unavoidable"]
    # The image's build and load ran beside other work (the build and save on the control node while the server is
    # set up, the load on the server while Caddy and the code are installed): the part not waited for cost no wall
    # time. (Older records: the build only.)
    overlapped = data.get("background_overlapped_seconds", data.get("background_build_seconds")) or 0
    floor = base - overlapped + parts.get("droplet", 0) + parts.get("generate", 0)
    budget = UNAVOIDABLE_TARGET * base - floor
    per_task = json.loads(MODULE_COST.read_text())["per_task_s"] if MODULE_COST.exists() else {}
    module, raw = (per_task.get(kind) for kind in ("Python module (command)", "raw (SSH, no Python on the server)"))
    costs = ["%.2f s" % cost if cost else "(not measured: run benchmarks/module_cost.py)" for cost in (module, raw)]
    room = ("That is less than nothing: on this run the target cannot be met even with every task free."
            if budget <= 0 else
            "That is %d module runs at %s each, with nothing else." % (budget / module, costs[0])
            if module else "")
    return ["- *First run against its apt installs and image (target <= 1.3x).* make e2e of %s: %.1f s against %.1f s "
            "of apt installs and %.1f s of image (%.2fx). DigitalOcean's droplet boot (%.1f s) and PyTrackDat's "
            "generator (%.1f s) count against the collection here (the generator runs before the droplet is created, "
            "so that a design PyTrackDat refuses creates nothing). %.1f s of the image ran beside other work (the build "
            "and save on the control node while the server is set up, the load on the server while Caddy and the code "
            "are installed). With every task of the collection free, the run would take apt + the rest of the image + "
            "boot + generator = %.1f s = %.2fx; for 1.3x, every other task would have to fit in %.1f s. %s A first "
            "run makes about 60 tasks that run a Python module on the server (counted in make e2e's log of 2026-12-05; "
            "a template or copy task is two module runs), each setting one thing with its own check mode and drift "
            "report, and about 20 reads without Python, beside about 80 skipped tasks and 26 includes; a Python "
            "module task costs %s here against %s for a raw command, because the server's Python compiles ansible's "
            "module_utils from each module's zip on every run (module-cost.md). Cut on 2026-12-04, side by side: the "
            "lockout probe in one command, the health check asking every quarter second, the droplet wait polling at "
            "most every 2 s, the backup tools and schedule checked once per run, the image zstd-compressed "
            "(first-run-fewer-tasks-ab.md, image-ship-ab.md); ufw in one command, the wheelhouse copied in one "
            "command, Docker and fail2ban restarted by their start task, the backup units in one module run "
            "(first-run-one-command-ab.md); the image built and saved on the control node while the server is set up "
            "(first-run-background-build-ab.md); the image loaded on the server while Caddy and the code are "
            "installed (first-run-background-load-ab.md); on Debian, no recommended packages (apt-recommends-ab.md). "
            "Cut on 2026-12-05: the roles' read-only commands run with raw, the bundle goes to the server in one "
            "upload command, and the new code's containers start with one docker compose command: side by side "
            "0.98x median, within this machine's run-to-run noise of 13 s (first-run-raw-reads-ab.md). Then Caddy's "
            "site and ufw configured while the images load on the server, the image save skipped when the background "
            "build saved the archive, docker's users read with raw: about 1.5 s by the tasks' own times, 0.87x median "
            "side by side but within the noise (first-run-front-window-ab.md). The image's load on the server (10-13 s "
            "here for 0.5 GB) is now the longest wait: no task of the app role is left to run beside it. "
            "On this machine the control node, the droplet and apt share 2 cores, so work moved beside other work "
            "slows it: on a real droplet they are different machines. Tried and not taken: Mitogen 0.3.54 (a Python "
            "kept running on the server, so modules skip that compile). With host key checking on it refuses a new "
            "droplet's unknown key (it overrides accept-new) and retries over a new SSH connection per interpreter "
            "candidate, past ufw's limit of 6 in 30 s; with it off, a no-change rerun took 7.3 s against 4.9 s "
            "(one run each), and the first run lost its connection at the first change after the package install, "
            "after 8 SSH connections within a second while probing the admin user that does not exist yet. Next: "
            "about 0.3-0.5 s each, ufw's two config lines in its one command, the Compose version read once for both "
            "roles, the docker drop-in's reload folded into the start, the control node's build folder and unpack in "
            "one step; the backup role's install (about 2 s) beside the image load, which means splitting the app "
            "role around the load in the deploy play; fewer module runs beyond those mean scripts that lose check "
            "mode and drift reports."
            % (data.get("date", "?"), first, parts.get("apt", 0), parts.get("image", 0), ratio, parts.get("droplet", 0),
               parts.get("generate", 0), overlapped, floor, floor / base, budget, room, costs[0], costs[1])]


def multi_droplet_reason(multi):
    """What bounds the 4-vs-1 ratio on this machine, from the figures multi_droplet.py wrote (None: not measured)."""
    if multi is None:
        return []
    one, four, ratio, target = multi["n1"], multi["n4"], multi["ratio"], multi["target"]
    floor = cpu_floor(four)
    pairs = ", ".join("%.2fx" % r for r in pair_ratios(multi["timed"]["1"], multi["timed"]["4"]))
    return ["- *Four droplets against one (target <= %.1fx): %s; this machine's bound is %.2fx.* multi-droplet.md (tree "
            "%s, %s, %d pairs): %.1f s against %.1f s, %.2fx (pairs %s). Each further droplet costs the controller %.1f "
            "CPU-s; the serial part both sizes share (start-up, inventory, the provision play on localhost) is %.1f s of "
            "the one-droplet run's %.1f s. The bound: that serial part, then the rest of the four-droplet run's own CPU "
            "on the %d cores, allows no less than %.1f s; the median run took %.0f%% more. On real droplets, whose CPU "
            "is their own, only the controller's share remains. Next, for a wider margin: the four state reads (keys "
            "and scripts templated per host) and the roles' argument checks."
            % (target, "met" if ratio <= target else "not met", floor / multi["n1_median_s"], multi["tree"],
               multi["measured_at"], multi["pairs"], multi["n4_median_s"], multi["n1_median_s"], ratio, pairs,
               (four["controller_cpu_s"] - one["controller_cpu_s"]) / 3, one["serial_s"], multi["n1_median_s"],
               os.cpu_count() or 1, floor, 100 * (multi["n4_median_s"] / floor - 1))]


def update_reason(data):
    """Why a same-design update is above 0.15x the first run (when it is), from the last make e2e's figures."""
    first, update = data.get("first_run_seconds"), data.get("redeploy_seconds")
    if not first or update is None or update / first <= 0.15:
        return []
    return ["- *Same-design update against the first run (target <= 0.15x; <= 30 s is met).* make e2e of %s: %.1f s "
            "against a first run of %.1f s (%.2fx); for 0.15x the update would have to take %.1f s. Of the update, "
            "PyTrackDat's generator takes %.1f s (the test regenerates the bundle with another admin e-mail) and the "
            "containers need about 1.3 s from `docker compose up` to answering /login/ on the new code (measured inside "
            "the droplet, update-fewer-runs-ab.md); the rest is about 20 module runs and a dozen reads without Python. "
            "The ratio moves with the machine's load, as both runs share its 2 cores with the droplet. Next: the admin "
            "password check and the pre-update backup in one command on the server, and the install's look for the "
            "deployed code folded into the state read."
            % (data.get("date", "?"), update, first, update / first, 0.15 * first,
               data.get("generate_again_seconds") or 0)]


def reasons(data, multi):
    return "\n".join(["**Where a target is not met, the measured reason and the next step.**", ""]
                     + first_run_reason(data) + update_reason(data) + multi_droplet_reason(multi) + [INVENTORY_REASON])


def droplet_container(emulator):
    """The demo droplet's container (the emulator names it ptd-droplet-<id>-<name>; make e2e's may exist beside it)."""
    droplets = [d for d in emulator.api("GET", "droplets?per_page=200")["droplets"] if d["name"] == harness.DROPLET_NAME]
    name = "ptd-droplet-%s-%s" % (droplets[0]["id"], harness.DROPLET_NAME) if droplets else ""
    names = subprocess.run(["docker", "ps", "--format", "{{.Names}}"], capture_output=True, text=True,
                           check=False).stdout.split()
    return name if name in names else None


def per_role(output):
    """{role: [tasks run, tasks skipped, seconds]} from profile_tasks' timestamps (plays' own tasks as "(plays)")."""
    roles = collections.defaultdict(lambda: [0, 0, 0.0])
    tasks, current = [], None
    for line in output.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+", line)
        if header:
            current = {"name": header.group(1), "ran": False, "seconds": 0.0}
            tasks.append(current)
            continue
        stamp = re.search(r"\((\d+):(\d+):(\d+(?:\.\d+)?)\)\s+\d+:\d+:\d+(?:\.\d+)?\s+\*+\s*$", line)
        if stamp and len(tasks) >= 2:
            hours, minutes, seconds = stamp.groups()
            tasks[-2]["seconds"] = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        if current and re.match(r"^(ok|changed|fatal): ", line):
            current["ran"] = True
    for task in tasks:
        role = task["name"].split(" : ")[0].replace("pytrackdat.deploy.", "") if " : " in task["name"] else "(plays)"
        roles[role][0 if task["ran"] else 1] += 1
        roles[role][2] += task["seconds"]
    return dict(roles)


def rerun(env, number):
    run = harness.run_playbook("site.yml", STATE / "inventory" / "droplets.yml", env,
                               STATE / "logs" / ("bench-rerun-%d.log" % number), echo=False)
    changed = sum(host.get("changed", 0) for host in run.recap.values())
    return {"rc": run.rc, "seconds": round(run.seconds, 2), "changed": changed, "roles": per_role(run.output),
            "load": os.getloadavg()}


def measure(emulator, container):
    """One settling run, then REPEAT reruns back to back, and the SSH logins sshd accepted during those."""
    env = harness.playbook_env(emulator, STATE)
    env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks,ansible.posix.profile_roles"
    # Not timed: a run that converges whatever a deploy.yml with other settings (or a playbook run by hand) left.
    settle = rerun(env, 0)
    if settle["rc"] != 0:
        sys.exit("site rerun: the settling site.yml run failed, see %s" % (STATE / "logs" / "bench-rerun-0.log"))
    since, connections = int(time.time()), harness.ufw_ssh_connections(container) if container else 0
    runs = [rerun(env, number) for number in range(1, REPEAT + 1)]
    time.sleep(1)
    logins, commands = harness.ssh_logins(container, since) if container else ([], 0)
    return {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": runs, "logins": len(logins),
            "burst": max((sum(1 for b in logins if a <= b < a + 30) for a in logins), default=0),
            "connections": harness.ufw_ssh_connections(container) - connections if container else 0,
            "commands": commands, "container": bool(container)}


def inventory_rows():
    """Issue 14's inventory row from the figures plugins.py wrote (make bench runs it first)."""
    path = RESULTS.with_name("plugins.json")
    if not path.exists():
        return ["| inventory plugin vs community.digitalocean | not measured (benchmarks/plugins.py did not run) | "
                "<= 0.5x / <= 0.3x; cached run 0 requests | - |"]
    sizes = json.loads(path.read_text())
    measured = " / ".join("%s: %.3fx" % (size, row["ratio"]) for size, row in sizes.items())
    cached = ", ".join("%s" % row["cached_requests"] for row in sizes.values())
    met = all(row["ratio"] <= row["target"] for row in sizes.values()) and all(
        row["cached_requests"] == 0 for row in sizes.values())
    return ["| inventory plugin vs community.digitalocean (`ansible-inventory --list`) | %s; cached run %s requests | "
            "<= 0.5x / <= 0.3x; cached run 0 requests | %s |" % (measured, cached, "met" if met else "**not met**")]


def e2e_rows(data):
    """Issue 14's update and first-run rows, from the last make e2e (it needs a fresh droplet and a poller)."""
    if not MEASUREMENTS.exists():
        return ["| same-design bundle update (`deploy.yml`) | not measured (run make e2e) | <= 30 s, <= 0.15x the first "
                "run, failed requests <= 2 s | - |",
                "| first `site.yml` run per phase vs apt downloads + image build | not measured (run make e2e) | <= 1.3x | - |"]
    first, update, down = data.get("first_run_seconds"), data.get("redeploy_seconds"), data.get("redeploy_downtime_seconds")
    rows = []
    if first and update is not None:
        met = update <= 30 and update / first <= 0.15 and (down or 0) <= 2
        rows.append("| same-design bundle update (`deploy.yml`, regenerated; make e2e of %s) | %.1f s, %.3fx the first run "
                    "(%.1f s); %s s of failed requests | <= 30 s, <= 0.15x the first run, failed requests <= 2 s | %s |"
                    % (data.get("date", "?"), update, update / first, first, down, "met" if met else "**not met**"))
    measured = unavoidable(data)
    if measured:
        total, base, ratio = measured
        rows.append("| first `site.yml` run vs apt installs + runtime image (make e2e of %s; phases in e2e.md) | %.1f s / "
                    "%.1f s = %.2fx | <= 1.3x | %s |" % (data.get("date", "?"), total, base, ratio,
                                                         "met" if ratio <= 1.3 else "**not met**"))
    return rows or ["| update, first run | not in the last make e2e's measurements | - | - |"]


def multi_droplet_rows(multi):
    """Issue 14's 4-vs-1 row from the figures multi_droplet.py wrote (make bench runs it before this script)."""
    if multi is None:
        return ["| `site.yml` rerun on 4 droplets vs 1 | not measured (benchmarks/multi_droplet.py did not run) | "
                "<= 1.5x | - |"]
    return ["| `%s` rerun on 4 droplets vs 1 | %.1f s vs %.1f s: %.2fx (this machine's bound %.2fx; controller CPU "
            "%.2fx; load %s); see multi-droplet.md | <= %.1fx | %s |"
            % (multi["scope"], multi["n4_median_s"], multi["n1_median_s"], multi["ratio"],
               cpu_floor(multi["n4"]) / multi["n1_median_s"], multi["n4"]["controller_cpu_s"] / multi["n1"]["controller_cpu_s"],
               "/".join("%.1f" % x for x in multi["n4"]["load_1min"]), multi["target"],
               "met" if multi["ratio"] <= multi["target"] else "**not met**")]


def rerun_rows(saved, data):
    """The no-change rerun: make e2e's (first run and rerun in one run) and the demo's back-to-back reruns."""
    rows = []
    first, again = data.get("first_run_seconds"), data.get("rerun_seconds")
    if first and again:
        changed = sum(host.get("changed", 0) for host in (data.get("rerun_recap") or {}).values())
        rows.append("| `site.yml` with nothing to change, one droplet (make e2e of %s) | %.1f s, %.2fx the first run "
                    "(%.1f s), changed=%d | <= 25 s and <= 0.12x, changed=0 | %s |"
                    % (data.get("date", "?"), again, again / first, first, changed,
                       "met" if again <= 25 and again / first <= 0.12 and changed == 0 else "**not met**"))
    if saved:
        runs = saved["runs"]
        wall = statistics.median(r["seconds"] for r in runs)
        ok = all(r["changed"] == 0 and r["rc"] == 0 for r in runs)
        rows.append("| the same against the demo droplet, %d runs back to back (make bench, %s) | median %.1f s%s; "
                    "changed=%s, rc=%s | <= 25 s, changed=0 | %s |"
                    % (len(runs), saved["measured"], wall, ", %.2fx" % (wall / first) if first else "",
                       ",".join(str(r["changed"]) for r in runs), ",".join(str(r["rc"]) for r in runs),
                       "met" if ok and wall <= 25 else "**not met**"))
        if saved["container"]:
            # ufw counts connections, not logins: fewer than its limit over all the runs never reach it in any 30 s
            connections = saved["connections"]
            rows.append("| SSH connections opened by those reruns | %d new connection(s) to SSH (ufw's count) and %d "
                        "login(s) over the %d runs, at most %d login(s) in any 30 s; %d commands over them (modules, "
                        "file transfers) | reported; never %d in 30 s | %s |"
                        % (connections, saved["logins"], len(runs), saved["burst"], saved["commands"], UFW_LIMIT,
                           "met" if connections < UFW_LIMIT and ok else "**not met**"))
    if "back_to_back_rerun_ssh_connections" in data:
        most = max(data["back_to_back_rerun_ssh_connections"], data["back_to_back_rerun_logins"])
        rows.append("| New SSH connections (ufw's count) and logins of three no-change runs back to back (make e2e) | "
                    "%d and %d | at most 1 | %s |" % (data["back_to_back_rerun_ssh_connections"],
                                                      data["back_to_back_rerun_logins"], "met" if most <= 1 else "**not met**"))
    return rows or ["| `site.yml` with nothing to change | not measured (make e2e, make demo) | <= 25 s and <= 0.12x | - |"]


def render(saved, data):
    path = RESULTS.with_name("multi-droplet.json")
    multi = json.loads(path.read_text()) if path.exists() else None
    lines = [
        "# Issue 14's measures (make bench)", "",
        "Written %s. Each row names the run it comes from; a ratio is taken within one run. Absolute times on this "
        "machine follow its load (2 cores shared by every job)." % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "", "| measure | measured | target | verdict |", "| --- | --- | --- | --- |",
    ] + rerun_rows(saved, data) + inventory_rows() + e2e_rows(data) + multi_droplet_rows(multi) + ["", reasons(data, multi)]
    if saved:
        last = saved["runs"][-1]
        lines += ["", "Per role (the demo's last rerun): tasks run / skipped, seconds; load average after it: %s"
                  % ", ".join("%.2f" % x for x in last["load"]), "", "| role | run | skipped | s |",
                  "| --- | ---: | ---: | ---: |"]
        for role, (ran, skipped, seconds) in sorted(last["roles"].items(), key=lambda kv: -kv[1][2]):
            lines.append("| %s | %d | %d | %.1f |" % (role, ran, skipped, seconds))
    return "\n".join(lines) + "\n"


def main():
    emulator = harness.EmulatorProcess.load(STATE / "emulator")
    saved = None
    if emulator is not None:
        saved = measure(emulator, droplet_container(emulator))
        SAVED.write_text(json.dumps(saved, indent=1) + "\n")
    elif SAVED.exists():
        print("site rerun: no demo droplet (make demo first); the table uses %s" % SAVED.relative_to(REPO))
        saved = json.loads(SAVED.read_text())
    else:
        print("site rerun: not measured, no demo droplet (make demo first)")
    data = json.loads(MEASUREMENTS.read_text()) if MEASUREMENTS.exists() else {}
    RESULTS.write_text(render(saved, data))
    print(RESULTS.read_text())
    return 0 if saved is None or all(r["rc"] == 0 for r in saved["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
