# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ufw filters: the role's SSH rules a changed source list leaves behind, compared as ufw stores networks.
The lines are `ufw show added` output as ufw 0.36 on Debian 13 prints it (the molecule server_setup scenario runs
the same filters against a real ufw)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pytrackdat.deploy.plugins.filter.ufw_rules import (
    ufw_bad_sources, ufw_missing_rules, ufw_plan, ufw_stale_ssh_rules)

ADDED = [
    "Added user rules (see 'ufw status' for running firewall):",
    "ufw limit from 10.0.0.0/8 to any port 22 proto tcp comment 'SSH (server_setup)'",
    "ufw limit 22/tcp comment 'SSH (server_setup)'",
    "ufw allow 80/tcp",
    "ufw limit from 192.0.2.7 to any port 22 proto tcp comment 'SSH (server_setup)'",
    "ufw allow from 2001:db8::/32 to any port 22 proto tcp comment 'SSH (server_setup)'",
    "ufw allow from 198.51.100.0/24 to any port 22 proto tcp",
    "ufw limit from 203.0.113.0/24 to any port 2222 proto tcp comment 'SSH (server_setup)'",
]


def test_sources_taken_off_the_list_are_stale_and_only_the_roles_own_rules_on_its_port():
    stale = ufw_stale_ssh_rules(ADDED, 22, ["10.0.0.0/8"], "limit")
    assert stale == [{"rule": "limit", "source": "any"}, {"rule": "limit", "source": "192.0.2.7"},
                     {"rule": "allow", "source": "2001:db8::/32"}]  # not the uncommented 198.51.100.0/24, not 2222


def test_sources_written_another_way_are_the_same_rule():
    assert ufw_stale_ssh_rules(ADDED, 22, ["any", "10.1.2.3/8", "192.0.2.7/32"], "limit") == [
        {"rule": "allow", "source": "2001:db8::/32"}]
    assert ufw_stale_ssh_rules(ADDED, 22, ["any", "10.0.0.0/8", "192.0.2.7", "2001:0DB8::/32"], "limit") == [
        {"rule": "allow", "source": "2001:db8::/32"}]  # wanted as limit, found as allow


def test_a_switch_from_limit_to_allow_leaves_no_limit_rule():
    stale = ufw_stale_ssh_rules(ADDED, 22, ["any", "10.0.0.0/8", "192.0.2.7", "2001:db8::/32"], "allow")
    assert stale == [{"rule": "limit", "source": "10.0.0.0/8"}, {"rule": "limit", "source": "any"},
                     {"rule": "limit", "source": "192.0.2.7"}]


def test_the_port_follows_the_ssh_port():
    assert ufw_stale_ssh_rules(ADDED, 2222, ["any"], "limit") == [{"rule": "limit", "source": "203.0.113.0/24"}]
    assert ufw_stale_ssh_rules([], 22, ["any"], "limit") == []


def test_bad_sources_are_named():
    assert ufw_bad_sources(["any", "10.0.0.0/8", "192.0.2.7", "::/0", "lab", "10.0.0.0/33", "10.0.0.0/8 "]) == [
        "lab", "10.0.0.0/33", "10.0.0.0/8 "]
    with pytest.raises(AnsibleFilterError, match="lab"):
        ufw_stale_ssh_rules(ADDED, 22, ["lab"], "limit")


def test_missing_rules_are_those_ufw_does_not_list():
    ports = [{"port": 80, "proto": "tcp", "comment": "HTTP"}, {"port": 443, "proto": "tcp", "comment": "HTTPS"},
             {"port": "8000:8010", "proto": "udp"}, {"port": 53, "proto": "any"}]
    added = ["ufw allow 80/tcp comment 'HTTP'", "ufw allow 443/tcp", "ufw allow 8000:8010/udp", "ufw allow 53"]
    assert ufw_missing_rules(ports, added) == [ports[1]]          # 443 is there, but not with its comment
    assert ufw_missing_rules(ports, []) == ports


