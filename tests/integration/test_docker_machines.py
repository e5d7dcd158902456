# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's docker machine backend: a droplet is a real systemd host reached over SSH on its own 127.0.0.N.

These tests boot real containers from local/debian-systemd:13 (`make images`): one droplet goes
through the whole life cycle (boot, SSH, user data, reboot, power off/on, destroy), a second one checks
#cloud-config and close(), and a third is left behind by an emulator process that is killed mid-provision.
What needs no engine (image slugs, the #cloud-config conversion) is tests/unit/emulator/test_machine_config.py.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.do_emulator.machines.docker import DockerMachineBackend, MachineError

# The life-cycle tests share one droplet and run in file order: keep them on one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("docker-machines")
LABEL = "pytrackdat.emulator"
IMAGE = "local/debian-systemd:13"
# Droplet ids of this test run, unlikely to meet another session's on the shared engine.
BASE_ID = 7_000_000 + (os.getpid() % 100_000) * 10
REPO = Path(__file__).resolve().parents[2]
USER_DATA = "#!/bin/sh\necho \"ran at $(date +%s%N)\" >> /root/user-data-runs\n"


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, check=check)


def containers(*filters):
    return docker("ps", "-aq", *[a for f in filters for a in ("--filter", f)]).stdout.split()


def volumes(*filters):
    return docker("volume", "ls", "-q", *[a for f in filters for a in ("--filter", f)]).stdout.split()


