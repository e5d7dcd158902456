# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplets, and a droplet's actions, firewalls and snapshots."""

from __future__ import annotations

from .base import paginate


def list_droplets(call):
    droplets = call.state.list_droplets(tag_name=call.arg("tag_name"), name=call.arg("name"))
    return paginate(call, "droplets", droplets)


def create_droplets(call):
    droplets, actions, multiple = call.state.create_droplets(call.json())
    links = {"actions": [{"id": a["id"], "rel": "create", "href": f"{call.base_url}/v2/actions/{a['id']}"}
                         for a in actions]}
    if multiple:
        return 202, {"droplets": droplets, "links": links}
    return 202, {"droplet": droplets[0], "links": links}


def get_droplet(call):
    return 200, {"droplet": call.state.get_droplet(call.params["droplet"])}


def delete_droplet(call):
    call.state.delete_droplet(call.params["droplet"])
    return 204, None


def delete_droplets_by_tag(call):
    call.state.delete_droplets_by_tag(call.arg("tag_name"))
    return 204, None


def droplet_action(call):
    return 201, {"action": call.state.droplet_action(call.params["droplet"], call.json())}


def list_droplet_actions(call):
    return paginate(call, "actions", call.state.droplet_actions(call.params["droplet"]))


def get_droplet_action(call):
    return 200, {"action": call.state.get_action(call.params["action"], droplet_id=call.params["droplet"])}


def list_droplet_firewalls(call):
    return paginate(call, "firewalls", call.state.droplet_firewalls(call.params["droplet"]))


def list_droplet_snapshots(call):
    droplet = call.state.get_droplet(call.params["droplet"])
    snapshots = [call.state.snapshots[i] for i in droplet["snapshot_ids"] if i in call.state.snapshots]
    return paginate(call, "snapshots", [_droplet_snapshot(s) for s in snapshots])


def _droplet_snapshot(image):
    return {k: image[k] for k in ("id", "name", "distribution", "slug", "public", "regions", "created_at", "type",
                                  "min_disk_size", "size_gigabytes")}


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/droplets", list_droplets),
    ("POST", "/v2/droplets", create_droplets),
    ("DELETE", "/v2/droplets", delete_droplets_by_tag),
    ("GET", "/v2/droplets/{droplet}", get_droplet),
    ("DELETE", "/v2/droplets/{droplet}", delete_droplet),
    ("GET", "/v2/droplets/{droplet}/actions", list_droplet_actions),
    ("POST", "/v2/droplets/{droplet}/actions", droplet_action),
    ("GET", "/v2/droplets/{droplet}/actions/{action}", get_droplet_action),
    ("GET", "/v2/droplets/{droplet}/firewalls", list_droplet_firewalls),
    ("GET", "/v2/droplets/{droplet}/snapshots", list_droplet_snapshots),
]
