# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run whose droplets inventory failed, or found no droplet, stops with an error: never "no hosts matched", exit 0.

The playbooks run as users run them (ansible-playbook -i inventory/droplets.yml playbooks/<book>) against the
emulator. The tests never get as far as a connection to a droplet: the emulator's droplet addresses are not loopback.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.do_emulator.pytest_plugin import assert_loopback

from tests.unit.plugins.conftest import ROOT, ansible_env, writes

INVENTORY = os.path.join("inventory", "droplets.yml")
SERVER_PLAYBOOKS = ["backup.yml", "restore.yml", "deploy.yml", "setup.yml"]


def run(emu, command, token, ansible_config=None):
    env = ansible_env({"DIGITALOCEAN_ACCESS_TOKEN": token, "DIGITALOCEAN_END_POINT": assert_loopback(emu.url),
                       "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC": "10"})
    if ansible_config is not None:
        env["ANSIBLE_CONFIG"] = str(ansible_config)
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc, proc.stdout + proc.stderr


def playbook(emu, book, token, ansible_config=None):
    return run(emu, ["ansible-playbook", "-i", INVENTORY, os.path.join("playbooks", book)], token, ansible_config)


@pytest.fixture
def without_project_config(tmp_path):
    """An empty ansible.cfg: ansible's defaults, as for a user of the installed collection."""
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    return config


def seed(emu, name, tags):
    emu.state.create_droplets({"name": name, "region": "fra1", "size": "s-1vcpu-512mb-10gb",
                               "image": "debian-13-x64", "tags": tags})


def assert_stopped_naming_the_inventory(proc, output):
    assert proc.returncode != 0, output
    assert "DIGITALOCEAN_ACCESS_TOKEN" in output, output
    assert "droplets.yml" in output, output


@pytest.mark.parametrize("book", SERVER_PLAYBOOKS)
def test_a_rejected_token_fails_the_run_and_names_the_token(do_emulator, book):
    proc, output = playbook(do_emulator, book, "wrong-token")
    assert_stopped_naming_the_inventory(proc, output)
    assert any(r["status"] == 401 for r in do_emulator.request_log)
    assert writes(do_emulator.request_log) == []


@pytest.mark.parametrize("book", SERVER_PLAYBOOKS)
def test_a_rejected_token_fails_the_run_without_the_projects_ansible_cfg(do_emulator, book, without_project_config):
    proc, output = playbook(do_emulator, book, "wrong-token", without_project_config)
    assert_stopped_naming_the_inventory(proc, output)
    assert "Check that the inventory found the server" in output


@pytest.mark.parametrize("book", SERVER_PLAYBOOKS)
def test_a_valid_token_without_the_droplet_fails_the_run(do_emulator, book):
    seed(do_emulator, "someone-elses-droplet", ["web"])                 # in the account, not tagged pytrackdat
    proc, output = playbook(do_emulator, book, do_emulator.token)
    assert [r["status"] for r in do_emulator.request_log] == [200]       # the inventory itself worked
    assert_stopped_naming_the_inventory(proc, output)
    assert 'no host in the "pytrackdat" group' in output.lower()
    assert writes(do_emulator.request_log) == []


def test_the_check_passes_when_the_inventory_found_the_droplet(do_emulator):
    seed(do_emulator, "pytrackdat-lab", ["pytrackdat", "pytrackdat-lab"])
    proc, output = playbook(do_emulator, "require_hosts.yml", do_emulator.token)
    assert proc.returncode == 0, output
    assert "failed=0" in output


def test_ansible_inventory_fails_on_a_rejected_token_with_the_projects_ansible_cfg(do_emulator):
    proc, output = run(do_emulator, ["ansible-inventory", "-i", INVENTORY, "--graph"], "wrong-token")
    assert proc.returncode != 0, output
    assert "DIGITALOCEAN_ACCESS_TOKEN" in output and "droplets.yml" in output