def ssh(key, address, command, timeout=30):
    return subprocess.run(
        ["ssh", "-i", str(key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", f"root@{address}", command],
        capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def engine():
    """Fail (never skip) when the engine or the image is missing: CI always has both."""
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError:
        pytest.fail("the docker CLI is missing: these tests need a Docker engine (see docs/DEVELOPING.md)")
    if info.returncode != 0:
        pytest.fail(f"no Docker engine answers ({info.stderr.strip()}): start dockerd, then run `make images`")
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        pytest.fail(f"the image {IMAGE} is missing: run `make images`")


@pytest.fixture(scope="module")
def key(engine, tmp_path_factory):  # pylint: disable=unused-argument,redefined-outer-name
    path = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "emulator-test", "-f", str(path)], check=True, timeout=30)
    return path


@pytest.fixture(scope="module")
def backend(engine):  # pylint: disable=unused-argument,redefined-outer-name
    machines = DockerMachineBackend(address_range=("127.0.0.", 200, 249))
    yield machines
    machines.close()


@pytest.fixture(scope="module")
def droplet(backend, key):  # pylint: disable=redefined-outer-name
    """One droplet for the life-cycle tests; the first address of the range this test can listen on gets a
    listener, so the backend must skip it. (Not always 127.0.0.200: a CI run once found 127.0.0.200:443 taken when
    this fixture started and free again when the backend looked, which then rightly took it; the holder is unknown.)"""
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for host in range(200, 250):
        try:
            blocker.bind((f"127.0.0.{host}", 443))
            break
        except OSError:
            continue
    else:
        pytest.fail("no address in 127.0.0.200-249 is free for the test's own listener on port 443")
    blocker.listen()
    blocked = blocker.getsockname()[0]
    started = time.monotonic()
    try:
        addresses = backend.provision(BASE_ID + 1, "web-1", "debian-13-x64", [key.with_suffix(".pub").read_text()], USER_DATA)
    finally:
        blocker.close()
    logging.getLogger(__name__).info("provision took %.1f s", time.monotonic() - started)
    return {"id": BASE_ID + 1, "name": "web-1", "address": addresses["public_ipv4"], "addresses": addresses,
            "container": f"ptd-droplet-{BASE_ID + 1}-web-1", "blocked": blocked}


# --- one droplet through its life cycle --------------------------------------------------------------------


@pytest.mark.docker
def test_droplet_gets_a_free_loopback_address_with_ssh_web_ports(droplet):  # pylint: disable=redefined-outer-name
    address = droplet["address"]
    assert droplet["addresses"] == {"public_ipv4": address, "private_ipv4": address}
    assert address.startswith("127.0.0.") and 200 <= int(address.rsplit(".", 1)[1]) <= 249, address
    assert address != droplet["blocked"], f"{address} has a listener on port 443"
    ports = json.loads(docker("inspect", "--format", "{{json .HostConfig.PortBindings}}", droplet["container"]).stdout)
    assert {p: [b["HostIp"] for b in bindings] for p, bindings in ports.items()} == {
        "22/tcp": [address], "80/tcp": [address], "443/tcp": [address]}


@pytest.mark.docker
def test_root_logs_in_with_the_requested_key_and_sees_the_droplet_name(droplet, key):  # pylint: disable=redefined-outer-name
    result = ssh(key, droplet["address"], "hostname; stat -c '%a %U' /root/.ssh/authorized_keys; systemctl is-system-running")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["web-1", "600 root", "running"]


@pytest.mark.docker
def test_var_lib_docker_is_a_volume_so_nested_docker_gets_overlay2(droplet, key):  # pylint: disable=redefined-outer-name
    result = ssh(key, droplet["address"], "stat -f -c %T /var/lib/docker")
    assert result.returncode == 0 and result.stdout.strip() != "overlayfs", result.stdout + result.stderr
    assert docker("volume", "inspect", f"{droplet['container']}-var-lib-docker").returncode == 0


@pytest.mark.docker
def test_user_data_ran_once_before_provision_returned(droplet, key):  # pylint: disable=redefined-outer-name
    result = ssh(key, droplet["address"], "wc -l < /root/user-data-runs; cloud-init status")
    assert result.stdout.split() == ["1", "status:", "done"], result.stdout + result.stderr


@pytest.mark.docker
def test_reboot_boots_again_without_running_user_data_again(backend, droplet, key):  # pylint: disable=redefined-outer-name
    assert ssh(key, droplet["address"], "touch /run/before-reboot").returncode == 0
    started = time.monotonic()
    backend.reboot(droplet["id"])
    logging.getLogger(__name__).info("reboot took %.1f s", time.monotonic() - started)
    # /run is a tmpfs: the file is gone only if the machine really went down.
    result = ssh(key, droplet["address"], "test ! -e /run/before-reboot && wc -l < /root/user-data-runs && hostname")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["1", "web-1"]


@pytest.mark.docker
def test_power_off_halts_cleanly_and_power_on_brings_ssh_back(backend, droplet, key):  # pylint: disable=redefined-outer-name
    backend.power_off(droplet["id"])
    state = json.loads(docker("inspect", "--format", "{{json .State}}", droplet["container"]).stdout)
    assert (state["Running"], state["Status"]) == (False, "exited")
    assert state["ExitCode"] == 0, "systemd did not halt cleanly (137 means docker had to kill it)"
    assert ssh(key, droplet["address"], "true", timeout=20).returncode == 255
    backend.power_on(droplet["id"])
    result = ssh(key, droplet["address"], "hostname; wc -l < /root/user-data-runs")
    assert result.stdout.split() == ["web-1", "1"], result.stdout + result.stderr


@pytest.mark.docker
def test_leftovers_of_a_killed_emulator_are_cleaned_up_and_live_ones_kept(engine, droplet, tmp_path):  # pylint: disable=redefined-outer-name,unused-argument
    """An emulator process is killed mid-provision; a fresh backend's close() keeps its machine, cleanup_leftovers() removes it."""
    crashed_id = BASE_ID + 3
    script = textwrap.dedent(f"""\
        from tests.do_emulator.machines.docker import DockerMachineBackend
        DockerMachineBackend(address_range=("127.0.0.", 200, 249)).provision({crashed_id}, "crash", "debian-13-x64", [], None)
        """)
    with subprocess.Popen([sys.executable, "-c", script], cwd=REPO, start_new_session=True,  # pylint: disable=consider-using-with
                          stdout=subprocess.DEVNULL, stderr=(tmp_path / "crash.log").open("w")) as emulator:
        try:
            deadline = time.monotonic() + 60
            while not containers(f"label={LABEL}.droplet_id={crashed_id}", "status=running"):
                assert time.monotonic() < deadline and emulator.poll() is None, (tmp_path / "crash.log").read_text()
                time.sleep(0.2)
        finally:
            try:
                os.killpg(emulator.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it had finished provisioning and exited without close(): a leftover all the same
    leftover = f"label={LABEL}.droplet_id={crashed_id}"
    assert containers(leftover) and volumes(leftover)

    unrelated = DockerMachineBackend()
    unrelated.close()
    assert containers(leftover), "close() removed a machine another backend made"

    removed = DockerMachineBackend.cleanup_leftovers()
    assert removed >= 2
    assert not containers(leftover) and not volumes(leftover)
    assert containers(f"name=^/{droplet['container']}$"), "cleanup_leftovers() removed the droplet of a running emulator"


@pytest.mark.docker
def test_destroy_removes_the_container_and_its_volume_and_frees_the_address(backend, droplet):  # pylint: disable=redefined-outer-name
    mine = f"label={LABEL}.droplet_id={droplet['id']}"
    assert len(containers(mine)) == 1 and len(volumes(mine)) == 1
    backend.destroy(droplet["id"])
    assert not containers(mine) and not volumes(mine)
    backend.destroy(droplet["id"])  # destroying twice is not an error
    with socket.socket() as probe:
        probe.bind((droplet["address"], 22))
    with pytest.raises(MachineError, match="has no machine"):
        backend.power_on(droplet["id"])


# --- a second droplet: #cloud-config, then close() ---------------------------------------------------------


@pytest.mark.docker
def test_cloud_config_runcmd_runs_and_close_removes_every_machine(backend, key):  # pylint: disable=redefined-outer-name
    # A killed run left a volume of the same name behind (its nested engine's containers would start again): the
    # droplet must get a fresh one.
    stale = f"ptd-droplet-{BASE_ID + 2}-worker-2-var-lib-docker"
    docker("volume", "create", stale)
    docker("run", "--rm", "-v", f"{stale}:/v", IMAGE, "touch", "/v/left-by-a-killed-run")
    user_data = "#cloud-config\nruncmd:\n  - echo cloud-config-ran > /root/runcmd-marker\n  - [touch, /root/second]\n"
    addresses = backend.provision(BASE_ID + 2, "worker_2", "ubuntu-24-04-x64", [key.with_suffix(".pub").read_text()], user_data)
    command = "cat /root/runcmd-marker; ls /root/second; hostname; cloud-init status; ls /var/lib/docker/left-by-a-killed-run"
    result = ssh(key, addresses["public_ipv4"], command)
    assert result.stdout.split() == ["cloud-config-ran", "/root/second", "worker-2", "status:", "done"], result.stdout + result.stderr
    assert "No such file" in result.stderr, result.stderr

    backend.close()
    assert not containers(f"label={LABEL}.owner={backend.owner}") and not volumes(f"label={LABEL}.owner={backend.owner}")
    with pytest.raises(MachineError, match="closed"):
        backend.provision(BASE_ID + 4, "late", "debian-13-x64", [], None)
