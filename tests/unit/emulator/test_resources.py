# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags, firewalls, domains and records, projects and actions through python-digitalocean 1.17.0."""

from __future__ import annotations

import digitalocean
import pytest
import requests
from digitalocean.baseapi import DELETE, PATCH, POST, PUT, BaseAPI

from .helpers import wait_for


def _droplets(token, *names, tags=()):
    answer = BaseAPI(token=token).get_data("droplets/", type=POST, params={
        "names": list(names), "region": "lon1", "size": "s-1vcpu-1gb", "image": "ubuntu-22-04-x64", "tags": list(tags)})
    return [d["id"] for d in answer["droplets"]]


def _rule(ports="22"):
    return digitalocean.InboundRule(protocol="tcp", ports=ports, sources=digitalocean.Sources(addresses=["0.0.0.0/0", "::/0"]))


def test_tag_create_get_list_resources_delete(do_env):
    manager = digitalocean.Manager(token=do_env.token)
    first, second = _droplets(do_env.token, "t-1", "t-2")
    tag = digitalocean.Tag(token=do_env.token, name="web")
    tag.create()
    assert do_env.request_log[-1]["status"] == 201
    tag.add_droplets([first, second])
    assert do_env.request_log[-1]["status"] == 204
    loaded = digitalocean.Tag.get_object(do_env.token, "web")
    assert loaded.resources["count"] == 2 and loaded.resources["droplets"]["count"] == 2
    assert sorted(d.id for d in manager.get_all_droplets(tag_name="web")) == sorted([first, second])
    tag.remove_droplets([second])
    assert [d.id for d in manager.get_all_droplets(tag_name="web")] == [first]
    assert [t.name for t in manager.get_all_tags()] == ["web"]
    tag.delete()
    assert manager.get_all_tags() == []
    assert do_env.state.droplets[first]["tags"] == []
    with pytest.raises(digitalocean.NotFoundError):
        digitalocean.Tag.get_object(do_env.token, "web")


def test_bad_tag_name_is_422(do_env):
    with pytest.raises(digitalocean.DataReadError):
        digitalocean.Tag(token=do_env.token, name="no spaces").create()
    assert do_env.state.tags == {}
    do_env.violations.clear()  # the request breaks the spec's pattern on purpose


