# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pytrackdat.deploy.droplets inventory plugin, run through ansible-inventory against the emulator."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time

import pytest
import yaml

from ansible.release import __version__ as ansible_core_version
from ansible_collections.pytrackdat.deploy.plugins.modules import droplet

from .conftest import ansible_env, writes

BASE = {"size": "s-1vcpu-512mb-10gb", "image": "ubuntu-24-04-x64"}
DEFAULT_VARIABLES = {"ansible_host", "do_id", "do_status", "do_tags", "do_region_slug"}
DATA_TAGGING = tuple(int(part) for part in ansible_core_version.split(".")[:2]) >= (2, 19)


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
        assert one["ansible_host"] == public
        assert one["do_id"] == state["id"] and one["do_region_slug"] == "fra1" and one["do_status"] == "active"


def addresses(droplet, version, kind):
    return [n["ip_address"] for n in droplet["networks"][version] if n["type"] == kind] or [None]


def test_sets_the_variables_the_collection_reads_and_the_others_on_request(do_emulator, tmp_path):
    seed(do_emulator, 2, tags=["web"])
    state = next(d for d in do_emulator.state.droplets.values() if d["name"] == "seed-fra1-1")
    default = plain(hostvars(inventory(tmp_path, do_emulator, {}))["seed-fra1-1"])
    assert set(default) == DEFAULT_VARIABLES
    assert default == {"ansible_host": addresses(state, "v4", "public")[0], "do_id": state["id"],
                       "do_status": "active", "do_tags": ["web"], "do_region_slug": "fra1"}

    more = inventory(tmp_path, do_emulator, {"attributes": ["name", "private_ipv4", "ipv6", "region", "vpc_uuid",
                                                            "size_slug", "image_slug", "public_ipv4"]})
    host = plain(hostvars(more)["seed-fra1-1"])
    assert set(host) == {"ansible_host", "do_name", "do_private_ipv4", "do_ipv6", "do_region", "do_vpc_uuid",
                         "do_size_slug", "do_image_slug", "do_public_ipv4"}
    assert host["do_size_slug"] == "s-1vcpu-512mb-10gb" and host["do_image_slug"] == "ubuntu-24-04-x64"
    assert host["do_public_ipv4"] == host["ansible_host"] == addresses(state, "v4", "public")[0]
    assert host["do_name"] == "seed-fra1-1" and host["do_vpc_uuid"] == state["vpc_uuid"]
    assert host["do_private_ipv4"] == addresses(state, "v4", "private")[0]
    assert host["do_ipv6"] == addresses(state, "v6", "public")[0]
    assert host["do_region"] == state["region"]


def test_a_shared_name_or_a_prefix_that_is_no_identifier_still_gets_every_variable(do_emulator, tmp_path):
    """The second droplet named "twin" goes to the existing host one variable at a time (the last one listed wins, as
    ansible-core merges it); so does every host when the variable names are not plain identifiers."""
    do_emulator.state.create_droplets(dict(BASE, name="twin", region="fra1"))
    do_emulator.state.create_droplets(dict(BASE, name="twin", region="nyc3"))
    last = max(do_emulator.state.droplets.values(), key=lambda d: d["id"])
    twin = plain(hostvars(inventory(tmp_path, do_emulator, {}))["twin"])
    assert set(twin) == DEFAULT_VARIABLES
    assert twin["do_id"] == last["id"] and twin["do_region_slug"] == "nyc3"

    dashed = plain(hostvars(inventory(tmp_path, do_emulator, {"var_prefix": "do-"}))["twin"])
    assert set(dashed) == {name.replace("do_", "do-") for name in DEFAULT_VARIABLES}
    assert dashed["do-id"] == last["id"] and dashed["do-status"] == "active"


@pytest.mark.skipif(not DATA_TAGGING, reason="before ansible-core 2.19 no inventory plugin's values were marked "
                                             "untrusted by ansible-core (nor by this plugin)")
