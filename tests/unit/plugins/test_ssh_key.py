# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytrackdat.deploy.ssh_key against the emulator; fingerprints checked against ssh-keygen."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_ssh_key import MalformedKeyError, fingerprint
from ansible_collections.pytrackdat.deploy.plugins.modules import ssh_key

from .conftest import writes


@pytest.fixture(scope="module")
def keypair(tmp_path_factory):
    """Two real public keys (ed25519, rsa) made by ssh-keygen, with ssh-keygen's MD5 fingerprints."""
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen (openssh-client) is not installed; it is the independent fingerprint oracle")
    keys = {}
    for kind in ("ed25519", "rsa"):
        path = tmp_path_factory.mktemp(kind) / "id"
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "me@example.org", "-f", str(path)], check=True)
        listed = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(path) + ".pub"], check=True,
                                capture_output=True, text=True).stdout.split()[1]
        keys[kind] = ((path.parent / "id.pub").read_text().strip(), listed.split("MD5:", 1)[1])
    return keys


def test_fingerprint_matches_ssh_keygen(keypair):
    for public_key, expected in keypair.values():
        assert fingerprint(public_key) == expected


@pytest.mark.parametrize("text", [
    "", "ssh-ed25519", "ssh-ed25519 not*base64", "ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIA==",
    "-----BEGIN OPENSSH PRIVATE KEY----- abc", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
])
def test_malformed_keys_are_rejected_locally(text):
    with pytest.raises(MalformedKeyError):
        fingerprint(text)


def test_registers_renames_and_removes_a_key(do_emulator, run, keypair):
    public_key, expected = keypair["ed25519"]
    predicted = run(ssh_key, check_mode=True, name="deploy", public_key=public_key)
    assert predicted["changed"] is True and predicted["fingerprint"] == expected
    assert do_emulator.state.ssh_keys == {} and writes(do_emulator.request_log) == []

    created = run(ssh_key, name="deploy", public_key=public_key)
    assert created["changed"] is True
    assert created["ssh_key"]["fingerprint"] == created["fingerprint"] == expected   # DO computes the same
    again = run(ssh_key, name="deploy", public_key=public_key)
    assert again["changed"] is False and again["ssh_key"]["id"] == created["ssh_key"]["id"]
    assert set(again) == set(created)

    before = len(do_emulator.request_log)
    rename_check = run(ssh_key, check_mode=True, diff=True, name="deploy-2", public_key=public_key)
    assert rename_check["changed"] is True and writes(do_emulator.request_log, before) == []
    assert rename_check["diff"]["before"]["name"] == "deploy" and rename_check["diff"]["after"]["name"] == "deploy-2"
    renamed = run(ssh_key, name="deploy-2", public_key=public_key)
    assert renamed["changed"] is True and renamed["ssh_key"]["id"] == created["ssh_key"]["id"]
    assert [k["name"] for k in do_emulator.state.ssh_keys.values()] == ["deploy-2"]

    assert run(ssh_key, check_mode=True, state="absent", fingerprint=expected)["changed"] is True
    assert len(do_emulator.state.ssh_keys) == 1
    assert run(ssh_key, state="absent", public_key=public_key)["changed"] is True
    assert do_emulator.state.ssh_keys == {}
    assert run(ssh_key, state="absent", fingerprint=expected)["changed"] is False


def test_two_keys_with_one_name_are_two_keys(do_emulator, run, keypair):
    for public_key, dummy in keypair.values():
        assert run(ssh_key, name="same", public_key=public_key)["changed"] is True
    assert len(do_emulator.state.ssh_keys) == 2
    ambiguous = run(ssh_key, name="same", state="absent")
    assert ambiguous["failed"] is True and "2 SSH keys are named 'same'" in ambiguous["msg"]
    assert len(do_emulator.state.ssh_keys) == 2


@pytest.mark.parametrize("options, message", [
    ({"name": "k", "public_key": "ssh-ed25519 @@@@"}, "Malformed public_key"),
    ({"name": "k", "public_key": "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"},
     "does not hold a ssh-rsa key"),
    ({"name": " ", "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"},
     "non-empty name"),
    ({"name": "k"}, "public_key"),
    ({"state": "absent"}, "needs public_key, fingerprint or name"),
])
def test_bad_input_fails_before_any_request(do_emulator, run, options, message):
    result = run(ssh_key, **options)
    assert result["failed"] is True and message in result["msg"], result
    assert do_emulator.request_log == []
