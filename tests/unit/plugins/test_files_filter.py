# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files_to_copy: a folder's one `find` decides which files a role copies (missing, other content, mode or owner)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pytrackdat.deploy.plugins.filter.files import files_to_copy

FOUND = [
    {"path": "/usr/local/lib/t/a.py", "checksum": "1" * 40, "mode": "0644", "pw_name": "root", "gr_name": "root"},
    {"path": "/usr/local/lib/t/b.py", "checksum": "2" * 40, "mode": "0666", "pw_name": "root", "gr_name": "root"},
    {"path": "/usr/local/lib/t/c.py", "checksum": "3" * 40, "mode": "0644", "pw_name": "lab", "gr_name": "root"},
    {"path": "/usr/local/lib/t/old.py", "checksum": "4" * 40, "mode": "0644", "pw_name": "root", "gr_name": "root"},
]
SOURCES = ["a.py", "/roles/x/files/b.py", "c.py", "d.py"]


def test_only_missing_or_different_files_are_copied():
    assert files_to_copy(SOURCES, ["1" * 40, "2" * 40, "3" * 40, "5" * 40], FOUND) == ["d.py"]
    assert files_to_copy(SOURCES, ["0" * 40, "2" * 40, "3" * 40, "5" * 40], FOUND) == ["a.py", "d.py"]


def test_mode_and_owner_count_when_given():
    assert files_to_copy(SOURCES, ["1" * 40, "2" * 40, "3" * 40, "5" * 40], FOUND, mode="0644", owner="root",
                         group="root") == ["/roles/x/files/b.py", "c.py", "d.py"]


def test_an_empty_folder_copies_everything_and_mismatched_lists_are_an_error():
    assert files_to_copy(SOURCES, ["x"] * 4, []) == SOURCES
    with pytest.raises(AnsibleFilterError, match="4 sources but 3 checksums"):
        files_to_copy(SOURCES, ["x"] * 3, FOUND)
