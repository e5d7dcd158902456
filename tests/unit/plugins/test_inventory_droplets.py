# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pytrackdat.deploy.droplets inventory plugin, run through ansible-inventory against the emulator."""

from __future__ import annotations

import json
import math
import subprocess
import time

import pytest
import yaml

from ansible_collections.pytrackdat.deploy.plugins.modules import droplet

from .conftest import ansible_env, writes

BASE = {"size": "s-1vcpu-512mb-10gb", "image": "ubuntu-24-04-x64"}


def seed(emu, count, region="fra1", tags=()):
    """Droplets made straight in the model (setup, not under test)."""
    for index in range(count):
        emu.state.create_droplets(dict(BASE, name="seed-%s-%d" % (region, index), region=region, tags=list(tags)))


def inventory(tmp_path, emu, config, env=None, filename="droplets.yml", expect_ok=True):
    config = dict({"plugin": "pytrackdat.deploy.droplets", "api_url": emu.url, "api_token": emu.token}, **config)
    config = {k: v for k, v in config.items() if v is not None}
    path = tmp_path / filename
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(["ansible-inventory", "-i", str(path), "--list"], capture_output=True, text=True,
                          env=ansible_env(env), timeout=300, check=False)
    if not expect_ok:
        return proc
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def hostvars(result):
    return result["_meta"]["hostvars"]


