#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: host_probe
short_description: Log in, wait for cloud-init, and read the facts the collection's roles need, in one command
version_added: 0.4.0
description:
  - The playbooks' login test (C(playbooks/connect.yml)). One shell command proves the login, optionally waits for
    a new machine's first-boot cloud-init, and reads the address the connection comes from as the server sees it
    (fail2ban's allow list) and the facts the roles read.
  - The facts are named and valued as the M(ansible.builtin.setup) module names them, from C(/etc/os-release),
    C(uname) and C(systemd-detect-virt). They are only these; gather the others with M(ansible.builtin.setup).
  - Its action plugin sends the program over the task's connection; no Python starts on the host.
extends_documentation_fragment:
  - pytrackdat.deploy.shell_program
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  facts:
    description: Sets the facts listed under RV(ansible_facts).
    support: full
author:
  - pytrackdat.deploy developers (@pytrackdat)
options:
  wait_for_cloud_init:
    description:
      - Wait until cloud-init finished (C(cloud-init status --wait)) when the host has it. Exit code 2 (finished
        with warnings) counts as done; another failure is returned in RV(cloud_init_error).
    type: bool
    default: false
notes:
  - Needs C(sh) and C(uname) on the host; C(systemd-detect-virt) for the virtualization (without it, only Docker and
    Podman containers are recognised, by their marker files).
"""

EXAMPLES = r"""
- name: Log in and read the facts the roles need
  pytrackdat.deploy.host_probe:
    wait_for_cloud_init: true
  register: login

- name: Show the distribution and the address the server sees
  ansible.builtin.debug:
    msg: "{{ ansible_facts.distribution }} {{ ansible_facts.distribution_release }}, from {{ login.control_address }}"
"""

RETURN = r"""
ansible_facts:
  description:
    - distribution, distribution_release, distribution_version, distribution_major_version, os_family, architecture,
      hostname, nodename, virtualization_type, virtualization_role (V(NA) when unknown).
  returned: always
  type: dict
  sample: {distribution: Debian, distribution_release: trixie, distribution_major_version: "13", architecture: x86_64,
           virtualization_type: kvm, virtualization_role: guest}
control_address:
  description: The address the connection comes from, as the host sees it (empty without SSH).
  returned: always
  type: str
  sample: 192.0.2.10
cloud_init_error:
  description: "C(cloud-init: exit code N) when cloud-init failed, else empty."
  returned: always
  type: str
  sample: ""
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pytrackdat.deploy.plugins.module_utils.host_probe import ARGUMENT_SPEC, outcome, program


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    rc, out, err = module.run_command(["/bin/sh", "-c", program(module.params["wait_for_cloud_init"])])
    found, failure = outcome(rc, out, err)
    if failure:
        module.fail_json(msg=failure, rc=rc)
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
