#!/usr/bin/python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: domain_record
short_description: Manage an A, AAAA, CNAME, MX, TXT or CAA record on a DigitalOcean-managed domain
version_added: 0.1.0
description:
  - Ensures a DNS record for O(name) in O(domain) exists as given, or removes it.
  - A, AAAA and CNAME records are one per name and type. When the address or target (O(data)) or the TTL
    changed, the existing record is updated in place (one PUT). When several records of the type exist for the
    name the module fails and lists their ids.
  - A name can have several MX, TXT and CAA records, so these are identified by O(data) (and a CAA record by
    O(tag) as well). O(priority), O(flags) and O(ttl) of such a record are updated in place; other data means
    another record.
  - Data is compared in one form whatever the API echoes back - IPv6 addresses compressed, host names in
    lowercase without the final dot, V(@) for the domain itself - so a second run changes nothing.
  - The domain must already be managed by DigitalOcean in the account; the module fails with a message saying
    so when it is not.
  - Every value is checked before any request, with a message that says what is wrong.
author:
  - pytrackdat.deploy developers (@pytrackdat)
extends_documentation_fragment:
  - pytrackdat.deploy.api
attributes:
  check_mode:
    description: Reports whether the record would be created, updated or removed; sends only read requests.
    support: full
  diff_mode:
    description: Shows type, name, data, TTL (and priority, flags, tag where they apply) before and after.
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
      - Record type. When unset it follows from O(data) when that is an IP address (V(A) for IPv4, V(AAAA) for
        IPv6); the other types must be given.
      - Required with O(state=absent) when O(data) is not given.
    type: str
    choices: [A, AAAA, CNAME, MX, TXT, CAA]
  data:
    description:
      - What the record holds. V(A) and V(AAAA) - an IP address. V(CNAME) and V(MX) - a host name, taken as fully
        qualified (V(samples.example.org), with or without the final dot), or V(@) for the domain itself.
        V(TXT) - one line of text. V(CAA) - a CA's domain such as V(letsencrypt.org) (or V(;) to allow none) for
        the tags V(issue) and V(issuewild), a C(mailto:) or C(https://) URL for V(iodef).
      - Required with O(state=present).
      - With O(state=absent), an A, AAAA or CNAME record is removed only when it has this data; an MX, TXT or CAA
        record needs it to say which one to remove.
    type: str
  ttl:
    description:
      - Time to live in seconds (at least 30).
    type: int
    default: 1800
  priority:
    description:
      - Priority of an V(MX) record (0-65535, lower is preferred). Required for MX records, refused for others.
    type: int
  flags:
    description:
      - Flags of a V(CAA) record (0-255). V(0) when not given; V(128) marks the property critical.
    type: int
  tag:
    description:
      - Tag of a V(CAA) record. Required for CAA records, refused for others.
    type: str
    choices: [issue, issuewild, iodef]
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

- name: Let www.samples.example.org follow the site's name
  pytrackdat.deploy.domain_record:
    domain: example.org
    name: www.samples
    type: CNAME
    data: samples.example.org

- name: Only Let's Encrypt may issue certificates for the site
  pytrackdat.deploy.domain_record:
    domain: example.org
    name: samples
    type: CAA
    tag: issue
    data: letsencrypt.org

- name: Mail for the domain goes to the lab's mail server
  pytrackdat.deploy.domain_record:
    domain: example.org
    type: MX
    priority: 10
    data: mail.example.org

- name: A verification token
  pytrackdat.deploy.domain_record:
    domain: example.org
    type: TXT
    data: "site-verification=abc123"

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
  sample: {"id": 28448433, "type": "A", "name": "samples", "data": "203.0.113.10", "ttl": 1800, "priority": null,
           "flags": null, "tag": null}
fqdn:
  description: The fully qualified name the record is for.
  returned: always
  type: str
  sample: samples.example.org
"""

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_domain_record import (
    DomainRecordRunner, domain_record_argument_spec,
)
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import run_module


def main():
    run_module(DomainRecordRunner, domain_record_argument_spec())


if __name__ == "__main__":
    main()
