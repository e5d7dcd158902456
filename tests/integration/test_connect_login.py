# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""connect.yml, the login every playbook starts with, as a careless user meets it: a server nobody can log in to, and
a server whose first boot's cloud-init failed. Each run stops at the login, with what to do, before anything else."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.unit.plugins.conftest import ansible_env

REPO = Path(__file__).resolve().parents[2]


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def setup_run(tmp_path, host_vars, extra_env=None):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("pytrackdat:\n  hosts:\n    lab-server:\n" + "".join(
        "      %s: %s\n" % item for item in host_vars.items()), encoding="utf-8")
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), str(REPO / "playbooks" / "setup.yml")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
                          env=ansible_env(extra_env))
    return proc.returncode, proc.stdout + proc.stderr


def test_a_server_neither_user_can_log_in_to_stops_the_run_and_says_what_to_check(tmp_path):
    port = closed_port()
    rc, output = setup_run(tmp_path, {"ansible_host": "127.0.0.1", "server_setup_ssh_port": port,
                                      "pytrackdat_initial_ssh_port": port, "ansible_ssh_private_key_file": "~/lab_key"})
    assert rc == 2, output
    assert "Cannot log in to 127.0.0.1 as 'deploy' nor as 'root'" in output, output
    assert "SSH (port %d) is reachable from here" % port in output and "(~/lab_key) matches a key" in output, output
    assert "Traceback" not in output
    # stopped at the login: no task of the setup play ran
    assert "server_setup :" not in output and "Set up the server" not in output.split("PLAY RECAP")[0], output


def test_a_failed_first_boot_stops_the_run_even_when_the_admin_user_logs_in(tmp_path):
    """The admin user logs in (here: this machine, local connection) but cloud-init reports an error."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "cloud-init").write_text("#!/bin/sh\necho 'status: error' >&2\nexit 1\n", encoding="utf-8")
    os.chmod(fake / "cloud-init", 0o755)
    rc, output = setup_run(tmp_path, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                           {"PATH": "%s%s%s" % (fake, os.pathsep, ansible_env()["PATH"])})
    assert rc == 2, output
    assert ("cloud-init, which prepares a new droplet on its first boot, ended with an error on lab-server "
            "(cloud-init: exit code 1)") in output, output
    assert "UNREACHABLE!" not in output  # the admin user did log in
    assert "Traceback" not in output and "server_setup :" not in output
