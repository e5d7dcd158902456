# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the roles' ufw rules: which SSH sources are not addresses or networks, which of the role's own SSH rules
a changed source list (or rule type) has left behind, and which wanted rules ufw does not have yet (so a rerun runs
ufw only for those)."""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

_RULE = re.compile(r"^ufw (?P<rule>allow|limit) (?:from (?P<source>\S+) to any port (?P<port>\d+) proto tcp"
                   r"|(?P<any_port>\d+)/tcp) comment '(?P<comment>[^']*)'$")


def _network(source):
    """'any', or the address/network as ufw stores it; None when it is neither."""
    if source == "any":
        return source
    try:
        network = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return None
    single = network.prefixlen == network.max_prefixlen
    return str(network.network_address) if single else str(network)


def ufw_bad_sources(sources):
    """The entries of sources that are neither 'any' nor an IPv4/IPv6 address or network."""
    return [source for source in sources if not isinstance(source, str) or _network(source) is None]


def ufw_stale_ssh_rules(lines, port, sources, rule, comment="SSH (server_setup)"):
    """The role's own rules on port whose (rule, source) the wanted sources and rule type do not give."""
    bad = ufw_bad_sources(sources)
    if bad:
        raise AnsibleFilterError("not an address or network (CIDR) nor 'any': %s" % ", ".join(map(str, bad)))
    wanted = {(rule, _network(source)) for source in sources}
    stale = []
    for line in lines:
        found = _RULE.match(line.strip())
        if not found or found.group("comment") != comment:
            continue
        if int(found.group("port") or found.group("any_port")) != int(port):
            continue
        key = (found.group("rule"), _network(found.group("source") or "any"))
        if key not in wanted:
            stale.append({"rule": key[0], "source": found.group("source") or "any"})
    return stale


def _added_line(rule, port, proto, comment, source):
    """The line `ufw show added` prints for this rule (sources as ufw stores them)."""
    if source and source != "any":
        line = "ufw %s from %s to any port %s%s" % (rule, _network(source), port, "" if proto == "any" else " proto " + proto)
    else:
        line = "ufw %s %s%s" % (rule, port, "" if proto == "any" else "/" + proto)
    return line + (" comment '%s'" % comment if comment else "")


def ufw_missing_rules(items, lines, rule="allow", port=None, proto="tcp", comment=None):
    """The items whose rule `ufw show added` (lines) does not print. An item is a dict (port, proto, comment, source,
    rule) or a string, taken as the source of a rule with the given rule, port, proto and comment."""
    present = {line.strip() for line in lines}
    missing = []
    for item in items:
        spec = dict(item) if isinstance(item, dict) else {"source": item}
        line = _added_line(spec.get("rule", rule), spec.get("port", port), spec.get("proto") or proto,
                           spec.get("comment", comment), spec.get("source"))
        if line not in present:
            missing.append(item)
    return missing


def _rule_argv(rule, port, proto, source="any", comment=None, delete=False):
    """The ufw command line of one rule, as community.general.ufw builds it (a range needs its proto)."""
    argv = ["ufw"] + (["delete"] if delete else [])
    argv += [rule, "from", _network(source) or source, "to", "any", "port", str(port)]
    argv += [] if proto == "any" else ["proto", proto]
    return argv + (["comment", comment] if comment else [])


def ufw_plan(ufw_output, ssh_port, ssh_sources, ssh_limit, allowed_ports, comment="SSH (server_setup)"):
    """The ufw commands (argv lists, in the order they must run) that bring ufw from ufw_output (``ufw status verbose``,
    a line ``--- rules``, then ``ufw show added``) to the wanted state: the SSH rule for each source, the rule for any
    source removed when SSH is limited to some networks, the role's SSH rules the sources no longer give removed (only
    after the wanted ones are in, so SSH is never shut), the extra ports, the default policies (deny incoming, allow
    outgoing) and ufw enabled. Nothing for a rule or setting ufw already has."""
    status, _sep, added = ufw_output.partition("--- rules")
    lines = added.splitlines()
    port = str(ssh_port)
    rule = "limit" if ssh_limit else "allow"
    plan = [_rule_argv(rule, port, "tcp", source, comment)
            for source in ufw_missing_rules(ssh_sources, lines, rule=rule, port=port, comment=comment)]
    if "any" not in ssh_sources:
        present = [line.strip() for line in lines]
        plan += [_rule_argv(kind, port, "tcp", delete=True) for kind in ("limit", "allow")
                 if any(re.match(r"ufw %s %s/tcp( |$)" % (kind, port), line) for line in present)]
    plan += [_rule_argv(stale["rule"], port, "tcp", stale["source"], delete=True)
             for stale in ufw_stale_ssh_rules(lines, port, ssh_sources, rule, comment)]
    plan += [_rule_argv("allow", item["port"], item.get("proto") or "tcp", comment=item.get("comment"))
             for item in ufw_missing_rules(allowed_ports, lines)]
    defaults = re.search(r"^Default: .*$", status, flags=re.M)
    plan += [["ufw", "default", policy, direction] for policy, direction in (("deny", "incoming"), ("allow", "outgoing"))
             if not defaults or "%s (%s)" % (policy, direction) not in defaults.group(0)]
    if not re.search(r"^Status: active", status, flags=re.M):
        plan.append(["ufw", "--force", "enable"])
    unique = []
    for argv in plan:
        if argv not in unique:
            unique.append(argv)
    return unique


class FilterModule:
    """ufw helpers of the server_setup role."""

    def filters(self):
        return {"ufw_stale_ssh_rules": ufw_stale_ssh_rules, "ufw_bad_sources": ufw_bad_sources,
                "ufw_missing_rules": ufw_missing_rules, "ufw_plan": ufw_plan}
