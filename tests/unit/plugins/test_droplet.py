"""pytrackdat.deploy.droplet against the emulator, over HTTP."""

from __future__ import annotations

import json

import pytest

from ansible_collections.pytrackdat.deploy.plugins.modules import droplet

from .conftest import writes

RESULT_KEYS = {"changed", "droplet", "public_ipv4", "private_ipv4", "ipv6"}


def _keys(result):
    return set(result) - {"invocation", "warnings", "diff", "deprecations"}


def test_creates_waits_for_ip_and_returns_the_same_keys_as_a_rerun(do_emulator, run):
    created = run(droplet, name="ptd-web-1", region="fra1", tags=["pytrackdat"])
    assert created["changed"] is True, created
    assert created["droplet"]["status"] == "active"
    assert created["public_ipv4"] and created["private_ipv4"]
    assert len(do_emulator.state.droplets) == 1
    body = [r for r in do_emulator.request_log if r["method"] == "POST"]
    assert len(body) == 1

    before = len(do_emulator.request_log)
    again = run(droplet, name="ptd-web-1", region="fra1", tags=["pytrackdat"])
    assert again["changed"] is False
    assert len(do_emulator.request_log) - before == 1, do_emulator.request_log[before:]
    assert _keys(created) == _keys(again) == RESULT_KEYS
    assert again["droplet"]["id"] == created["droplet"]["id"]
    assert again["public_ipv4"] == created["public_ipv4"]


def test_create_uses_the_documented_defaults(do_emulator, run):
    result = run(droplet, name="defaults", region="nyc3")
    created = do_emulator.state.droplets[result["droplet"]["id"]]
    assert created["size_slug"] == "s-1vcpu-512mb-10gb"
    assert created["image"]["slug"] == "ubuntu-24-04-x64"


def test_check_mode_on_a_fresh_account_reports_a_create_and_sends_no_write(do_emulator, run):
    result = run(droplet, check_mode=True, diff=True, name="ptd-web-1", region="fra1")
    assert result["changed"] is True
    assert _keys(result) == RESULT_KEYS
    assert result["droplet"] == {} and result["public_ipv4"] is None
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["state"] == "present"
    assert do_emulator.state.droplets == {}
    assert writes(do_emulator.request_log) == []


def test_reconciles_tags_backups_and_power_and_check_mode_predicts_it(do_emulator, run):
    first = run(droplet, name="web", region="fra1", tags=["a", "b"])
    wanted = dict(name="web", region="fra1", tags=["b", "c"], backups=True, power="off")

    before = len(do_emulator.request_log)
    predicted = run(droplet, check_mode=True, diff=True, **wanted)
    assert predicted["changed"] is True
    assert writes(do_emulator.request_log, before) == []
    assert predicted["diff"]["before"]["tags"] == ["a", "b"]
    assert predicted["diff"]["after"]["tags"] == ["b", "c"]
    assert predicted["diff"]["after"]["backups"] is True and predicted["diff"]["after"]["power"] == "off"
    state = do_emulator.state.droplets[first["droplet"]["id"]]
    assert sorted(state["tags"]) == ["a", "b"] and state["status"] == "active"

    applied = run(droplet, diff=True, **wanted)
    assert applied["changed"] is True
    assert applied["diff"]["after"] == predicted["diff"]["after"]
    state = do_emulator.state.droplets[first["droplet"]["id"]]
    assert sorted(state["tags"]) == ["b", "c"]
    assert "backups" in state["features"]
    assert state["status"] == "off"
    assert _keys(applied) == RESULT_KEYS

    before = len(do_emulator.request_log)
    assert run(droplet, **wanted)["changed"] is False
    assert len(do_emulator.request_log) - before == 1
    assert run(droplet, check_mode=True, **wanted)["changed"] is False


def test_resizes_only_when_asked(do_emulator, run):
    run(droplet, name="web", region="fra1")
    warned = run(droplet, name="web", region="fra1", size="s-1vcpu-1gb")
    assert warned["changed"] is False
    assert "resize=true" in json.dumps(warned.get("warnings")), warned
    resized = run(droplet, name="web", region="fra1", size="s-1vcpu-1gb", resize=True)
    assert resized["changed"] is True
    assert resized["droplet"]["size_slug"] == "s-1vcpu-1gb"
    assert resized["droplet"]["status"] == "active"
    assert run(droplet, name="web", region="fra1", size="s-1vcpu-1gb", resize=True)["changed"] is False


