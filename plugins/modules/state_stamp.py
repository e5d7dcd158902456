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
  - Its action plugin sends one shell program over the task's connection (with its C(become)); no Python starts on
    the host, which makes a read about ten times cheaper there than a module run. It needs C(sh), C(stat),
    C(sha256sum), C(mktemp), C(head) and, with O(read), C(base64) on the host (coreutils).
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - pytrackdat.deploy.shell_program
attributes:
  check_mode:
    description: Reads in check mode; O(record=true) writes nothing in check mode.
    support: full
options:
  script:
    description:
      - Shell script (run with C(sh -c), C(LC_ALL=C), standard input from C(/dev/null)) that prints the state the
        role manages. Its output (standard error merged into standard output) and exit status are digested; it must
        print nothing that changes by itself (times, process ids) and no secret (print checksums of files that hold
        secrets, not their content).
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
  read:
    description:
      - Small text files on the host whose content RV(contents) returns, read by the same command (a role's own
        records, which it would otherwise read with one more module run). Absolute paths.
      - The content is returned as it is, so never name a file that holds a secret.
    type: list
    elements: path
    default: []
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
    key: "{{ my_role_stamp.key }}"
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
state_unchanged:
  description:
    - True when the state is as the last full run recorded it, whatever the inputs (RV(reason) may be V(inputs
      changed)). Every file the script lists then has the content, mode and owner that run left, so a role may skip
      writing a file whose new content it finds equal to the content O(read) returned.
  returned: when O(record=false)
  type: bool
  sample: true
contents:
  description: Each file of O(read) and its text (decoded as UTF-8), or V(null) when it is not a regular file.
  returned: always
  type: dict
  sample: {"/opt/site/deploy-state.json": "{\"site\": \"fieldwork\"}\n", "/opt/site/absent.json": null}
key:
  description:
    - The O(key) compared (or recorded). A role reads its state with the key of its inputs as they were then, and
      records that same key after its full run (O(key) set to this value), so a fact a converging task sets cannot
      make the next run's key differ from the recorded one.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pytrackdat.deploy.plugins.module_utils.state_stamp import args_problem, compare, program


def main():
    module = AnsibleModule(
        argument_spec={"script": {"type": "str", "required": True},
                       "key": {"type": "str", "required": True, "no_log": False},
                       "path": {"type": "path", "required": True},
                       "record": {"type": "bool", "default": False},
                       "read": {"type": "list", "elements": "path", "default": []}},
        supports_check_mode=True)
    key, path, record, read = module.params["key"], module.params["path"], module.params["record"], module.params["read"]
    problem = args_problem(key, path, read)
    if problem:
        module.fail_json(msg=problem)
    # In check mode a record writes nothing: the program only digests the state.
    writes = record and not module.check_mode
    rc, out, err = module.run_command(["/bin/sh", "-c", program(module.params["script"], path, key if writes else None, read)])
    result, failure = compare(rc, out, err, key, record=record, read=read)
    if failure:
        module.fail_json(msg=failure)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
