#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: state_stamp
short_description: Tell in one command whether a host is as a role's last full run left it
version_added: 0.3.0
description:
  - A role's rerun on a converged host costs one module run per task, most of them only to find nothing to do.
    This module lets a role find that out in one run, and skip its tasks, without giving up drift repair.
  - It runs O(script), which prints everything the role manages (checksums, modes and owners of its files, the
    packages, units, users and firewall rules it sets, the effective configuration of its daemons), and takes the
    SHA-256 of that output.
  - With O(record=false) it compares O(key) (a digest of the role's inputs, see the
    P(pytrackdat.deploy.converge_key#filter) filter) and the state digest with the stamp at O(path), written by the
    last full run. RV(converged) is true only when both match, so a changed input, a changed role, a file edited by
    hand, a rule deleted, a unit stopped or disabled make the role run all its tasks again.
  - With O(record=true) it writes the stamp, after a full run of the role; the stamp holds only the two digests.
author:
  - pytrackdat.deploy developers (@pytrackdat)
attributes:
  check_mode:
    description: Reads in check mode; O(record=true) writes nothing in check mode.
    support: full
  diff_mode:
    description: No diff.
    support: none
options:
  script:
    description:
      - Shell script (run with C(/bin/sh), C(LC_ALL=C)) that prints the state the role manages. Its standard
        output, standard error and exit status are digested; it must print nothing that changes by itself (times,
        process ids) and no secret (print checksums of files that hold secrets, not their content).
      - The script may call C(files PATH...), defined before it runs, which prints for each path its type, mode, owner
        and group, and the SHA-256 of a regular file's content, or C(PATH absent).
    type: str
    required: true
  key:
    description: Digest of the role's inputs (its variables, the facts it uses and its own files).
    type: str
    required: true
  path:
    description: The stamp file (mode 0600, its folder 0700, both made when missing).
    type: path
    required: true
  record:
    description: V(false) reads and compares, V(true) writes the stamp for the current state and O(key).
    type: bool
    default: false
notes:
  - Writing the stamp is bookkeeping, not a change to the host's managed state, so it never reports changed.
  - Record only after a run of all the role's tasks that ended without error, with its handlers flushed
    (not after a run limited by tags, which converged only part of the role).
"""

EXAMPLES = r"""
- name: Read whether the host is as the last full run left it
  pytrackdat.deploy.state_stamp:
    script: "{{ lookup('ansible.builtin.template', 'state.sh.j2') }}"
    key: "{{ my_role_inputs | pytrackdat.deploy.converge_key(role_path) }}"
    path: /var/lib/pytrackdat-deploy/my_role.stamp
  register: my_role_stamp

- name: Converge
  when: not my_role_stamp.converged
  block:
    - name: The role's tasks
      ansible.builtin.import_tasks: converge.yml

- name: Record the converged state
  pytrackdat.deploy.state_stamp:
    script: "{{ lookup('ansible.builtin.template', 'state.sh.j2') }}"
    key: "{{ my_role_inputs | pytrackdat.deploy.converge_key(role_path) }}"
    path: /var/lib/pytrackdat-deploy/my_role.stamp
    record: true
  when: not my_role_stamp.converged
"""

RETURN = r"""
converged:
  description: True when the stamp matches O(key) and the current state (always false with O(record=true)).
  returned: always
  type: bool
  sample: true
reason:
  description:
    - Why the role runs its tasks (V(no stamp), V(inputs changed), V(state changed)), or V(unchanged); V(recorded)
      with O(record=true).
  returned: always
  type: str
  sample: state changed
state_digest:
  description: SHA-256 of the script's output and exit status.
  returned: always
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
"""

import hashlib
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


# The helper every role's state script uses: what a file or folder is, without its content (a checksum instead).
FILES_HELPER = """files() { for f in "$@"; do if [ -e "$f" ]; then stat -c '%n %F %a %U %G' "$f"; \
[ -f "$f" ] && sha256sum "$f"; else echo "$f absent"; fi; done; }
"""


def state_digest(module):
    rc, out, err = module.run_command(["/bin/sh", "-c", FILES_HELPER + module.params["script"]],
                                      environ_update={"LC_ALL": "C", "LANG": "C"})
    digest = hashlib.sha256()
    for part in (out, "\n--- stderr\n", err, "\n--- rc %d\n" % rc):
        digest.update(part.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def read_stamp(path):
    try:
        with open(path, encoding="ascii", errors="replace") as stamp:
            return stamp.read().split()
    except FileNotFoundError:
        return None


def write_stamp(path, key, digest):
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".stamp.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as stamp:
            stamp.write("%s %s\n" % (key, digest))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec={"script": {"type": "str", "required": True},
                       "key": {"type": "str", "required": True, "no_log": False},
                       "path": {"type": "path", "required": True},
                       "record": {"type": "bool", "default": False}},
        supports_check_mode=True)
    key, path = module.params["key"], module.params["path"]
    if not key or any(char.isspace() for char in key):
        module.fail_json(msg="state_stamp: key must be one word (a digest), got %r" % key)
    digest = state_digest(module)
    if module.params["record"]:
        if not module.check_mode:
            write_stamp(path, key, digest)
        module.exit_json(changed=False, converged=False, reason="recorded", state_digest=digest)
    stamp = read_stamp(path)
    if not stamp or len(stamp) != 2:
        reason = "no stamp"
    elif stamp[0] != key:
        reason = "inputs changed"
    elif stamp[1] != digest:
        reason = "state changed"
    else:
        reason = "unchanged"
    module.exit_json(changed=False, converged=reason == "unchanged", reason=reason, state_digest=digest)


if __name__ == "__main__":
    main()
