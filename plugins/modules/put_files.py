#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: put_files
short_description: Put a set of small text files into one folder in one module run
version_added: 0.4.0
description:
  - M(ansible.builtin.copy) in a loop costs each file a stat, a transfer and a module run on the host. This module
    takes every file's content in its arguments and writes, in one run, only the files that are missing or differ
    (content, mode, owner, group), each atomically. A file changed by hand is found and put back.
  - Meant for a role's own small files (scripts, helpers), read on the control node with
    P(ansible.builtin.file#lookup). The content travels in the module's arguments, so it must not hold a secret
    (use M(ansible.builtin.copy) with C(no_log) for those), and each file should be small (the arguments are sent in
    one piece).
  - Files in O(dest) that are not named in O(files) are left alone.
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Reports which files it would write, and writes nothing.
    support: full
  diff_mode:
    description: Not supported (the changed files are named in RV(written)).
    support: none
options:
  dest:
    description:
      - The folder the files go into. It must exist (create it with M(ansible.builtin.file) first); in check mode a
        missing folder means every file would be written.
    type: path
    required: true
  files:
    description:
      - File name (a plain name, without C(/)) to the file's text, written as UTF-8.
      - O(mode), O(owner) and O(group) apply to each of them.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Create the tool's folder
  ansible.builtin.file:
    path: /usr/local/lib/my-tool
    state: directory
    mode: "0755"

- name: Install the tool's modules (one module run, whatever their number)
  pytrackdat.deploy.put_files:
    dest: /usr/local/lib/my-tool
    files: "{{ dict(_names | zip(query('ansible.builtin.file', *_names, rstrip=false))) }}"
    owner: root
    group: root
    mode: "0644"
  vars:
    _names: [tool.py, tool_helpers.py]
"""

RETURN = r"""
written:
  description: The files whose content was written (or would be, in check mode), sorted.
  returned: always
  type: list
  elements: str
  sample: [tool.py]
attributes_set:
  description: The files whose content was right but whose mode, owner or group was put back, sorted.
  returned: always
  type: list
  elements: str
  sample: []
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


def name_problem(name):
    """Why NAME cannot be a file name in the folder, or None."""
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        return "files: %r is not a plain file name (no '/', not '.' or '..')" % name
    return None


def same_content(path, data):
    """True when PATH is a regular file (not a link) holding exactly DATA."""
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    if os.path.getsize(path) != len(data):
        return False
    with open(path, "rb") as handle:
        return handle.read() == data


def write_atomically(module, dest, name, data):
    """Write DATA to DEST/NAME through a temporary file in DEST and a rename (no half-written file is ever seen)."""
    handle, tmp = tempfile.mkstemp(dir=dest, prefix=".%s." % name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        module.atomic_move(tmp, os.path.join(dest, name))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    module = AnsibleModule(
        argument_spec={"dest": {"type": "path", "required": True},
                       "files": {"type": "dict", "required": True}},
        add_file_common_args=True,
        supports_check_mode=True)
    dest, files = module.params["dest"], module.params["files"]
    problems = [problem for problem in map(name_problem, sorted(files)) if problem]
    problems += ["files: the text of %r is not a string" % name for name in sorted(files)
                 if not isinstance(files[name], str)]
    if problems:
        module.fail_json(msg="; ".join(problems))
    if not os.path.isdir(dest):
        if module.check_mode:
            module.exit_json(changed=True, written=sorted(files), attributes_set=[])
        module.fail_json(msg="dest %s is not a folder: create it first (ansible.builtin.file, state=directory)" % dest)

    written, attributes_set = [], []
    for name in sorted(files):
        path = os.path.join(dest, name)
        data = to_bytes(files[name], errors="surrogate_or_strict")
        if not same_content(path, data):
            written.append(name)
            if module.check_mode:
                continue
            try:
                write_atomically(module, dest, name, data)
            except OSError as err:
                module.fail_json(msg="could not write %s: %s" % (path, to_native(err)), written=written)
        file_args = module.load_file_common_arguments(module.params, path=path)
        if module.set_fs_attributes_if_different(file_args, False) and name not in written:
            attributes_set.append(name)
    module.exit_json(changed=bool(written or attributes_set), written=written, attributes_set=attributes_set)


if __name__ == "__main__":
    main()
