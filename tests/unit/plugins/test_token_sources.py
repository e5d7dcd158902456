# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where every module takes its token from (option or the environment names the inventory plugin reads too),
in which order, and that the token never shows in a result."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import TOKEN_ENV_VARS
from ansible_collections.pytrackdat.deploy.plugins.modules import domain_record, droplet, firewall, ssh_key

from .conftest import ansible_env, call_module

MODULES = {
    "droplet": (droplet, {"name": "web", "region": "fra1"}),
    "firewall": (firewall, {"name": "web", "state": "absent"}),
    "ssh_key": (ssh_key, {"name": "deploy", "state": "absent"}),
    "domain_record": (domain_record, {"domain": "example.org", "name": "www", "type": "A", "state": "absent"}),
}


def _check(module_name, emu, **args):
    """Run a module in check mode against the emulator; its result and the statuses of its requests."""
    module, options = MODULES[module_name]
    if "example.org" not in emu.state.domains:
        emu.state.create_domain({"name": "example.org"})
    start = len(emu.request_log)
    result = call_module(module, dict(options, api_url=emu.url, **args), check_mode=True)
    return result, [r["status"] for r in emu.request_log[start:]]


def test_the_environment_names_are_the_inventory_plugins():
    assert TOKEN_ENV_VARS == ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN")


@pytest.mark.parametrize("module_name", sorted(MODULES))
@pytest.mark.parametrize("variable", TOKEN_ENV_VARS)
def test_every_module_takes_the_token_from_each_environment_name(do_emulator, monkeypatch, module_name, variable):
    monkeypatch.setenv(variable, do_emulator.token)
    result, statuses = _check(module_name, do_emulator)
    assert "failed" not in result, result
    assert statuses and set(statuses) == {200}
    assert do_emulator.token not in json.dumps(result)


@pytest.mark.parametrize("first, second", [(0, 1), (0, 2), (1, 2)])
def test_an_earlier_environment_name_wins(do_emulator, monkeypatch, first, second):
    monkeypatch.setenv(TOKEN_ENV_VARS[first], do_emulator.token)
    monkeypatch.setenv(TOKEN_ENV_VARS[second], "a-revoked-token")
    result, statuses = _check("droplet", do_emulator)
    assert "failed" not in result and set(statuses) == {200}, result
    monkeypatch.setenv(TOKEN_ENV_VARS[first], "a-revoked-token")
    monkeypatch.setenv(TOKEN_ENV_VARS[second], do_emulator.token)
    result, statuses = _check("droplet", do_emulator)
    assert result["failed"] is True and statuses == [401], result


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_the_api_token_option_wins_over_the_environment_and_is_never_shown(do_emulator, monkeypatch, module_name):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "a-revoked-token")
    result, statuses = _check(module_name, do_emulator, api_token=do_emulator.token)
    assert "failed" not in result and set(statuses) == {200}, result
    assert do_emulator.token not in json.dumps(result)
    # ansible-core 2.21 returns the invocation only when asked for it; where it is there, the token is masked
    if "invocation" in result:
        assert result["invocation"]["module_args"]["api_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_a_rejected_token_is_not_echoed_in_the_failure(do_emulator):
    result, statuses = _check("droplet", do_emulator, api_token="wrong-but-secret-token")
    assert result["failed"] is True and statuses == [401]
    assert "wrong-but-secret-token" not in json.dumps(result)


VAULT_PLAY = """
- name: The token from a vaulted variable, set once with module_defaults
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [secrets.yml]
  module_defaults:
    pytrackdat.deploy.droplet:
      api_token: "{{ vault_do_token }}"
      api_url: "%s"
  tasks:
    - name: Droplet
      pytrackdat.deploy.droplet:
        name: ptd-vault
        region: fra1
"""


def test_a_vaulted_token_set_through_module_defaults_works_and_is_not_shown(do_emulator, tmp_path):
    (tmp_path / "vault-pass").write_text("ptd-test-vault-password\n")
    (tmp_path / "secrets.yml").write_text("vault_do_token: %s\n" % do_emulator.token)
    env = ansible_env({"ANSIBLE_VAULT_PASSWORD_FILE": str(tmp_path / "vault-pass")})
    subprocess.run(["ansible-vault", "encrypt", str(tmp_path / "secrets.yml")], env=env, check=True,
                   capture_output=True, timeout=60)
    assert do_emulator.token not in (tmp_path / "secrets.yml").read_text()
    (tmp_path / "play.yml").write_text(VAULT_PLAY % do_emulator.url)
    proc = subprocess.run(["ansible-playbook", "-vvv", "--check", "-i", "localhost,", "-e",
                           "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "changed=1" in proc.stdout[proc.stdout.rindex("PLAY RECAP"):]
    assert do_emulator.token not in proc.stdout + proc.stderr
    assert [r["status"] for r in do_emulator.request_log] == [200]
