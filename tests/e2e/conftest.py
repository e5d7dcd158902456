# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the end-to-end suite: one emulator, one droplet reused by every check, one plain test host.

Run with `make e2e` (pytest -m e2e tests/e2e). The tests in test_site.py run in file order and share the droplet:
first run (site generated from the design CSV) -> checks on the live site -> second run -> same-design redeploy ->
changed design refused, then carried over -> destroy. Measurements go to benchmarks/results/e2e.md (see
benchmarks/e2e/report.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import harness

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MEASUREMENTS = ARTIFACTS / "measurements.json"
# Outcomes of this session's tests, written next to the measurements (a report from a failed run says so).
OUTCOMES = {"passed": 0, "failed": 0, "skipped": 0, "collected": 0}


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end to end against the emulator and containers (make e2e; minutes, needs Docker)")


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        OUTCOMES[report.outcome] = OUTCOMES.get(report.outcome, 0) + 1


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def pytest_collection_finish(session):
    OUTCOMES["collected"] = len(session.items)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ptd-e2e")


@pytest.fixture(scope="session")
def measurements(artifacts):
    """Numbers the tests measured; written out and rendered to benchmarks/results/e2e.md at the end."""
    data = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    yield data
    data["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    data["tests"] = dict(OUTCOMES)
    MEASUREMENTS.write_text(json.dumps(data, indent=2))
    # benchmarks/results/e2e.md shows complete, passing runs only (a -k subset or a failure keeps the last report).
    if OUTCOMES["passed"] and OUTCOMES["passed"] == OUTCOMES["collected"] and not OUTCOMES["failed"]:
        subprocess.run(["python3", str(harness.REPO / "benchmarks/e2e/report.py"), str(MEASUREMENTS)], check=False)
    else:
        print(f"\ne2e: {OUTCOMES}: benchmarks/results/e2e.md not rewritten; measurements in {MEASUREMENTS}")


@pytest.fixture(scope="session")
def ssh_key(state_dir):
    return harness.make_keypair(state_dir)


@pytest.fixture(scope="session")
def admin_password(state_dir):
    """Random per run, written only to the inventory's group_vars (0600) and typed into the login form."""
    return harness.admin_password(state_dir)


@pytest.fixture(scope="session")
def real_bundles(state_dir):
    """A bundle PyTrackDat 0.2.1 generated (for the existing-server path) and the wheelhouse of the site's
    requirements (containers here cannot reach PyPI); the debian runtime's base image under its Docker Hub name."""
    harness.ensure_runtime_base()
    return harness.real_bundles(state_dir / "real-bundles")


@pytest.fixture(scope="session")
def emulator(state_dir):
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        pytest.fail("the e2e suite needs a running Docker engine (see docs/DEVELOPING.md)")
    emu = harness.EmulatorProcess.start(state_dir / "emulator")
    emu.ensure_domain(harness.DNS_ZONE)
    yield emu
    emu.stop(state_dir / "emulator")


@pytest.fixture(scope="session")
def droplet_site(state_dir, emulator, ssh_key, admin_password, real_bundles):
    """Inventory and environment for site.yml against the emulator (inventory/droplets.yml + group_vars), deploying
    the sample design CSV (pytrackdat_app_design: the role generates the site with PyTrackDat)."""
    settings = harness.site_vars(state_dir, ssh_key, admin_password, real_bundles["wheels"], design=harness.DESIGN)
    inventory = harness.write_inventory(state_dir / "inventory", settings)
    env = harness.playbook_env(emulator, state_dir)
    yield {"inventory": inventory, "env": env, "state": state_dir, "key": ssh_key, "emulator": emulator,
           "password": admin_password, "build": state_dir / "build"}
    harness.close_shared_ssh(state_dir)
    # The runtime image archives shipped in control mode (~0.5 GB each) are not kept in pytest's temporary folders.
    for archive in (state_dir / "build").glob("*/images*.tar*"):  # left only by a failed run
        archive.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def plain_host(state_dir, ssh_key):
    """A plain Debian 13 server (no emulator) at its own 127.0.0.N, root reachable with our key, Pebble set up."""
    address = harness.free_loopback_address()
    name = f"ptd-e2e-existing-{address.rsplit('.', 1)[1]}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    volume = f"{name}-var-lib-docker"
    # Never the volume of a killed run: its engine would start the old site's containers again.
    subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True, check=False)
    subprocess.run(["docker", "volume", "create", volume], capture_output=True, check=True)
    subprocess.run(["docker", "run", "-d", "--name", name, "--hostname", "existing-server",
                    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "AUDIT_CONTROL", "--security-opt", "seccomp=unconfined",
                    "--security-opt", "apparmor=unconfined", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", "--stop-signal", "SIGRTMIN+3",
                    "-v", f"{volume}:/var/lib/docker",
                    "-p", f"{address}:22:22", "-p", f"{address}:80:80", "-p", f"{address}:443:443",
                    harness.BASE_IMAGE, "/lib/systemd/systemd"], check=True, capture_output=True)
    try:
        pub = Path(str(ssh_key) + ".pub").read_text(encoding="utf-8")
        setup = ("set -e; until systemctl is-system-running --wait >/dev/null 2>&1 || "
                 "[ \"$(systemctl is-system-running)\" = degraded ]; do sleep 1; done; "
                 f"install -d -m 0700 /root/.ssh; printf '%s' {json.dumps(pub)} > /root/.ssh/authorized_keys; "
                 "chmod 0600 /root/.ssh/authorized_keys")
        subprocess.run(["docker", "exec", name, "sh", "-c", setup], check=True, timeout=120)
        # Test only, as on the droplet: Pebble as the ACME CA on the server's loopback.
        subprocess.run(["docker", "exec", "-i", name, "sh", "-s"], input=harness.PEBBLE_SETUP_SCRIPT, text=True,
                       check=True, timeout=600, capture_output=True)
        # A careless user's server: apt's lists emptied minutes ago (as guides to freeing disk space say), so they
        # look fresh to the roles' cache_valid_time and name no package; server_setup must refresh them (its rescue).
        subprocess.run(["docker", "exec", name, "sh", "-c", "rm -rf /var/lib/apt/lists/* && touch /var/lib/apt/lists"],
                       check=True, timeout=60)
        yield {"address": address, "name": name}
    finally:
        harness.close_shared_ssh(state_dir)
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True, check=False)
