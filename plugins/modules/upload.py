#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: upload
short_description: Put one file from the control node on the host in one command, without Python on the host
version_added: 0.4.0
description:
  - M(ansible.builtin.copy) costs a file about five round trips to the host and two Python module runs (a stat, a
    temporary folder, the transfer, the copy, the clean-up). This module's action plugin sends the host one shell
    program that holds the file, compares it with the host's copy by SHA-256, and writes it only when they differ,
    through a private temporary file (mode 0600) in the destination's folder, checked against the SHA-256, then
    renamed over the destination. A destination that is a symbolic link is replaced, never followed.
  - The file travels base64-encoded on the program's standard input, never on a command line or in the task's
    result, so it may hold a secret (the PyTrackDat bundle holds the site's C(SECRET_KEY)). It is read whole into
    memory, and is limited to 64 MiB; use M(ansible.builtin.copy) for larger files.
  - Missing folders of O(dest) are created, private (0700).
  - It needs C(sh), C(base64), C(sha256sum), C(stat), C(mktemp), C(chmod), C(chown), C(chgrp) and C(mv) on the host
    (coreutils).
extends_documentation_fragment:
  - pytrackdat.deploy.shell_program
attributes:
  check_mode:
    description: Sends no file; reports whether it would write the file or set its mode or owner.
    support: full
author:
  - pytrackdat.deploy developers (@pytrackdat)
options:
  src:
    description: The file on the control node.
    type: path
    required: true
  dest:
    description:
      - Absolute path of the file on the host. Ending in C(/), the folder the file goes into under its own name.
    type: str
    required: true
  mode:
    description: The file's mode, in octal digits.
    type: str
    default: "0600"
  owner:
    description: The file's owner (a user name). Left as it is when not set (the connection's or become's user for a new file).
    type: str
  group:
    description: The file's group (a group name). Left as it is when not set.
    type: str
"""

EXAMPLES = r"""
- name: Put the site's bundle on the server (it holds the SECRET_KEY)
  pytrackdat.deploy.upload:
    src: "{{ bundle_path }}"
    dest: /var/lib/my-site/incoming/
    owner: root
    group: root
    mode: "0600"
  become: true
"""

RETURN = r"""
dest:
  description: The file's path on the host.
  returned: success
  type: str
  sample: /var/lib/my-site/incoming/site.zip
checksum:
  description: SHA-256 of the file.
  returned: success
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
size:
  description: The file's size in bytes.
  returned: success
  type: int
  sample: 51954
written:
  description: Whether the content was written (or would be, in check mode); false when only the mode or owner was put back.
  returned: success
  type: bool
  sample: true
"""
