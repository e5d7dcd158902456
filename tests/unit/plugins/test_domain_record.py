# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytrackdat.deploy.domain_record against the emulator."""

from __future__ import annotations

import pytest

from ansible_collections.pytrackdat.deploy.plugins.modules import domain_record

from .conftest import writes


@pytest.fixture
def domain(do_emulator):
    do_emulator.state.create_domain({"name": "example.org"})
    return "example.org"


def _a_records(emu, name):
    return [r for r in emu.state.records["example.org"].values() if r["type"] in ("A", "AAAA") and r["name"] == name]


def test_creates_updates_in_place_and_removes_an_a_record(do_emulator, run, domain):
    predicted = run(domain_record, check_mode=True, domain=domain, name="samples", data="203.0.113.10")
    assert predicted["changed"] is True and predicted["fqdn"] == "samples.example.org"
    assert _a_records(do_emulator, "samples") == [] and writes(do_emulator.request_log) == []

    created = run(domain_record, domain=domain, name="samples", data="203.0.113.10")
    assert created["changed"] is True and created["record"]["type"] == "A"
    again = run(domain_record, domain=domain, name="samples.example.org", data="203.0.113.10")
    assert again["changed"] is False and again["record"]["id"] == created["record"]["id"]
    assert set(again) == set(created)

    before = len(do_emulator.request_log)
    moved_check = run(domain_record, check_mode=True, diff=True, domain=domain, name="samples", data="203.0.113.20")
    assert moved_check["changed"] is True and writes(do_emulator.request_log, before) == []
    assert moved_check["diff"]["before"]["data"] == "203.0.113.10"
    assert moved_check["diff"]["after"]["data"] == "203.0.113.20"

    before = len(do_emulator.request_log)
    moved = run(domain_record, domain=domain, name="samples", data="203.0.113.20")
    assert moved["changed"] is True and moved["record"]["id"] == created["record"]["id"]
    assert [r["method"] for r in writes(do_emulator.request_log, before)] == ["PUT"]
    (record,) = _a_records(do_emulator, "samples")
    assert record["data"] == "203.0.113.20"

    assert run(domain_record, domain=domain, name="samples", type="A", state="absent")["changed"] is True
    assert _a_records(do_emulator, "samples") == []
    assert run(domain_record, domain=domain, name="samples", type="A", state="absent")["changed"] is False


def test_aaaa_and_apex_records(do_emulator, run, domain):
    six = run(domain_record, domain=domain, name="@", data="2001:db8::10")
    assert six["changed"] is True and six["record"]["type"] == "AAAA" and six["fqdn"] == "example.org"
    assert run(domain_record, domain=domain, name="example.org", data="2001:DB8:0::10")["changed"] is False
    assert len(_a_records(do_emulator, "@")) == 1


def test_a_domain_not_at_digitalocean_is_explained(do_emulator, run):
    result = run(domain_record, domain="not-here.org", name="www", data="203.0.113.1")
    assert result["failed"] is True and "not managed by DigitalOcean" in result["msg"]


def test_several_records_for_the_name_fail_listing_ids(do_emulator, run, domain):
    for address in ("203.0.113.1", "203.0.113.2"):
        do_emulator.state.create_record(domain, {"type": "A", "name": "rr", "data": address, "ttl": 1800})
    result = run(domain_record, domain=domain, name="rr", data="203.0.113.3")
    assert result["failed"] is True and "2 A records exist for rr.example.org" in result["msg"]
    assert writes(do_emulator.request_log) == []


@pytest.mark.parametrize("options, message", [
    ({"data": "not-an-ip"}, "not an IPv4 or IPv6 address"),
    ({"data": "203.0.113.1", "type": "AAAA"}, "does not fit a AAAA record"),
    ({"name": "bad name", "data": "203.0.113.1"}, "not a valid record name"),
    ({"domain": "localhost", "data": "203.0.113.1"}, "not a domain name"),
    ({}, "needs data"),
    ({"data": "203.0.113.1", "ttl": 5}, "ttl"),
])
def test_bad_input_fails_before_any_request(do_emulator, run, options, message):
    result = run(domain_record, **dict({"domain": "example.org", "name": "www"}, **options))
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert do_emulator.request_log == []
