# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's docker machine backend without a Docker engine: which image a droplet's slug boots, and what
#cloud-config user data becomes. Booting real containers is tests/integration/test_docker_machines.py."""

from __future__ import annotations

import logging
import subprocess
import textwrap

import pytest

from tests.do_emulator.machines.docker import DockerMachineBackend, MachineError, cloud_config_to_script


def test_ubuntu_slugs_boot_debian_13_and_say_so(caplog):
    machines = DockerMachineBackend()
    with caplog.at_level(logging.INFO):
        assert machines.image_for("ubuntu-24-04-x64") == "local/debian-systemd:13"
    assert "Debian 13 stands in for Ubuntu 24.04" in caplog.text
    assert machines.image_for("ubuntu-22-04-x64") == "local/debian-systemd:13"
    assert machines.image_for("debian-13-x64") == "local/debian-systemd:13"
    assert machines.image_for("debian-12-x64") == "local/debian-systemd:12"


def test_an_unknown_image_slug_is_refused_with_the_known_ones():
    with pytest.raises(MachineError, match=r"centos-stream-9.*debian-12-x64"):
        DockerMachineBackend().image_for("centos-stream-9-x64")


def test_cloud_config_writes_files_then_runs_runcmd_and_names_what_it_ignores(tmp_path, caplog):
    config = textwrap.dedent(f"""\
        #cloud-config
        users: [{{name: deploy}}]
        ssh_authorized_keys: ["ssh-ed25519 AAAAextra extra@test"]
        write_files:
          - path: {tmp_path}/etc/app.conf
            content: "greeting = it's here\\n"
            permissions: "0640"
        runcmd:
          - cp {tmp_path}/etc/app.conf {tmp_path}/copied.conf
          - [sh, -c, "echo 'second command' > {tmp_path}/argv.txt"]
        """)
    with caplog.at_level(logging.WARNING):
        script, extra_keys = cloud_config_to_script(config, 42)
    assert "not supported" in caplog.text and "users" in caplog.text
    assert extra_keys == ["ssh-ed25519 AAAAextra extra@test"]
    subprocess.run(["sh", "-e", "-c", script], check=True, timeout=30)
    assert (tmp_path / "etc/app.conf").read_text() == "greeting = it's here\n"
    assert oct((tmp_path / "etc/app.conf").stat().st_mode & 0o777) == "0o640"
    assert (tmp_path / "copied.conf").read_text() == "greeting = it's here\n"
    assert (tmp_path / "argv.txt").read_text() == "second command\n"


def test_cloud_config_that_is_not_yaml_is_refused():
    with pytest.raises(MachineError, match="not valid YAML"):
        cloud_config_to_script("#cloud-config\nruncmd: [unclosed\n", 42)
