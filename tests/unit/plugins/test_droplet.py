# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
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


SITE = dict(name="ptd-web-1", region="fra1", size="s-1vcpu-1gb", image="debian-13-x64", tags=["pytrackdat"])


def _droplet_creates(request_log, since=0):
    return [r for r in request_log[since:] if r["method"] == "POST" and r["path"].rstrip("/") == "/v2/droplets"]


def _existing_site(do_emulator, run):
    created = run(droplet, **SITE)
    assert created["changed"] is True, created
    return created["droplet"]


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check_mode"])
def test_a_region_change_fails_and_creates_no_second_droplet(do_emulator, run, check_mode):
    site = _existing_site(do_emulator, run)
    before = len(do_emulator.request_log)
    moved = run(droplet, check_mode=check_mode, diff=True, **dict(SITE, region="nyc3"))
    assert moved.get("failed") is True, moved
    assert moved["changed"] is False and "diff" not in moved
    assert "fra1" in moved["msg"] and "nyc3" in moved["msg"] and str(site["id"]) in moved["msg"]
    assert "new droplet" in moved["msg"] and "backup" in moved["msg"] and "snapshot" in moved["msg"], moved["msg"]
    assert moved["droplet"]["id"] == site["id"], "the result names the droplet that exists"
    assert list(do_emulator.state.droplets) == [site["id"]]
    assert _droplet_creates(do_emulator.request_log, before) == []
    assert writes(do_emulator.request_log, before) == []


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check_mode"])
def test_an_image_change_fails_and_changes_nothing(do_emulator, run, check_mode):
    site = _existing_site(do_emulator, run)
    before = len(do_emulator.request_log)
    rebuilt = run(droplet, check_mode=check_mode, **dict(SITE, image="ubuntu-24-04-x64"))
    assert rebuilt.get("failed") is True, rebuilt
    assert rebuilt["changed"] is False
    assert "debian-13-x64" in rebuilt["msg"] and "ubuntu-24-04-x64" in rebuilt["msg"]
    assert "backup" in rebuilt["msg"], rebuilt["msg"]
    assert writes(do_emulator.request_log, before) == []
    assert do_emulator.state.droplets[site["id"]]["image"]["slug"] == "debian-13-x64"


def test_the_same_image_by_its_numeric_id_or_no_image_at_all_is_no_change(do_emulator, run):
    site = _existing_site(do_emulator, run)
    same = run(droplet, **dict(SITE, image=str(site["image"]["id"])))
    assert same.get("failed") is not True and same["changed"] is False, same
    unset = run(droplet, name=SITE["name"], region=SITE["region"])
    assert unset.get("failed") is not True and unset["changed"] is False, "the creation default is not compared"


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check_mode"])
def test_a_size_down_fails_before_powering_anything_off(do_emulator, run, check_mode):
    site = _existing_site(do_emulator, run)
    before = len(do_emulator.request_log)
    smaller = run(droplet, check_mode=check_mode, **dict(SITE, size="s-1vcpu-512mb-10gb", resize=True))
    assert smaller.get("failed") is True, smaller
    assert smaller["changed"] is False
    assert "s-1vcpu-512mb-10gb" in smaller["msg"] and "25" in smaller["msg"] and "10" in smaller["msg"]
    assert "shrink" in smaller["msg"] and "backup" in smaller["msg"], smaller["msg"]
    assert writes(do_emulator.request_log, before) == []
    state = do_emulator.state.droplets[site["id"]]
    assert state["status"] == "active" and state["size_slug"] == "s-1vcpu-1gb" and state["disk"] == 25


def test_a_smaller_size_without_resize_only_warns_that_disks_cannot_shrink(do_emulator, run):
    _existing_site(do_emulator, run)
    before = len(do_emulator.request_log)
    warned = run(droplet, **dict(SITE, size="s-1vcpu-512mb-10gb"))
    assert warned.get("failed") is not True and warned["changed"] is False, warned
    assert "shrink" in json.dumps(warned.get("warnings")), warned
    assert writes(do_emulator.request_log, before) == []


def test_a_size_up_still_resizes_in_place(do_emulator, run):
    site = _existing_site(do_emulator, run)
    bigger = dict(SITE, size="s-1vcpu-2gb", resize=True)
    before = len(do_emulator.request_log)
    predicted = run(droplet, check_mode=True, diff=True, **bigger)
    assert predicted["changed"] is True and predicted["diff"]["after"]["size"] == "s-1vcpu-2gb"
    assert writes(do_emulator.request_log, before) == []
    resized = run(droplet, **bigger)
    assert resized["changed"] is True and resized["droplet"]["id"] == site["id"]
    assert resized["droplet"]["size_slug"] == "s-1vcpu-2gb" and resized["droplet"]["disk"] == 50
    assert resized["droplet"]["status"] == "active"
    assert list(do_emulator.state.droplets) == [site["id"]]
    assert run(droplet, **bigger)["changed"] is False


def _add_droplet(do_emulator, name, region):
    with do_emulator.state.lock:
        created, dummy_actions, dummy_multiple = do_emulator.state.create_droplets(
            {"name": name, "region": region, "size": "s-1vcpu-1gb", "image": "debian-13-x64"})
    return created[0]["id"]


@pytest.mark.parametrize("region", [None, "fra1", "nyc3"])
def test_several_droplets_with_the_name_fail_listing_ids_and_regions_whatever_the_region(do_emulator, run, region):
    first, second = _add_droplet(do_emulator, "same", "fra1"), _add_droplet(do_emulator, "same", "nyc3")
    options = {"region": region} if region else {}
    ambiguous = run(droplet, name="same", **options)
    assert ambiguous.get("failed") is True, ambiguous
    for droplet_id, where in ((first, "fra1"), (second, "nyc3")):
        assert "%s (%s)" % (droplet_id, where) in ambiguous["msg"], ambiguous["msg"]
    assert writes(do_emulator.request_log) == []
    assert len(do_emulator.state.droplets) == 2
    assert run(droplet, name="same", state="absent", **options).get("failed") is True
    assert len(do_emulator.state.droplets) == 2


def test_absent_with_another_region_fails_and_deletes_nothing(do_emulator, run):
    site = _existing_site(do_emulator, run)
    before = len(do_emulator.request_log)
    result = run(droplet, name=SITE["name"], region="nyc3", state="absent")
    assert result.get("failed") is True and "fra1" in result["msg"], result
    assert writes(do_emulator.request_log, before) == []
    assert list(do_emulator.state.droplets) == [site["id"]]


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
