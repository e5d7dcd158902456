# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytrackdat.deploy.firewall against the emulator."""

from __future__ import annotations

import copy

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_firewall import normalise_rules
from ansible_collections.pytrackdat.deploy.plugins.modules import droplet, firewall

from .conftest import writes

WORLD = {"addresses": ["0.0.0.0/0", "::/0"]}
INBOUND = [
    {"protocol": "tcp", "ports": "22", "sources": WORLD},
    {"protocol": "tcp", "ports": "443", "sources": WORLD},
    {"protocol": "icmp", "sources": WORLD},
]
OUTBOUND = [
    {"protocol": "tcp", "ports": "all", "destinations": WORLD},
    {"protocol": "udp", "ports": "all", "destinations": WORLD},
]


def test_rules_that_mean_the_same_compare_equal():
    a = [{"protocol": "tcp", "ports": "all", "sources": {"addresses": ["::/0", "0.0.0.0/0"]}},
         {"protocol": "icmp", "sources": {"addresses": ["10.0.0.1"]}}]
    b = [{"protocol": "icmp", "ports": "0", "sources": {"addresses": ["10.0.0.1/32"], "tags": []}},
         {"protocol": "tcp", "ports": "0", "sources": {"addresses": ["0.0.0.0/0", "::/0"], "droplet_ids": []}}]
    assert normalise_rules(a, "sources") == normalise_rules(b, "sources")
    c = copy.deepcopy(b)
    c[1]["ports"] = "22"
    assert normalise_rules(a, "sources") != normalise_rules(c, "sources")


def test_creates_attaches_updates_only_what_differs_and_deletes(do_emulator, run):
    web = run(droplet, name="web", region="fra1", tags=["pytrackdat"])["droplet"]
    wanted = dict(name="ptd-web", inbound_rules=INBOUND, outbound_rules=OUTBOUND, tags=["pytrackdat"],
                  droplet_ids=[web["id"]])

    before = len(do_emulator.request_log)
    predicted = run(firewall, check_mode=True, diff=True, **wanted)
    assert predicted["changed"] is True and predicted["diff"]["before"] == {"state": "absent"}
    assert do_emulator.state.firewalls == {}
    assert writes(do_emulator.request_log, before) == []

    created = run(firewall, **wanted)
    assert created["changed"] is True
    (state,) = do_emulator.state.firewalls.values()
    assert state["droplet_ids"] == [web["id"]] and state["tags"] == ["pytrackdat"]
    assert len(state["inbound_rules"]) == 3

    before = len(do_emulator.request_log)
    again = run(firewall, **wanted)
    assert again["changed"] is False
    assert do_emulator.request_log[before:] == [r for r in do_emulator.request_log[before:] if r["method"] == "GET"]
    assert len(do_emulator.request_log) - before == 1
    assert set(again) == set(created)

    opened = dict(wanted, inbound_rules=INBOUND + [{"protocol": "tcp", "ports": "80", "sources": WORLD}])
    before = len(do_emulator.request_log)
    check = run(firewall, check_mode=True, diff=True, **opened)
    assert check["changed"] is True and writes(do_emulator.request_log, before) == []
    assert len(check["diff"]["after"]["inbound_rules"]) == 4 and len(check["diff"]["before"]["inbound_rules"]) == 3
    assert len(next(iter(do_emulator.state.firewalls.values()))["inbound_rules"]) == 3

    before = len(do_emulator.request_log)
    updated = run(firewall, **opened)
    assert updated["changed"] is True
    assert [r["method"] for r in writes(do_emulator.request_log, before)] == ["PUT"]
    assert len(next(iter(do_emulator.state.firewalls.values()))["inbound_rules"]) == 4
    assert run(firewall, **opened)["changed"] is False

    # Only the attachment changes; the rules stay as they are when not given.
    detached = run(firewall, name="ptd-web", droplet_ids=[])
    assert detached["changed"] is True
    (state,) = do_emulator.state.firewalls.values()
    assert state["droplet_ids"] == [] and len(state["inbound_rules"]) == 4 and state["tags"] == ["pytrackdat"]

    assert run(firewall, check_mode=True, name="ptd-web", state="absent")["changed"] is True
    assert len(do_emulator.state.firewalls) == 1
    assert run(firewall, name="ptd-web", state="absent")["changed"] is True
    assert do_emulator.state.firewalls == {}
    assert run(firewall, name="ptd-web", state="absent")["changed"] is False


def test_attaching_an_unknown_droplet_fails_loudly(do_emulator, run):
    result = run(firewall, name="fw", inbound_rules=INBOUND, droplet_ids=[999999])
    assert result["failed"] is True and "999999" not in str(do_emulator.state.firewalls)
    assert "404" in result["msg"] or "422" in result["msg"], result["msg"]


def test_bad_rules_fail_before_any_request(do_emulator, run):
    bad = [
        ({"inbound_rules": [{"protocol": "tcp", "sources": WORLD}]}, "ports is required"),
        ({"inbound_rules": [{"protocol": "tcp", "ports": "ssh", "sources": WORLD}]}, "not a port"),
        ({"inbound_rules": [{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["300.1.1.1"]}}]},
         "not an IP address"),
        ({"inbound_rules": [{"protocol": "tcp", "ports": "22", "sources": {}}]}, "names no addresses"),
        ({"inbound_rules": [{"protocol": "sctp", "ports": "22", "sources": WORLD}]}, "protocol"),
        ({"name": "-bad"}, "name '-bad' is invalid"),
    ]
    for options, message in bad:
        result = run(firewall, **dict({"name": "fw"}, **options))
        assert result["failed"] is True and message in result["msg"], (options, result["msg"])
    assert do_emulator.request_log == []


def test_a_new_firewall_needs_a_rule(do_emulator, run):
    result = run(firewall, name="empty", tags=["x"])
    assert result["failed"] is True and "at least one rule" in result["msg"]
    assert writes(do_emulator.request_log) == []
