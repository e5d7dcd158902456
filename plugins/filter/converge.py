# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""converge_key: one digest of everything a role's run depends on (its inputs and its own code), for the
state_stamp module: a rerun skips the role's tasks only while neither the key nor the host's state changed."""

from __future__ import annotations

import hashlib
import json
import os

from ansible.errors import AnsibleFilterError


def _tree_digest(digest, top):
    """Feed every file under top (sorted, names and bytes) into digest; byte-code caches are skipped."""
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, top).encode("utf-8", "surrogateescape") + b"\0")
            with open(path, "rb") as handle:
                digest.update(handle.read())
            digest.update(b"\0")


def converge_key(inputs, role_path):
    """SHA-256 of the inputs (any JSON-able data, keys sorted) and of the files of the role and of the collection's
    filter and test plugins, which the roles' tasks call (a changed template, task, filter or test makes the next run
    a full one)."""
    if not os.path.isdir(str(role_path)):
        raise AnsibleFilterError("converge_key: role_path %r is not a folder" % (role_path,))
    digest = hashlib.sha256()
    try:
        digest.update(json.dumps(inputs, sort_keys=True, default=str).encode("utf-8", "surrogateescape"))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("converge_key: the inputs are not JSON data: %s" % exc) from exc
    role_path = os.path.realpath(str(role_path))
    _tree_digest(digest, role_path)
    for kind in ("filter", "test"):
        plugins = os.path.join(os.path.dirname(os.path.dirname(role_path)), "plugins", kind)
        if os.path.isdir(plugins):
            _tree_digest(digest, plugins)
    return digest.hexdigest()


class FilterModule:
    """The fast rerun's key."""

    def filters(self):
        return {"converge_key": converge_key}
