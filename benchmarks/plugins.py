# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the DigitalOcean plugins against community.digitalocean on the same emulator.

- Inventory: pytrackdat.deploy.droplets vs community.digitalocean.digitalocean at 1,000 and 10,000 droplets:
  API requests, wall time of ``ansible-inventory --list``, and the time to build the inventory alone
  (InventoryManager in a fresh process, no JSON dump). Median of REPEAT runs (default 5) after one untimed run of
  each.
- Droplet module: pytrackdat.deploy.droplet vs community.digitalocean.digital_ocean_droplet (unique_name: true,
  its documented way to be idempotent): requests and wall time for create+wait and for an idempotent rerun,
  in an empty account and in one with 1,000 other droplets.

Both sides run as users run them (ansible CLI subprocesses), with their defaults, on one emulator without
spec validation or rate limits so the server costs the same for both. Writes benchmarks/results/plugins.md.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.do_emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position
from tests.do_emulator.pytest_plugin import assert_loopback  # noqa: E402  pylint: disable=wrong-import-position

RESULTS = REPO / "benchmarks" / "results" / "plugins.md"
CACHED = "pytrackdat.deploy.droplets, cache: true (a run after a cached one)"
INVENTORY_SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000").split(","))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
ACTION_DELAY = float(os.environ.get("BENCH_ACTION_DELAY", "5"))
SEED_BODY = {"region": "fra1", "size": "s-1vcpu-512mb-10gb", "image": "ubuntu-24-04-x64"}

PARSE_ONLY = r"""
import sys, time
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
started = time.perf_counter()
inventory = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
elapsed = time.perf_counter() - started
print(len(inventory.hosts), elapsed)
"""


def env():
    environ = dict(os.environ)
    environ.update({
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_HOME": str(REPO / ".ansible"),
        "ANSIBLE_INVENTORY_CACHE": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    })
    environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environ.get("PATH", "")
    for name in ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN", "DIGITALOCEAN_END_POINT",
                 "DIGITALOCEAN_API_URL", "OAUTH_TOKEN"):
        environ.pop(name, None)
    return environ


def new_emulator(action_delay=0.0):
    emulator = Emulator(machine_backend="none", action_delay=action_delay, validate=False,
                        rate_limit_per_minute=10 ** 9, rate_limit_per_hour=10 ** 9)
    emulator.start()
    assert_loopback(emulator.url)
    return emulator


def seed(emulator, count, prefix="seed"):
    for index in range(count):
        emulator.state.create_droplets(dict(SEED_BODY, name="%s-%05d" % (prefix, index)))
    emulator.state.tick()
    emulator.state.wait_idle(timeout=120)


