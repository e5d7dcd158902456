# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the domain_record module: A, AAAA, CNAME, MX, TXT and CAA records on a DigitalOcean-managed domain.

A, AAAA and CNAME records are one per name and type: a new address or target updates that record in place.
A name can carry several MX, TXT and CAA records, so those are identified by their data (and a CAA record by
its tag too); their priority, flags and TTL are updated in place. Data is compared in one canonical form
(addresses compressed, host names lowercase without the final dot, ``@`` for the domain itself), so what the
API echoes back compares equal to what was asked for."""

import ipaddress
import re

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import DOAPIError
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import ResourceRunner

LABEL_RE = re.compile(r"^(\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)$")
HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "CAA")
ONE_PER_NAME = ("A", "AAAA", "CNAME")
CAA_TAGS = ("issue", "issuewild", "iodef")


def domain_record_argument_spec():
    return dict(
        domain=dict(type="str", required=True),
        name=dict(type="str", default="@"),
        type=dict(type="str", choices=list(RECORD_TYPES)),
        data=dict(type="str"),
        ttl=dict(type="int", default=1800),
        priority=dict(type="int"),
        flags=dict(type="int"),
        tag=dict(type="str", choices=list(CAA_TAGS)),
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


def _is_host(value):
    return 0 < len(value) <= 253 and all(HOST_LABEL_RE.match(label) for label in value.split("."))


def canonical_data(kind, data, domain):
    """``data`` of a ``kind`` record in the form records are compared in; unparsable data comes back as it is."""
    data = (data or "").strip()
    if kind in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(data))
        except ValueError:
            return data
    if kind in ("CNAME", "MX") or (kind == "CAA" and not data.lower().startswith(("mailto:", "http"))):
        data = data.rstrip(".").lower()
        return domain if data == "@" else data
    return data


def _check_data(kind, data, tag):
    """What is wrong with ``data`` (already canonical) for a ``kind`` record, or None."""
    if kind in ("A", "AAAA"):
        try:
            address = ipaddress.ip_address(data)
        except ValueError:
            return "data %r is not an IPv%s address" % (data, 4 if kind == "A" else 6)
        if address.version != (4 if kind == "A" else 6):
            return "data %s is an IPv%d address, which does not fit a %s record" % (address, address.version, kind)
    elif kind in ("CNAME", "MX") and not _is_host(data):
        return "data %r is not a host name for a %s record (e.g. www.example.org, or @ for the domain)" % (data, kind)
    elif kind == "CAA" and tag == "iodef" and not data.startswith(("mailto:", "https://", "http://")):
        return "data %r of a CAA iodef record must be a mailto:, https:// or http:// URL" % data
    elif kind == "CAA" and tag != "iodef" and data != ";" and not _is_host(data):
        return "data %r of a CAA %s record must be a CA's domain such as letsencrypt.org (or ';')" % (data, tag)
    elif kind == "TXT" and ("\n" in data or len(data) > 4096):
        return "data of a TXT record must be one line of at most 4096 characters"
    return None


def _check_fields(kind, params):
    """Messages for priority, flags and tag given where they do not belong, or missing where they must be."""
    errors = []
    if kind == "MX" and params["state"] == "present" and params.get("priority") is None:
        errors.append("an MX record needs priority (0-65535, lower is preferred)")
    if params.get("priority") is not None and (kind != "MX" or not 0 <= params["priority"] <= 65535):
        errors.append("priority is for MX records and must be 0-65535")
    if kind == "CAA" and not params.get("tag"):
        errors.append("a CAA record needs tag: issue, issuewild or iodef")
    if params.get("tag") and kind != "CAA":
        errors.append("tag is for CAA records only")
    if params.get("flags") is not None and (kind != "CAA" or not 0 <= params["flags"] <= 255):
        errors.append("flags is for CAA records and must be 0-255")
    return errors


class DomainRecordRunner(ResourceRunner):
    resource_key = "record"
    api_key = "domain_record"
    what = "domain record"

    def __init__(self, module, client, **kwargs):
        super().__init__(module, client, **kwargs)
        self.domain = (self.params["domain"] or "").strip().rstrip(".").lower()
        self.name = relative_name(self.params["name"], self.domain)
        self.type = self.params["type"]
        self.data = None

    def fqdn(self):
        return self.domain if self.name == "@" else "%s.%s" % (self.name, self.domain)

    def result_fields(self, resource):
        return {"fqdn": self.fqdn()}

    @property
    def collection(self):
        return "domains/%s/records" % self.domain

    # -- validation ------------------------------------------------------------------------------

    def _infer_type(self):
        """The type when none is given: A or AAAA from an address; None (with a message) otherwise."""
        try:
            address = ipaddress.ip_address(self.params["data"].strip())
        except ValueError:
            return None, ("data %r is not an IPv4 or IPv6 address; give type for a CNAME, MX, TXT or CAA record"
                          % self.params["data"])
        return ("A" if address.version == 4 else "AAAA"), None

    def validate(self):
        p = self.params
        if not self.domain or "." not in self.domain:
            return ["domain %r is not a domain name like example.com" % p["domain"]]
        if not all(LABEL_RE.match(label) for label in ([] if self.name == "@" else self.name.split("."))):
            return ["name %r is not a valid record name (use '@' for the domain itself, or labels of letters, "
                    "digits and dashes)" % p["name"]]
        if p["data"] is None and p["state"] == "present":
            return ["state=present needs data (the address, host name or text the record holds)"]
        if not self.type and p["data"] is not None:
            self.type, problem = self._infer_type()
            if problem:
                return [problem]
        if not self.type:
            return ["give type (A or AAAA) or data to say which record to remove"]
        errors = _check_fields(self.type, p)
        if p["data"] is not None:
            self.data = canonical_data(self.type, p["data"], self.domain)
            problem = _check_data(self.type, self.data, p.get("tag"))
            errors.extend([problem] if problem else [])
        elif self.type not in ONE_PER_NAME:
            errors.append("state=absent of a %s record needs data: a name can have several" % self.type)
        if p["ttl"] < 30:
            errors.append("ttl must be at least 30 seconds")
        return errors

    # -- lookups ---------------------------------------------------------------------------------

    def _is_this_record(self, record):
        if self.type in ONE_PER_NAME:
            return True
        same_tag = self.type != "CAA" or record.get("tag") == self.params["tag"]
        return same_tag and canonical_data(self.type, record.get("data"), self.domain) == self.data

    def find(self):
        try:
            records = self.client.list_all(self.collection, "domain_records",
                                           {"name": self.fqdn(), "type": self.type})
        except DOAPIError as exc:
            if exc.status == 404:
                self.fail("domain %s is not managed by DigitalOcean in this account: add it (Networking > Domains, "
                          "or community.digitalocean.digital_ocean_domain) and point its NS records at DigitalOcean"
                          % self.domain)
            raise
        matches = [r for r in records if r.get("type") == self.type and (r.get("name") or "@").lower() == self.name
                   and self._is_this_record(r)]
        if len(matches) > 1:
            self.fail("%d %s records exist for %s (ids %s); remove the extra ones so there is one to update"
                      % (len(matches), self.type, self.fqdn(), ", ".join(str(r["id"]) for r in matches)))
        return matches[0] if matches else None

    # -- the two states --------------------------------------------------------------------------

    def comparable(self, resource):
        kind = resource.get("type")
        result = {"type": kind, "name": (resource.get("name") or "@").lower(),
                  "data": canonical_data(kind, resource.get("data"), self.domain), "ttl": resource.get("ttl")}
        if kind == "MX":
            result["priority"] = resource.get("priority")
        if kind == "CAA":
            result.update(flags=resource.get("flags") or 0, tag=resource.get("tag"))
        return result

    def body(self):
        data = self.data
        if self.type in ("CNAME", "MX"):
            data = "@" if data == self.domain else data + "."
        body = {"type": self.type, "name": self.name, "data": data, "ttl": self.params["ttl"]}
        if self.type == "MX":
            body["priority"] = self.params["priority"]
        if self.type == "CAA":
            body.update(flags=self.params.get("flags") or 0, tag=self.params["tag"])
        return body

    def present(self, current):
        body = self.body()
        if not self.plan(current, self.describe(body)) or self.check_mode:
            return self.result(current)
        record = current
        if current is None:
            record, fresh = self.create(body, "%s record %s" % (self.type, self.fqdn()))
            if fresh or self.describe(record) == self.after:
                return self.result(record)
        return self.result(self.client.request("PUT", self.path(record), body)[self.api_key])

    def absent(self, current):
        if current is not None and self.data and self.comparable(current)["data"] != self.data:
            # data names the record to remove; a record with other data is left alone.
            self.plan(current, self.describe(current))
            return self.result(current)
        return super().absent(current)
