# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""put_files: one module run writes only the files that are missing or differ, puts back a file changed by hand
(content or mode), writes nothing in check mode, and refuses a bad name or a missing folder with what to fix."""

from __future__ import annotations

import os
import stat

from ansible_collections.pytrackdat.deploy.plugins.modules import put_files

from .conftest import call_module

FILES = {"tool.py": "print('{{ not a template }}')\n", "helper.py": "X = 'é'\n"}


def put(dest, files=None, check_mode=False, mode="0644"):
    return call_module(put_files, {"dest": str(dest), "files": FILES if files is None else files, "mode": mode},
                       check_mode=check_mode)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_the_missing_files_then_nothing(tmp_path):
    first = put(tmp_path)
    assert (first["changed"], first["written"], first["attributes_set"]) == (True, ["helper.py", "tool.py"], [])
    assert (tmp_path / "tool.py").read_text() == FILES["tool.py"]
    assert (tmp_path / "helper.py").read_bytes() == "X = 'é'\n".encode()
    assert mode_of(tmp_path / "tool.py") == 0o644 and mode_of(tmp_path / "helper.py") == 0o644
    assert sorted(os.listdir(tmp_path)) == ["helper.py", "tool.py"]  # no temporary file left behind
    again = put(tmp_path)
    assert (again["changed"], again["written"], again["attributes_set"]) == (False, [], [])


def test_puts_back_a_file_changed_by_hand_and_leaves_other_files_alone(tmp_path):
    put(tmp_path)
    (tmp_path / "tool.py").write_text("print('edited')\n")
    (tmp_path / "helper.py").chmod(0o666)
    (tmp_path / "mine.txt").write_text("not the role's\n")
    repaired = put(tmp_path)
    assert (repaired["changed"], repaired["written"], repaired["attributes_set"]) == (True, ["tool.py"], ["helper.py"])
    assert (tmp_path / "tool.py").read_text() == FILES["tool.py"] and mode_of(tmp_path / "helper.py") == 0o644
    assert (tmp_path / "mine.txt").read_text() == "not the role's\n"


def test_a_link_in_place_of_a_file_is_replaced_not_followed(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text(FILES["tool.py"])
    dest = tmp_path / "lib"
    dest.mkdir()
    (dest / "tool.py").symlink_to(outside)
    result = put(dest, files={"tool.py": FILES["tool.py"]})
    assert result["written"] == ["tool.py"] and not (dest / "tool.py").is_symlink()
    assert outside.read_text() == FILES["tool.py"]


def test_check_mode_writes_nothing_and_says_what_it_would_write(tmp_path):
    planned = put(tmp_path, check_mode=True)
    assert (planned["changed"], planned["written"]) == (True, ["helper.py", "tool.py"]) and os.listdir(tmp_path) == []
    put(tmp_path)
    (tmp_path / "tool.py").write_text("edited\n")
    (tmp_path / "helper.py").chmod(0o600)
    planned = put(tmp_path, check_mode=True)
    assert (planned["written"], planned["attributes_set"]) == (["tool.py"], ["helper.py"])
    assert (tmp_path / "tool.py").read_text() == "edited\n" and mode_of(tmp_path / "helper.py") == 0o600
    # A folder an earlier task would create (check mode on a fresh host): every file would be written.
    fresh = put(tmp_path / "missing", check_mode=True)
    assert (fresh["changed"], fresh["written"]) == (True, ["helper.py", "tool.py"])


def test_bad_input_says_what_to_fix_and_writes_nothing(tmp_path):
    for files, says in [({"../escape.py": "x"}, "'../escape.py' is not a plain file name"),
                        ({"..": "x"}, "'..' is not a plain file name"),
                        ({"sub/tool.py": "x"}, "'sub/tool.py' is not a plain file name"),
                        ({"tool.py": 3}, "the text of 'tool.py' is not a string")]:
        failed = put(tmp_path, files=files)
        assert failed.get("failed") and says in failed["msg"], failed
    assert os.listdir(tmp_path) == [] and not (tmp_path.parent / "escape.py").exists()
    missing = put(tmp_path / "missing")
    assert missing.get("failed") and "is not a folder: create it first" in missing["msg"]
    assert not (tmp_path / "missing").exists()
