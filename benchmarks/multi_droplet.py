# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml with nothing to change on 4 emulated droplets against 1, side by side (issue 14: <= 1.5x wall).

    .venv/bin/python benchmarks/multi_droplet.py      (make images first; Docker engine running)

Its own emulator and state (build/bench-multi/); four sites bench1..bench4 in one inventory, converged with site.yml on
bench1, provision.yml for the other three (it makes one site per run), then site.yml on all four; setup.yml instead (and
why) when four do not fit (memory, or the projected first run over BENCH_MULTI_CONVERGE_BUDGET s) or site.yml fails on
four. Once the droplets are idle (IDLE_CPU), no-change runs 1, 4, 1, 4 ... (BENCH_MULTI_PAIRS pairs, default 5), each
ending with changed=0 on every host, into benchmarks/results/multi-droplet.md and .json (figures and report:
multi_report.py). A pair during which another job took more than a quarter of a run's own CPU is set aside, listed, and
measured again (BENCH_MULTI_REMEASURE times at most). All it made is removed at the end, also on failure or Ctrl-C; the
logs stay in build/bench-multi/logs/.
"""

from __future__ import annotations

import configparser
import datetime
import itertools
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.multi_report import SITES, TARGET, disturbed, render, summary  # noqa: E402  pylint: disable=wrong-import-position
from tests.e2e import harness  # noqa: E402  pylint: disable=wrong-import-position

STATE = REPO / "build" / "bench-multi"
RESULTS = REPO / "benchmarks" / "results"
DOMAIN_SUFFIX = "ptd-bench." + harness.DNS_ZONE
REPORT = "multi-droplet"
PAIRS = int(os.environ.get("BENCH_MULTI_PAIRS", "5"))
# How often a pair another job disturbed (multi_report.disturbed) is measured again, at most.
REMEASURE = int(os.environ.get("BENCH_MULTI_REMEASURE", "3"))
RUN_TIMEOUT = int(os.environ.get("BENCH_MULTI_RUN_TIMEOUT", "1800"))  # seconds, any single playbook run
CONVERGE_BUDGET = int(os.environ.get("BENCH_MULTI_CONVERGE_BUDGET", "2400"))  # seconds for the first run on 3 more
FORCED_SCOPE = os.environ.get("BENCH_MULTI_SCOPE", "")  # "site.yml" or "setup.yml" skips the fit check
MEMORY_MARGIN_MB = 2048  # left free for the controller and the other jobs on this machine
# Before the first timed pair: the droplets' containers settle after converging (on this machine they share the
# controller's cores; real droplets are other machines). Idle: together under IDLE_CPU CPU-s per s over IDLE_WINDOW s
# (converged and idle, the four measured 0.01); waited for IDLE_WAIT s at most, and the report says how long.
IDLE_CPU, IDLE_WINDOW, IDLE_WAIT = 0.1, 3, 180
TICKS = os.sysconf("SC_CLK_TCK")
RUNNING = []  # the ansible-playbook process in flight, ended on Ctrl-C or SIGTERM


class BenchError(RuntimeError):
    """A run that cannot be measured (failed, timed out or changed something)."""


def domain_of(site):
    return "%s.%s" % (site, DOMAIN_SUFFIX)


def droplet_of(site):
    return "pytrackdat-" + site


# ----------------------------------------------------------------------------------------------- inputs
def site_overrides(site):
    """What differs between the four sites: name, domain, and the test-only first boot (Pebble, /etc/hosts)."""
    return {"pytrackdat_site": site, "pytrackdat_app_domain": domain_of(site),
            "pytrackdat_droplet_user_data": harness.PEBBLE_SETUP_SCRIPT.replace(harness.DOMAIN, domain_of(site))}


def write_inventories(emulator):
    """Two inventory folders over the same account: inv-1 selects bench1 by its site tag (as the droplets inventory's
    comments say for several sites), inv-4 every pytrackdat droplet; host_vars give bench2..4 their own site."""
    key = harness.make_keypair(STATE)
    wheels = harness.real_bundles(STATE / "wheelhouse")["wheels"]
    settings = harness.site_vars(STATE, key, harness.admin_password(STATE), wheels, design=harness.DESIGN)
    settings.update(site_overrides(SITES[0]))
    # One SSH key entry for every site: each site's own name would rename the same key (DigitalOcean keys are unique).
    settings["pytrackdat_ssh_key_name"] = "pytrackdat-bench"
    inventories = {}
    for count, tag in ((1, "pytrackdat-" + SITES[0]), (4, "pytrackdat")):
        folder = STATE / ("inv-%d" % count)
        source = harness.write_inventory(folder, settings)
        text = source.read_text()
        if "\ntags: [pytrackdat]\n" not in text:
            raise BenchError("inventory/droplets.yml no longer has the line 'tags: [pytrackdat]'")
        source.write_text(text.replace("\ntags: [pytrackdat]\n", "\ntags: [%s]\n" % tag))
        (folder / "host_vars").mkdir(mode=0o700, exist_ok=True)
        for site in SITES[1:]:
            path = folder / "host_vars" / (droplet_of(site) + ".yml")
            path.write_text("---\n" + json.dumps({k: v for k, v in site_overrides(site).items()
                                                  if not k.startswith("pytrackdat_droplet_")}, indent=2) + "\n")
        inventories[count] = source
    emulator.ensure_domain(harness.DNS_ZONE)
    return inventories


# ----------------------------------------------------------------------------------------------- measuring
def controller_cpu():
    return sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])  # user + system of the waited-for children


def machine_busy_seconds():
    """CPU seconds every core of this machine spent busy since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def container_cgroup(container_id, controller):
    """A container's cgroup folder (v2, or the v1 controller's); None when it is not at the top (then it is nested
    in one already counted)."""
    root = Path("/sys/fs/cgroup")
    for base in (root, root / controller):
        for path in (base / "docker" / container_id, base / "system.slice" / ("docker-%s.scope" % container_id)):
            if path.is_dir():
                return path
    return None


