# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewalls, their droplets and their tags."""

from __future__ import annotations

import copy
import ipaddress
import re

from .base import ApiError, iso, not_found, unprocessable

FIREWALL_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.\-]*$")


class FirewallModel:
    """``self.firewalls``: uuid -> firewall."""

    def _firewall_fields(self, body, firewall):
        name = body.get("name")
        if not isinstance(name, str) or not FIREWALL_NAME_RE.match(name) or len(name) > 255:
            raise unprocessable("name must begin with an alphanumeric character and contain only alphanumerics, "
                                "dots and dashes")
        inbound = body.get("inbound_rules") or []
        outbound = body.get("outbound_rules") or []
        if not isinstance(inbound, list) or not isinstance(outbound, list):
            raise ApiError(400, "inbound_rules and outbound_rules must be arrays")
        if not inbound and not outbound:
            raise ApiError(400, "At least one rule must be specified")
        for rule, side in [(r, "sources") for r in inbound] + [(r, "destinations") for r in outbound]:
            if not isinstance(rule, dict) or rule.get("protocol") not in ("tcp", "udp", "icmp"):
                raise ApiError(400, "protocol must be one of tcp, udp or icmp")
            if rule["protocol"] != "icmp" and not rule.get("ports"):
                raise ApiError(400, "ports is required for tcp and udp rules")
            if not isinstance(rule.get(side), dict):
                raise ApiError(400, f"{side} is required for each rule")
            for address in rule[side].get("addresses") or []:
                try:
                    ipaddress.ip_network(address, strict=False)
                except ValueError:
                    raise ApiError(400, f"invalid address {address!r}") from None
        droplet_ids = body.get("droplet_ids") or []
        for droplet_id in droplet_ids:
            self.get_droplet(droplet_id)
        tags = [self.ensure_tag(t) for t in body.get("tags") or []]
        firewall.update({
            "name": name,
            "inbound_rules": [self._normalise_rule(r, "sources") for r in inbound],
            "outbound_rules": [self._normalise_rule(r, "destinations") for r in outbound],
            "droplet_ids": [int(d) for d in droplet_ids], "tags": tags,
        })
        return firewall

    @staticmethod
    def _normalise_rule(rule, side):
        rule = copy.deepcopy(rule)
        rule["ports"] = str(rule.get("ports") or "0")
        target = rule[side]
        for field in ("addresses", "droplet_ids", "load_balancer_uids", "kubernetes_ids", "tags"):
            target.setdefault(field, [])
        return rule

    def create_firewall(self, body):
        firewall = {"id": self._uuid(), "status": "waiting", "created_at": iso(self.now()), "pending_changes": []}
        self._firewall_fields(body, firewall)
        firewall["status"] = "succeeded"
        self.firewalls[firewall["id"]] = firewall
        self.dirty = True
        return firewall

    def get_firewall(self, firewall_id):
        if firewall_id not in self.firewalls:
            raise not_found()
        return self.firewalls[firewall_id]

    def update_firewall(self, firewall_id, body):
        firewall = self.get_firewall(firewall_id)
        updated = self._firewall_fields(body, copy.deepcopy(firewall))
        firewall.clear()
        firewall.update(updated)
        self.dirty = True
        return firewall

    def delete_firewall(self, firewall_id):
        self.get_firewall(firewall_id)
        del self.firewalls[firewall_id]
        self.dirty = True

    def firewall_droplets(self, firewall_id, droplet_ids, add=True):
        firewall = self.get_firewall(firewall_id)
        if not isinstance(droplet_ids, list) or not droplet_ids:
            raise ApiError(400, "droplet_ids must be a non-empty array")
        droplets = [self.get_droplet(d) for d in droplet_ids]
        for droplet in droplets:
            if add and droplet["id"] not in firewall["droplet_ids"]:
                firewall["droplet_ids"].append(droplet["id"])
            elif not add and droplet["id"] in firewall["droplet_ids"]:
                firewall["droplet_ids"].remove(droplet["id"])
        self.dirty = True

    def firewall_tags(self, firewall_id, tags, add=True):
        firewall = self.get_firewall(firewall_id)
        if not isinstance(tags, list) or not tags:
            raise ApiError(400, "tags must be a non-empty array")
        for tag in tags:
            if add:
                if tag not in self.tags:
                    raise not_found()
                if tag not in firewall["tags"]:
                    firewall["tags"].append(tag)
            elif tag in firewall["tags"]:
                firewall["tags"].remove(tag)
        self.dirty = True

    def droplet_firewalls(self, droplet_id):
        droplet = self.get_droplet(droplet_id)
        return [f for f in self.firewalls.values()
                if droplet["id"] in f["droplet_ids"] or set(f["tags"]) & set(droplet["tags"])]
