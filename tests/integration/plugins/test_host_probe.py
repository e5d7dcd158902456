# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_probe, the playbooks' login test, reads the facts the roles use with one shell command: the same values the
setup module gathers, on a real host (this machine, over the local connection; the droplets in make e2e over SSH)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils.host_probe import answer, facts

from tests.unit.plugins.conftest import ansible_env

ROLE_FACTS = ["distribution", "distribution_release", "distribution_version", "distribution_major_version", "os_family",
              "architecture", "hostname", "nodename", "virtualization_type", "virtualization_role"]


def adhoc(module, args="", verbose=False):
    command = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", module, "-a", args,
               "-e", "ansible_python_interpreter=" + sys.executable] + (["-vvv"] if verbose else [])
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                          env=ansible_env({"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"}))
    text = proc.stdout
    assert proc.returncode == 0, text + proc.stderr
    return json.loads(text[text.index("=> {") + 3:text.rindex("}") + 1]), text


def test_the_probe_reads_what_setup_gathers_with_no_module_on_the_host():
    probed, output = adhoc("pytrackdat.deploy.host_probe", verbose=True)
    assert "AnsiballZ" not in output  # one shell program, not a module run
    gathered = adhoc("ansible.builtin.setup", "gather_subset=min,virtual")[0]
    expected = {name: gathered["ansible_facts"]["ansible_" + name] for name in ROLE_FACTS}
    assert probed["ansible_facts"] == expected
    assert probed["changed"] is False and probed["cloud_init_error"] == ""


@pytest.mark.parametrize("lines, expected", [
    ("id=ubuntu\nid_like=debian\nname=Ubuntu\nversion_id=24.04\ncodename=noble\nmachine=x86_64\nnode=lab.example.org\n"
     "virt=kvm\naddress=192.0.2.7\n",
     {"distribution": "Ubuntu", "distribution_release": "noble", "distribution_version": "24.04",
      "distribution_major_version": "24", "os_family": "Debian", "hostname": "lab", "nodename": "lab.example.org",
      "virtualization_type": "kvm", "virtualization_role": "guest", "architecture": "x86_64"}),
    ("id=debian\nname=Debian GNU/Linux\nversion_id=13\ncodename=trixie\ndebian_version=13.1\nmachine=aarch64\nnode=d\n"
     "virt=none\n",
     {"distribution": "Debian", "distribution_release": "trixie", "distribution_version": "13.1",
      "distribution_major_version": "13", "os_family": "Debian", "hostname": "d", "nodename": "d",
      "virtualization_type": "NA", "virtualization_role": "NA", "architecture": "aarch64"}),
])
def test_droplet_and_bare_metal_answers_become_the_facts_setup_would_give(lines, expected):
    assert facts(answer(lines)) == expected


def test_the_module_and_the_action_read_the_same_facts():
    """The module (run on the host when the action is not used) shares the program and its reading with the action."""
    from ansible_collections.pytrackdat.deploy.plugins.modules import host_probe  # pylint: disable=import-outside-toplevel

    from tests.unit.plugins.conftest import call_module  # pylint: disable=import-outside-toplevel

    by_module = call_module(host_probe, {})
    by_action = adhoc("pytrackdat.deploy.host_probe")[0]
    assert by_module["ansible_facts"] == by_action["ansible_facts"]
    assert by_module["control_address"] == by_action["control_address"] == ""