def stat_value(path, key):
    try:
        text = path.read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith(key + " ")), 0)


def cpu_seconds(container_id):
    cgroup = container_cgroup(container_id, "cpuacct")
    if cgroup is not None and (cgroup / "cpuacct.usage").exists():  # cgroup v1, as here
        return int((cgroup / "cpuacct.usage").read_text()) / 1e9
    return stat_value(cgroup / "cpu.stat", "usage_usec") / 1e6 if cgroup is not None else 0.0


def rss_mb(container_id):
    """Anonymous memory (what cannot be dropped like page cache) of a container and its children, MB."""
    cgroup = container_cgroup(container_id, "memory")
    if cgroup is None:
        return 0
    return max(stat_value(cgroup / "memory.stat", "anon"), stat_value(cgroup / "memory.stat", "total_rss")) >> 20


def droplet_containers(emulator):
    """{site: (container name, [ids of the container and of the containers its own Docker runs])}."""
    found = {}
    for droplet in emulator.api("GET", "droplets?per_page=200")["droplets"]:
        site = droplet["name"].replace("pytrackdat-", "", 1)
        if site in SITES:
            name = "ptd-droplet-%s-%s" % (droplet["id"], droplet["name"])
            ids = subprocess.run(["docker", "inspect", "-f", "{{.Id}}", name], capture_output=True, text=True,
                                 check=False, timeout=60).stdout.split()
            ids += subprocess.run(["docker", "exec", name, "docker", "ps", "-q", "--no-trunc"], capture_output=True,
                                  text=True, check=False, timeout=60).stdout.split()
            found[site] = (name, ids)
    return found


def droplet_cpu(containers):
    return {site: sum(cpu_seconds(i) for i in ids) for site, (_name, ids) in containers.items()}


def wait_until_idle(containers):
    """Wait (IDLE_WAIT s at most) until the droplets' containers are idle: the seconds waited, the last CPU rate (CPU-s per
    s, all droplets together) and whether it was under IDLE_CPU."""
    start, rate = time.monotonic(), None
    while rate is None or (rate >= IDLE_CPU and time.monotonic() - start < IDLE_WAIT):
        before = sum(droplet_cpu(containers).values())
        time.sleep(IDLE_WINDOW)  # the rate needs a window: a sample, not a fixed pause
        rate = (sum(droplet_cpu(containers).values()) - before) / IDLE_WINDOW
    harness.log("droplets idle after %.0f s (%.3f CPU-s per s)" % (time.monotonic() - start, rate))
    return {"waited_s": round(time.monotonic() - start, 1), "cpu_per_s": round(rate, 3), "idle": rate < IDLE_CPU}


