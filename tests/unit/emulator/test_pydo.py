# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator through pydo, DigitalOcean's official client, unchanged (plain http, no retries)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from pydo import Client

from tests.do_emulator.pytest_plugin import assert_loopback

from .helpers import md5_fingerprint, public_key, wait_for


class _BearerOverHttp(SansIOHTTPPolicy):
    """pydo's own bearer policy refuses plain http; this sends the same header."""

    def __init__(self, token):
        super().__init__()
        self._token = token

    def on_request(self, request):
        request.http_request.headers["Authorization"] = f"Bearer {self._token}"


@pytest.fixture
def client(do_emulator):
    endpoint = assert_loopback(do_emulator.base_url)
    return Client(do_emulator.token, endpoint=endpoint, retry_total=0, authentication_policy=_BearerOverHttp(do_emulator.token))


def test_ssh_keys(client, do_emulator):
    line = public_key(21)
    created = client.ssh_keys.create({"name": "ci", "public_key": line})["ssh_key"]
    assert created["fingerprint"] == md5_fingerprint(line)
    assert client.ssh_keys.get(created["id"])["ssh_key"]["name"] == "ci"
    assert client.ssh_keys.get(created["fingerprint"])["ssh_key"]["id"] == created["id"], "fingerprint, percent-encoded"
    assert client.ssh_keys.update(created["id"], {"name": "ci-2"})["ssh_key"]["name"] == "ci-2"
    assert [k["id"] for k in client.ssh_keys.list()["ssh_keys"]] == [created["id"]]
    client.ssh_keys.delete(created["id"])
    assert do_emulator.request_log[-1]["status"] == 204
    assert client.ssh_keys.list()["meta"]["total"] == 0


def test_droplets_create_list_paginate_get_delete(client, do_emulator):
    single = client.droplets.create({"name": "pydo-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64",
                                     "tags": ["pydo"]})
    assert single["droplet"]["status"] == "new" and single["links"]["actions"][0]["rel"] == "create"
    several = client.droplets.create({"names": [f"pydo-{i}" for i in range(2, 8)], "region": "nyc3",
                                      "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "tags": ["pydo"]})
    assert len(several["droplets"]) == 6
    droplet_id = single["droplet"]["id"]
    wait_for(lambda: client.droplets.get(droplet_id)["droplet"]["status"] == "active")
    networks = client.droplets.get(droplet_id)["droplet"]["networks"]["v4"]
    assert {n["type"] for n in networks} == {"public", "private"}

    seen, page = [], 1
    while True:
        answer = client.droplets.list(tag_name="pydo", per_page=3, page=page)
        seen += [d["id"] for d in answer["droplets"]]
        assert answer["meta"]["total"] == 7
        if "next" not in answer["links"]["pages"]:
            break
        page += 1
    assert page == 3 and len(set(seen)) == 7

    assert [d["name"] for d in client.droplets.list(name="pydo-1")["droplets"]] == ["pydo-1"]
    client.droplets.destroy(droplet_id)
    assert do_emulator.request_log[-1]["status"] == 204
    client.droplets.destroy_by_tag(tag_name="pydo")
    assert client.droplets.list()["meta"]["total"] == 0


def test_droplet_action_and_errors(client, do_emulator):
    droplet = client.droplets.create({"name": "pydo-act", "region": "ams3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"})
    droplet_id = droplet["droplet"]["id"]
    wait_for(lambda: do_emulator.state.droplets[droplet_id]["status"] == "active")
    action = client.droplet_actions.post(droplet_id, {"type": "power_off"})["action"]
    assert action["status"] == "in-progress" and action["type"] == "power_off"
    wait_for(lambda: client.actions.get(action["id"])["action"]["status"] == "completed")
    assert client.droplets.get(droplet_id)["droplet"]["status"] == "off"
    with pytest.raises(HttpResponseError) as raised:
        client.droplets.create({"name": "bad name", "region": "ams3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"})
    assert raised.value.status_code == 422
    do_emulator.violations.clear()  # the bad name breaks the spec's pattern on purpose


def test_tags(client, do_emulator):
    droplet_id = client.droplets.create({"name": "tagged", "region": "fra1", "size": "s-1vcpu-1gb",
                                         "image": "debian-13-x64"})["droplet"]["id"]
    assert client.tags.create({"name": "env:prod"})["tag"]["name"] == "env:prod"
    client.tags.assign_resources("env:prod", {"resources": [{"resource_id": str(droplet_id), "resource_type": "droplet"}]})
    assert client.tags.get("env:prod")["tag"]["resources"]["droplets"]["count"] == 1
    assert [t["name"] for t in client.tags.list()["tags"]] == ["env:prod"]
    client.tags.unassign_resources("env:prod", {"resources": [{"resource_id": str(droplet_id), "resource_type": "droplet"}]})
    assert do_emulator.state.droplets[droplet_id]["tags"] == []
    client.tags.delete("env:prod")
    assert client.tags.list()["tags"] == []
