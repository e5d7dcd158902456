#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssh_key
short_description: Register an SSH public key with DigitalOcean, rename it, or remove it
version_added: 0.1.0
description:
  - Ensures a public key is registered in the DigitalOcean account under O(name), so droplets can be created
    with it (see the O(pytrackdat.deploy.droplet#module:ssh_keys) option of the droplet module).
  - The key is matched by its fingerprint, computed locally exactly as DigitalOcean does (MD5 of the decoded
    key data as colon-separated hex). A registered key with another name is renamed.
  - A malformed key fails before anything is sent to the API.
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - pytrackdat.deploy.api
attributes:
  check_mode:
    description: Reports whether the key would be registered, renamed or removed; sends only read requests.
    support: full
  diff_mode:
    description: Shows name, fingerprint and state before and after.
    support: full
options:
  name:
    description:
      - Name of the key in the DigitalOcean account. Required with O(state=present).
      - With O(state=absent) and neither O(public_key) nor O(fingerprint), the key with this name is removed
        (the module fails when several keys carry it).
    type: str
  public_key:
    description:
      - The public key, one line in OpenSSH format (C(ssh-ed25519 AAAA... comment)). Required with O(state=present).
    type: str
  fingerprint:
    description:
      - MD5 fingerprint of the key to remove, as an alternative to O(public_key) with O(state=absent).
    type: str
  state:
    description:
      - V(present) registers (or renames) the key, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Register the deploy key
  pytrackdat.deploy.ssh_key:
    name: pytrackdat-deploy
    public_key: "{{ lookup('ansible.builtin.file', '~/.ssh/id_ed25519.pub') }}"
  register: deploy_key

- name: Create a droplet that trusts it
  pytrackdat.deploy.droplet:
    name: ptd-web-1
    region: fra1
    ssh_keys: ["{{ deploy_key.fingerprint }}"]

- name: Remove the key again
  pytrackdat.deploy.ssh_key:
    fingerprint: "{{ deploy_key.fingerprint }}"
    state: absent
"""

RETURN = r"""
ssh_key:
  description: The key as the API returns it; empty when there is none or it would only be created in check mode.
  returned: always
  type: dict
  sample: {"id": 512189, "fingerprint": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
           "public_key": "ssh-ed25519 AAAA... me@example.com", "name": "pytrackdat-deploy"}
fingerprint:
  description: The key's MD5 fingerprint (computed locally when the key does not exist yet).
  returned: always
  type: str
  sample: "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"
"""

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_ssh_key import SSHKeyRunner, ssh_key_argument_spec
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import run_module


def main():
    run_module(SSHKeyRunner, ssh_key_argument_spec(),
               required_if=[("state", "present", ("name", "public_key"))])


if __name__ == "__main__":
    main()