def test_strings_from_the_api_are_never_templated(do_emulator, tmp_path):
    seed(do_emulator, 1)
    next(iter(do_emulator.state.droplets.values()))["size_slug"] = "{{ 6 * 7 }}"
    path = tmp_path / "droplets.yml"
    path.write_text(yaml.safe_dump({"plugin": "pytrackdat.deploy.droplets", "api_url": do_emulator.url,
                                    "api_token": do_emulator.token, "attributes": ["size_slug"]}))
    proc = subprocess.run(["ansible", "seed-fra1-0", "-i", str(path), "-m", "ansible.builtin.debug",
                           "-a", "msg={{ do_size_slug }}"], capture_output=True, text=True, timeout=300, check=False,
                          env=ansible_env({"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout.split("=>", 1)[1])["msg"] == "{{ 6 * 7 }}"


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
                                                 "attributes": ["id", "tags", "region", "private_ipv4",
                                                                "public_ipv4"],
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


def test_the_cache_keeps_what_the_variables_are_made_from_and_refetches_for_more(do_emulator, tmp_path):
    seed(do_emulator, 2)
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"),
              "cache_timeout": 600}
    env = {"ANSIBLE_INVENTORY_CACHE": "1"}
    first = plain(hostvars(inventory(tmp_path, do_emulator, config, env=env)))
    (cache_file,) = (tmp_path / "cache").iterdir()
    cached = cache_file.read_text()  # its layout is the cache plugin's and the core's; what it holds is ours
    assert "seed-fra1-0" in cached and "fra1" in cached
    assert not [detail for detail in ("vcpus", "memory", "Frankfurt", "distribution", "vpc_uuid", "created_at",
                                      "ubuntu-24-04-x64", "s-1vcpu-512mb-10gb") if detail in cached]
    assert plain(hostvars(inventory(tmp_path, do_emulator, config, env=env))) == first
    assert len(do_emulator.request_log) == 1

    config["attributes"] = ["name", "region", "ipv6"]  # not all in the cache: fetched once, then cached
    more = plain(hostvars(inventory(tmp_path, do_emulator, config, env=env)))
    assert more["seed-fra1-0"]["do_name"] == "seed-fra1-0" and more["seed-fra1-0"]["do_region"]["slug"] == "fra1"
    assert len(do_emulator.request_log) == 2
    assert plain(hostvars(inventory(tmp_path, do_emulator, config, env=env))) == more
    assert len(do_emulator.request_log) == 2


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


# Builds the inventory in one process both ways: the fast paths (new hosts made as ansible-core's add_host made the
# first one, an expression that only names a variable answered with its value) and every host through add_host, every
# expression through the templar; prints what each way built, and how often each way called add_host and the templar.
BOTH_WAYS = r"""
import json, sys
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible.plugins.inventory import Constructable
from ansible_collections.pytrackdat.deploy.plugins.inventory.droplets import InventoryModule

evaluations = []
compose = Constructable._compose
def evaluated(self, template, *args, **kwargs):
    evaluations.append(template)
    return compose(self, template, *args, **kwargs)
Constructable._compose = evaluated

calls = []
add_host = InventoryData.add_host
def counted(self, host, group=None, port=None):
    if group is None:  # a host being added, not a group membership (keyed_groups)
        calls.append(host)
    return add_host(self, host, group, port)
InventoryData.add_host = counted

def typed(value):
    if isinstance(value, dict):
        return {str(k): typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [typed(v) for v in value]]
    return [type(value).__name__, value]

built = {}
for fast in (True, False):
    InventoryModule.COPY_NEW_HOSTS = InventoryModule.PLAIN_REFERENCES = fast
    del calls[:], evaluations[:]
    inventory = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])
    built[str(fast)] = {
        "hosts": [[name, [str(k) for k in host.vars], typed(host.vars), [g.name for g in host.get_groups()],
                   host.address, host.implicit] for name, host in inventory.hosts.items()],
        "groups": {name: [sorted(h.name for h in group.hosts), sorted(g.name for g in group.child_groups),
                          typed(group.vars)] for name, group in inventory.groups.items()},
        "localhost": inventory.localhost.name if inventory.localhost else None,
        "unique_ids": len(set(host._uuid for host in inventory.hosts.values() if host._uuid)) == len(inventory.hosts),
        "add_host_calls": len(calls),
        "evaluations": len(evaluations),
    }
print(json.dumps(built))
"""


CONSTRUCTED = {
    "keyed_groups": [{"key": "do_tags", "prefix": "tag"},
                     {"key": "do_region_slug", "prefix": "region", "parent_group": "{{ do_region_slug }}-parent"},
                     {"key": "do_region", "prefix": "in", "separator": "-"}, {"key": "do_ipv6", "default_value": "no6"},
                     {"key": "inventory_hostname", "prefix": "host"}, {"key": "do_networks.v4[0].type", "prefix": "net"}],
    "groups": {"web": "'web' in do_tags", "first": "do_id < 500000003"},
    "compose": {"ansible_user": "'deploy'", "slug": "do_size_slug", "tag_list": "do_tags", "where": "do_region",
                "nets": "do_networks", "six": "do_ipv6", "named": "do_name", "nothing": "None", "number": "do_id"},
    "filters": ["do_id > 0", "do_id", "do_name"],
    "attributes": ["id", "name", "tags", "region", "region_slug", "size_slug", "networks", "private_ipv4", "ipv6",
                   "public_ipv4"]}


@pytest.mark.parametrize("config", [
    {}, CONSTRUCTED, {"tags": ["pytrackdat", "web"], "use_private_network": True}, dict(CONSTRUCTED, use_extra_vars=True),
    {"keyed_groups": [{"key": "do_region_slug", "prefix": "region", "parent_group": "{{ do_region_slug }}_parent"}]},
], ids=["defaults", "constructed", "tags-private", "extra-vars", "keyed-only"])
def test_the_fast_paths_build_what_add_host_and_the_templar_build(do_emulator, tmp_path, config):
    """The fast paths (each new host after the first made as add_host made the first; an expression that only names a
    variable of plain data answered with its value) build exactly the hosts, variables, value types, groups and
    localhost that add_host for every host and the templar for every expression build: droplets sharing a name (the
    second merges into the first), one named localhost (always through add_host), tags, composed variables, keyed
    groups (their keys lists, strings, dicts, a missing value, a parent group templated with each host's variables),
    conditional groups, filters."""
    seed(do_emulator, 3, "fra1", tags=["pytrackdat", "web"])
    seed(do_emulator, 2, "nyc3", tags=["pytrackdat"])
    do_emulator.state.create_droplets(dict(BASE, name="twin", region="fra1", tags=["pytrackdat", "web"]))
    do_emulator.state.create_droplets(dict(BASE, name="twin", region="nyc3", tags=["pytrackdat", "web", "db"]))
    do_emulator.state.create_droplets(dict(BASE, name="localhost", region="ams3", tags=["pytrackdat", "web"]))
    path = tmp_path / "droplets.yml"
    path.write_text(yaml.safe_dump(dict({"plugin": "pytrackdat.deploy.droplets", "api_url": do_emulator.url,
                                         "api_token": do_emulator.token}, **config)))
    proc = subprocess.run([sys.executable, "-c", BOTH_WAYS, str(path)], capture_output=True, text=True,
                          env=ansible_env(), timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    built = json.loads(proc.stdout)
    fast, general = built["True"], built["False"]
    names = [host[0] for host in general["hosts"]]
    droplets = 6 if config.get("tags") else 8  # the 3 + 2 seeds, twin twice and localhost; the nyc3 seeds lack "web"
    assert len(names) == len(set(names)) == droplets - 1 and "twin" in names and "localhost" in names
    assert general["add_host_calls"] == droplets          # every droplet, twin twice
    assert fast["add_host_calls"] == 3                    # the first, localhost and twin's second droplet
    if DATA_TAGGING and config.get("keyed_groups") and not config.get("use_extra_vars"):
        assert fast["evaluations"] < general["evaluations"]  # the plain references did not reach the templar
    else:
        assert fast["evaluations"] == general["evaluations"]
    for way in (fast, general):
        del way["add_host_calls"], way["evaluations"]
    assert fast == general and fast["unique_ids"]
    twin = next(host for host in fast["hosts"] if host[0] == "twin")
    assert [value for _type, value in twin[2]["do_tags"][1]] == ["pytrackdat", "web", "db"]  # the second merged in


def test_the_cache_reads_its_earlier_layouts():
    """Droplets cached as one JSON text, as dicts (the layout before) or whole (the one before that) give the same
    droplets; an entry that lacks a field this configuration reads, or is of no known layout, is a miss."""
    from ansible_collections.pytrackdat.deploy.plugins.inventory.droplets import InventoryModule

    droplets = [{"id": 1, "name": "a", "tags": ["x"], "networks": {"v4": [], "v6": []}, "region": {"slug": "fra1"},
                 "status": "active"}]
    fields = {"id", "name", "tags", "networks", "region_slug", "status"}
    plugin = InventoryModule()
    layouts = {"text": {"kept_fields": sorted(fields), "droplets_json": json.dumps(droplets)},
               "dicts": {"fields": sorted(fields), "droplets": droplets}, "whole": droplets,
               "text-missing": {"kept_fields": ["id", "name"], "droplets_json": json.dumps(droplets)},
               "dicts-missing": {"fields": ["id", "name"], "droplets": droplets}, "unknown": "droplets"}
    plugin._cache = layouts  # pylint: disable=protected-access
    read = {key: plugin._cached(key, fields) for key in layouts}  # pylint: disable=protected-access
    assert read == {"text": droplets, "dicts": droplets, "whole": droplets, "text-missing": None,
                    "dicts-missing": None, "unknown": None}
    assert plugin._cached("absent", fields) is None  # pylint: disable=protected-access