def ufw_connections(container):
    """harness.ufw_ssh_connections, or None on a droplet not set up yet (no ufw: a converging run's new droplets)."""
    try:
        return harness.ufw_ssh_connections(container)
    except (subprocess.CalledProcessError, RuntimeError):
        return None


# ----------------------------------------------------------------------------------------------- running
def run(playbook, inventory, label, env, containers=None, extra=()):
    """ansible-playbook with a timeout, output to logs/<label>.log; wall, CPU and load figures beside the recap."""
    args = [str(harness.venv_bin() / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / playbook), *extra]
    log_path, containers = STATE / "logs" / (label + ".log"), containers or {}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    since, cpu0, busy0, drop0 = time.time() - 1, controller_cpu(), machine_busy_seconds(), droplet_cpu(containers)
    ufw0 = {site: ufw_connections(name) for site, (name, _ids) in containers.items()}
    start = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                stdout=log, stderr=subprocess.STDOUT)
        RUNNING.append(proc)
        try:
            rc = proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = "timeout after %d s" % RUN_TIMEOUT
        RUNNING.remove(proc)  # left there on Ctrl-C, for cleanup() to end
    seconds = time.monotonic() - start
    cpu, busy, drop1 = controller_cpu() - cpu0, machine_busy_seconds() - busy0, droplet_cpu(containers)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    # profile_tasks' running total at the first task on the servers, and at the end: the rest is the serial part
    found = list(re.finditer(r"\) +(\d+):(\d\d):([\d.]+) \*", output))
    marks = [int(f[1]) * 3600 + int(f[2]) * 60 + float(f[3]) for f in found]
    first = output.find("PLAY [Find the user that can log in]")
    on_servers = sum(f.start() < first for f in found) if first >= 0 else len(marks)
    result = {"label": label, "rc": rc, "seconds": round(seconds, 1), "controller_cpu_s": round(cpu, 1),
              "machine_busy_s": round(busy, 1), "load_avg": [round(x, 2) for x in os.getloadavg()],
              "droplet_cpu_s": {site: round(drop1[site] - drop0[site], 1) for site in drop1},
              "recap": harness.PlaybookRun(rc, output, seconds, log_path).recap, "log": str(log_path),
              "serial_s": round(seconds - (marks[-1] - marks[on_servers]) if on_servers < len(marks) else seconds, 1)}
    result["ssh_logins"] = {site: len(harness.ssh_logins(name, since)[0]) for site, (name, _cg) in containers.items()}
    result["ssh_connections"] = {site: None if ufw0[site] is None else ufw_connections(name) - ufw0[site]
                                 for site, (name, _ids) in containers.items()}
    harness.log("%s: rc %s, %.1f s, controller CPU %.1f s, load %s" % (label, rc, seconds, cpu, result["load_avg"]))
    return result


def failures(result):
    """[(host, task, message)]: the last failure of each host that stopped it (ignored ones left out)."""
    lines = Path(result["log"]).read_text(encoding="utf-8", errors="replace").splitlines()
    found, task = {}, None
    for index, line in enumerate(lines):
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line.split("[", 1)[1].rsplit("]", 1)[0]
        if not line.startswith(("fatal: [", "failed: [")):
            continue
        block = list(itertools.takewhile(lambda text: text.startswith("    "), lines[index + 1:]))
        if index + 1 + len(block) < len(lines) and lines[index + 1 + len(block)].startswith("...ignoring"):
            continue
        try:
            detail = yaml.safe_load(textwrap.dedent("\n".join(block))) if block else {}
        except yaml.YAMLError:
            detail = {}
        detail = detail if isinstance(detail, dict) else {}
        message = detail.get("msg") or line.split("=>", 1)[-1].strip()
        message = message[0] if isinstance(message, list) and message else message
        found[line.split("[", 1)[1].split("]", 1)[0]] = (task, str(message)[:300])
    return [(host, task, message) for host, (task, message) in sorted(found.items())]


