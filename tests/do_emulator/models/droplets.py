# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplets: create (one or ``names``), list with filters, delete by id or by tag."""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import re
import uuid

from .actions import after
from .base import ApiError, iso, not_found, unprocessable
from .catalogue import REGIONS, SIZES

HOSTNAME_RE = re.compile(r"^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$")

MAX_NAMES_PER_CREATE = 10


class DropletModel:
    """``self.droplets``: id -> droplet; ``self.user_data``: id -> user data (not part of the API shape)."""

    def get_droplet(self, droplet_id):
        try:
            return self.droplets[int(droplet_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found() from None

    def list_droplets(self, tag_name=None, name=None):
        if tag_name is not None and name is not None:
            raise ApiError(400, "You may only filter by one of tag_name or name at a time.")
        droplets = self.droplets.values()
        if tag_name is not None:
            droplets = [d for d in droplets if tag_name in d["tags"]]
        if name is not None:
            droplets = [d for d in droplets if d["name"] == name]
        return list(droplets)

    def create_droplets(self, body):
        """Validate a create request and create one droplet per name; return (droplets, actions, multiple)."""
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        multiple = "names" in body
        names = self._create_names(body, multiple)
        region = self._create_region(body.get("region"))
        size, image = self._create_size_and_image(body)
        keys = self._create_keys(body.get("ssh_keys") or [])
        tags = body.get("tags") or []
        if not isinstance(tags, list):
            raise unprocessable("tags must be an array")
        for tag in tags:
            self._check_tag_name(tag)
        user_data = body.get("user_data")
        if user_data is not None and (not isinstance(user_data, str) or len(user_data.encode()) > 65536):
            raise unprocessable("user_data must be a string of at most 64 KiB")
        vpc_uuid = body.get("vpc_uuid")
        if len(self.droplets) + len(names) > self.droplet_limit:
            raise unprocessable(f"creating this/these droplet(s) will exceed your droplet limit ({self.droplet_limit})")
        tags = [self.ensure_tag(t) for t in tags]

        droplets, actions = [], []
        for name in names:
            droplet = self._new_droplet(name, region, size, image, tags, body, vpc_uuid)
            self.user_data[droplet["id"]] = user_data
            action = self._new_action(
                "create", droplet, self._provisioned(droplet["id"]),
                call=(self.backend.provision, droplet["id"], name, image.get("slug") or str(image["id"]),
                      [k["public_key"] for k in keys], user_data))
            droplets.append(droplet)
            actions.append(action)
        return droplets, actions, multiple

    @staticmethod
    def _create_names(body, multiple):
        if multiple and "name" in body:
            raise unprocessable("You may only specify one of name or names.")
        names = body.get("names") if multiple else [body.get("name")]
        if not isinstance(names, list) or not names:
            raise unprocessable("Name is required" if not multiple else "names must be a non-empty array")
        if len(names) > MAX_NAMES_PER_CREATE:
            raise unprocessable(f"You may only create up to {MAX_NAMES_PER_CREATE} Droplets at a time.")
        for name in names:
            if not isinstance(name, str) or not name:
                raise unprocessable("Name is required")
            if len(name) > 255 or not HOSTNAME_RE.match(name):
                raise unprocessable("Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)")
        return names

    @staticmethod
    def _create_region(region):
        if region is None or not isinstance(region, str):
            region = REGIONS[0][0]
        matches = [slug for slug, dummy in REGIONS if slug == region or slug.rstrip("0123456789") == region]
        if not matches:
            raise unprocessable("You specified an invalid region for Droplet creation.")
        return matches[-1]

    def _create_size_and_image(self, body):
        size = body.get("size")
        if size not in SIZES:
            raise unprocessable("You specified an invalid size for Droplet creation.")
        image = self.find_image(body.get("image")) if body.get("image") is not None else None
        if image is None:
            raise unprocessable("You specified an invalid image for Droplet creation.")
        if SIZES[size][2] < image["min_disk_size"]:
            raise unprocessable("This size is not available because it has a smaller disk than the image.")
        return size, image

    def _create_keys(self, key_refs):
        if not isinstance(key_refs, list):
            raise unprocessable("ssh_keys must be an array")
        keys, bad = [], []
        for ref in key_refs:
            try:
                keys.append(self.get_ssh_key(ref))
            except ApiError:
                bad.append(str(ref))
        if bad:
            raise unprocessable(f"ssh_keys {', '.join(bad)} are invalid key identifiers for Droplet creation.")
        return keys

    def _new_droplet(self, name, region, size, image, tags, body, vpc_uuid):
        memory, vcpus, disk, *_rest = SIZES[size]
        features = ["droplet_agent"]
        if body.get("backups"):
            features.append("backups")
        if body.get("ipv6"):
            features.append("ipv6")
        if body.get("monitoring"):
            features.append("monitoring")
        features.append("private_networking")
        droplet_id = self._next_id("droplet")
        droplet = {
            "id": droplet_id, "name": name, "memory": memory, "vcpus": vcpus, "disk": disk, "locked": False,
            "status": "new", "kernel": None, "created_at": iso(self.now()), "features": features,
            "backup_ids": [], "next_backup_window": self._backup_window() if body.get("backups") else None,
            "snapshot_ids": [], "image": copy.deepcopy(image), "volume_ids": list(body.get("volumes") or []),
            "size": self.size(size), "size_slug": size, "networks": {"v4": [], "v6": []},
            "region": self.region(region), "tags": list(tags),
            "vpc_uuid": vpc_uuid if isinstance(vpc_uuid, str) and vpc_uuid else self._vpc_for(region),
            "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
        }
        self.droplets[droplet_id] = droplet
        self.resources.setdefault(self.default_project_id, {})[f"do:droplet:{droplet_id}"] = iso(self.now())
        return droplet

    def _vpc_for(self, region):
        return str(uuid.UUID(hashlib.md5(f"{self.account_uuid}-{region}".encode()).hexdigest(), version=4))  # nosec

    def _backup_window(self):
        start = int(self.now()) // 86400 * 86400 + 86400
        return {"start": iso(start), "end": iso(start + 4 * 3600)}

    def _provisioned(self, droplet_id):
        def complete(addresses):
            droplet = self.droplets.get(droplet_id)
            if droplet is None:
                return
            addresses = addresses or {}
            v4 = []
            if addresses.get("private_ipv4"):
                v4.append({"ip_address": addresses["private_ipv4"], "netmask": "255.255.240.0", "gateway": "<nil>",
                           "type": "private"})
            if addresses.get("public_ipv4"):
                public = ipaddress.ip_interface(f"{addresses['public_ipv4']}/20")
                v4.append({"ip_address": addresses["public_ipv4"], "netmask": "255.255.240.0",
                           "gateway": str(next(public.network.hosts())), "type": "public"})
            droplet["networks"]["v4"] = v4
            droplet["status"] = "active"
        return complete

    def delete_droplet(self, droplet_id):
        droplet = self.get_droplet(droplet_id)
        self._remove_droplet(droplet)

    def delete_droplets_by_tag(self, tag_name):
        if not tag_name:
            raise ApiError(400, "tag_name is required to delete droplets by tag")
        for droplet in self.list_droplets(tag_name=tag_name):
            self._remove_droplet(droplet)

    def _remove_droplet(self, droplet):
        droplet_id = droplet["id"]
        del self.droplets[droplet_id]
        self.user_data.pop(droplet_id, None)
        for firewall in self.firewalls.values():
            if droplet_id in firewall["droplet_ids"]:
                firewall["droplet_ids"].remove(droplet_id)
        for urns in self.resources.values():
            urns.pop(f"do:droplet:{droplet_id}", None)
        in_flight = []
        for action_id, (future, _complete) in list(self._work.items()):
            if self.actions.get(action_id, {}).get("resource_id") == droplet_id:
                self._work[action_id] = (future, None)
                if future is not None:
                    in_flight.append(future)
        # A backend never sees destroy() while provision() or a power call for the same droplet runs.
        self._submit(after, in_flight, self.backend.destroy, droplet_id)
        self.dirty = True