def timed(command, stdin=None):
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=1800, input=stdin, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError("%s failed:\n%s\n%s" % (" ".join(command), proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc.stdout, elapsed


# ----------------------------------------------------------------------------------------------- inventory
def inventory_configs(emulator, workdir, size):
    ours = workdir / "bench.droplets.yml"
    ours.write_text("plugin: pytrackdat.deploy.droplets\napi_url: %s\napi_token: %s\n" % (emulator.url, emulator.token))
    theirs = workdir / "bench.digitalocean.yml"
    theirs.write_text("plugin: community.digitalocean.digitalocean\nbaseurl: %s\noauth_token: %s\n"
                      % (emulator.url.rstrip("/"), emulator.token))
    cached = workdir / "bench-cached.droplets.yml"
    cached.write_text(ours.read_text() + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n"
                      "cache_timeout: 3600\n" % (workdir / ("inventory-cache-%d" % size)))
    return {"pytrackdat.deploy.droplets": ours, "community.digitalocean.digitalocean": theirs, CACHED: cached}


def measure_inventory(emulator, name, config, size):
    """One `ansible-inventory --list` and one in-process build: (requests, list seconds, build seconds)."""
    before = len(emulator.request_log)
    out, elapsed = timed(["ansible-inventory", "-i", str(config), "--list"])
    requests = len(emulator.request_log) - before
    hosts = len(json.loads(out)["_meta"]["hostvars"])
    if hosts != size:
        raise RuntimeError("%s listed %d hosts, expected %d" % (name, hosts, size))
    out, dummy_elapsed = timed([sys.executable, "-c", PARSE_ONLY, str(config)])
    built, seconds = out.split()
    if int(built) != size:
        raise RuntimeError("%s built %s hosts in-process, expected %d" % (name, built, size))
    return requests, elapsed, float(seconds)


def bench_inventory(size, workdir):
    """The plugins take turns (ours, theirs, cached, ours, ...) and the ratios are taken run by run, so a change in
    the machine's load during the benchmark moves both sides of each ratio alike."""
    emulator = new_emulator()
    try:
        seed(emulator, size)
        configs = inventory_configs(emulator, workdir, size)
        # One untimed run of each first (the cached one's fills the cache it reads): whichever went first would
        # otherwise also pay the cold start (Python and Ansible files not yet in the page cache) in its first sample.
        for config in configs.values():
            timed(["ansible-inventory", "-i", str(config), "--list"])
        samples = {name: [] for name in configs}
        for dummy in range(REPEAT):
            for name, config in configs.items():
                samples[name].append(measure_inventory(emulator, name, config, size))
        rows = {name: {"requests": max(r for r, _l, _p in runs), "list": statistics.median(l for _r, l, _p in runs),
                       "parse": statistics.median(p for _r, _l, p in runs)} for name, runs in samples.items()}
        ours, theirs = samples["pytrackdat.deploy.droplets"], samples["community.digitalocean.digitalocean"]
        rows["pytrackdat.deploy.droplets"]["list_ratio"] = statistics.median(a[1] / b[1] for a, b in zip(ours, theirs))
        rows["pytrackdat.deploy.droplets"]["parse_ratio"] = statistics.median(a[2] / b[2] for a, b in zip(ours, theirs))
        return rows
    finally:
        emulator.stop()


# ----------------------------------------------------------------------------------------------- droplet module
def module_args(which, emulator, name):
    if which == "ours":
        return "pytrackdat.deploy.droplet", {"name": name, "region": "fra1", "api_url": emulator.url,
                                             "api_token": emulator.token}
    return "community.digitalocean.digital_ocean_droplet", {
        "name": name, "region": "fra1", "size": "s-1vcpu-512mb-10gb", "image": "ubuntu-24-04-x64",
        "unique_name": True, "wait": True, "oauth_token": emulator.token, "baseurl": emulator.url.rstrip("/")}


def run_module(emulator, which, name):
    module, args = module_args(which, emulator, name)
    before = len(emulator.request_log)
    out, elapsed = timed(["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", module,
                          "-a", json.dumps(args), "-e", "ansible_python_interpreter=" + sys.executable])
    result = json.loads(out.split("=>", 1)[1])
    if result.get("failed"):
        raise RuntimeError("%s failed: %s" % (module, result.get("msg")))
    return {"requests": len(emulator.request_log) - before, "seconds": elapsed, "changed": result["changed"],
            "paths": sorted({r["method"] + " " + r["path"] for r in emulator.request_log[before:]})}


def bench_module(others):
    emulator = new_emulator(action_delay=ACTION_DELAY)
    try:
        seed(emulator, others, prefix="other")
        emulator.state.action_delay = ACTION_DELAY
        rows = {}
        for which in ("ours", "theirs"):
            name = "bench-%s" % which
            create = run_module(emulator, which, name)
            rerun = run_module(emulator, which, name)
            named = [d for d in emulator.state.droplets.values() if d["name"] == name]
            rows[which] = {"create": create, "rerun": rerun, "droplets": len(named)}
        return rows
    finally:
        emulator.stop()


# ----------------------------------------------------------------------------------------------- report
def ratio_target(size):
    """Issue 14's targets for ours/community's wall time."""
    return 0.5 if size <= 1000 else 0.3


def verdict(ok):
    return "met" if ok else "**not met**"


def render(inventory, modules):
    lines = [
        "# DigitalOcean plugins: pytrackdat.deploy vs community.digitalocean",
        "",
        "Measured %s by `make bench` (`benchmarks/plugins.py`) on %s, Python %s, 2 shared cores. Both sides run as "
        "users run them (ansible CLI subprocesses, their defaults) against one local emulator without spec "
        "validation or rate limits. Times are medians of %d runs, after one untimed run of each, and include Ansible's "
        "own start-up; the plugins take turns and each ratio is the median of the run-by-run ratios."
        % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.node() or "this machine",
           platform.python_version(), REPEAT),
        "",
        "## Inventory plugin",
        "",
        "| Droplets | Plugin | Requests | Target ceil(N/200) | `ansible-inventory --list` s | Build inventory only s |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, rows in inventory.items():
        for name, row in rows.items():
            lines.append("| %d | %s | %d | %d | %.2f | %.2f |" % (size, name, row["requests"],
                                                                  0 if name == CACHED else math.ceil(size / 200),
                                                                  row["list"], row["parse"]))
    lines += ["", "| Droplets | Requests = ceil(N/200) | Wall ratio ours/theirs (`--list`) | Build ratio | "
                  "Target ratio (issue 14: <= 0.5 at 1,000, <= 0.3 at 10,000) | Cached run: requests (target 0) |",
              "|---:|---|---:|---:|---|---|"]
    for size, rows in inventory.items():
        ours = rows["pytrackdat.deploy.droplets"]
        target = ratio_target(size)
        wall, build = ours["list_ratio"], ours["parse_ratio"]
        cached = rows.get(CACHED)
        lines.append("| %d | %s | %.2f | %.2f | <= %.1f: %s (`--list`), %s (build) | %s |"
                     % (size, verdict(ours["requests"] == math.ceil(size / 200)), wall, build, target,
                        verdict(wall <= target), verdict(build <= target),
                        "%s (%d), `--list` %.2f s" % (verdict(cached["requests"] == 0), cached["requests"], cached["list"])
                        if cached else "not measured"))
    lines += ["", "## Droplet module", "",
              "community's module with `unique_name: true` (without it every run creates another droplet). "
              "Droplet create action takes %.0f s in the emulator; our module polls at 0.3 s doubling to 10 s, "
              "theirs sleeps `sleep_interval` (default 10 s) between polls." % ACTION_DELAY, "",
              "| Other droplets in the account | Module | create+wait requests | create+wait s | rerun requests | "
              "rerun changed | rerun s | droplets named so |", "|---:|---|---:|---:|---:|---|---:|---:|"]
    for others, rows in modules.items():
        for which, label in (("ours", "pytrackdat.deploy.droplet"),
                             ("theirs", "community.digitalocean.digital_ocean_droplet")):
            row = rows[which]
            lines.append("| %d | %s | %d | %.1f | %d | %s | %.1f | %d |" % (
                others, label, row["create"]["requests"], row["create"]["seconds"], row["rerun"]["requests"],
                row["rerun"]["changed"], row["rerun"]["seconds"], row["droplets"]))
    lines += ["", "Target: idempotent rerun in 1 request - "]
    lines[-1] += ", ".join("%d other droplets: %s (%d)" % (others, verdict(rows["ours"]["rerun"]["requests"] == 1),
                                                           rows["ours"]["rerun"]["requests"])
                           for others, rows in modules.items())
    lines += ["", "Requests by path (create+wait, then rerun):", ""]
    for others, rows in modules.items():
        for which in ("ours", "theirs"):
            lines.append("- %d others, %s: %s; rerun: %s" % (others, which, ", ".join(rows[which]["create"]["paths"]),
                                                             ", ".join(rows[which]["rerun"]["paths"])))
    return "\n".join(lines) + "\n"


def main():
    with tempfile.TemporaryDirectory(prefix="ptd-bench-") as tmp:
        workdir = Path(tmp)
        inventory = {}
        for size in INVENTORY_SIZES:
            print("inventory benchmark: %d droplets" % size, flush=True)
            inventory[size] = bench_inventory(size, workdir)
        modules = {}
        for others in tuple(int(n) for n in os.environ.get("BENCH_OTHERS", "0,1000").split(",")):
            print("droplet module benchmark: %d other droplets" % others, flush=True)
            modules[others] = bench_module(others)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(render(inventory, modules))
    # the inventory ratios for issue 14's table (benchmarks/site_rerun.py)
    RESULTS.with_suffix(".json").write_text(json.dumps({str(size): {
        "ratio": rows["pytrackdat.deploy.droplets"]["list_ratio"],
        "target": ratio_target(size), "cached_requests": rows[CACHED]["requests"]} for size, rows in inventory.items()}))
    print("wrote %s" % RESULTS.relative_to(REPO))


if __name__ == "__main__":
    main()
