# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplets, and a droplet's actions, firewalls and snapshots."""

from __future__ import annotations

from .base import answer, listing, paginate

_ID = ("droplet",)
SNAPSHOT_FIELDS = ("id", "name", "distribution", "slug", "public", "regions", "created_at", "type", "min_disk_size",
                   "size_gigabytes")


def create_droplets(call):
    droplets, actions, multiple = call.state.create_droplets(call.json())
    links = {"actions": [{"id": a["id"], "rel": "create", "href": f"{call.base_url}/v2/actions/{a['id']}"}
                         for a in actions]}
    if multiple:
        return 202, {"droplets": droplets, "links": links}
    return 202, {"droplet": droplets[0], "links": links}


def delete_droplets_by_tag(call):
    call.state.delete_droplets_by_tag(call.arg("tag_name"))
    return 204, None


def get_droplet_action(call):
    return 200, {"action": call.state.get_action(call.params["action"], droplet_id=call.params["droplet"])}


def list_droplet_snapshots(call):
    droplet = call.state.get_droplet(call.params["droplet"])
    snapshots = [call.state.snapshots[i] for i in droplet["snapshot_ids"] if i in call.state.snapshots]
    return paginate(call, "snapshots", [{k: s[k] for k in SNAPSHOT_FIELDS} for s in snapshots])


def _droplets(call):
    return call.state.list_droplets(tag_name=call.arg("tag_name"), name=call.arg("name"))


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/droplets", listing("list_droplets", "droplets", _droplets)),
    ("POST", "/v2/droplets", create_droplets),
    ("DELETE", "/v2/droplets", delete_droplets_by_tag),
    ("GET", "/v2/droplets/{droplet}", answer("get_droplet", 200, "droplet", "get_droplet", _ID)),
    ("DELETE", "/v2/droplets/{droplet}", answer("delete_droplet", 204, None, "delete_droplet", _ID)),
    ("GET", "/v2/droplets/{droplet}/actions",
     listing("list_droplet_actions", "actions", lambda call: call.state.droplet_actions(call.params["droplet"]))),
    ("POST", "/v2/droplets/{droplet}/actions", answer("droplet_action", 201, "action", "droplet_action", _ID, body="*")),
    ("GET", "/v2/droplets/{droplet}/actions/{action}", get_droplet_action),
    ("GET", "/v2/droplets/{droplet}/firewalls",
     listing("list_droplet_firewalls", "firewalls", lambda call: call.state.droplet_firewalls(call.params["droplet"]))),
    ("GET", "/v2/droplets/{droplet}/snapshots", list_droplet_snapshots),
]
