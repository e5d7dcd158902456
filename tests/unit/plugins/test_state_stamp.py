# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast rerun: state_stamp says converged only while the inputs' key and the state the script prints are both as
recorded, and converge_key changes with every input and every file of the role."""

from __future__ import annotations

import os
import stat

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pytrackdat.deploy.plugins.filter.converge import converge_key
from ansible_collections.pytrackdat.deploy.plugins.modules import state_stamp

from .conftest import call_module


@pytest.fixture
def managed(tmp_path):
    """A 'managed' file and a state script that prints its checksum and mode with the module's own `files` helper, as
    the roles' state.sh.j2 do."""
    target = tmp_path / "managed.conf"
    target.write_text("PermitRootLogin no\n")
    script = f"files {target} {tmp_path}"
    return {"target": target, "script": script, "path": str(tmp_path / "stamps" / "role.stamp")}


def stamp(managed, key="k1", record=False, check_mode=False):
    return call_module(state_stamp, {"script": managed["script"], "key": key, "path": managed["path"], "record": record},
                       check_mode=check_mode)


def test_no_stamp_then_recorded_then_converged(managed):
    first = stamp(managed)
    assert (first["converged"], first["reason"], first["changed"], first["key"]) == (False, "no stamp", False, "k1")
    recorded = stamp(managed, key=first["key"], record=True)
    assert recorded["changed"] is False and recorded["state_digest"] == first["state_digest"]
    assert stamp(managed) == {**first, "converged": True, "reason": "unchanged", "state_unchanged": True}


