# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytrackdat.deploy.upload, run by ansible-playbook against this machine: one shell program puts the file in place,
private and checked, writes nothing when the host's copy is the same, puts back a copy or a mode changed by hand, says
what check mode would do without writing, replaces a link instead of following it, and stops with a clear message on
bad input. The file's content appears in no output."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.integration.local_play import run_local_play

SECRET = b"SECRET_KEY = 'not-for-any-log-3f9a'\n"


def _upload(tmp_path, src, dest, check=False, **options):
    task = {"name": "Upload", "pytrackdat.deploy.upload": {"src": str(src), "dest": str(dest), **options},
            "register": "up"}
    play = [{"hosts": "localhost", "gather_facts": False, "check_mode": check, "tasks": [task]}]
    proc = run_local_play(tmp_path, play, timeout=120)
    assert SECRET.decode().strip() not in proc.stdout + proc.stderr
    if not proc.stdout.startswith("{"):
        pytest.fail(proc.stdout[-2000:] + proc.stderr[-2000:])
    return proc.returncode, json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture
def bundle(tmp_path):
    src = tmp_path / "site.zip"
    src.write_bytes(SECRET + os.urandom(70000))  # bytes base64 must carry exactly, over several hundred lines
    return src


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_file_arrives_private_and_a_rerun_writes_nothing(tmp_path, bundle):
    dest = tmp_path / "host" / "incoming"
    rc, first = _upload(tmp_path, bundle, str(dest) + "/")
    assert rc == 0 and first["changed"] and first["written"], first
    placed = dest / "site.zip"
    assert placed.read_bytes() == bundle.read_bytes() and _mode(placed) == 0o600 and _mode(dest) == 0o700
    assert first["dest"] == str(placed) and first["size"] == bundle.stat().st_size and len(first["checksum"]) == 64
    assert os.listdir(dest) == ["site.zip"], "a temporary file was left behind"
    rc, again = _upload(tmp_path, bundle, placed)
    assert rc == 0 and not again["changed"] and not again["written"], again


def test_a_copy_or_mode_changed_by_hand_is_put_back(tmp_path, bundle):
    placed = tmp_path / "site.zip.deployed"
    _upload(tmp_path, bundle, placed, mode="0640")
    placed.write_bytes(b"edited by hand")
    rc, fixed = _upload(tmp_path, bundle, placed, mode="0640")
    assert rc == 0 and fixed["changed"] and fixed["written"] and placed.read_bytes() == bundle.read_bytes()
    placed.chmod(0o666)
    rc, fixed = _upload(tmp_path, bundle, placed, mode="0640")
    assert rc == 0 and fixed["changed"] and not fixed["written"] and _mode(placed) == 0o640


def test_check_mode_says_what_it_would_do_and_writes_nothing(tmp_path, bundle):
    placed = tmp_path / "site.zip.deployed"
    rc, would = _upload(tmp_path, bundle, placed, check=True)
    assert rc == 0 and would["changed"] and would["written"] and not placed.exists()
    _upload(tmp_path, bundle, placed)
    placed.chmod(0o644)
    rc, would = _upload(tmp_path, bundle, placed, check=True)
    assert rc == 0 and would["changed"] and not would["written"] and _mode(placed) == 0o644
    placed.chmod(0o600)
    rc, would = _upload(tmp_path, bundle, placed, check=True)
    assert rc == 0 and not would["changed"]


def test_a_link_at_the_destination_is_replaced_not_followed(tmp_path, bundle):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    link = tmp_path / "site.zip.deployed"
    link.symlink_to(victim)
    rc, result = _upload(tmp_path, bundle, link)
    assert rc == 0 and result["written"]
    assert victim.read_text() == "keep me\n" and not link.is_symlink() and link.read_bytes() == bundle.read_bytes()


@pytest.mark.parametrize("options, said", [
    ({"dest": "relative/site.zip"}, "dest must be an absolute path on the host"),
    ({"mode": "rw-r--r--"}, "mode must be octal digits such as '0600'"),
    ({"src": "/nonexistent/site.zip"}, "cannot read /nonexistent/site.zip on the control node"),
    ({"owner": "no-such-user-ptd"}, "upload: cannot put the file at"),
])
def test_bad_input_stops_with_what_to_fix(tmp_path, bundle, options, said):
    dest = options.pop("dest", str(tmp_path / "out" / "site.zip"))
    src = options.pop("src", bundle)
    rc, result = _upload(tmp_path, src, dest, **options)
    assert rc != 0 and said in result["msg"], result
    assert not any(name.startswith(".upload.") for name in os.listdir(tmp_path / "out")) if (tmp_path / "out").exists() else True
