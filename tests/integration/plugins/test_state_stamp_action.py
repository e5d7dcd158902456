# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state_stamp as the roles run it: through its action plugin and a real connection (local here; ssh in make e2e,
docker in Molecule), with one shell program and no Python module on the host."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from tests.unit.plugins.conftest import ansible_env


def stamp(tmp_path, script, key="k1", record=False, check=False, path=None):
    """One ad-hoc run of the action on localhost over the local connection; returns (result, -vvv output)."""
    args = json.dumps({"script": script, "key": key, "path": path or str(tmp_path / "stamps" / "role.stamp"),
                       "record": record})
    command = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-vvv", "-m", "pytrackdat.deploy.state_stamp",
               "-a", args, "-e", "ansible_python_interpreter=" + sys.executable] + (["--check"] if check else [])
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                          env=ansible_env({"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0"}))
    text = proc.stdout
    result = json.loads(text[text.index("=> {") + 3:text.rindex("}") + 1])
    return result, text + proc.stderr


def test_read_record_and_drift_through_the_action_with_no_module_on_the_host(tmp_path):
    managed = tmp_path / "managed.conf"
    managed.write_text("PermitRootLogin no\n")
    # `cat` reads standard input: the program arrives there, so the state script must get /dev/null instead.
    script = "files %s; cat; echo to-stderr >&2" % managed
    first, output = stamp(tmp_path, script)
    assert (first["converged"], first["reason"], first["changed"]) == (False, "no stamp", False), output
    assert "AnsiballZ" not in output and "EXEC" in output  # a shell program, not a module run

    # The read hands back the key it compared: the role records that one (its inputs as they were before it converged).
    assert first["key"] == "k1"
    recorded = stamp(tmp_path, script, key=first["key"], record=True)[0]
    assert recorded["reason"] == "recorded" and recorded["state_digest"] == first["state_digest"]
    path = tmp_path / "stamps" / "role.stamp"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert path.read_text().split() == ["k1", first["state_digest"]]
    again = stamp(tmp_path, script)[0]
    assert (again["converged"], again["reason"]) == (True, "unchanged")

    assert stamp(tmp_path, script, key="k2")[0]["reason"] == "inputs changed"
    managed.chmod(0o666)
    assert stamp(tmp_path, script)[0]["reason"] == "state changed"


def test_the_action_and_the_module_digest_the_same_state(tmp_path):
    """The module (run on the host, e.g. by a user's own task with the action disabled) and the action agree."""
    from ansible_collections.pytrackdat.deploy.plugins.modules import state_stamp  # pylint: disable=import-outside-toplevel

    from tests.unit.plugins.conftest import call_module  # pylint: disable=import-outside-toplevel

    script = "files %s; echo out; echo err >&2; exit 3" % tmp_path
    by_action = stamp(tmp_path, script)[0]
    by_module = call_module(state_stamp, {"script": script, "key": "k1", "path": str(tmp_path / "s" / "x.stamp")})
    assert by_action["state_digest"] == by_module["state_digest"]


def test_check_mode_records_nothing_and_bad_arguments_say_what_to_fix(tmp_path):
    recorded = stamp(tmp_path, "true", record=True, check=True)[0]
    assert recorded["reason"] == "recorded" and not (tmp_path / "stamps").exists()
    for args, says in [({"key": "two words"}, "one word"), ({"path": "stamps/role.stamp"}, "must be absolute"),
                       ({"record": True, "path": "/proc/ptd-no-such/role.stamp"}, "cannot write the stamp")]:
        failed, output = stamp(tmp_path, "true", **args)
        assert "FAILED!" in output and says in failed["msg"] and "Traceback" not in output, output
