# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewalls, their droplets and their tags."""

from __future__ import annotations

from .base import answer, listing

_ID = ("firewall",)

ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/firewalls", listing("list_firewalls", "firewalls", lambda call: list(call.state.firewalls.values()))),
    ("POST", "/v2/firewalls", answer("create_firewall", 202, "firewall", "create_firewall", body="*")),
    ("GET", "/v2/firewalls/{firewall}", answer("get_firewall", 200, "firewall", "get_firewall", _ID)),
    ("PUT", "/v2/firewalls/{firewall}", answer("update_firewall", 200, "firewall", "update_firewall", _ID, body="*")),
    ("DELETE", "/v2/firewalls/{firewall}", answer("delete_firewall", 204, None, "delete_firewall", _ID)),
    ("POST", "/v2/firewalls/{firewall}/droplets",
     answer("firewall_add_droplets", 204, None, "firewall_droplets", _ID, body="droplet_ids", add=True)),
    ("DELETE", "/v2/firewalls/{firewall}/droplets",
     answer("firewall_remove_droplets", 204, None, "firewall_droplets", _ID, body="droplet_ids", add=False)),
    ("POST", "/v2/firewalls/{firewall}/tags",
     answer("firewall_add_tags", 204, None, "firewall_tags", _ID, body="tags", add=True)),
    ("DELETE", "/v2/firewalls/{firewall}/tags",
     answer("firewall_remove_tags", 204, None, "firewall_tags", _ID, body="tags", add=False)),
]
