# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files_to_copy: which of a set of files a folder on the host lacks or holds otherwise, from one
ansible.builtin.find (get_checksum) of that folder, so a rerun copies nothing after a single look instead of one
copy module run per file."""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleFilterError


def files_to_copy(sources, checksums, found, mode=None, owner=None, group=None):
    """The sources whose namesake in the folder (find's `files`) is missing, or differs in sha1, mode, owner or group."""
    sources, checksums = list(sources), list(checksums)
    if len(sources) != len(checksums):
        raise AnsibleFilterError("files_to_copy: %d sources but %d checksums" % (len(sources), len(checksums)))
    installed = {posixpath.basename(item["path"]): item for item in found or []}
    stale = []
    for source, checksum in zip(sources, checksums):
        item = installed.get(posixpath.basename(source))
        if (item is None or item.get("checksum") != checksum or (mode is not None and item.get("mode") != mode)
                or (owner is not None and item.get("pw_name") != owner)
                or (group is not None and item.get("gr_name") != group)):
            stale.append(source)
    return stale


class FilterModule:
    """File helpers of the collection's roles."""

    def filters(self):
        return {"files_to_copy": files_to_copy}
