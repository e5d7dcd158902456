# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the domain_record module: one A or AAAA record for a name, updated in place when the IP changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import DOAPIError

LABEL_RE = re.compile(r"^(\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)$")


def domain_record_argument_spec():
    return dict(
        domain=dict(type="str", required=True),
        name=dict(type="str", default="@"),
        type=dict(type="str", choices=["A", "AAAA"]),
        data=dict(type="str"),
        ttl=dict(type="int", default=1800),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def relative_name(name, domain):
    """'@' for the apex, else the name below the domain ('www' for 'www.example.com')."""
    name = (name or "@").strip().rstrip(".").lower()
    if name in ("@", "", domain):
        return "@"
    suffix = "." + domain
    if name.endswith(suffix):
        name = name[:-len(suffix)]
    return name


class DomainRecordRunner(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.domain = (self.params["domain"] or "").strip().rstrip(".").lower()
        self.name = relative_name(self.params["name"], self.domain)
        self.type = self.params["type"]
        self.data = None

    def result(self, changed, record, before=None, after=None, **extra):
        result = dict(changed=changed, record=record or {}, fqdn=self.fqdn())
        if self.module._diff and before is not None:
            result["diff"] = dict(before=before, after=after)
        result.update(extra)
        return result

    def fail(self, msg, **extra):
        self.module.fail_json(**self.result(False, None, msg=msg, **extra))

    def fqdn(self):
        return self.domain if self.name == "@" else "%s.%s" % (self.name, self.domain)

    def validate(self):
        p = self.params
        if not self.domain or "." not in self.domain:
            self.fail("domain %r is not a domain name like example.com" % p["domain"])
        if not all(LABEL_RE.match(label) for label in ([] if self.name == "@" else self.name.split("."))):
            self.fail("name %r is not a valid record name (use '@' for the domain itself, or labels of letters, "
                      "digits and dashes)" % p["name"])
        if p["data"] is not None:
            try:
                address = ipaddress.ip_address(p["data"].strip())
            except ValueError:
                self.fail("data %r is not an IPv4 or IPv6 address" % p["data"])
            inferred = "A" if address.version == 4 else "AAAA"
            if self.type and self.type != inferred:
                self.fail("data %s is an IPv%d address, which does not fit a %s record" % (address, address.version,
                                                                                           self.type))
            self.type = inferred
            self.data = str(address)
        elif p["state"] == "present":
            self.fail("state=present needs data (the IP address the name should point to)")
        if not self.type:
            self.fail("give type (A or AAAA) or data to say which record to remove")
        if p["ttl"] < 30:
            self.fail("ttl must be at least 30 seconds")

    def find(self):
        path = "domains/%s/records" % self.domain
        try:
            records = self.client.list_all(path, "domain_records", {"name": self.fqdn(), "type": self.type})
        except DOAPIError as exc:
            if exc.status == 404:
                self.fail("domain %s is not managed by DigitalOcean in this account: add it (Networking > Domains, "
                          "or community.digitalocean.digital_ocean_domain) and point its NS records at DigitalOcean"
                          % self.domain)
            raise
        matches = [r for r in records if r.get("type") == self.type and (r.get("name") or "@").lower() == self.name]
        if len(matches) > 1:
            self.fail("%d %s records exist for %s (ids %s); remove the extra ones so there is one to update"
                      % (len(matches), self.type, self.fqdn(), ", ".join(str(r["id"]) for r in matches)))
        return matches[0] if matches else None

    @staticmethod
    def comparable(record):
        if not record:
            return {"state": "absent"}
        return {"state": "present", "type": record.get("type"), "name": record.get("name"), "data": record.get("data"),
                "ttl": record.get("ttl")}

    def present(self, record):
        body = {"type": self.type, "name": self.name, "data": self.data, "ttl": self.params["ttl"]}
        before, after = self.comparable(record), self.comparable(body)
        if record is not None:
            current_data = record.get("data")
            try:
                current_data = str(ipaddress.ip_address(current_data))
            except ValueError:
                pass
            if current_data == self.data and record.get("ttl") == body["ttl"]:
                return self.result(False, record, before, before)
        if self.module.check_mode:
            return self.result(True, record, before, after)
        path = "domains/%s/records" % self.domain
        if record is None:
            answer, fresh = self.client.create(path, body, self.find, "%s record %s" % (self.type, self.fqdn()))
            record = answer["domain_record"] if fresh else answer
            if fresh or (record.get("data") == self.data and record.get("ttl") == body["ttl"]):
                return self.result(True, record, before, after)
        record = self.client.request("PUT", "%s/%s" % (path, record["id"]), body)["domain_record"]
        return self.result(True, record, before, after)

    def absent(self, record):
        if record is None:
            return self.result(False, None, self.comparable(None), self.comparable(None))
        if self.data and record.get("data") != self.data:
            # data names the record to remove; a record with another address is left alone.
            return self.result(False, record, self.comparable(record), self.comparable(record))
        if not self.module.check_mode:
            self.client.delete("domains/%s/records/%s" % (self.domain, record["id"]))
        return self.result(True, record, self.comparable(record), self.comparable(None))

    def run(self):
        self.validate()
        try:
            record = self.find()
            return self.present(record) if self.params["state"] == "present" else self.absent(record)
        except DOAPIError as exc:
            self.module.fail_json(**self.result(False, None, **exc.fail_kwargs()))
