# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account: every resource model combined over one set of collections, its lifecycle and its state file.

Each resource's rules live in its own model (``models/<resource>.py``); ``State`` creates the collections
they share (deleting a droplet touches firewalls, tags and projects; creating one starts an action), and
the models reach each other through ``self``.

Everything is guarded by one re-entrant lock: the HTTP layer takes it per request. Actions complete
lazily: every public entry point first runs ``tick()``, which finishes the actions whose delay has
passed and whose machine call has returned.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid

from .account import AccountModel
from .actions import ActionModel
from .base import iso
from .catalogue import CatalogueModel
from .domains import DomainModel
from .droplet_actions import DropletActionModel
from .droplets import DropletModel
from .firewalls import FirewallModel
from .projects import ProjectModel
from .ssh_keys import SshKeyModel
from .tags import TagModel


class State(AccountModel, SshKeyModel, DropletModel, DropletActionModel, ActionModel, CatalogueModel, TagModel,
            FirewallModel, DomainModel, ProjectModel):  # pylint: disable=too-many-ancestors
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
