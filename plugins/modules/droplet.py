#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: droplet
short_description: Create, reconcile and delete a DigitalOcean droplet, found by name
version_added: 0.1.0
description:
  - Ensures exactly one droplet with a given O(name) exists, or none.
  - The droplet is found by its name alone, in every region, by listing droplets with the API's server-side
    C(name) filter and checking the name again client-side. Tags are reconciled attributes, never part of the
    lookup. When several droplets have the name, in any regions, the module fails and lists their ids and regions
    instead of guessing; O(region) does not pick one of them.
  - A create is sent once. When its answer is lost (5xx, connection reset) the droplet is looked up by name
    before anything is sent again, so a retry never makes a duplicate.
  - On an existing droplet the module reconciles O(tags), O(backups) and O(power); it resizes only when
    O(resize=true). O(ssh_keys), O(monitoring), O(ipv6), O(vpc_uuid) and O(user_data) apply to creation only.
  - What DigitalOcean cannot change in place makes the module fail, in check mode too, before it sends
    anything, and it never plans or creates a second droplet with the same name. This is when the existing
    droplet is in another O(region) than the one given, runs another O(image) than the one given, or when
    O(resize=true) asks for a O(size) with a smaller disk than the droplet has (DigitalOcean cannot shrink a
    disk). Each of these means a new droplet; take a backup, destroy the droplet, provision again with the new
    value and restore the backup. A region move can also go through a snapshot transferred to the new region.
    The message says which values keep the droplet as it is.
  - The same keys are returned whether the droplet was created, found or changed.
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - pytrackdat.deploy.api
attributes:
  check_mode:
    description: Reports what would be created, changed or deleted and sends only read requests.
    support: full
  diff_mode:
    description: Shows the reconciled attributes (state, region, size, tags, backups, power) before and after.
    support: full
options:
  name:
    description:
      - Name of the droplet, also its hostname. Letters, digits, dots and dashes.
    type: str
    required: true
  state:
    description:
      - V(present) creates the droplet when it does not exist and reconciles it when it does.
      - V(absent) deletes it. When O(region) is given and the droplet is in another region, the module fails
        and deletes nothing.
    type: str
    choices: [present, absent]
    default: present
  power:
    description:
      - Power state the droplet should be in.
    type: str
    choices: [active, "off"]
    default: active
  region:
    description:
      - Region slug, for example V(nyc3) or V(fra1), for creation. When not given, DigitalOcean picks a region.
      - Not part of the droplet's identity. When the droplet with O(name) exists in another region, the module
        fails and changes nothing, since a droplet cannot move between regions. Moving it means a new droplet;
        take a backup, destroy the droplet, provision again with the new region and restore the backup (or
        snapshot it, transfer the snapshot to the new region and create the new droplet from it).
    type: str
  size:
    description:
      - Size slug. Used on creation, where it defaults to V(s-1vcpu-512mb-10gb).
      - On an existing droplet a different size only causes a warning unless O(resize=true).
      - A size whose disk is smaller than the droplet's disk cannot be reached by resizing (DigitalOcean cannot
        shrink a disk). With O(resize=true) the module then fails before powering anything off; without it, it
        warns.
    type: str
  image:
    description:
      - Image slug or numeric image id for creation. When not given, V(ubuntu-24-04-x64) is used on creation.
      - When given and the existing droplet runs another image, the module fails and changes nothing. A
        different image means rebuilding (which erases the disk) or a new droplet, so back up, destroy,
        provision again and restore.
      - The image is compared by slug or, for a numeric O(image), by id. When DigitalOcean no longer reports a
        slug for the droplet's image (a retired image version), a slug cannot be compared and is accepted.
    type: str
  ssh_keys:
    description:
      - SSH keys to install for root on creation, as numeric ids or MD5 fingerprints.
    type: list
    elements: str
  tags:
    description:
      - Tags the droplet should carry, exactly. Missing tags are created and attached, other tags removed.
      - Leave unset to keep the droplet's tags as they are.
    type: list
    elements: str
  backups:
    description:
      - Whether automated backups are enabled. Reconciled on existing droplets; leave unset to keep as is.
    type: bool
  monitoring:
    description:
      - Install the DigitalOcean monitoring agent on creation.
    type: bool
    default: true
  ipv6:
    description:
      - Enable IPv6 on creation.
    type: bool
    default: false
  vpc_uuid:
    description:
      - UUID of the VPC to place the droplet in on creation; the region's default VPC when unset.
    type: str
  user_data:
    description:
      - cloud-init user data for creation (at most 64 KiB).
    type: str
  resize:
    description:
      - Allow resizing an existing droplet to O(size). The droplet is powered off while it is resized and its
        disk grows permanently. A size with a smaller disk makes the module fail instead (see O(size)).
    type: bool
    default: false
  wait:
    description:
      - Wait until a new droplet is active and has a public IPv4 address, and until power and resize actions
        complete. The droplet is polled with doubling intervals (0.3 s up to 2 s), so it is seen at most 2 s
        after it is up, with about 25 requests for a 45-second boot.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 300
seealso:
  - module: pytrackdat.deploy.ssh_key
  - module: pytrackdat.deploy.firewall
  - plugin: pytrackdat.deploy.droplets
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Create the PyTrackDat server, or find the one that exists
  pytrackdat.deploy.droplet:
    name: ptd-web-1
    region: fra1
    size: s-1vcpu-1gb
    ssh_keys:
      - "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"
    tags: [pytrackdat, web]
    backups: true
  register: server

- name: Show the address to point DNS at
  ansible.builtin.debug:
    msg: "{{ server.public_ipv4 }}"

- name: Power the droplet off without deleting it
  pytrackdat.deploy.droplet:
    name: ptd-web-1
    region: fra1
    power: "off"

- name: Delete it
  pytrackdat.deploy.droplet:
    name: ptd-web-1
    region: fra1
    state: absent
"""

RETURN = r"""
droplet:
  description:
    - The droplet as the API returns it (after any change). Empty when there is none, or when it would only
      be created in check mode. For O(state=absent) the droplet that was deleted.
  returned: always
  type: dict
  sample: {"id": 3164444, "name": "ptd-web-1", "status": "active", "size_slug": "s-1vcpu-1gb",
           "region": {"slug": "fra1"}, "tags": ["pytrackdat"], "networks": {"v4": [], "v6": []}}
public_ipv4:
  description: The droplet's public IPv4 address, or null when it has none (yet).
  returned: always
  type: str
  sample: 203.0.113.10
private_ipv4:
  description: The droplet's private (VPC) IPv4 address, or null.
  returned: always
  type: str
  sample: 10.114.0.2
ipv6:
  description: The droplet's public IPv6 address, or null.
  returned: always
  type: str
  sample: "2a03:b0c0:3:d0::1"
"""

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_droplet import DropletRunner, droplet_argument_spec
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import run_module


def main():
    run_module(DropletRunner, droplet_argument_spec())


if __name__ == "__main__":
    main()
