# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Droplet actions (POST /v2/droplets/{id}/actions): power, backups, resize, snapshot, rename, IPv6."""

from __future__ import annotations

from .base import iso, unprocessable
from .catalogue import SIZES
from .droplets import HOSTNAME_RE

DROPLET_ACTIONS = ("power_on", "power_off", "shutdown", "reboot", "power_cycle", "enable_backups", "disable_backups",
                   "resize", "snapshot", "enable_ipv6", "enable_private_networking", "rename")


class DropletActionModel:
    """What each droplet action does to the droplet (and to its machine) once it completes."""

    def droplet_action(self, droplet_id, body):
        droplet = self.get_droplet(droplet_id)
        kind = body.get("type") if isinstance(body, dict) else None
        if kind not in DROPLET_ACTIONS:
            raise unprocessable(f"Action type '{kind}' is not a valid droplet action.")
        if self.droplet_busy(droplet["id"]) or droplet["status"] == "new":
            raise unprocessable("Droplet already has a pending event.")
        status = droplet["status"]

        def set_status(new_status):
            def complete(_result):
                droplet["status"] = new_status
            return complete

        if kind in ("power_off", "shutdown"):
            return self._new_action(kind, droplet, set_status("off"), call=(self.backend.power_off, droplet["id"]))
        if kind == "power_on":
            return self._new_action(kind, droplet, set_status("active"), call=(self.backend.power_on, droplet["id"]))
        if kind in ("reboot", "power_cycle"):
            if status == "off" and kind == "reboot":
                return self._new_action(kind, droplet, set_status("active"), call=(self.backend.power_on, droplet["id"]))
            return self._new_action(kind, droplet, set_status("active"), call=(self.backend.reboot, droplet["id"]))
        if kind == "enable_backups":
            def enable(_result):
                if "backups" not in droplet["features"]:
                    droplet["features"].append("backups")
                droplet["next_backup_window"] = self._backup_window()
            return self._new_action(kind, droplet, enable)
        if kind == "disable_backups":
            def disable(_result):
                if "backups" in droplet["features"]:
                    droplet["features"].remove("backups")
                droplet["next_backup_window"] = None
            return self._new_action(kind, droplet, disable)
        if kind == "resize":
            return self._resize(droplet, body)
        if kind == "snapshot":
            return self._snapshot(droplet, body)
        if kind == "rename":
            name = body.get("name")
            if not isinstance(name, str) or not HOSTNAME_RE.match(name):
                raise unprocessable("Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)")

            def rename(_result):
                droplet["name"] = name
            return self._new_action(kind, droplet, rename)
        if kind == "enable_ipv6":
            def ipv6(_result):
                if "ipv6" not in droplet["features"]:
                    droplet["features"].append("ipv6")
            return self._new_action(kind, droplet, ipv6)
        return self._new_action(kind, droplet, None)  # enable_private_networking: always on nowadays

    def _resize(self, droplet, body):
        size = body.get("size")
        if size not in SIZES:
            raise unprocessable("You specified an invalid size for Droplet resize.")
        if droplet["status"] != "off":
            raise unprocessable("Droplet is currently on. Please power it off to run this event.")
        disk_flag = body.get("disk", False)
        grow_disk = disk_flag is True or (isinstance(disk_flag, str) and disk_flag.lower() == "true")
        memory, vcpus, disk, *_rest = SIZES[size]
        if disk < droplet["disk"]:
            raise unprocessable("You cannot resize to a size with a smaller disk than the Droplet's current disk.")

        def resized(_result):
            droplet.update({"memory": memory, "vcpus": vcpus, "size": self.size(size), "size_slug": size})
            if grow_disk:
                droplet["disk"] = disk
                droplet["disk_info"] = [{"type": "local", "size": {"amount": disk, "unit": "gib"}}]
        return self._new_action("resize", droplet, resized)

    def _snapshot(self, droplet, body):
        name = body.get("name") or f"{droplet['name']}-{int(self.now())}"
        if not isinstance(name, str):
            raise unprocessable("name must be a string")

        def snapshotted(_result):
            image_id = self._next_id("image")
            self.snapshots[image_id] = {
                "id": image_id, "name": name, "distribution": droplet["image"].get("distribution", "Unknown"),
                "slug": None, "public": False, "regions": [droplet["region"]["slug"]], "created_at": iso(self.now()),
                "type": "snapshot", "min_disk_size": droplet["disk"], "size_gigabytes": 1.2,
                "description": "", "tags": [], "status": "available", "error_message": ""}
            droplet["snapshot_ids"].append(image_id)
        return self._new_action("snapshot", droplet, snapshotted)