def require_ok(result, hosts=None, unchanged=False):
    """Stop unless the run succeeded (on the given droplets, and with changed=0 everywhere when asked)."""
    problems = []
    if result["rc"] != 0:
        problems.append("rc %s; failed: %s" % (result["rc"], failures(result) or "see the log"))
    missing = [h for h in hosts or () if h not in result["recap"]]
    if missing:
        problems.append("no recap for %s" % ", ".join(missing))
    changed = {h: r.get("changed", 0) for h, r in result["recap"].items() if r.get("changed", 0)}
    if unchanged and changed:
        problems.append("not a no-change run: changed %s" % changed)
    if problems:
        raise BenchError("%s: %s (log: %s)" % (result["label"], "; ".join(problems), result["log"]))


def choose_scope(first, memory_mb):
    """site.yml on four droplets, unless three more droplets like bench1 would not fit in memory or in time."""
    need_mb = 3 * memory_mb + MEMORY_MARGIN_MB
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        available = next(int(line.split()[1]) // 1024 for line in meminfo if line.startswith("MemAvailable:"))
    projected = 3 * first["seconds"]  # three new droplets' first runs, worst case one after the other on 2 cores
    figures = ("bench1 after its first site.yml: %d MB resident in its containers (nested Docker and the site); "
               "%d MB available on this machine, %d MB needed (three more plus a %d MB margin); its first run took "
               "%.0f s, so three more project to <= %.0f s (budget %d s)"
               % (memory_mb, available, need_mb, MEMORY_MARGIN_MB, first["seconds"], projected, CONVERGE_BUDGET))
    if FORCED_SCOPE:
        return FORCED_SCOPE, "scope set by BENCH_MULTI_SCOPE; " + figures
    if available < need_mb:
        return "setup.yml", "four droplets with the site do not fit in memory: " + figures
    if projected > CONVERGE_BUDGET:
        return "setup.yml", "four droplets with the site do not fit in the time budget: " + figures
    return "site.yml", "four droplets with the site fit: " + figures


def converge(emulator, inventories, env):
    """site.yml on bench1, provision.yml for bench2..4, then the chosen scope on all four. Returns (scope, why, runs)."""
    first = run("site.yml", inventories[1], "converge-n1", env)
    require_ok(first, [droplet_of(SITES[0])])
    containers = droplet_containers(emulator)
    memory_mb = sum(rss_mb(i) for i in containers[SITES[0]][1])
    scope, why = choose_scope(first, memory_mb)
    harness.log("scope: %s (%s)" % (scope, why))
    for site in SITES[1:]:
        extra = STATE / ("provision-%s.json" % site)
        extra.write_text(json.dumps(site_overrides(site)))
        require_ok(run("provision.yml", inventories[4], "provision-" + site, env, extra=["-e", "@%s" % extra]))
    containers = droplet_containers(emulator)
    runs = [first, run(scope, inventories[4], "converge-n4", env, containers)]
    if runs[-1]["rc"] != 0 and scope == "site.yml":
        failed = "; ".join("%s: task [%s]: %s" % f for f in failures(runs[-1])) or "rc %s" % runs[-1]["rc"]
        why = "site.yml failed on four droplets (%s), so setup.yml was measured instead. Before that: %s" % (failed, why)
        scope = "setup.yml"
        runs.append(run(scope, inventories[4], "converge-n4-setup", env, containers))
    require_ok(runs[-1], [droplet_of(s) for s in SITES])
    return scope, why, runs


def timed_runs(scope, inventories, env, containers):
    """Alternating no-change runs 1, 4, 1, 4 ...; each must succeed with changed=0 on every host. A pair during which
    another job disturbed (multi_report.disturbed) is set aside (listed in the report) and measured again."""
    timed, set_aside, attempt = {1: [], 4: [], "set_aside": []}, 0, 0
    while len(timed[1]) < PAIRS:
        attempt += 1
        pair = {}
        for count in (1, 4):
            sites = SITES[:count]
            pair[count] = run(scope, inventories[count], "timed-n%d-%d" % (count, attempt), env,
                              {s: containers[s] for s in sites})
            require_ok(pair[count], [droplet_of(s) for s in sites], unchanged=True)
        if set_aside < REMEASURE and any(disturbed(r) for r in pair.values()):
            set_aside += 1
            timed["set_aside"] += [pair[1], pair[4]]
            continue
        timed[1].append(pair[1])
        timed[4].append(pair[4])
    return timed


# ----------------------------------------------------------------------------------------------- report
def write_report(scope, why, timed, started, settled):
    one, four = summary(timed[1], 1), summary(timed[4], 4)
    config = configparser.ConfigParser()
    config.read(REPO / "ansible.cfg")
    report = {
        "n1_median_s": one["wall_s"], "n4_median_s": four["wall_s"], "ratio": round(four["wall_s"] / one["wall_s"], 2),
        "scope": scope, "why": why, "target": TARGET, "pairs": PAIRS, "remeasure": REMEASURE, "domain_suffix": DOMAIN_SUFFIX,
        "load_avg": {"n1": [r["load_avg"] for r in timed[1]], "n4": [r["load_avg"] for r in timed[4]]},
        "measured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "total_minutes": (time.monotonic() - started) / 60,
        "forks": config.get("defaults", "forks", fallback="5 (ansible's default)"),
        "memory_total_mb": os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1 << 20),
        "tree": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True,
                               check=False, timeout=60).stdout.strip(),
        "n1": one, "n4": four, "timed": timed, "settled": settled,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / (REPORT + ".md")).write_text(render(report))
    (RESULTS / (REPORT + ".json")).write_text(json.dumps(report, indent=2) + "\n")
    print((RESULTS / (REPORT + ".md")).read_text())
    return report


