# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""State and behaviour of the emulated DigitalOcean account (no HTTP here).

Resources are plain dicts shaped exactly like the API's JSON, so responses are the records
themselves. Everything is guarded by one re-entrant lock: the HTTP layer takes it per request.
Actions complete lazily: every public entry point first runs ``tick()``, which finishes the
actions whose delay has passed and whose machine call has returned.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import copy
import hashlib
import heapq
import ipaddress
import json
import os
import random
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

HOSTNAME_RE = re.compile(r"^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_\-:]+$")
FIREWALL_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.\-]*$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9_]([a-zA-Z0-9\-_]{0,61}[a-zA-Z0-9_])?\.)+[a-zA-Z]{2,63}$")
SSH_KEY_TYPES = (
    "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)
RECORD_TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT")
DROPLET_ACTIONS = ("power_on", "power_off", "shutdown", "reboot", "power_cycle", "enable_backups", "disable_backups",
                   "resize", "snapshot", "enable_ipv6", "enable_private_networking", "rename")
MAX_NAMES_PER_CREATE = 10

# Regions whose slugs are in the spec's image `regions` enum (it lists only 15).
REGIONS = (
    ("nyc1", "New York 1"), ("nyc3", "New York 3"), ("sfo3", "San Francisco 3"), ("ams3", "Amsterdam 3"),
    ("sgp1", "Singapore 1"), ("lon1", "London 1"), ("fra1", "Frankfurt 1"), ("tor1", "Toronto 1"),
    ("blr1", "Bangalore 1"), ("syd1", "Sydney 1"),
)
# slug: (memory MiB, vcpus, disk GB, transfer TB, monthly USD, description)
SIZES = {
    "s-1vcpu-512mb-10gb": (512, 1, 10, 0.5, 4.0, "Basic"),
    "s-1vcpu-1gb": (1024, 1, 25, 1.0, 6.0, "Basic"),
    "s-1vcpu-2gb": (2048, 1, 50, 2.0, 12.0, "Basic"),
    "s-2vcpu-2gb": (2048, 2, 60, 3.0, 18.0, "Basic"),
    "s-2vcpu-4gb": (4096, 2, 80, 4.0, 24.0, "Basic"),
    "s-4vcpu-8gb": (8192, 4, 160, 5.0, 48.0, "Basic"),
}
# slug: (id, distribution, name, min disk GB)
IMAGES = {
    "ubuntu-24-04-x64": (165064, "Ubuntu", "24.04 (LTS) x64", 7),
    "ubuntu-22-04-x64": (129211, "Ubuntu", "22.04 (LTS) x64", 7),
    "debian-12-x64": (139398, "Debian", "12 x64", 7),
    "debian-13-x64": (188521, "Debian", "13 x64", 7),
}


class ApiError(Exception):
    """An error the API answers with: ``{"id": ..., "message": ...}`` and an HTTP status."""

    IDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
           409: "conflict", 412: "precondition_failed", 422: "unprocessable_entity", 429: "too_many_requests",
           500: "server_error", 503: "service_unavailable"}

    def __init__(self, status, message, error_id=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_id = error_id or self.IDS.get(status, "error")


def not_found():
    return ApiError(404, "The resource you were accessing could not be found.")


def unprocessable(message):
    return ApiError(422, message)


def iso(ts):
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ssh_key_fingerprint(public_key):
    """Return the MD5 fingerprint DigitalOcean shows, or raise ApiError(422) for a malformed key."""
    parts = str(public_key or "").strip().split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise unprocessable("Key invalid type, we support 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', "
                            "'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', or 'ssh-ed25519'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise unprocessable("Key invalid, key should be of the format `type key [comment]`") from None
    # The blob starts with the key type as an SSH string (4-byte length, then the name).
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if length != len(parts[0]) or blob[4:4 + length].decode("ascii", "replace") != parts[0] or len(blob) < 4 + length + 16:
        raise unprocessable("Key invalid, key should be of the format `type key [comment]`")
    digest = hashlib.md5(blob).hexdigest()  # nosec - MD5 is what the API reports
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


class State:
    """The account: its resources, its actions and the machines behind its droplets."""

    COLLECTIONS = ("droplets", "ssh_keys", "firewalls", "domains", "records", "tags", "actions", "projects",
                   "snapshots", "resources")

    def __init__(self, backend, action_delay=0.2, seed=0, droplet_limit=100000, clock=time.time):
        self.lock = threading.RLock()
        self.backend = backend
        self.action_delay = float(action_delay)
        self.droplet_limit = int(droplet_limit)
        self.clock = clock
        self.seed = seed
        # Absolute URLs in bodies point here; the emulator sets its own address so clients stay on loopback.
        self.api_base = "https://api.digitalocean.com"
        self._pool = None
        self.dirty = False
        self.reset()

    # ----------------------------------------------------------------- lifecycle
    def reset(self):
        with self.lock:
            self._random = random.Random(self.seed)
            self.droplets = {}      # id -> droplet dict (API shape)
            self.ssh_keys = {}      # id -> ssh_key dict
            self.firewalls = {}     # uuid -> firewall dict
            self.domains = {}       # name -> domain dict
            self.records = {}       # domain name -> {record id -> record dict}
            self.tags = {}          # name -> {"name": name}
            self.actions = {}       # id -> action dict
            self.projects = {}      # uuid -> project dict
            self.snapshots = {}     # image id -> image dict (private snapshots)
            self.resources = {}     # project uuid -> {urn -> assigned_at}
            self.user_data = {}     # droplet id -> user_data (not part of the API shape)
            self.account_uuid = self._uuid().replace("-", "")
            self.counters = {"droplet": 500000000, "ssh_key": 41000000, "action": 2000000000, "record": 300000000,
                             "image": 170000000}
            self._pending = []      # heap of (due, action id)
            self._work = {}         # action id -> (future or None, completion callback)
            default = self._new_project("first-project", "Update your project information under Settings",
                                        "Just trying out DigitalOcean", "Development", is_default=True)
            self.default_project_id = default["id"]
            self.dirty = True

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _uuid(self):
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _next_id(self, kind):
        self.counters[kind] += 1
        return self.counters[kind]

    def now(self):
        return self.clock()

    # ----------------------------------------------------------------- persistence
    def to_json(self):
        with self.lock:
            self.tick()
            data = {name: getattr(self, name) for name in self.COLLECTIONS}
            data["records"] = {d: list(r.values()) for d, r in self.records.items()}
            for name in ("droplets", "ssh_keys", "actions", "snapshots"):
                data[name] = list(data[name].values())
            data["firewalls"] = list(self.firewalls.values())
            data["domains"] = list(self.domains.values())
            data["tags"] = list(self.tags.values())
            data["projects"] = list(self.projects.values())
            data["user_data"] = {str(k): v for k, v in self.user_data.items()}
            data["counters"] = self.counters
            data["account_uuid"] = self.account_uuid
            data["default_project_id"] = self.default_project_id
            return data

    def load_json(self, data):
        """Restore a saved account. Unfinished actions finish at once (the machines are gone anyway)."""
        with self.lock:
            self.droplets = {d["id"]: d for d in data["droplets"]}
            self.ssh_keys = {k["id"]: k for k in data["ssh_keys"]}
            self.actions = {a["id"]: a for a in data["actions"]}
            self.snapshots = {i["id"]: i for i in data.get("snapshots", [])}
            self.firewalls = {f["id"]: f for f in data["firewalls"]}
            self.domains = {d["name"]: d for d in data["domains"]}
            self.records = {d: {r["id"]: r for r in recs} for d, recs in data["records"].items()}
            self.tags = {t["name"]: t for t in data["tags"]}
            self.projects = {p["id"]: p for p in data["projects"]}
            self.resources = data["resources"]
            self.user_data = {int(k): v for k, v in data.get("user_data", {}).items()}
            self.counters = data["counters"]
            self.account_uuid = data["account_uuid"]
            self.default_project_id = data["default_project_id"]
            self._pending, self._work = [], {}
            for action in self.actions.values():
                if action["status"] == "in-progress":
                    action["status"] = "errored"
                    action["completed_at"] = iso(self.now())
            for droplet in self.droplets.values():
                droplet["locked"] = False
                if droplet["status"] == "new":
                    droplet["status"] = "off"

    def save(self, path):
        data = json.dumps(self.to_json())
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(data)
        os.replace(tmp, path)
        self.dirty = False

    # ----------------------------------------------------------------- actions
    def _submit(self, func, *args):
        if getattr(self.backend, "instant", False):
            try:
                return _Done(func(*args))
            except Exception as error:  # pylint: disable=broad-except  # the backend's failure errors the action
                return _Done(error=error)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="do-emulator-machine")
        return self._pool.submit(func, *args)

    def _new_action(self, kind, droplet, on_complete, call=None):
        """Start an action on a droplet; ``call`` is the backend work it waits for."""
        now = self.now()
        action = {
            "id": self._next_id("action"), "status": "in-progress", "type": kind,
            "started_at": iso(now), "completed_at": None, "resource_id": droplet["id"], "resource_type": "droplet",
            "region": copy.deepcopy(droplet["region"]), "region_slug": droplet["region"]["slug"],
        }
        self.actions[action["id"]] = action
        future = self._submit(*call) if call else None
        self._work[action["id"]] = (future, on_complete)
        heapq.heappush(self._pending, (now + self.action_delay, action["id"]))
        self.dirty = True
        return action

    def tick(self):
        """Complete every action that is due and whose machine work has finished."""
        with self.lock:
            now = self.now()
            waiting = []
            while self._pending and self._pending[0][0] <= now:
                due, action_id = heapq.heappop(self._pending)
                future, on_complete = self._work.get(action_id, (None, None))
                action = self.actions.get(action_id)
                if action is None:
                    self._work.pop(action_id, None)
                    continue
                if future is not None and not future.done():
                    waiting.append((due, action_id))
                    continue
                self._work.pop(action_id, None)
                error = future.exception() if future is not None else None
                result = future.result() if future is not None and error is None else None
                action["completed_at"] = iso(now)
                if error is not None:
                    action["status"] = "errored"
                else:
                    action["status"] = "completed"
                    if on_complete is not None:
                        on_complete(result)
                self.dirty = True
            for item in waiting:
                heapq.heappush(self._pending, item)

    def wait_idle(self, timeout=30.0):
        """Block until no action is in progress (for tests and for a clean shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                self.tick()
                if not self._pending:
                    return True
            time.sleep(0.02)
        return False

    def droplet_busy(self, droplet_id):
        return any(self.actions[a]["resource_id"] == droplet_id for a in self._work if a in self.actions)

    # ----------------------------------------------------------------- catalogue
    def region(self, slug):
        names = dict(REGIONS)
        return {"name": names[slug], "slug": slug, "available": True, "sizes": list(SIZES),
                "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]}

    def regions(self):
        return [self.region(slug) for slug, dummy in REGIONS]

    def size(self, slug):
        memory, vcpus, disk, transfer, monthly, description = SIZES[slug]
        return {"slug": slug, "memory": memory, "vcpus": vcpus, "disk": disk, "transfer": transfer,
                "price_monthly": monthly, "price_hourly": round(monthly / 672.0, 5),
                "regions": [slug for slug, dummy in REGIONS], "available": True, "description": description}

    def sizes(self):
        return [self.size(slug) for slug in SIZES]

    def image(self, slug):
        image_id, distribution, name, min_disk = IMAGES[slug]
        return {"id": image_id, "name": name, "distribution": distribution, "slug": slug, "public": True,
                "regions": [slug for slug, dummy in REGIONS], "created_at": "2025-04-01T00:00:00Z",
                "type": "base", "min_disk_size": min_disk, "size_gigabytes": 2.5,
                "description": f"{distribution} {name}", "tags": [], "status": "available", "error_message": ""}

    def images(self, image_type=None, private=False):
        if private:
            return list(self.snapshots.values())
        result = [self.image(slug) for slug in IMAGES]
        if image_type in ("snapshot", "backup"):
            return [i for i in self.snapshots.values() if i["type"] == image_type]
        if image_type is None:
            result += list(self.snapshots.values())
        return result

    def find_image(self, ident):
        ident = str(ident)
        for slug, (image_id, *_rest) in IMAGES.items():
            if ident in (slug, str(image_id)):
                return self.image(slug)
        if ident.isdigit() and int(ident) in self.snapshots:
            return self.snapshots[int(ident)]
        return None

    # ----------------------------------------------------------------- account
    def account(self):
        return {"droplet_limit": self.droplet_limit, "floating_ip_limit": 3, "reserved_ip_limit": 3, "volume_limit": 100,
                "email": "emulator@example.com", "name": "Emulated Account", "uuid": self.account_uuid,
                "email_verified": True, "status": "active", "status_message": "",
                "team": {"uuid": self.account_uuid[:8] + "-team-0000-0000-000000000000", "name": "My Team"}}

    # ----------------------------------------------------------------- ssh keys
    def create_ssh_key(self, body):
        name = body.get("name")
        public_key = body.get("public_key")
        if not isinstance(name, str) or not name.strip():
            raise unprocessable("Name can't be blank")
        if not isinstance(public_key, str) or not public_key.strip():
            raise unprocessable("Public key can't be blank")
        fingerprint = ssh_key_fingerprint(public_key)
        if any(k["fingerprint"] == fingerprint for k in self.ssh_keys.values()):
            raise unprocessable("SSH Key is already in use on your account")
        key = {"id": self._next_id("ssh_key"), "fingerprint": fingerprint, "public_key": public_key.strip(),
               "name": name}
        self.ssh_keys[key["id"]] = key
        self.dirty = True
        return key

    def get_ssh_key(self, ident):
        ident = str(ident)
        if ident.isdigit() and int(ident) in self.ssh_keys:
            return self.ssh_keys[int(ident)]
        for key in self.ssh_keys.values():
            if key["fingerprint"] == ident:
                return key
        raise not_found()

    def update_ssh_key(self, ident, body):
        key = self.get_ssh_key(ident)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise unprocessable("Name can't be blank")
            key["name"] = body["name"]
            self.dirty = True
        return key

    def delete_ssh_key(self, ident):
        key = self.get_ssh_key(ident)
        del self.ssh_keys[key["id"]]
        self.dirty = True

    # ----------------------------------------------------------------- tags
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

    # ----------------------------------------------------------------- droplets
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
        region = body.get("region")
        if region is None or not isinstance(region, str):
            region = REGIONS[0][0]
        matches = [slug for slug, dummy in REGIONS if slug == region or slug.rstrip("0123456789") == region]
        if not matches:
            raise unprocessable("You specified an invalid region for Droplet creation.")
        region = matches[-1]
        size = body.get("size")
        if size not in SIZES:
            raise unprocessable("You specified an invalid size for Droplet creation.")
        image = self.find_image(body.get("image")) if body.get("image") is not None else None
        if image is None:
            raise unprocessable("You specified an invalid image for Droplet creation.")
        if SIZES[size][2] < image["min_disk_size"]:
            raise unprocessable("This size is not available because it has a smaller disk than the image.")
        key_refs = body.get("ssh_keys") or []
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
        self._submit(_after, in_flight, self.backend.destroy, droplet_id)
        self.dirty = True

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

    def droplet_actions(self, droplet_id):
        droplet = self.get_droplet(droplet_id)
        return [a for a in self.actions.values() if a["resource_id"] == droplet["id"]]

    def get_action(self, action_id, droplet_id=None):
        try:
            action = self.actions[int(action_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found() from None
        if droplet_id is not None and action["resource_id"] != self.get_droplet(droplet_id)["id"]:
            raise not_found()
        return action

    # ----------------------------------------------------------------- firewalls
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

    # ----------------------------------------------------------------- domains
    def create_domain(self, body):
        name = body.get("name")
        if not isinstance(name, str) or not DOMAIN_RE.match(name):
            raise unprocessable("Name is invalid")
        name = name.lower()
        if name in self.domains:
            raise unprocessable("Name already exists")
        ip_address = body.get("ip_address")
        if ip_address is not None:
            try:
                ipaddress.ip_address(ip_address)
            except ValueError:
                raise unprocessable("Ip address is invalid") from None
        domain = {"name": name, "ttl": 1800, "zone_file": ""}
        self.domains[name] = domain
        self.records[name] = {}
        self._add_record(name, {"type": "SOA", "name": "@", "data": "1800", "ttl": 1800})
        for server in ("ns1", "ns2", "ns3"):
            self._add_record(name, {"type": "NS", "name": "@", "data": f"{server}.digitalocean.com", "ttl": 1800})
        if ip_address:
            self._add_record(name, {"type": "A", "name": "@", "data": ip_address, "ttl": 1800})
        self.dirty = True
        return domain

    def get_domain(self, name):
        domain = self.domains.get(str(name).lower())
        if domain is None:
            raise not_found()
        domain["zone_file"] = self._zone_file(domain["name"])
        return domain

    def delete_domain(self, name):
        domain = self.get_domain(name)
        del self.domains[domain["name"]]
        del self.records[domain["name"]]
        self.dirty = True

    def _zone_file(self, name):
        lines = [f"$ORIGIN {name}.", "$TTL 1800"]
        for record in self.records.get(name, {}).values():
            lines.append(f"{record['name']} {record['ttl']} IN {record['type']} {record['data']}")
        return "\n".join(lines) + "\n"

    def _add_record(self, domain, fields):
        record = {"id": self._next_id("record"), "type": fields["type"], "name": fields["name"], "data": fields["data"],
                  "priority": fields.get("priority"), "port": fields.get("port"), "ttl": fields.get("ttl") or 1800,
                  "weight": fields.get("weight"), "flags": fields.get("flags"), "tag": fields.get("tag")}
        self.records[domain][record["id"]] = record
        return record

    def _check_record(self, fields):
        kind = fields.get("type")
        if kind not in RECORD_TYPES or kind == "SOA":
            raise unprocessable("Type is invalid")
        name, data = fields.get("name"), fields.get("data")
        if not isinstance(name, str) or not name:
            raise unprocessable("Name can't be blank")
        if not isinstance(data, str) or not data:
            raise unprocessable("Data can't be blank")
        if kind in ("A", "AAAA"):
            try:
                address = ipaddress.ip_address(data)
            except ValueError:
                raise unprocessable("Data is not a valid IP address") from None
            if address.version != (4 if kind == "A" else 6):
                raise unprocessable(f"Data is not a valid IPv{4 if kind == 'A' else 6} address")
        if kind in ("MX", "SRV") and not isinstance(fields.get("priority"), int):
            raise unprocessable("Priority is required for MX and SRV records")
        if kind == "SRV" and (not isinstance(fields.get("port"), int) or not isinstance(fields.get("weight"), int)):
            raise unprocessable("Port and weight are required for SRV records")
        ttl = fields.get("ttl")
        if ttl is not None and (not isinstance(ttl, int) or ttl < 30):
            raise unprocessable("TTL must be at least 30 seconds")

    def list_records(self, domain, name=None, record_type=None):
        domain = self.get_domain(domain)["name"]
        records = list(self.records[domain].values())
        if name is not None:
            # DO filters on the fully qualified name.
            records = [r for r in records if (domain if r["name"] == "@" else f"{r['name']}.{domain}") == name]
        if record_type is not None:
            records = [r for r in records if r["type"] == record_type]
        return records

    def create_record(self, domain, body):
        domain = self.get_domain(domain)["name"]
        self._check_record(body)
        record = self._add_record(domain, body)
        self.dirty = True
        return record

    def get_record(self, domain, record_id):
        domain = self.get_domain(domain)["name"]
        try:
            return self.records[domain][int(record_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found() from None

    def update_record(self, domain, record_id, body, replace):
        record = self.get_record(domain, record_id)
        fields = dict(record)
        if replace:
            fields = {"type": body.get("type", record["type"]), "ttl": record["ttl"], "name": record["name"],
                      "data": record["data"]}
        fields.update({k: v for k, v in body.items() if k in record and k != "id"})
        if fields.get("ttl") is None:
            fields["ttl"] = record["ttl"]
        self._check_record(fields)
        record.update({k: fields.get(k) for k in record if k != "id"})
        self.dirty = True
        return record

    def delete_record(self, domain, record_id):
        record = self.get_record(domain, record_id)
        del self.records[self.get_domain(domain)["name"]][record["id"]]
        self.dirty = True

    # ----------------------------------------------------------------- projects
    def _new_project(self, name, description, purpose, environment, is_default=False):
        now = iso(self.now())
        project = {"id": self._uuid(), "owner_uuid": self.account_uuid, "owner_id": 258992, "name": name,
                   "description": description, "purpose": purpose, "environment": environment,
                   "created_at": now, "updated_at": now, "is_default": is_default}
        self.projects[project["id"]] = project
        self.resources[project["id"]] = {}
        return project

    def create_project(self, body):
        name = body.get("name")
        if not isinstance(name, str) or not name or len(name) > 175:
            raise unprocessable("Name can't be blank")
        if any(p["name"] == name for p in self.projects.values()):
            raise ApiError(409, "A project with this name already exists.")
        purpose = body.get("purpose")
        if not isinstance(purpose, str) or not purpose:
            raise unprocessable("Purpose can't be blank")
        environment = body.get("environment", "Development")
        if environment not in ("Development", "Staging", "Production"):
            raise unprocessable("Environment must be one of Development, Staging or Production")
        project = self._new_project(name, body.get("description", ""), purpose, environment)
        self.dirty = True
        return project

    def get_project(self, project_id):
        if project_id == "default":
            project_id = self.default_project_id
        if project_id not in self.projects:
            raise not_found()
        return self.projects[project_id]

    def update_project(self, project_id, body, replace):
        project = self.get_project(project_id)
        fields = ("name", "description", "purpose", "environment", "is_default")
        if replace and any(f not in body for f in fields):
            raise ApiError(400, "PUT needs every field: " + ", ".join(fields) + " (use PATCH for some)")
        changes = {f: body[f] for f in fields if f in body}
        if "name" in changes and (not isinstance(changes["name"], str) or not changes["name"] or len(changes["name"]) > 175):
            raise unprocessable("Name can't be blank")
        if "name" in changes and any(p["name"] == changes["name"] and p["id"] != project["id"] for p in self.projects.values()):
            raise ApiError(409, "A project with this name already exists.")
        if "environment" in changes and changes["environment"] not in ("Development", "Staging", "Production"):
            raise unprocessable("Environment must be one of Development, Staging or Production")
        if changes.get("is_default") is False and project["is_default"]:
            raise unprocessable("The default project cannot be unset; make another project the default instead.")
        if changes.get("is_default") is True:
            for other in self.projects.values():
                other["is_default"] = False
            self.default_project_id = project["id"]
        project.update(changes)
        project["updated_at"] = iso(self.now())
        self.dirty = True
        return project

    def delete_project(self, project_id):
        project = self.get_project(project_id)
        if project["is_default"]:
            raise ApiError(412, "Cannot delete the default project.")
        if self.resources.get(project["id"]):
            raise ApiError(412, "Cannot delete a project with resources. Move or remove the resources first.")
        del self.projects[project["id"]]
        self.resources.pop(project["id"], None)
        self.dirty = True

    def _resource_exists(self, urn):
        parts = urn.split(":") if isinstance(urn, str) else []
        if len(parts) != 3 or parts[0] != "do":
            return None
        kind, ident = parts[1], parts[2]
        if kind == "droplet":
            return ident.isdigit() and int(ident) in self.droplets
        if kind == "domain":
            return ident in self.domains
        return False

    def project_resources(self, project_id):
        project = self.get_project(project_id)
        return [self._resource_view(urn, at, "ok") for urn, at in self.resources[project["id"]].items()]

    def _resource_view(self, urn, assigned_at, status):
        kind, ident = urn.split(":")[1:3]
        return {"urn": urn, "assigned_at": assigned_at, "status": status,
                "links": {"self": f"{self.api_base}/v2/{kind}s/{ident}"}}

    def assign_resources(self, project_id, urns):
        project = self.get_project(project_id)
        if not isinstance(urns, list) or not urns:
            raise ApiError(400, "resources must be a non-empty array")
        result = []
        for urn in urns:
            exists = self._resource_exists(urn)
            if exists is None:
                raise ApiError(400, f"invalid urn {urn!r}")
            if not exists:
                result.append(self._resource_view(urn, iso(self.now()), "not_found"))
                continue
            for urns_of in self.resources.values():
                urns_of.pop(urn, None)
            at = iso(self.now())
            self.resources[project["id"]][urn] = at
            result.append(self._resource_view(urn, at, "assigned"))
        self.dirty = True
        return result


def _after(futures, func, *args):
    for future in futures:
        if not future.done():
            concurrent.futures.wait([future])
    return func(*args)


class _Done:
    """A finished future, for backends that answer at once."""

    def __init__(self, result=None, error=None):
        self._result, self._error = result, error

    @staticmethod
    def done():
        return True

    def exception(self):
        return self._error

    def result(self):
        return self._result