def test_missing_sources_follow_ufws_spelling_of_networks():
    lines = ADDED
    assert ufw_missing_rules(["any", "10.1.2.3/8", "192.0.2.7/32", "198.51.100.0/24"], lines, rule="limit", port="22",
                             comment="SSH (server_setup)") == ["198.51.100.0/24"]   # that one has no comment
    assert ufw_missing_rules(["2001:0DB8::/32"], lines, rule="allow", port="22", comment="SSH (server_setup)") == []
    assert ufw_missing_rules(["any"], lines, rule="allow", port="22", comment="SSH (server_setup)") == ["any"]


# ufw_plan reads `ufw status verbose`, a '--- rules' line, then `ufw show added`, as firewall.yml prints them.
INACTIVE = "Status: inactive\n--- rules\nAdded user rules (see 'ufw status' for running firewall):\n(None)\n"
ACTIVE = ("Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), deny (routed)\n"
          "New profiles: skip\n\nTo    Action    From\n--    ------    ----\n--- rules\n"
          "Added user rules (see 'ufw status' for running firewall):\n"
          "ufw limit 22/tcp comment 'SSH (server_setup)'\n"
          "ufw allow 80/tcp comment 'HTTP'\nufw allow 443/tcp comment 'HTTPS'\nufw allow 443/udp comment 'HTTP/3'\n")
PORTS = [{"port": 80, "comment": "HTTP"}, {"port": 443, "proto": "tcp", "comment": "HTTPS"},
         {"port": 443, "proto": "udp", "comment": "HTTP/3"}]
SSH = ["limit", "from", "any", "to", "any", "port", "22", "proto", "tcp", "comment", "SSH (server_setup)"]


def test_a_fresh_ufw_gets_ssh_first_then_the_ports_the_policies_and_enable_last():
    assert ufw_plan(INACTIVE, 22, ["any"], True, PORTS) == [
        ["ufw"] + SSH,
        ["ufw", "allow", "from", "any", "to", "any", "port", "80", "proto", "tcp", "comment", "HTTP"],
        ["ufw", "allow", "from", "any", "to", "any", "port", "443", "proto", "tcp", "comment", "HTTPS"],
        ["ufw", "allow", "from", "any", "to", "any", "port", "443", "proto", "udp", "comment", "HTTP/3"],
        ["ufw", "default", "deny", "incoming"], ["ufw", "default", "allow", "outgoing"], ["ufw", "--force", "enable"]]


def test_a_converged_ufw_needs_nothing():
    assert ufw_plan(ACTIVE, 22, ["any"], True, PORTS) == []


def test_what_was_changed_behind_the_roles_back_comes_back_and_only_that():
    drifted = ACTIVE.replace("ufw allow 443/udp comment 'HTTP/3'\n", "").replace(
        "Default: deny (incoming), allow (outgoing)", "Default: allow (incoming), allow (outgoing)")
    assert ufw_plan(drifted, 22, ["any"], True, PORTS) == [
        ["ufw", "allow", "from", "any", "to", "any", "port", "443", "proto", "udp", "comment", "HTTP/3"],
        ["ufw", "default", "deny", "incoming"]]
    assert ufw_plan(ACTIVE.replace("Status: active", "Status: inactive"), 22, ["any"], True, PORTS)[-1] == [
        "ufw", "--force", "enable"]


def test_limiting_ssh_to_a_network_adds_it_before_the_rule_for_any_source_goes():
    plan = ufw_plan(ACTIVE, 22, ["10.1.2.3/8"], True, PORTS)
    assert plan == [
        ["ufw", "limit", "from", "10.0.0.0/8", "to", "any", "port", "22", "proto", "tcp", "comment", "SSH (server_setup)"],
        ["ufw", "delete", "limit", "from", "any", "to", "any", "port", "22", "proto", "tcp"]]  # once, not twice


def test_a_switch_to_allow_and_a_new_port_and_a_range_of_any_proto():
    plan = ufw_plan(ACTIVE, 2222, ["any"], False, PORTS + [{"port": "6000:6010", "proto": "any"}])
    assert plan == [
        ["ufw", "allow", "from", "any", "to", "any", "port", "2222", "proto", "tcp", "comment", "SSH (server_setup)"],
        ["ufw", "allow", "from", "any", "to", "any", "port", "6000:6010"]]  # the role's rule on 22 is not its port now
