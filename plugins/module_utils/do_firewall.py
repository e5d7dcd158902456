# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the firewall module: compare normalised rules and attachments, create, update (PUT) or delete."""

import ipaddress
import re

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import ResourceRunner

PORTS_RE = re.compile(r"^(all|\d{1,5}(-\d{1,5})?)$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$")
TARGET_FIELDS = ("addresses", "droplet_ids", "load_balancer_uids", "kubernetes_ids", "tags")


def _target_spec():
    return dict(
        addresses=dict(type="list", elements="str"),
        droplet_ids=dict(type="list", elements="int"),
        load_balancer_uids=dict(type="list", elements="str"),
        kubernetes_ids=dict(type="list", elements="str"),
        tags=dict(type="list", elements="str"),
    )


def firewall_argument_spec():
    def rule_spec(side):
        return dict(type="list", elements="dict", options=dict(
            protocol=dict(type="str", required=True, choices=["tcp", "udp", "icmp"]),
            ports=dict(type="str"),
            **{side: dict(type="dict", required=True, options=_target_spec())}
        ))
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        inbound_rules=rule_spec("sources"),
        outbound_rules=rule_spec("destinations"),
        droplet_ids=dict(type="list", elements="int"),
        tags=dict(type="list", elements="str"),
    )


def _address(value):
    return str(ipaddress.ip_network(value.strip(), strict=False))


def normalise_ports(protocol, ports):
    ports = str(ports or "").strip().lower()
    if protocol == "icmp" or ports in ("", "0", "all", "1-65535"):
        return "all"
    low, dummy, high = ports.partition("-")
    return low if high in ("", low) else ports


def normalise_rule(rule, side):
    """A rule in one canonical form, so that equal rules compare equal whatever the API echoes back."""
    target = rule.get(side) or {}
    normal = {"protocol": rule["protocol"].lower(), "ports": normalise_ports(rule["protocol"].lower(), rule.get("ports"))}
    normal[side] = {}
    for field in TARGET_FIELDS:
        values = target.get(field) or []
        if field == "addresses":
            values = [_address(v) for v in values]
        elif field == "droplet_ids":
            values = [int(v) for v in values]
        normal[side][field] = sorted(set(values))
    return normal


def _rule_key(rule):
    return repr(sorted((k, repr(v)) for k, v in rule.items()))


def normalise_rules(rules, side):
    return sorted((normalise_rule(r, side) for r in rules or []), key=_rule_key)


def validate_params(params):
    errors = []
    name = params["name"]
    if not name or not NAME_RE.match(name):
        errors.append("name %r is invalid: start with a letter or digit, then letters, digits, dots and dashes" % name)
    if params["state"] == "absent":
        return errors
    for option, side in (("inbound_rules", "sources"), ("outbound_rules", "destinations")):
        for index, rule in enumerate(params.get(option) or []):
            where = "%s[%d]" % (option, index)
            ports = rule.get("ports")
            if rule["protocol"] != "icmp":
                if not ports:
                    errors.append("%s: ports is required for %s (a port, a range like 8000-9000, or 'all')"
                                  % (where, rule["protocol"]))
                elif not PORTS_RE.match(str(ports).strip().lower()):
                    errors.append("%s: ports %r is not a port, a range or 'all'" % (where, ports))
            target = rule.get(side) or {}
            if not any(target.get(f) for f in TARGET_FIELDS):
                errors.append("%s: %s names no addresses, droplet_ids, tags, load_balancer_uids or kubernetes_ids"
                              % (where, side))
            for address in target.get("addresses") or []:
                try:
                    _address(address)
                except ValueError:
                    errors.append("%s: %r is not an IP address or CIDR network" % (where, address))
    return errors


def comparable(firewall):
    return {
        "name": firewall.get("name"),
        "inbound_rules": normalise_rules(firewall.get("inbound_rules"), "sources"),
        "outbound_rules": normalise_rules(firewall.get("outbound_rules"), "destinations"),
        "droplet_ids": sorted(int(d) for d in firewall.get("droplet_ids") or []),
        "tags": sorted(firewall.get("tags") or []),
    }


def _api_rule(rule, side):
    """The rule as the API wants it: only the target fields that are set; ports "0" for all ports and for ICMP
    (the spec requires ports on every rule)."""
    out = {"protocol": rule["protocol"], "ports": normalise_ports(rule["protocol"], rule.get("ports"))}
    if out["ports"] == "all":
        out["ports"] = "0"
    out[side] = dict((f, list(v)) for f, v in (rule.get(side) or {}).items() if v)
    return out


class FirewallRunner(ResourceRunner):
    resource_key = what = "firewall"
    collection = "firewalls"
    check_params = staticmethod(validate_params)
    comparable = staticmethod(comparable)

    def find(self):
        name = self.params["name"]
        matches = [f for f in self.client.list_all(self.collection, "firewalls") if f.get("name") == name]
        if len(matches) > 1:
            self.fail("%d firewalls are named %r (ids %s); delete or rename the extra ones"
                      % (len(matches), name, ", ".join(f["id"] for f in matches)))
        return matches[0] if matches else None

    def desired_body(self, current):
        """The full PUT/POST body: given options win, unset ones keep what the firewall has."""
        p = self.params
        current = current or {}
        body = {"name": p["name"]}
        for option, side in (("inbound_rules", "sources"), ("outbound_rules", "destinations")):
            if p.get(option) is not None:
                body[option] = [_api_rule(r, side) for r in p[option]]
            else:
                body[option] = [_api_rule(dict(r, ports=r.get("ports") or "0"), side) for r in current.get(option) or []]
        body["droplet_ids"] = list(p["droplet_ids"]) if p.get("droplet_ids") is not None else \
            list(current.get("droplet_ids") or [])
        body["tags"] = list(p["tags"]) if p.get("tags") is not None else list(current.get("tags") or [])
        return body

    def verify(self, firewall):
        """Fail loudly when DigitalOcean did not apply what was asked (peers fail silently here)."""
        got = comparable(firewall)
        problems = []
        for key in ("droplet_ids", "tags", "inbound_rules", "outbound_rules"):
            if got[key] != self.after[key]:
                problems.append("%s is %s, expected %s" % (key, got[key], self.after[key]))
        if firewall.get("status") == "failed":
            problems.append("status is 'failed' (pending changes: %s)" % firewall.get("pending_changes"))
        if problems:
            self.fail("DigitalOcean did not apply firewall %r as asked: %s" % (firewall.get("name"), "; ".join(problems)),
                      firewall)

    def present(self, current):
        if current is None and not self.params.get("inbound_rules") and not self.params.get("outbound_rules"):
            self.fail("firewall %r does not exist: give at least one rule in inbound_rules or outbound_rules to create "
                      "it" % self.params["name"])
        body = self.desired_body(current)
        if not self.plan(current, self.describe(body)) or self.check_mode:
            return self.result(current)
        firewall, fresh = current, False
        if current is None:
            firewall, fresh = self.create(body, "firewall %r" % body["name"])
        if not fresh and self.describe(firewall) != self.after:
            firewall = self.client.request("PUT", self.path(firewall), body)["firewall"]
        self.verify(firewall)
        return self.result(firewall)
