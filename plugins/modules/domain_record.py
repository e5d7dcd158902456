#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: domain_record
short_description: Point a name at an IP address with an A or AAAA record on a DigitalOcean-managed domain
version_added: 0.1.0
description:
  - Ensures one A (IPv4) or AAAA (IPv6) record for O(name) in O(domain) holds O(data), updating the existing
    record in place (one PUT) when the address or TTL changed, or removes it.
  - The domain must already be managed by DigitalOcean in the account; the module fails with a message saying
    so when it is not.
  - When several records of the type exist for the name the module fails and lists their ids.
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - pytrackdat.deploy.api
attributes:
  check_mode:
    description: Reports whether the record would be created, updated or removed; sends only read requests.
    support: full
  diff_mode:
    description: Shows type, name, data and TTL before and after.
    support: full
options:
  domain:
    description:
      - The DigitalOcean-managed domain, for example V(example.com).
    type: str
    required: true
  name:
    description:
      - The record's name below O(domain) (V(www)), or its full name (V(www.example.com)), or V(@) for the
        domain itself.
    type: str
    default: "@"
  type:
    description:
      - Record type. When unset it follows from O(data) (V(A) for IPv4, V(AAAA) for IPv6).
      - Required with O(state=absent) when O(data) is not given.
    type: str
    choices: [A, AAAA]
  data:
    description:
      - The IP address. Required with O(state=present).
      - With O(state=absent) only a record with this address is removed.
    type: str
  ttl:
    description:
      - Time to live in seconds (at least 30).
    type: int
    default: 1800
  state:
    description:
      - V(present) creates or updates the record, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: pytrackdat.deploy.droplet
"""

EXAMPLES = r"""
- name: Point the site's name at the droplet
  pytrackdat.deploy.domain_record:
    domain: example.org
    name: samples
    data: "{{ server.public_ipv4 }}"

- name: And its IPv6 address, when it has one
  pytrackdat.deploy.domain_record:
    domain: example.org
    name: samples
    data: "{{ server.ipv6 }}"
  when: server.ipv6 is not none

- name: Remove the A record
  pytrackdat.deploy.domain_record:
    domain: example.org
    name: samples
    type: A
    state: absent
"""

RETURN = r"""
record:
  description:
    - The record as the API returns it after the change; the current one in check mode; empty when there is
      none. For O(state=absent) the record that was removed.
  returned: always
  type: dict
  sample: {"id": 28448433, "type": "A", "name": "samples", "data": "203.0.113.10", "ttl": 1800}
fqdn:
  description: The fully qualified name the record is for.
  returned: always
  type: str
  sample: samples.example.org
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import api_argument_spec, client_from_module
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_domain_record import (
    DomainRecordRunner, domain_record_argument_spec,
)


def main():
    argument_spec = api_argument_spec()
    argument_spec.update(domain_record_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = client_from_module(module)
    module.exit_json(**DomainRecordRunner(module, client).run())


if __name__ == "__main__":
    main()
