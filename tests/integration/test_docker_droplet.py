# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End to end: a droplet created through the API is a real systemd container reachable over SSH."""

from __future__ import annotations

import ipaddress
import os
import subprocess

import digitalocean
import pytest

from tests.do_emulator import Emulator
from tests.do_emulator.pytest_plugin import assert_loopback
from tests.do_emulator.validation import spec_missing_reason

from .systemd_host import require_engine_and_image
from tests.unit.emulator.helpers import wait_for

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker-machines")]
IMAGE = "local/debian-systemd:13"


def _docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def docker_emulator():
    """Fail (never skip) without an engine or the image: CI always has both."""
    require_engine_and_image(IMAGE)
    from tests.do_emulator.machines.docker import DockerMachineBackend  # pylint: disable=import-outside-toplevel
    # Addresses apart from test_docker_machines.py's (200-249), and ids apart from any other emulator's.
    backend = DockerMachineBackend(address_range=("127.0.0.", 150, 199))
    emulator = Emulator(machine_backend=backend, validate=spec_missing_reason() is None, action_delay=0.1,
                        seed=os.getpid()).start()
    with emulator.state.lock:
        emulator.state.counters["droplet"] = 800_000_000 + (os.getpid() % 100_000) * 100
    yield emulator
    emulator.stop()  # closes the backend: every container it made is removed
    assert emulator.response_violations() == []


def test_api_droplet_boots_a_container_reachable_over_ssh_and_delete_removes_it(docker_emulator, monkeypatch, tmp_path):
    emulator = docker_emulator
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", assert_loopback(emulator.url))
    monkeypatch.setenv("PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC", "10")
    key_path = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f", str(key_path)], check=True, timeout=30)
    key = digitalocean.SSHKey(token=emulator.token, name="e2e", public_key=key_path.with_suffix(".pub").read_text())
    key.create()

    droplet = digitalocean.Droplet(token=emulator.token, name="e2e-web", region="fra1", size="s-1vcpu-1gb",
                                   image="debian-13-x64", ssh_keys=[key.id])
    droplet.create()
    droplet.load()
    assert droplet.status == "new", "the droplet stays new while its machine boots"

    def active():
        droplet.load()
        return droplet.status == "active"
    wait_for(active, timeout=120, interval=0.5)
    address = ipaddress.ip_address(droplet.ip_address)
    assert address.is_loopback and 150 <= int(str(address).rsplit(".", 1)[1]) <= 199
    create = digitalocean.Action(token=emulator.token, id=droplet.action_ids[0])
    create.load()
    assert create.status == "completed"

    login = subprocess.run(
        ["ssh", "-i", str(key_path), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", f"root@{droplet.ip_address}", "hostname"],
        capture_output=True, text=True, timeout=60, check=False)
    assert login.returncode == 0, login.stderr
    assert login.stdout.strip() == "e2e-web"

    droplet.destroy()
    wait_for(lambda: not _docker("ps", "-aq", "--filter", f"name=ptd-droplet-{droplet.id}-").stdout.strip(), timeout=60,
             interval=0.5)
