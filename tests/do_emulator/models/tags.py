# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags and tagged resources (only droplets can be tagged in this emulator)."""

from __future__ import annotations

import re

from .base import ApiError, not_found, unprocessable

TAG_RE = re.compile(r"^[a-zA-Z0-9_\-:]+$")


class TagModel:
    """``self.tags``: name -> {"name": name}; a droplet's or firewall's ``tags`` list holds the names."""

    def _check_tag_name(self, name):
        if not isinstance(name, str) or not TAG_RE.match(name) or len(name) > 255:
            raise unprocessable("tag name may only contain letters, numbers, colons, dashes, and underscores "
                                "and be at most 255 characters")

    def ensure_tag(self, name):
        self._check_tag_name(name)
        for existing in self.tags:
            if existing.lower() == name.lower():
                return existing
        self.tags[name] = {"name": name}
        self.dirty = True
        return name

    def tag_view(self, name):
        droplets = [d for d in self.droplets.values() if name in d["tags"]]
        firewalls = [f for f in self.firewalls.values() if name in f["tags"]]
        last = droplets[-1] if droplets else None
        droplet_stats = {"count": len(droplets)}
        if last is not None:
            droplet_stats["last_tagged_uri"] = f"{self.api_base}/v2/droplets/{last['id']}"
        empty = {"count": 0}
        resources = {"count": len(droplets), "droplets": droplet_stats, "images": dict(empty),
                     "imgages": dict(empty), "volumes": dict(empty), "volume_snapshots": dict(empty),
                     "databases": dict(empty)}
        if last is not None:
            resources["last_tagged_uri"] = droplet_stats["last_tagged_uri"]
        del firewalls  # firewalls are not counted among a tag's resources by the API
        return {"name": name, "resources": resources}

    def get_tag(self, name):
        if name not in self.tags:
            raise not_found()
        return self.tag_view(name)

    def delete_tag(self, name):
        if name not in self.tags:
            raise not_found()
        del self.tags[name]
        for droplet in self.droplets.values():
            if name in droplet["tags"]:
                droplet["tags"].remove(name)
        for firewall in self.firewalls.values():
            if name in firewall["tags"]:
                firewall["tags"].remove(name)
        self.dirty = True

    def _resource_droplets(self, resources):
        if not isinstance(resources, list) or not resources:
            raise ApiError(400, "resources must be a non-empty array")
        droplets = []
        for item in resources:
            if not isinstance(item, dict) or item.get("resource_type") != "droplet":
                raise unprocessable("only droplet resources can be tagged in this emulator")
            droplets.append(self.get_droplet(item.get("resource_id")))
        return droplets

    def tag_resources(self, name, resources, add=True):
        if name not in self.tags:
            raise not_found()
        for droplet in self._resource_droplets(resources):
            if add and name not in droplet["tags"]:
                droplet["tags"].append(name)
            elif not add and name in droplet["tags"]:
                droplet["tags"].remove(name)
        self.dirty = True
