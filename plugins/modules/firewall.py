#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: firewall
short_description: Manage a DigitalOcean Cloud Firewall and what it is attached to
version_added: 0.1.0
description:
  - Ensures a Cloud Firewall called O(name) exists with the given inbound and outbound rules, attached to
    droplets by O(tags) and/or O(droplet_ids); or that it does not exist.
  - Rules are compared in a normalised form (protocol, ports with V(all)/V(0) the same, sorted addresses as
    networks, sorted targets), so the API's echo of a rule never looks like a change. The firewall is updated
    with one PUT, and only when something differs.
  - After a create or update the module checks that DigitalOcean applied the rules and attachments and fails
    with a message when it did not.
  - A Cloud Firewall is enforced outside the droplet, so unlike ufw it also covers ports Docker publishes.
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - pytrackdat.deploy.api
attributes:
  check_mode:
    description: Reports what would be created, updated or deleted; sends only read requests.
    support: full
  diff_mode:
    description: Shows the normalised rules and attachments before and after.
    support: full
options:
  name:
    description:
      - Name of the firewall; it identifies the firewall. The module fails when several firewalls carry it.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the firewall, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  inbound_rules:
    description:
      - Inbound rules, exactly. Leave unset to keep the rules of an existing firewall.
      - A new firewall needs at least one inbound or outbound rule.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Protocol of the rule.
        type: str
        required: true
        choices: [tcp, udp, icmp]
      ports:
        description: A port (V(22)), a range (V(8000-9000)) or V(all). Required for tcp and udp, ignored for icmp.
        type: str
      sources:
        description: Where the traffic may come from.
        type: dict
        required: true
        suboptions: &targets
          addresses:
            description: IPv4/IPv6 addresses or CIDR networks, for example V(0.0.0.0/0) and V(::/0).
            type: list
            elements: str
          droplet_ids:
            description: Droplet ids.
            type: list
            elements: int
          load_balancer_uids:
            description: Load balancer ids.
            type: list
            elements: str
          kubernetes_ids:
            description: Kubernetes cluster ids.
            type: list
            elements: str
          tags:
            description: Droplet tags.
            type: list
            elements: str
  outbound_rules:
    description:
      - Outbound rules, exactly. Leave unset to keep the rules of an existing firewall.
      - Note that a firewall without outbound rules blocks all outgoing traffic of its droplets.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Protocol of the rule.
        type: str
        required: true
        choices: [tcp, udp, icmp]
      ports:
        description: A port (V(53)), a range (V(8000-9000)) or V(all). Required for tcp and udp, ignored for icmp.
        type: str
      destinations:
        description: Where the traffic may go.
        type: dict
        required: true
        suboptions: *targets
  droplet_ids:
    description:
      - Ids of the droplets the firewall applies to, exactly. Leave unset to keep the current ones.
    type: list
    elements: int
  tags:
    description:
      - Tags whose droplets the firewall applies to, exactly. Leave unset to keep the current ones.
    type: list
    elements: str
seealso:
  - module: pytrackdat.deploy.droplet
"""

EXAMPLES = r"""
- name: Let the world reach SSH and HTTPS on every PyTrackDat droplet, and let them reach out
  pytrackdat.deploy.firewall:
    name: pytrackdat-web
    tags: [pytrackdat]
    inbound_rules:
      - protocol: tcp
        ports: "22"
        sources: {addresses: ["0.0.0.0/0", "::/0"]}
      - protocol: tcp
        ports: "80"
        sources: {addresses: ["0.0.0.0/0", "::/0"]}
      - protocol: tcp
        ports: "443"
        sources: {addresses: ["0.0.0.0/0", "::/0"]}
      - protocol: icmp
        sources: {addresses: ["0.0.0.0/0", "::/0"]}
    outbound_rules:
      - protocol: tcp
        ports: all
        destinations: {addresses: ["0.0.0.0/0", "::/0"]}
      - protocol: udp
        ports: all
        destinations: {addresses: ["0.0.0.0/0", "::/0"]}
      - protocol: icmp
        destinations: {addresses: ["0.0.0.0/0", "::/0"]}

- name: Also apply it to one droplet by id, keeping the rules
  pytrackdat.deploy.firewall:
    name: pytrackdat-web
    droplet_ids: ["{{ server.droplet.id }}"]

- name: Remove it
  pytrackdat.deploy.firewall:
    name: pytrackdat-web
    state: absent
"""

RETURN = r"""
firewall:
  description:
    - The firewall as the API returns it after the change; the current one in check mode; empty when there is
      none. For O(state=absent) the firewall that was deleted.
  returned: always
  type: dict
  sample: {"id": "bb4b2611-3d72-467b-8602-280330ecd65c", "name": "pytrackdat-web", "status": "succeeded",
           "inbound_rules": [{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}],
           "outbound_rules": [], "droplet_ids": [], "tags": ["pytrackdat"], "pending_changes": []}
"""

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_firewall import (
    FirewallRunner, firewall_argument_spec,
)
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import run_module


def main():
    run_module(FirewallRunner, firewall_argument_spec())


if __name__ == "__main__":
    main()
