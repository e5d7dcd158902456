# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewalls, their droplets and their tags."""

from __future__ import annotations

from .base import paginate


def list_firewalls(call):
    return paginate(call, "firewalls", list(call.state.firewalls.values()))


def create_firewall(call):
    return 202, {"firewall": call.state.create_firewall(call.json())}


def get_firewall(call):
    return 200, {"firewall": call.state.get_firewall(call.params["firewall"])}


def update_firewall(call):
    return 200, {"firewall": call.state.update_firewall(call.params["firewall"], call.json())}


def delete_firewall(call):
    call.state.delete_firewall(call.params["firewall"])
    return 204, None


def firewall_add_droplets(call):
    call.state.firewall_droplets(call.params["firewall"], call.json().get("droplet_ids"), add=True)
    return 204, None


def firewall_remove_droplets(call):
    call.state.firewall_droplets(call.params["firewall"], call.json().get("droplet_ids"), add=False)
    return 204, None


def firewall_add_tags(call):
    call.state.firewall_tags(call.params["firewall"], call.json().get("tags"), add=True)
    return 204, None


def firewall_remove_tags(call):
    call.state.firewall_tags(call.params["firewall"], call.json().get("tags"), add=False)
    return 204, None


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/firewalls", list_firewalls),
    ("POST", "/v2/firewalls", create_firewall),
    ("GET", "/v2/firewalls/{firewall}", get_firewall),
    ("PUT", "/v2/firewalls/{firewall}", update_firewall),
    ("DELETE", "/v2/firewalls/{firewall}", delete_firewall),
    ("POST", "/v2/firewalls/{firewall}/droplets", firewall_add_droplets),
    ("DELETE", "/v2/firewalls/{firewall}/droplets", firewall_remove_droplets),
    ("POST", "/v2/firewalls/{firewall}/tags", firewall_add_tags),
    ("DELETE", "/v2/firewalls/{firewall}/tags", firewall_remove_tags),
]
