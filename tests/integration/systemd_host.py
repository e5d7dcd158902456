# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throwaway Debian 13 systemd container for tests that run a playbook against a real host (the docker connection,
as Molecule uses). Fails (never skips) without an engine or the image `make images` builds."""

import os
import subprocess
import sys
import time
import uuid

import pytest

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = "local/debian-systemd:13"
SYSTEMD_FLAGS = ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
                 "--security-opt", "apparmor=unconfined", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                 "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp"]


def docker(*args, timeout=60):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def require_engine_and_image(image=IMAGE):
    """Fail (never skip) without a Docker engine or the test-host image: CI always has both."""
    try:
        if docker("info", "--format", "{{.ServerVersion}}").returncode != 0:
            pytest.fail("no Docker engine answers: start dockerd, then run `make images`")
    except FileNotFoundError:
        pytest.fail("the docker CLI is missing: this test needs a Docker engine (see docs/DEVELOPING.md)")
    if docker("image", "inspect", image).returncode != 0:
        pytest.fail(f"the image {image} is missing: run `make images`")


def boot(prefix, hostname):
    """Start a systemd container and wait until it has booted; return its name."""
    require_engine_and_image()
    name = prefix + uuid.uuid4().hex[:10]
    started = docker("run", "-d", "--name", name, "--hostname", hostname, *SYSTEMD_FLAGS, IMAGE, "/lib/systemd/systemd")
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + 180
    # Until systemd (PID 1) has set up its bus, systemctl answers "offline" (or nothing) at once; after that
    # --wait blocks until boot ends. So ask again while the answer is not a booted state, within the deadline.
    while True:
        booted = docker("exec", name, "systemctl", "is-system-running", "--wait", timeout=180)
        if booted.stdout.strip() in ("running", "degraded") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert booted.stdout.strip() in ("running", "degraded"), booted.stdout + booted.stderr
    return name


def run_playbook(container, hostname, workdir, playbook, *extra_vars, group_vars=""):
    """ansible-playbook playbooks/<playbook> on the container as group `pytrackdat`; returns (rc, output)."""
    inventory = workdir / "inventory.yml"
    inventory.write_text(
        "pytrackdat:\n"
        "  hosts:\n"
        "    %s:\n"
        "      ansible_connection: community.docker.docker\n"
        "      ansible_host: %s\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
        "  vars:\n"
        "    server_setup_user: root\n%s" % (hostname, container, group_vars), encoding="utf-8")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_CONFIG=os.path.join(PROJECT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(PROJECT, ".collections"),
               ANSIBLE_LOCAL_TEMP=str(workdir / ".ansible-tmp"), ANSIBLE_NOCOLOR="1")
    cmd = ["ansible-playbook", "-i", str(inventory), os.path.join(PROJECT, "playbooks", playbook)]
    for item in extra_vars:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, check=False, preexec_fn=lambda: os.umask(0o022))
    return proc.returncode, proc.stdout
