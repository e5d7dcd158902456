"""Fixtures of the end-to-end suite: one emulator, one droplet reused by every check, one plain test host.

Run with `make e2e` (pytest -m e2e tests/e2e). The tests in test_site.py run in file order and share the droplet:
first run -> checks on the live site -> second run -> redeploy -> destroy. Measurements go to
benchmarks/results/e2e.md (see benchmarks/e2e/report.py).
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


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end to end against the emulator and containers (make e2e; minutes, needs Docker)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


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
    MEASUREMENTS.write_text(json.dumps(data, indent=2))
    subprocess.run(["python3", str(harness.REPO / "benchmarks/e2e/report.py"), str(MEASUREMENTS)], check=False)


@pytest.fixture(scope="session")
def ssh_key(state_dir):
    return harness.make_keypair(state_dir)


@pytest.fixture(scope="session")
def bundle(state_dir):
    return harness.make_bundle(state_dir / "bundle")


@pytest.fixture(scope="session")
def emulator(state_dir):
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        pytest.fail("the e2e suite needs a running Docker engine (see docs/DEVELOPING.md)")
    emu = harness.EmulatorProcess.start(state_dir / "emulator")
    emu.ensure_domain(harness.DNS_ZONE)
    yield emu
    emu.stop(state_dir / "emulator")


@pytest.fixture(scope="session")
def droplet_site(state_dir, emulator, ssh_key, bundle):
    """Inventory and environment for site.yml against the emulator (inventory/droplets.yml + group_vars)."""
    inventory = harness.write_inventory(state_dir / "inventory", harness.site_vars(state_dir, bundle, ssh_key))
    env = harness.playbook_env(emulator, state_dir)
    return {"inventory": inventory, "env": env, "state": state_dir, "key": ssh_key, "emulator": emulator}


@pytest.fixture(scope="session")
def plain_host(state_dir, ssh_key):
    """A plain Debian 13 server (no emulator) at its own 127.0.0.N, root reachable with our key, Pebble set up."""
    address = harness.free_loopback_address()
    name = f"ptd-e2e-existing-{address.rsplit('.', 1)[1]}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    volume = f"{name}-var-lib-docker"
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
        yield {"address": address, "name": name}
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True, check=False)
