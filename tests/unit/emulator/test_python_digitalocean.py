# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator through python-digitalocean 1.17.0, the client the collection wraps.

Every test runs with ``do_env`` (DIGITALOCEAN_END_POINT at the emulator, loopback only); the
fixture fails a test whose traffic drew a response outside DigitalOcean's OpenAPI spec.
"""

from __future__ import annotations

import digitalocean
import pytest
import requests

from .helpers import md5_fingerprint, public_key, wait_for


@pytest.fixture
def manager(do_env):
    return digitalocean.Manager(token=do_env.token)


def _droplet(token, name="web-1", **kwargs):
    fields = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}
    fields.update(kwargs)
    return digitalocean.Droplet(token=token, name=name, **fields)


def _active(droplet):
    def check():
        droplet.load()
        return droplet.status == "active"
    return wait_for(check)


def test_end_point_is_loopback(do_env):
    import os  # pylint: disable=import-outside-toplevel
    assert os.environ["DIGITALOCEAN_END_POINT"].startswith("http://127.0.0.1:")
    assert os.environ["DIGITALOCEAN_END_POINT"].endswith("/v2/")


def test_account(manager, do_env):
    account = manager.get_account()
    assert account.email == "emulator@example.com"
    assert account.status == "active"
    assert account.droplet_limit == do_env.state.droplet_limit


def test_ssh_key_create_get_by_id_and_fingerprint_rename_delete(manager, do_env):
    line = public_key(1)
    key = digitalocean.SSHKey(token=do_env.token, name="laptop", public_key=line)
    key.create()
    assert key.id in do_env.state.ssh_keys
    assert do_env.state.ssh_keys[key.id]["fingerprint"] == md5_fingerprint(line)

    by_id = manager.get_ssh_key(key.id)
    assert by_id.name == "laptop" and by_id.public_key == line
    by_fingerprint = digitalocean.SSHKey(token=do_env.token, id=md5_fingerprint(line))
    by_fingerprint.load()
    assert by_fingerprint.id == key.id

    key.name = "desk"
    key.edit()
    assert manager.get_ssh_key(key.id).name == "desk"
    assert [k.id for k in manager.get_all_sshkeys()] == [key.id]

    key.destroy()
    assert manager.get_all_sshkeys() == []
    with pytest.raises(digitalocean.NotFoundError):
        manager.get_ssh_key(key.id)


@pytest.mark.parametrize("bad_key", ["", "not a key", "ssh-ed25519 !!!notbase64", "ssh-rsa " + public_key(2).split()[1]])
def test_malformed_public_key_is_422(do_env, bad_key):
    key = digitalocean.SSHKey(token=do_env.token, name="bad", public_key=bad_key)
    with pytest.raises(digitalocean.DataReadError):
        key.create()
    assert do_env.request_log[-1]["status"] == 422
    assert do_env.state.ssh_keys == {}


def test_duplicate_public_key_is_422(do_env):
    digitalocean.SSHKey(token=do_env.token, name="one", public_key=public_key(3)).create()
    with pytest.raises(digitalocean.DataReadError, match="already in use"):
        digitalocean.SSHKey(token=do_env.token, name="two", public_key=public_key(3)).create()


def test_droplet_is_new_then_active_with_public_and_private_ips(manager, do_env):
    key = digitalocean.SSHKey(token=do_env.token, name="k", public_key=public_key(4))
    key.create()
    droplet = _droplet(do_env.token, ssh_keys=[key.id], tags=["web"], user_data="#cloud-config\n")
    droplet.create()
    assert droplet.id in do_env.state.droplets
    assert do_env.request_log[-1]["status"] == 202
    assert droplet.action_ids, "create must answer links.actions"
    assert do_env.state.droplets[droplet.id]["status"] == "new"
    assert do_env.state.droplets[droplet.id]["networks"]["v4"] == []

    _active(droplet)
    assert droplet.ip_address and droplet.private_ip_address
    types = {n["type"] for n in do_env.state.droplets[droplet.id]["networks"]["v4"]}
    assert types == {"public", "private"}
    action = manager.get_action(droplet.action_ids[0])
    assert action.type == "create" and action.status == "completed"
    assert do_env.state.user_data[droplet.id] == "#cloud-config\n"
    assert "web" in do_env.state.tags


def test_multiple_create_with_names_and_duplicate_names_allowed(do_env):
    body = {"names": ["a-1", "a-2", "a-1"], "region": "ams3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    api = digitalocean.baseapi.BaseAPI(token=do_env.token)
    answer = api.get_data("droplets/", type=digitalocean.baseapi.POST, params=body)
    assert [d["name"] for d in answer["droplets"]] == ["a-1", "a-2", "a-1"]
    assert len(answer["links"]["actions"]) == 3
    assert len({d["id"] for d in answer["droplets"]}) == 3


@pytest.mark.parametrize("field,value,message", [
    ("name", "bad_name!", "valid hostname"),
    ("name", "trailing-dash-", "valid hostname"),
    ("name", "a" * 256, "valid hostname"),
    ("region", "mars1", "invalid region"),
    ("size", "s-64vcpu-1tb", "invalid size"),
    ("image", "windows-11", "invalid image"),
    ("ssh_keys", [12345], "invalid key identifiers"),
])
def test_invalid_create_is_422_and_creates_nothing(do_env, field, value, message):
    droplet = _droplet(do_env.token, **({} if field == "name" else {field: value}))
    if field == "name":
        droplet.name = value
    with pytest.raises(digitalocean.DataReadError, match=message):
        droplet.create()
    assert do_env.request_log[-1]["status"] == 422
    assert do_env.state.droplets == {}


def test_list_filters_by_tag_and_exact_name(manager, do_env):
    for name, tags in (("app-1", ["app"]), ("app-2", ["app"]), ("db-1", ["db"]), ("app-1", [])):
        _droplet(do_env.token, name=name, tags=tags).create()
    assert sorted(d.name for d in manager.get_all_droplets(tag_name="app")) == ["app-1", "app-2"]
    api = digitalocean.baseapi.BaseAPI(token=do_env.token)
    named = api.get_data("droplets/?name=app-1")
    assert [d["name"] for d in named["droplets"]] == ["app-1", "app-1"]
    assert named["meta"]["total"] == 2


def test_get_unknown_droplet_is_404_with_error_body(manager, do_env):
    with pytest.raises(digitalocean.NotFoundError):
        manager.get_droplet(999)
    response = requests.get(do_env.url + "droplets/999", headers={"Authorization": f"Bearer {do_env.token}"}, timeout=5)
    assert response.status_code == 404
    body = response.json()
    assert body["id"] == "not_found" and body["message"] and body["request_id"]


def test_delete_answers_204_with_empty_body(do_env):
    droplet = _droplet(do_env.token)
    droplet.create()
    response = requests.delete(f"{do_env.url}droplets/{droplet.id}", headers={"Authorization": f"Bearer {do_env.token}"},
                               timeout=5)
    assert response.status_code == 204 and response.content == b""
    assert droplet.id not in do_env.state.droplets


def test_delete_by_tag_removes_only_tagged(manager, do_env):
    _droplet(do_env.token, name="t-1", tags=["gone"]).create()
    _droplet(do_env.token, name="t-2", tags=["gone"]).create()
    _droplet(do_env.token, name="k-1", tags=["kept"]).create()
    api = digitalocean.baseapi.BaseAPI(token=do_env.token)
    api.get_data("droplets/?tag_name=gone", type=digitalocean.baseapi.DELETE)
    assert [d.name for d in manager.get_all_droplets()] == ["k-1"]


def test_power_actions_change_status(do_env):
    droplet = _droplet(do_env.token)
    droplet.create()
    _active(droplet)
    action = droplet.power_off(return_dict=False)
    assert do_env.request_log[-1]["status"] == 201
    assert action.status == "in-progress"
    wait_for(lambda: action.load() or action.status == "completed")
    droplet.load()
    assert droplet.status == "off"
    droplet.power_on(return_dict=False).wait(update_every_seconds=0.05)
    droplet.load()
    assert droplet.status == "active"
    droplet.shutdown(return_dict=False).wait(update_every_seconds=0.05)
    droplet.load()
    assert droplet.status == "off"
    droplet.reboot(return_dict=False).wait(update_every_seconds=0.05)
    droplet.load()
    assert droplet.status == "active"
    assert [a.type for a in droplet.get_actions()] == ["create", "power_off", "power_on", "shutdown", "reboot"]


def test_action_during_create_is_422_pending_event(do_env):
    do_env.state.action_delay = 30
    droplet = _droplet(do_env.token)
    droplet.create()
    with pytest.raises(digitalocean.DataReadError, match="pending event"):
        droplet.power_off()


def test_backups_resize_snapshot(do_env):
    droplet = _droplet(do_env.token)
    droplet.create()
    _active(droplet)
    droplet.enable_backups()
    wait_for(lambda: "backups" in do_env.state.droplets[droplet.id]["features"])
    with pytest.raises(digitalocean.DataReadError, match="power it off"):
        droplet.resize("s-2vcpu-4gb")
    droplet.disable_backups()
    wait_for(lambda: "backups" not in do_env.state.droplets[droplet.id]["features"])
    droplet.power_off(return_dict=False).wait(update_every_seconds=0.05)
    droplet.resize("s-2vcpu-4gb", disk=True, return_dict=False).wait(update_every_seconds=0.05)
    droplet.take_snapshot("before-upgrade", return_dict=False).wait(update_every_seconds=0.05)
    droplet.load()
    assert droplet.size_slug == "s-2vcpu-4gb" and droplet.disk == 80 and droplet.memory == 4096
    assert len(droplet.snapshot_ids) == 1
    snapshot = do_env.state.snapshots[droplet.snapshot_ids[0]]
    assert snapshot["name"] == "before-upgrade" and snapshot["type"] == "snapshot"


def test_regions_sizes_images(manager):
    assert "nyc3" in [r.slug for r in manager.get_all_regions()]
    assert "s-1vcpu-1gb" in [s.slug for s in manager.get_all_sizes()]
    slugs = {i.slug for i in manager.get_distro_images()}
    assert {"ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64", "debian-13-x64"} <= slugs
    assert manager.get_image("debian-13-x64").distribution == "Debian"


def test_pagination_over_1000_droplets(manager, do_env):
    api = digitalocean.baseapi.BaseAPI(token=do_env.token)
    for start in range(0, 1000, 10):
        api.get_data("droplets/", type=digitalocean.baseapi.POST, params={
            "names": [f"n-{i}" for i in range(start, start + 10)], "region": "fra1", "size": "s-1vcpu-1gb",
            "image": "debian-13-x64", "tags": ["bulk"] if start % 20 == 0 else []})
    assert len(do_env.state.droplets) == 1000
    do_env.request_log.clear()
    droplets = manager.get_all_droplets()
    assert len(droplets) == 1000 and len({d.id for d in droplets}) == 1000
    pages = [e for e in do_env.request_log if e["path"].rstrip("/") == "/v2/droplets"]
    assert len(pages) == 5, "per_page=200 gives 5 pages"
    tagged = manager.get_all_droplets(tag_name="bulk")
    assert len(tagged) == 500
    assert all(e["query"].get("tag_name") == "bulk" for e in do_env.request_log[-3:])


def test_links_are_absolute_and_keep_filters(do_env):
    api = digitalocean.baseapi.BaseAPI(token=do_env.token)
    api.get_data("droplets/", type=digitalocean.baseapi.POST, params={
        "names": [f"p-{i}" for i in range(5)], "region": "nyc1", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
        "tags": ["pg"]})
    first = requests.get(do_env.url + "droplets?tag_name=pg&per_page=2", headers={"Authorization": f"Bearer {do_env.token}"},
                         timeout=5).json()
    pages = first["links"]["pages"]
    assert set(pages) == {"next", "last"}
    assert pages["next"].startswith(do_env.url + "droplets?") and "tag_name=pg" in pages["next"] and "page=2" in pages["next"]
    assert "page=3" in pages["last"]
    assert first["meta"]["total"] == 5
    second = requests.get(pages["next"], headers={"Authorization": f"Bearer {do_env.token}"}, timeout=5).json()
    assert set(second["links"]["pages"]) == {"first", "prev", "next", "last"}
    assert [d["name"] for d in second["droplets"]] == ["p-2", "p-3"]


def test_per_page_is_capped_at_200_and_defaults_to_20(do_env):
    api = digitalocean.baseapi.BaseAPI(token=do_env.token)
    for start in range(0, 210, 10):
        api.get_data("droplets/", type=digitalocean.baseapi.POST, params={
            "names": [f"c-{i}" for i in range(start, start + 10)], "region": "nyc1", "size": "s-1vcpu-1gb",
            "image": "debian-12-x64"})
    headers = {"Authorization": f"Bearer {do_env.token}"}
    assert len(requests.get(do_env.url + "droplets", headers=headers, timeout=5).json()["droplets"]) == 20
    assert len(requests.get(do_env.url + "droplets?per_page=500", headers=headers, timeout=5).json()["droplets"]) == 200
    # The API clamps; the spec forbids per_page > 200, so the request is reported (and then forgiven here).
    if do_env.validator is not None:
        reported = do_env.request_violations()
        assert len(reported) == 1 and "per_page" in reported[0]["message"]
        do_env.violations.clear()


def test_wrong_token_is_401(do_env):
    with pytest.raises(digitalocean.DataReadError, match="Unable to authenticate you"):
        digitalocean.Manager(token="wrong").get_account()
    assert do_env.request_log[-1]["status"] == 401


def test_trailing_slash_and_none_accepted(do_env):
    headers = {"Authorization": f"Bearer {do_env.token}"}
    assert requests.get(do_env.url + "account/", headers=headers, timeout=5).status_code == 200
    assert requests.get(do_env.url + "account", headers=headers, timeout=5).status_code == 200
