# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator through community.digitalocean (1.27, from the ``ansible`` package), unchanged.

Its inventory plugin and its ``digital_ocean_droplet`` module run as ``ansible-inventory`` and
``ansible-playbook`` subprocesses from the venv, pointed at the emulator with ``baseurl``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.do_emulator.pytest_plugin import assert_loopback

from tests.unit.emulator.helpers import wait_for

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(not (BIN / "ansible-playbook").exists() and not shutil.which("ansible-playbook"),
                                reason="ansible-playbook is not installed next to this Python (make venv installs it)")


def _ansible(tool, *args, cwd):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false",
               ANSIBLE_INVENTORY_ENABLED="community.digitalocean.digitalocean,ansible.builtin.host_list")
    env.pop("DO_API_TOKEN", None)
    env.pop("DO_API_KEY", None)
    result = subprocess.run([str(BIN / tool) if (BIN / tool).exists() else tool, *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{tool} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _strip_unsafe(value):
    """ansible-inventory --list marks strings as {"__ansible_unsafe": ...}; unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _strip_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_unsafe(v) for v in value]
    return value


def test_inventory_plugin_lists_every_droplet_across_pages(do_emulator, tmp_path):
    with do_emulator.state.lock:
        do_emulator.state.create_droplets({"names": ["inv-1", "inv-2"], "region": "nyc3", "size": "s-1vcpu-1gb",
                                           "image": "debian-12-x64", "tags": ["web"]})
        do_emulator.state.create_droplets({"name": "inv-db", "region": "fra1", "size": "s-2vcpu-4gb",
                                           "image": "ubuntu-24-04-x64", "tags": ["db"]})
    wait_for(lambda: all(d["status"] == "active" for d in do_emulator.state.droplets.values()))
    (tmp_path / "do_hosts.yml").write_text(f"""---
plugin: community.digitalocean.digitalocean
oauth_token: {do_emulator.token}
baseurl: {assert_loopback(do_emulator.base_url)}/v2
pagination: 2
attributes: [id, name, networks, region, size_slug, tags]
keyed_groups:
  - key: do_region.slug
    prefix: region
compose:
  ansible_host: do_networks.v4 | selectattr('type', 'eq', 'public') | map(attribute='ip_address') | first
""")
    do_emulator.request_log.clear()
    inventory = _strip_unsafe(json.loads(_ansible("ansible-inventory", "-i", "do_hosts.yml", "--list", cwd=tmp_path)))
    hostvars = inventory["_meta"]["hostvars"]
    assert sorted(hostvars) == ["inv-1", "inv-2", "inv-db"]
    for name, variables in hostvars.items():
        droplet = next(d for d in do_emulator.state.droplets.values() if d["name"] == name)
        public = next(n["ip_address"] for n in droplet["networks"]["v4"] if n["type"] == "public")
        assert variables["ansible_host"] == public
        assert variables["do_id"] == droplet["id"]
    assert sorted(inventory["region_nyc3"]["hosts"]) == ["inv-1", "inv-2"]
    assert inventory["region_fra1"]["hosts"] == ["inv-db"]
    pages = [e for e in do_emulator.request_log if e["path"].rstrip("/") == "/v2/droplets"]
    assert [e["query"].get("page", "1") for e in pages] == ["1", "2"], "followed links.pages.next"


def test_droplet_module_creates_finds_and_deletes(do_emulator, tmp_path):
    do_emulator.state.action_delay = 0.1
    common = f"""
        oauth_token: {do_emulator.token}
        baseurl: {assert_loopback(do_emulator.base_url)}/v2
        name: mod-1
        size: s-1vcpu-1gb
        image: debian-12-x64
        region: nyc3
        unique_name: true
        sleep_interval: 1
        wait_timeout: 30"""
    (tmp_path / "droplet.yml").write_text(f"""---
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Create
      community.digitalocean.digital_ocean_droplet:{common}
        state: present
    - name: Create again
      community.digitalocean.digital_ocean_droplet:{common}
        state: present
    - name: Delete
      community.digitalocean.digital_ocean_droplet:{common}
        state: absent
""")
    output = json.loads(_ansible("ansible-playbook", "-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}",
                                 "droplet.yml", cwd=tmp_path))
    created, again, deleted = (t["hosts"]["localhost"] for t in output["plays"][0]["tasks"])
    assert created["changed"] is True
    droplet = created["data"]["droplet"]
    assert droplet["name"] == "mod-1" and droplet["status"] == "active"
    assert [n["type"] for n in droplet["networks"]["v4"]] == ["private", "public"]

    assert again["changed"] is False
    assert again["data"]["droplet"]["id"] == droplet["id"], "unique_name found the droplet instead of making a second"
    creates = [e for e in do_emulator.request_log if e["method"] == "POST" and e["path"].rstrip("/") == "/v2/droplets"]
    assert len(creates) == 1

    assert deleted["changed"] is True
    assert do_emulator.state.droplets == {}
    assert any(e["method"] == "DELETE" and e["status"] == 204 for e in do_emulator.request_log)