def test_deletes_and_a_second_delete_changes_nothing(do_emulator, run):
    run(droplet, name="gone", region="fra1")
    before = len(do_emulator.request_log)
    predicted = run(droplet, check_mode=True, name="gone", state="absent")
    assert predicted["changed"] is True and writes(do_emulator.request_log, before) == []
    assert len(do_emulator.state.droplets) == 1
    deleted = run(droplet, name="gone", state="absent")
    assert deleted["changed"] is True and _keys(deleted) == RESULT_KEYS
    assert do_emulator.state.droplets == {}
    assert run(droplet, name="gone", state="absent")["changed"] is False


def test_region_is_part_of_the_identity(do_emulator, run):
    a = run(droplet, name="same", region="fra1")
    b = run(droplet, name="same", region="nyc3")
    assert a["droplet"]["id"] != b["droplet"]["id"] and b["changed"] is True
    ambiguous = run(droplet, name="same")
    assert ambiguous["failed"] is True
    assert str(a["droplet"]["id"]) in ambiguous["msg"] and str(b["droplet"]["id"]) in ambiguous["msg"]
    assert "region" in ambiguous["msg"]
    assert len(do_emulator.state.droplets) == 2


@pytest.mark.parametrize("options, message", [
    ({"name": ""}, "name must not be empty"),
    ({"name": "bad name!"}, "not a valid droplet name"),
    ({"name": "ok", "region": "Frankfurt 1"}, "region"),
    ({"name": "ok", "size": "BIG"}, "size"),
    ({"name": "ok", "ssh_keys": ["not-a-key"]}, "neither a numeric key id nor an MD5 fingerprint"),
    ({"name": "ok", "tags": ["has space"]}, "tag 'has space' is invalid"),
    ({"name": "ok", "wait_timeout": 0}, "wait_timeout"),
    ({"name": "ok", "colour": "blue"}, "Unsupported parameters"),
    ({"name": "ok", "backups": "maybe"}, "backups"),
])
def test_bad_input_fails_before_any_request(do_emulator, run, options, message):
    result = run(droplet, **options)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert do_emulator.request_log == []


def test_unknown_size_fails_with_the_api_message_and_creates_nothing(do_emulator, run):
    result = run(droplet, name="web", region="fra1", size="s-99vcpu-1tb")
    assert result["failed"] is True and result["changed"] is False
    assert "422" in result["msg"] and "size" in result["msg"]
    assert do_emulator.state.droplets == {}


def test_rejected_token_says_which_variable_to_check(do_emulator, run):
    result = run(droplet, name="web", api_token="wrong")
    assert result["failed"] is True
    assert "401" in result["msg"] and "DIGITALOCEAN_ACCESS_TOKEN" in result["msg"]
    assert "wrong" not in result["msg"]


def test_token_and_end_point_come_from_the_environment(do_emulator, monkeypatch):
    from .conftest import call_module
    monkeypatch.setenv("DO_API_TOKEN", do_emulator.token)
    monkeypatch.setenv("DIGITALOCEAN_API_URL", do_emulator.url.rstrip("/").rsplit("/v2", 1)[0])
    result = call_module(droplet, {"name": "from-env", "region": "fra1"})
    assert result["changed"] is True, result
    assert len(do_emulator.state.droplets) == 1


def test_missing_token_fails_with_a_hint(do_emulator):
    from .conftest import call_module
    result = call_module(droplet, {"name": "web", "api_url": do_emulator.url})
    assert result["failed"] is True and "DIGITALOCEAN_ACCESS_TOKEN" in result["msg"]
    assert do_emulator.request_log == []


def test_wait_timeout_fails_and_still_returns_the_droplet(do_emulator, run):
    do_emulator.state.action_delay = 3
    result = run(droplet, name="slow", region="fra1", wait_timeout=1)
    assert result["failed"] is True and "wait_timeout" in result["msg"]
    assert result["droplet"]["name"] == "slow" and result["changed"] is True
    polls = [r for r in do_emulator.request_log if r["method"] == "GET" and r["path"].startswith("/v2/droplets/")]
    assert 1 <= len(polls) <= 3, polls


def test_unknown_region_fails_with_the_api_message(do_emulator, run):
    result = run(droplet, name="web", region="xyz9")
    assert result["failed"] is True and "422" in result["msg"] and "region" in result["msg"].lower()
    assert do_emulator.state.droplets == {}


def test_every_library_object_uses_the_configured_end_point(do_emulator, run):
    import os

    import digitalocean

    run(droplet, name="web", region="fra1")
    assert os.environ["DIGITALOCEAN_END_POINT"] == do_emulator.url
    # Objects python-digitalocean builds itself read the end point from the environment.
    listed = digitalocean.Manager(token=do_emulator.token).get_all_droplets()
    assert [d.name for d in listed] == ["web"]
    assert all(d.end_point == do_emulator.url for d in listed)