def plain(value):
    """ansible-inventory marks API data as unsafe ({"__ansible_unsafe": ...}); unwrap it for comparisons."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.mark.parametrize("count", [0, 450])
def test_lists_all_droplets_in_ceil_n_over_200_requests(do_emulator, tmp_path, count):
    seed(do_emulator, count)
    result = inventory(tmp_path, do_emulator, {})
    assert len(hostvars(result)) == count
    requests = [r for r in do_emulator.request_log if r["path"].startswith("/v2/")]
    assert len(requests) == max(1, math.ceil(count / 200)), requests
    assert all(r["method"] == "GET" and r["query"]["per_page"] == "200" for r in requests)
    if count:
        one = plain(hostvars(result)["seed-fra1-7"])
        state = next(d for d in do_emulator.state.droplets.values() if d["name"] == "seed-fra1-7")
        public = [n["ip_address"] for n in state["networks"]["v4"] if n["type"] == "public"][0]
        assert one["ansible_host"] == one["do_public_ipv4"] == public
        assert one["do_id"] == state["id"] and one["do_region_slug"] == "fra1"
        assert one["do_image_slug"] == "ubuntu-24-04-x64" and one["do_status"] == "active"


def test_follows_a_droplet_through_create_reconcile_and_delete(do_emulator, tmp_path, run):
    config = {"keyed_groups": [{"key": "do_tags", "prefix": "tag"}, {"key": "do_region_slug", "prefix": "region"}]}
    created = run(droplet, name="ptd-web-1", region="fra1", tags=["web"])
    found = inventory(tmp_path, do_emulator, config)
    assert plain(hostvars(found)["ptd-web-1"])["ansible_host"] == created["public_ipv4"]
    assert "ptd-web-1" in found["tag_web"]["hosts"] and "ptd-web-1" in found["region_fra1"]["hosts"]

    run(droplet, name="ptd-web-1", region="fra1", tags=["db"])
    reconciled = inventory(tmp_path, do_emulator, config)
    assert "tag_web" not in reconciled and "ptd-web-1" in reconciled["tag_db"]["hosts"]

    run(droplet, name="ptd-web-1", state="absent")
    assert hostvars(inventory(tmp_path, do_emulator, config)) == {}


def test_tags_filters_and_private_addresses(do_emulator, tmp_path):
    seed(do_emulator, 3, "fra1", tags=["pytrackdat", "web"])
    seed(do_emulator, 2, "nyc3", tags=["pytrackdat"])
    seed(do_emulator, 4, "ams3")
    before = len(do_emulator.request_log)
    one_tag = inventory(tmp_path, do_emulator, {"tags": ["pytrackdat"]})
    assert len(hostvars(one_tag)) == 5
    (request,) = do_emulator.request_log[before:]
    assert request["query"]["tag_name"] == "pytrackdat"            # filtered by the API

    two_tags = inventory(tmp_path, do_emulator, {"tags": ["pytrackdat", "web"]})
    assert sorted(hostvars(two_tags)) == ["seed-fra1-0", "seed-fra1-1", "seed-fra1-2"]

    filtered = inventory(tmp_path, do_emulator, {"filters": ['droplet_region.slug == "nyc3"', "droplet_id > 0"],
                                                 "attributes": ["id", "name", "tags", "region"],
                                                 "use_private_network": True, "var_prefix": "droplet_",
                                                 "compose": {"ansible_user": "'deploy'"},
                                                 "groups": {"tagged": "'pytrackdat' in droplet_tags"}})
    assert sorted(hostvars(filtered)) == ["seed-nyc3-0", "seed-nyc3-1"]
    host = plain(hostvars(filtered)["seed-nyc3-0"])
    assert host["ansible_host"] == host["droplet_private_ipv4"] != host["droplet_public_ipv4"]
    assert host["ansible_user"] == "deploy"
    assert sorted(filtered["tagged"]["hosts"]) == ["seed-nyc3-0", "seed-nyc3-1"]
    assert writes(do_emulator.request_log) == []


def test_token_may_be_a_template_or_come_from_the_environment(do_emulator, tmp_path):
    seed(do_emulator, 1)
    templated = inventory(tmp_path, do_emulator, {"api_token": "{{ 'ptd-test-' ~ 'token' }}"})
    assert len(hostvars(templated)) == 1
    from_env = inventory(tmp_path, do_emulator, {"api_token": None, "api_url": None}, filename="digitalocean.yml",
                         env={"DIGITALOCEAN_ACCESS_TOKEN": do_emulator.token,
                              "DIGITALOCEAN_END_POINT": do_emulator.url.rstrip("/")})
    assert len(hostvars(from_env)) == 1


def test_a_rejected_token_is_reported_with_what_to_check(do_emulator, tmp_path):
    proc = inventory(tmp_path, do_emulator, {"api_token": "wrong"}, expect_ok=False,
                     env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert proc.returncode != 0
    assert "DIGITALOCEAN_ACCESS_TOKEN" in proc.stderr and "401" in proc.stderr


def test_other_file_names_are_not_claimed(do_emulator, tmp_path):
    proc = inventory(tmp_path, do_emulator, {}, filename="hosts.yml", expect_ok=False,
                     env={"ANSIBLE_INVENTORY_ENABLED": "pytrackdat.deploy.droplets",
                          "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert proc.returncode != 0
    assert do_emulator.request_log == []


def test_survives_transient_faults(do_emulator, tmp_path):
    seed(do_emulator, 250)
    do_emulator.faults.configure(retry_after=0)
    do_emulator.faults.next(1, "503")
    do_emulator.faults.next(1, "reset")
    do_emulator.faults.next(1, "429")
    result = inventory(tmp_path, do_emulator, {})
    assert len(hostvars(result)) == 250
    assert [r["status"] for r in do_emulator.request_log] == [503, "reset", 429, 200, 200]


def test_cache_saves_the_requests_of_the_next_run(do_emulator, tmp_path):
    seed(do_emulator, 2)
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"),
              "cache_timeout": 600}
    first = inventory(tmp_path, do_emulator, config, env={"ANSIBLE_INVENTORY_CACHE": "1"})
    assert len(do_emulator.request_log) == 1
    second = inventory(tmp_path, do_emulator, config, env={"ANSIBLE_INVENTORY_CACHE": "1"})
    assert len(do_emulator.request_log) == 1
    assert sorted(hostvars(first)) == sorted(hostvars(second))


def test_pages_after_the_first_are_fetched_together(do_emulator, tmp_path):
    """650 droplets: page 1 gives the count, pages 2-4 come at the same time (each still one request)."""
    seed(do_emulator, 650)
    started = time.monotonic()
    assert len(hostvars(inventory(tmp_path, do_emulator, {}))) == 650
    baseline = time.monotonic() - started
    do_emulator.faults.configure(slow_seconds=3.0)
    do_emulator.faults.next(4, "slow")
    before = len(do_emulator.request_log)
    started = time.monotonic()
    result = inventory(tmp_path, do_emulator, {})
    slow = time.monotonic() - started - baseline
    assert sorted(hostvars(result)) == sorted(d["name"] for d in do_emulator.state.droplets.values())
    pages = sorted(int(r["query"].get("page", 1)) for r in do_emulator.request_log[before:])
    assert pages == [1, 2, 3, 4]
    # one page after another: 4 x 3 s; page 1, then pages 2-4 together: 2 x 3 s
    assert slow < 9, "the 4 slow pages took %.1f s more than the fast ones" % slow