def test_firewall_create_get_list_update_droplets_tags_delete(do_env):
    manager = digitalocean.Manager(token=do_env.token)
    (droplet,) = _droplets(do_env.token, "fw-1")
    digitalocean.Tag(token=do_env.token, name="edge").create()
    firewall = digitalocean.Firewall(token=do_env.token, name="ptd-web", inbound_rules=[_rule()], outbound_rules=[
        digitalocean.OutboundRule(protocol="tcp", ports="all", destinations=digitalocean.Destinations(addresses=["0.0.0.0/0"]))],
        droplet_ids=[], tags=[])
    firewall.create()
    assert do_env.request_log[-1]["status"] == 202
    assert firewall.id in do_env.state.firewalls and firewall.status == "succeeded"
    firewall.add_droplets([droplet])
    firewall.add_tags(["edge"])
    loaded = digitalocean.Firewall.get_object(do_env.token, firewall.id)
    assert loaded.droplet_ids == [droplet] and loaded.tags == ["edge"]
    assert [f.id for f in manager.get_all_firewalls()] == [firewall.id]

    # python-digitalocean 1.17.0 has no Firewall update: a raw PUT, as the collection does.
    current = do_env.state.firewalls[firewall.id]
    body = {"name": "ptd-web", "inbound_rules": current["inbound_rules"] + [
        {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0"]}}],
        "outbound_rules": current["outbound_rules"], "droplet_ids": [droplet], "tags": ["edge"]}
    updated = BaseAPI(token=do_env.token).get_data(f"firewalls/{firewall.id}", type=PUT, params=body)["firewall"]
    assert [r["ports"] for r in updated["inbound_rules"]] == ["22", "443"]

    firewall.remove_droplets([droplet])
    firewall.remove_tags(["edge"])
    assert do_env.state.firewalls[firewall.id]["droplet_ids"] == [] and do_env.state.firewalls[firewall.id]["tags"] == []
    firewall.destroy()
    assert do_env.request_log[-1]["status"] == 204
    assert manager.get_all_firewalls() == []


def test_firewall_without_rules_is_400_and_unknown_droplet_404(do_env):
    api = BaseAPI(token=do_env.token)
    with pytest.raises(digitalocean.DataReadError):
        api.get_data("firewalls", type=POST, params={"name": "empty", "inbound_rules": [], "outbound_rules": []})
    assert do_env.request_log[-1]["status"] == 400
    firewall = digitalocean.Firewall(token=do_env.token, name="fw", inbound_rules=[_rule()], outbound_rules=[],
                                     droplet_ids=[], tags=[])
    firewall.create()
    with pytest.raises(digitalocean.NotFoundError):
        firewall.add_droplets([424242])
    do_env.violations.clear()


def test_deleting_a_droplet_removes_it_from_firewalls(do_env):
    (droplet,) = _droplets(do_env.token, "fw-2")
    firewall = digitalocean.Firewall(token=do_env.token, name="fw", inbound_rules=[_rule()], outbound_rules=[],
                                     droplet_ids=[droplet], tags=[])
    firewall.create()
    digitalocean.Droplet(token=do_env.token, id=droplet).destroy()
    assert do_env.state.firewalls[firewall.id]["droplet_ids"] == []


def test_domain_and_record_crud(do_env):
    manager = digitalocean.Manager(token=do_env.token)
    domain = digitalocean.Domain(token=do_env.token, name="example.com", ip_address="192.0.2.10")
    domain.create()
    assert do_env.request_log[-1]["status"] == 201
    assert [d.name for d in manager.get_all_domains()] == ["example.com"]
    records = domain.get_records()
    assert {r.type for r in records} == {"SOA", "NS", "A"}

    created = domain.create_new_domain_record(type="A", name="www", data="192.0.2.11", ttl=300)["domain_record"]
    txt = domain.create_new_domain_record(type="TXT", name="@", data="v=spf1 -all")["domain_record"]
    mx = domain.create_new_domain_record(type="MX", name="@", data="mail.example.com.", priority=10)["domain_record"]
    record = digitalocean.Record.get_object(do_env.token, "example.com", created["id"])
    assert (record.type, record.name, record.data, record.ttl) == ("A", "www", "192.0.2.11", 300)

    record.data = "192.0.2.12"
    record.save()
    assert do_env.state.records["example.com"][created["id"]]["data"] == "192.0.2.12"
    patched = BaseAPI(token=do_env.token).get_data(f"domains/example.com/records/{created['id']}", type=PATCH,
                                                   params={"type": "A", "ttl": 600})["domain_record"]
    assert patched["ttl"] == 600 and patched["data"] == "192.0.2.12"
    filtered = BaseAPI(token=do_env.token).get_data("domains/example.com/records?type=A&name=www.example.com")
    assert [r["id"] for r in filtered["domain_records"]] == [created["id"]]

    domain.delete_domain_record(id=txt["id"])
    record.destroy()
    remaining = {r.id for r in domain.get_records()}
    assert created["id"] not in remaining and txt["id"] not in remaining and mx["id"] in remaining
    domain.destroy()
    assert do_env.request_log[-1]["status"] == 204
    assert manager.get_all_domains() == []


@pytest.mark.parametrize("record,message", [
    ({"type": "A", "name": "www", "data": "not-an-ip"}, "valid IP"),
    ({"type": "BOGUS", "name": "www", "data": "x"}, "Type is invalid"),
    ({"type": "MX", "name": "@", "data": "mail.example.com."}, "Priority"),
])
def test_bad_record_is_422(do_env, record, message):
    digitalocean.Domain(token=do_env.token, name="example.org").create()
    with pytest.raises(digitalocean.DataReadError, match=message):
        BaseAPI(token=do_env.token).get_data("domains/example.org/records", type=POST, params=record)
    assert do_env.request_log[-1]["status"] == 422
    do_env.violations.clear()


def test_duplicate_domain_is_422(do_env):
    digitalocean.Domain(token=do_env.token, name="example.net").create()
    with pytest.raises(digitalocean.DataReadError, match="already exists"):
        digitalocean.Domain(token=do_env.token, name="example.net").create()


def test_default_project_and_resource_assignment(do_env):
    manager = digitalocean.Manager(token=do_env.token)
    default = manager.get_default_project()
    assert default.is_default and default.name == "first-project"
    (droplet,) = _droplets(do_env.token, "pr-1")
    assert f"do:droplet:{droplet}" in default.get_all_resources(), "new droplets land in the default project"

    project = digitalocean.Project(token=do_env.token, name="pytrackdat", purpose="Web Application",
                                   description="PyTrackDat sites", environment="Production")
    project.create_project()
    assert do_env.request_log[-1]["status"] == 201
    answer = project.assign_resource([f"do:droplet:{droplet}"])
    assert answer["resources"][0]["status"] == "assigned"
    assert project.get_all_resources() == [f"do:droplet:{droplet}"]
    assert f"do:droplet:{droplet}" not in default.get_all_resources()
    assert sorted(p.name for p in manager.get_all_projects()) == ["first-project", "pytrackdat"]

    project.update_project(description="changed")
    assert do_env.state.projects[project.id]["description"] == "changed"
    with pytest.raises(digitalocean.DataReadError):
        project.delete_project()  # it still holds the droplet: 412
    assert do_env.request_log[-1]["status"] == 412


def test_actions_list_and_get(do_env):
    manager = digitalocean.Manager(token=do_env.token)
    first, second = _droplets(do_env.token, "ac-1", "ac-2")
    wait_for(lambda: all(do_env.state.droplets[d]["status"] == "active" for d in (first, second)))
    digitalocean.Droplet(token=do_env.token, id=first).power_off()
    actions = BaseAPI(token=do_env.token).get_data("actions")["actions"]
    assert sorted((a["type"], a["resource_id"]) for a in actions) == sorted(
        [("create", first), ("create", second), ("power_off", first)])
    power_off = next(a for a in actions if a["type"] == "power_off")
    assert manager.get_action(power_off["id"]).resource_id == first
    direct = BaseAPI(token=do_env.token).get_data(f"droplets/{first}/actions/{power_off['id']}")["action"]
    assert direct["id"] == power_off["id"]
    with pytest.raises(digitalocean.NotFoundError):
        BaseAPI(token=do_env.token).get_data(f"droplets/{second}/actions/{power_off['id']}")


def test_unknown_path_is_404_and_wrong_method_405(do_env):
    headers = {"Authorization": f"Bearer {do_env.token}"}
    missing = requests.get(do_env.url + "no-such-thing", headers=headers, timeout=5)
    assert missing.status_code == 404 and missing.json()["id"] == "not_found"
    wrong = requests.patch(do_env.url + "account", headers=headers, json={}, timeout=5)
    assert wrong.status_code == 405 and wrong.json()["id"] == "method_not_allowed"


def test_malformed_json_is_400(do_env):
    response = requests.post(do_env.url + "tags", data=b"{not json",
                             headers={"Authorization": f"Bearer {do_env.token}", "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400 and response.json()["id"] == "bad_request"
    do_env.violations.clear()


def test_delete_with_empty_json_body_like_python_digitalocean(do_env):
    (droplet,) = _droplets(do_env.token, "del-1")
    BaseAPI(token=do_env.token).get_data(f"droplets/{droplet}", type=DELETE)
    assert droplet not in do_env.state.droplets