def test_stamp_file_and_folder_are_private_and_hold_only_digests(managed):
    stamp(managed, record=True)
    path = managed["path"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    key, digest = open(path, encoding="ascii").read().split()
    assert key == "k1" and len(digest) == 64 and "PermitRootLogin" not in open(path, encoding="ascii").read()


@pytest.mark.parametrize("drift", ["content", "mode", "removed"])
def test_drift_of_the_managed_state_is_found(managed, drift):
    stamp(managed, record=True)
    target = managed["target"]
    if drift == "content":
        target.write_text("PermitRootLogin yes\n")
    elif drift == "mode":
        target.chmod(0o666)
    else:
        target.unlink()
    assert (stamp(managed)["converged"], stamp(managed)["reason"]) == (False, "state changed")


def _change(paths, drift, position):
    target = paths[position]
    if drift == "content":
        target.write_text("changed\n")
    elif drift == "mode":
        target.chmod(0o700)
    elif drift == "removed":
        target.rmdir() if target.is_dir() else target.unlink()
    elif drift == "created":
        target.write_text("now here\n")
    else:  # swapped: the same set of checksums, on other files
        paths[0].write_text("line 3\n")
        paths[3].write_text("line 0\n")


@pytest.mark.parametrize("drift,position", [("content", 0), ("content", 3), ("mode", 0), ("mode", 2), ("mode", 3),
                                            ("removed", 0), ("removed", 2), ("removed", 3), ("created", 4),
                                            ("swapped", 0)])
def test_drift_of_any_one_of_several_paths_in_one_files_call_is_found(tmp_path, drift, position):
    """`files` states several paths with one stat and one sha256sum: a change to any one of them, wherever it stands in
    the list, is still found. Here f0, f1 and f3 are files, f2 a folder, f4 missing."""
    paths = [tmp_path / ("f%d.conf" % n) for n in range(5)]
    for n, path in enumerate(paths[:4]):
        path.mkdir() if n == 2 else path.write_text("line %d\n" % n)
    managed = {"script": "files " + " ".join(str(p) for p in paths), "path": str(tmp_path / "stamps" / "role.stamp")}
    stamp(managed, record=True)
    assert stamp(managed)["converged"] is True
    _change(paths, drift, position)
    assert (stamp(managed)["converged"], stamp(managed)["reason"]) == (False, "state changed")


def test_a_changed_input_is_found(managed):
    stamp(managed, record=True)
    assert (stamp(managed, key="k2")["converged"], stamp(managed, key="k2")["reason"]) == (False, "inputs changed")


def test_check_mode_records_nothing(managed):
    stamp(managed, record=True, check_mode=True)
    assert not os.path.exists(managed["path"])
    assert stamp(managed, check_mode=True)["reason"] == "no stamp"


def test_a_damaged_stamp_counts_as_none(managed):
    stamp(managed, record=True)
    with open(managed["path"], "w", encoding="ascii") as damaged:
        damaged.write("half")
    assert stamp(managed)["reason"] == "no stamp"


def test_a_key_with_spaces_is_refused(managed):
    result = stamp(managed, key="two words")
    assert result["failed"] and "one word" in result["msg"]


@pytest.mark.parametrize("option", ["path", "read"])
def test_a_relative_stamp_or_read_path_is_refused(managed, option):
    args = {"script": managed["script"], "key": "k1", "path": managed["path"]}
    args.update({"path": "stamps/role.stamp"} if option == "path" else {"read": ["etc/deploy-state.json"]})
    result = call_module(state_stamp, args)
    assert result["failed"] and f"{option} must be absolute on the host" in result["msg"], result
    assert not os.path.exists("stamps"), "nothing is written before the arguments are checked"


@pytest.fixture
def role(tmp_path):
    """collection/roles/r with a template, and collection/plugins/filter and plugins/test with a filter and a test."""
    top = tmp_path / "collection"
    (top / "roles" / "r" / "templates").mkdir(parents=True)
    (top / "roles" / "r" / "templates" / "a.j2").write_text("a\n")
    (top / "plugins" / "filter").mkdir(parents=True)
    (top / "plugins" / "filter" / "f.py").write_text("f = 1\n")
    (top / "plugins" / "test").mkdir(parents=True)
    (top / "plugins" / "test" / "t.py").write_text("t = 1\n")
    (top / "plugins" / "inventory").mkdir(parents=True)
    (top / "plugins" / "inventory" / "i.py").write_text("i = 1\n")
    return top


def test_converge_key_follows_inputs_role_files_filters_and_tests(role):
    path = str(role / "roles" / "r")
    base = converge_key({"b": 1, "a": [1, 2]}, path)
    assert converge_key({"a": [1, 2], "b": 1}, path) == base  # key order does not count
    assert converge_key({"b": 2, "a": [1, 2]}, path) != base
    (role / "roles" / "r" / "templates" / "a.j2").write_text("a changed\n")
    changed_role = converge_key({"b": 1, "a": [1, 2]}, path)
    assert changed_role != base
    (role / "plugins" / "filter" / "f.py").write_text("f = 2\n")
    changed_filter = converge_key({"b": 1, "a": [1, 2]}, path)
    assert changed_filter != changed_role
    (role / "plugins" / "test" / "t.py").write_text("t = 2\n")
    changed_test = converge_key({"b": 1, "a": [1, 2]}, path)
    assert changed_test != changed_filter
    (role / "plugins" / "inventory" / "i.py").write_text("i = 2\n")  # not called by roles: no full run for it
    assert converge_key({"b": 1, "a": [1, 2]}, path) == changed_test


def test_converge_key_refuses_a_missing_role(tmp_path):
    with pytest.raises(AnsibleFilterError, match="not a folder"):
        converge_key({}, str(tmp_path / "nope"))


def test_read_returns_each_files_text_in_the_same_command(managed, tmp_path):
    """A role's own record (deploy-state.json) comes back with the stamp, instead of a slurp's module run: the text of
    each file, None for one that is not there, in the order asked, and on a record too."""
    record = tmp_path / "deploy-state.json"
    record.write_text('{"site": "fieldwork", "note": "caf\u00e9"}\n', encoding="utf-8")
    names = [str(record), str(tmp_path / "absent.json"), str(tmp_path)]
    answer = call_module(state_stamp, {"script": managed["script"], "key": "k1", "path": managed["path"], "read": names})
    assert answer["contents"] == {names[0]: '{"site": "fieldwork", "note": "caf\u00e9"}\n', names[1]: None, names[2]: None}
    assert answer["state_digest"] == stamp(managed)["state_digest"], "reading files must not change the state digest"
    recorded = call_module(state_stamp, {"script": managed["script"], "key": "k1", "path": managed["path"], "record": True,
                                         "read": names[:1]})
    assert recorded["contents"] == {names[0]: '{"site": "fieldwork", "note": "caf\u00e9"}\n'}
    assert stamp(managed)["contents"] == {}


def test_state_unchanged_tells_a_changed_input_from_a_changed_state(managed):
    """New inputs on a host as the last full run left it (a same-design update) against a file changed behind the
    role's back: only the first lets a role skip a write whose content it finds equal."""
    assert stamp(managed)["state_unchanged"] is False  # no stamp yet
    stamp(managed, record=True)
    new_inputs = stamp(managed, key="k2")
    assert (new_inputs["reason"], new_inputs["state_unchanged"]) == ("inputs changed", True)
    managed["target"].chmod(0o640)
    drifted = stamp(managed, key="k2")
    assert (drifted["reason"], drifted["state_unchanged"]) == ("inputs changed", False)
