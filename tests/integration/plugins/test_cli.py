# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugins as users meet them: ansible-doc renders them, ansible-playbook runs the modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.unit.plugins.conftest import ansible_env, writes

PLUGINS = [("module", "pytrackdat.deploy.droplet"), ("module", "pytrackdat.deploy.ssh_key"),
           ("module", "pytrackdat.deploy.firewall"), ("module", "pytrackdat.deploy.domain_record"),
           ("inventory", "pytrackdat.deploy.droplets")]


@pytest.mark.parametrize("kind, name", PLUGINS)
def test_ansible_doc_renders(kind, name):
    text = subprocess.run(["ansible-doc", "-t", kind, name], capture_output=True, text=True, env=ansible_env(),
                          timeout=120, check=False)
    assert text.returncode == 0, text.stderr
    assert "ERROR" not in text.stderr and "EXAMPLES" in text.stdout
    assert "api_token" in text.stdout
    raw = subprocess.run(["ansible-doc", "-t", kind, "--json", name], capture_output=True, text=True,
                         env=ansible_env(), timeout=120, check=True)
    doc = json.loads(raw.stdout)[name]
    assert doc["doc"]["short_description"] and doc["examples"].strip()
    if kind == "module":
        assert doc["return"]
        assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"
        assert doc["doc"]["attributes"]["diff_mode"]["support"] == "full"


@pytest.mark.parametrize("name", ["pytrackdat.deploy.ufw_stale_ssh_rules", "pytrackdat.deploy.ufw_bad_sources",
                                  "pytrackdat.deploy.ufw_missing_rules", "pytrackdat.deploy.ufw_plan"])
def test_ansible_doc_renders_the_filters(name):
    listed = subprocess.run(["ansible-doc", "-t", "filter", "-l", "pytrackdat.deploy"], capture_output=True, text=True,
                            env=ansible_env(), timeout=120, check=True)
    assert name in listed.stdout and "ERROR" not in listed.stderr, listed.stderr
    raw = subprocess.run(["ansible-doc", "-t", "filter", "--json", name], capture_output=True, text=True,
                         env=ansible_env(), timeout=120, check=True)
    doc = json.loads(raw.stdout)[name]
    assert doc["doc"]["short_description"] and doc["examples"].strip() and doc["return"]["_value"]


PLAYBOOK = """
- name: Droplet and its firewall, the way a user writes it
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Droplet
      pytrackdat.deploy.droplet:
        name: ptd-cli
        region: fra1
        tags: [pytrackdat]
      register: server
    - name: Firewall
      pytrackdat.deploy.firewall:
        name: ptd-cli
        tags: [pytrackdat]
        inbound_rules:
          - {protocol: tcp, ports: "22", sources: {addresses: ["0.0.0.0/0"]}}
        outbound_rules:
          - {protocol: tcp, ports: all, destinations: {addresses: ["0.0.0.0/0"]}}
    - name: Same keys whether created or found
      ansible.builtin.assert:
        that:
          - server.droplet is mapping
          - server.public_ipv4 is string or ansible_check_mode
          - "'private_ipv4' in server and 'ipv6' in server"
"""


def _play(tmp_path, emu, *extra):
    book = tmp_path / "play.yml"
    book.write_text(PLAYBOOK)
    env = ansible_env({"DIGITALOCEAN_ACCESS_TOKEN": emu.token, "DIGITALOCEAN_END_POINT": emu.url,
                       "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    command = ["ansible-playbook", "-i", "localhost,", "-e", "ansible_python_interpreter=" + sys.executable, str(book)]
    proc = subprocess.run(command + list(extra), capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    recap = proc.stdout[proc.stdout.rindex("PLAY RECAP"):]
    return int(recap.split("changed=")[1].split()[0])


def test_playbook_check_then_apply_then_idempotent(do_emulator, tmp_path):
    assert _play(tmp_path, do_emulator, "--check", "--diff") == 2
    assert writes(do_emulator.request_log) == [] and do_emulator.state.droplets == {}
    assert _play(tmp_path, do_emulator) == 2
    assert len(do_emulator.state.droplets) == 1 and len(do_emulator.state.firewalls) == 1
    assert _play(tmp_path, do_emulator, "--check") == 0
    before = len(do_emulator.request_log)
    assert _play(tmp_path, do_emulator) == 0
    assert writes(do_emulator.request_log, before) == []
    assert len(do_emulator.request_log) - before == 2          # one list per module


@pytest.mark.parametrize("package, named", [("digitalocean", "python-digitalocean"), ("requests", "requests")])
def test_a_missing_library_is_reported_not_a_traceback(tmp_path, package, named):
    blocker = tmp_path / "blocked" / package
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('%s hidden for this test')\n" % package)
    env = ansible_env({"PYTHONPATH": str(blocker.parent), "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    proc = subprocess.run(["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", "pytrackdat.deploy.droplet",
                           "-a", "name=web api_token=ptd-unused-token api_url=http://127.0.0.1:9/v2/",
                           "-e", "ansible_python_interpreter=" + sys.executable],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode != 0
    result = json.loads(proc.stdout.split("=>", 1)[1])
    assert "Failed to import the required Python library (%s)" % named in result["msg"]
    assert "Traceback" not in result["msg"]