# ----------------------------------------------------------------------------------------------- main
def cleanup(emulator):
    """End the run in flight, the SSH masters, the emulator (it removes its containers) and the state but the logs."""
    for proc in list(RUNNING):
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for socket_path in (STATE / "cp").glob("*"):
        subprocess.run(["ssh", "-o", "ControlPath=%s" % socket_path, "-O", "exit", "unused"], capture_output=True,
                       check=False, timeout=30, stdin=subprocess.DEVNULL)
    left = []
    if emulator is not None:
        harness.log("Stopping the emulator (it removes its droplets' containers and volumes) ...")
        emulator.stop(STATE / "emulator")
        left = harness.emulator_containers_of(emulator)
    if (STATE / "emulator" / "emulator.log").exists():
        (STATE / "logs").mkdir(exist_ok=True)
        shutil.copy(STATE / "emulator" / "emulator.log", STATE / "logs")
    for path in STATE.iterdir() if STATE.exists() else ():
        if path.is_dir() and path.name != "logs":
            shutil.rmtree(path)
        elif not path.is_dir():
            path.unlink()
    if left:
        print("left behind: %s" % left, file=sys.stderr)
    return not left


def main():
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cleans up as Ctrl-C does
    check = ["bash", str(REPO / "molecule" / "resources" / "build-images.sh"), "--check", "13", "12"]
    if subprocess.run(check, check=False).returncode:
        return 2
    started, emulator, rc = time.monotonic(), None, 1
    if STATE.exists():
        shutil.rmtree(STATE)
    STATE.mkdir(parents=True, mode=0o700)
    try:
        harness.ensure_runtime_base()
        emulator = harness.EmulatorProcess.start(STATE / "emulator")
        harness.log("Emulator at %s (pid %d); state in %s" % (emulator.url, emulator.pid, STATE))
        inventories = write_inventories(emulator)
        env = harness.playbook_env(emulator, STATE)
        scope, why, _converge = converge(emulator, inventories, env)
        containers = droplet_containers(emulator)
        settled = wait_until_idle(containers)
        timed = timed_runs(scope, inventories, env, containers)
        write_report(scope, why, timed, started, settled)
        rc = 0  # measured; the report says whether the target is met
    except BenchError as exc:
        print("multi-droplet benchmark failed: %s" % exc, file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        rc = 130
    finally:
        if not cleanup(emulator):
            rc = rc or 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
