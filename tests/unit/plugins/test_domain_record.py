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


def _records(emu, kind, name="@"):
    return sorted((r for r in emu.state.records["example.org"].values() if r["type"] == kind and r["name"] == name),
                  key=lambda r: r["id"])


def _converges(run, emu, options, kind, name="@"):
    """Check mode predicts the create without writing; the create; a second run (and its check) changes nothing."""
    start = len(emu.request_log)
    predicted = run(domain_record, check_mode=True, diff=True, **options)
    assert predicted["changed"] is True and writes(emu.request_log, start) == [], predicted
    assert predicted["diff"]["before"] == {"state": "absent"} and predicted["diff"]["after"]["type"] == kind
    created = run(domain_record, diff=True, **options)
    assert created["changed"] is True and created["record"]["type"] == kind, created
    assert created["diff"] == predicted["diff"]
    before = len(emu.request_log)
    assert run(domain_record, **options)["changed"] is False
    assert run(domain_record, check_mode=True, **options)["changed"] is False
    assert writes(emu.request_log, before) == []
    (record,) = [r for r in _records(emu, kind, name) if r["id"] == created["record"]["id"]]
    return record


def test_cname_points_www_at_the_site_and_follows_a_new_target(do_emulator, run, domain):
    options = {"domain": domain, "name": "www.samples", "type": "CNAME", "data": "samples.example.org"}
    record = _converges(run, do_emulator, options, "CNAME", "www.samples")
    assert record["data"] == "samples.example.org."
    # the same target written as the API may echo it (final dot, capitals) is the same record
    assert run(domain_record, **dict(options, data="Samples.Example.org."))["changed"] is False
    before = len(do_emulator.request_log)
    moved = run(domain_record, diff=True, **dict(options, data="@"))
    assert moved["changed"] is True and moved["record"]["id"] == record["id"]
    assert [r["method"] for r in writes(do_emulator.request_log, before)] == ["PUT"]
    assert moved["diff"]["before"]["data"] == "samples.example.org" and moved["diff"]["after"]["data"] == "example.org"
    assert [r["data"] for r in _records(do_emulator, "CNAME", "www.samples")] == ["@"]
    assert run(domain_record, domain=domain, name="www.samples", type="CNAME", state="absent")["changed"] is True
    assert _records(do_emulator, "CNAME", "www.samples") == []


def test_caa_records_limit_issuers_one_per_tag_and_ca(do_emulator, run, domain):
    issue = {"domain": domain, "name": "samples", "type": "CAA", "tag": "issue", "data": "letsencrypt.org"}
    record = _converges(run, do_emulator, issue, "CAA", "samples")
    assert (record["flags"], record["tag"], record["data"]) == (0, "issue", "letsencrypt.org")
    iodef = dict(issue, tag="iodef", data="mailto:security@example.org")
    _converges(run, do_emulator, iodef, "CAA", "samples")
    assert len(_records(do_emulator, "CAA", "samples")) == 2
    critical = run(domain_record, diff=True, **dict(issue, flags=128))
    assert critical["changed"] is True and critical["record"]["id"] == record["id"]
    assert (critical["diff"]["before"]["flags"], critical["diff"]["after"]["flags"]) == (0, 128)
    assert run(domain_record, **dict(issue, flags=128, state="absent"))["changed"] is True
    assert [r["tag"] for r in _records(do_emulator, "CAA", "samples")] == ["iodef"]


def test_mx_records_are_kept_per_host_and_their_priority_updated_in_place(do_emulator, run, domain):
    first = {"domain": domain, "type": "MX", "priority": 10, "data": "mail.example.org"}
    record = _converges(run, do_emulator, first, "MX")
    assert record["priority"] == 10 and record["data"] == "mail.example.org."
    _converges(run, do_emulator, dict(first, priority=20, data="backup-mail.example.org"), "MX")
    before = len(do_emulator.request_log)
    changed = run(domain_record, **dict(first, priority=5))
    assert changed["changed"] is True and changed["record"]["id"] == record["id"]
    assert [r["method"] for r in writes(do_emulator.request_log, before)] == ["PUT"]
    assert sorted(r["priority"] for r in _records(do_emulator, "MX")) == [5, 20]
    assert run(domain_record, **dict(first, priority=None, state="absent"))["changed"] is True
    assert [r["data"] for r in _records(do_emulator, "MX")] == ["backup-mail.example.org."]


def test_txt_records_are_identified_by_their_text(do_emulator, run, domain):
    spf = {"domain": domain, "type": "TXT", "data": "v=spf1 mx -all"}
    _converges(run, do_emulator, spf, "TXT")
    _converges(run, do_emulator, dict(spf, data="site-verification=abc123"), "TXT")
    longer = run(domain_record, **dict(spf, ttl=3600))
    assert longer["changed"] is True and longer["record"]["ttl"] == 3600
    assert len(_records(do_emulator, "TXT")) == 2
    assert run(domain_record, **dict(spf, state="absent"))["changed"] is True
    assert [r["data"] for r in _records(do_emulator, "TXT")] == ["site-verification=abc123"]


@pytest.mark.parametrize("options, message", [
    ({"type": "MX", "data": "mail.example.org"}, "an MX record needs priority"),
    ({"type": "MX", "data": "mail.example.org", "priority": 70000}, "priority is for MX records and must be 0-65535"),
    ({"type": "A", "data": "203.0.113.1", "priority": 10}, "priority is for MX records"),
    ({"type": "CAA", "data": "letsencrypt.org"}, "a CAA record needs tag: issue, issuewild or iodef"),
    ({"type": "CAA", "tag": "issue", "data": "letsencrypt.org", "flags": 300}, "flags is for CAA records and must be 0-255"),
    ({"type": "CAA", "tag": "issue", "data": "not a domain"}, "must be a CA's domain"),
    ({"type": "CAA", "tag": "iodef", "data": "security@example.org"}, "must be a mailto:, https:// or http:// URL"),
    ({"type": "TXT", "data": "x", "tag": "issue"}, "tag is for CAA records only"),
    ({"type": "TXT", "data": "x", "flags": 0}, "flags is for CAA records"),
    ({"type": "TXT", "data": "two\nlines"}, "one line"),
    ({"type": "CNAME", "data": "not a host"}, "not a host name for a CNAME record"),
    ({"type": "MX", "data": "http://mail", "priority": 1}, "not a host name for a MX record"),
    ({"type": "MX", "state": "absent"}, "state=absent of a MX record needs data"),
    ({"data": "mail.example.org"}, "give type for a CNAME, MX, TXT or CAA record"),
])
def test_record_values_are_checked_before_any_request(do_emulator, run, options, message):
    result = run(domain_record, **dict({"domain": "example.org", "name": "www"}, **options))
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert result["changed"] is False and result["record"] == {} and result["fqdn"] == "www.example.org"
    assert do_emulator.request_log == []


def test_a_caa_tag_outside_the_three_is_refused(do_emulator, run):
    result = run(domain_record, domain="example.org", type="CAA", tag="issuer", data="letsencrypt.org")
    assert result["failed"] is True and "issue, issuewild, iodef" in result["msg"], result["msg"]
    assert do_emulator.request_log == []
