# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the droplet module: find by name (in every region), create once, wait, reconcile, delete.

A droplet is identified by its name alone. What DigitalOcean cannot change in place (the region, the
image, a smaller disk) makes the module fail with what such a move takes, before anything is sent:
planning a second droplet with the same name would leave the first one running while DNS moves to an
empty one."""

import re

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import (
    DOAPIError, check_slug, droplet_ips, HOSTNAME_RE,
)
from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import ResourceRunner

DEFAULT_SIZE = "s-1vcpu-512mb-10gb"
DEFAULT_IMAGE = "ubuntu-24-04-x64"
FINGERPRINT_RE = re.compile(r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")
TAG_RE = re.compile(r"^[A-Za-z0-9_:\-]{1,255}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def droplet_argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        power=dict(type="str", default="active", choices=["active", "off"]),
        region=dict(type="str"),
        size=dict(type="str"),
        image=dict(type="str"),
        ssh_keys=dict(type="list", elements="str", no_log=False),
        tags=dict(type="list", elements="str"),
        backups=dict(type="bool"),
        monitoring=dict(type="bool", default=True),
        ipv6=dict(type="bool", default=False),
        vpc_uuid=dict(type="str"),
        user_data=dict(type="str"),
        resize=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )


def validate_params(params):
    """Every check that needs no API call; returns a list of messages (empty when the input is fine)."""
    errors = []
    name = params["name"]
    if not name or not name.strip():
        errors.append("name must not be empty")
    elif not HOSTNAME_RE.match(name):
        errors.append("name %r is not a valid droplet name: use letters, digits, dots and dashes" % name)
    for option in ("region", "size"):
        problem = check_slug(params.get(option), option)
        if problem:
            errors.append(problem)
    image = params.get("image")
    if image is not None and not image.isdigit():
        problem = check_slug(image, "image")
        if problem:
            errors.append(problem + " or a numeric image id")
    for key in params.get("ssh_keys") or []:
        if not (key.isdigit() or FINGERPRINT_RE.match(key.lower())):
            errors.append("ssh_keys entry %r is neither a numeric key id nor an MD5 fingerprint (aa:bb:...:ff)" % key)
    for tag in params.get("tags") or []:
        if not TAG_RE.match(tag):
            errors.append("tag %r is invalid: use 1-255 letters, digits, '_', '-' and ':'" % tag)
    if params.get("vpc_uuid") and not UUID_RE.match(params["vpc_uuid"]):
        errors.append("vpc_uuid %r is not a UUID" % params["vpc_uuid"])
    if params.get("user_data") and len(params["user_data"].encode("utf-8")) > 65536:
        errors.append("user_data is larger than DigitalOcean's 64 KiB limit")
    if params["wait_timeout"] <= 0:
        errors.append("wait_timeout must be a positive number of seconds")
    return errors


def _region(droplet):
    return (droplet.get("region") or {}).get("slug")


def _runs_image(droplet, image):
    """Whether ``droplet`` was created from ``image`` (a slug or a numeric id).

    A retired image version no longer has a slug at DigitalOcean; then only a numeric id can be compared."""
    current = droplet.get("image") or {}
    if image.isdigit():
        return str(current.get("id")) == image
    return not current.get("slug") or current["slug"] == image


def _shrinks(droplet, disk):
    """Whether a size with a ``disk`` GB disk (None: unknown) is smaller than the droplet's disk."""
    return disk is not None and droplet.get("disk") is not None and disk < droplet["disk"]


def _has_backups(droplet):
    return "backups" in (droplet.get("features") or [])


def _power(droplet):
    return "off" if droplet.get("status") == "off" else "active"


def _is_up(droplet):
    return droplet.get("status") == "active" and droplet_ips(droplet)[0] is not None


def comparable(droplet):
    """The attributes the module reconciles, for diff output."""
    return {
        "id": droplet.get("id"),
        "name": droplet.get("name"),
        "region": _region(droplet),
        "size": droplet.get("size_slug"),
        "tags": sorted(droplet.get("tags") or []),
        "backups": _has_backups(droplet),
        "power": _power(droplet),
    }


class DropletRunner(ResourceRunner):
    resource_key = what = "droplet"
    collection = "droplets"
    check_params = staticmethod(validate_params)
    comparable = staticmethod(comparable)

    def result_fields(self, resource):
        public4, private4, public6 = droplet_ips(resource)
        return dict(public_ipv4=public4, private_ipv4=private4, ipv6=public6)

    # -- lookups ---------------------------------------------------------------------------------

    def find(self):
        """The one droplet called ``name`` in any region, None, or fail listing the ids and regions.

        ``region`` is not part of the lookup: a droplet with the name in another region is the same site,
        and ``refuse_replacement`` says what moving it takes instead of planning a second one."""
        name = self.params["name"]
        listed = self.client.list_all(self.collection, "droplets", {"name": name})
        matches = [d for d in listed if d.get("name") == name]
        if len(matches) > 1:
            listed = ", ".join("%s (%s)" % (d.get("id"), _region(d)) for d in matches)
            self.fail("%d droplets are named %r (ids %s); names are not unique in DigitalOcean and this module does "
                      "not guess which one is meant, whatever the region. Delete or rename the extra droplets so that "
                      "one is left." % (len(matches), name, listed))
        return matches[0] if matches else None

    def size_disk(self, slug):
        """Disk size in GB of the size ``slug``, or None when the API does not list it."""
        for size in self.client.list_all("sizes", "sizes"):
            if size.get("slug") == slug:
                return size.get("disk")
        return None

    def refuse_replacement(self, droplet):
        """Fail, before any write and in check mode too, when ``droplet`` differs in what cannot change in place:
        its region, its image, or a disk that ``size`` with ``resize=true`` would have to shrink."""
        p = self.params
        what = "Droplet %r (id %s)" % (droplet.get("name"), droplet.get("id"))
        region = _region(droplet)
        if p["state"] == "absent":
            if p.get("region") and p["region"] != region:
                self.fail("%s is in region %s, not %s; it was not deleted. Give region=%s or leave region out to "
                          "delete it." % (what, region, p["region"], region), droplet)
            return
        problems, current = [], []
        if p.get("region") and p["region"] != region:
            problems.append(
                "%s is in region %s, not %s. A droplet cannot move between regions: a region change means a new "
                "droplet. Take a backup, destroy this droplet, provision again with region=%s and restore the "
                "backup (or take a snapshot, transfer it to %s and create the new droplet from it)."
                % (what, region, p["region"], p["region"], p["region"]))
            current.append("region=%s" % region)
        if p.get("image") and not _runs_image(droplet, p["image"]):
            image = droplet.get("image") or {}
            problems.append(
                "%s runs image %s (id %s), not %s. A different image means rebuilding the droplet, which erases its "
                "disk, or a new droplet: take a backup, destroy this droplet, provision again with image=%s and "
                "restore the backup." % (what, image.get("slug") or image.get("name"), image.get("id"), p["image"],
                                         p["image"]))
            current.append("image=%s" % (image.get("slug") or image.get("id")))
        if p.get("resize") and p.get("size") and p["size"] != droplet.get("size_slug"):
            disk = self.size_disk(p["size"])
            if _shrinks(droplet, disk):
                problems.append(
                    "%s has a %s GB disk; size %s has a %s GB disk and DigitalOcean cannot shrink a disk (a resize "
                    "only grows it). A size-down means a new droplet: take a backup, destroy this droplet, provision "
                    "again with size=%s and restore the backup." % (what, droplet["disk"], p["size"], disk, p["size"]))
                current.append("size=%s (or any size with at least a %s GB disk)"
                               % (droplet.get("size_slug"), droplet["disk"]))
        if problems:
            self.fail(" ".join(problems) + " Nothing was changed and no second droplet was planned. To keep the "
                      "droplet as it is, give %s." % ", ".join(current), droplet)

    def get(self, droplet_id):
        return self.client.get("droplets/%s" % droplet_id)["droplet"]

    # -- waiting ---------------------------------------------------------------------------------

    def wait_until_up(self, droplet):
        """The droplet once it is active with a public IPv4; fail after wait_timeout."""
        droplet, ready = self.poll(droplet, lambda d: self.get(d["id"]), _is_up, self.params["wait_timeout"])
        if not ready:
            self.fail("droplet %r (id %s) was not active with a public IPv4 within wait_timeout=%ss (status %r)"
                      % (droplet.get("name"), droplet.get("id"), self.params["wait_timeout"], droplet.get("status")),
                      droplet)
        return droplet

    def wait_action(self, action, droplet):
        action, finished = self.poll(action, lambda a: self.client.get("actions/%s" % a["id"])["action"],
                                     lambda a: a.get("status") != "in-progress", self.params["wait_timeout"])
        if not finished:
            self.fail("action %s (%s) on droplet %s still in progress after wait_timeout=%ss"
                      % (action.get("id"), action.get("type"), droplet.get("id"), self.params["wait_timeout"]),
                      droplet)
        if action.get("status") == "errored":
            self.fail("action %s (%s) on droplet %s errored at DigitalOcean"
                      % (action.get("id"), action.get("type"), droplet.get("id")), droplet)
        return action

    def action(self, droplet, action_type, **extra):
        body = dict(type=action_type, **extra)
        action = self.client.request("POST", "droplets/%s/actions" % droplet["id"], body,
                                     retry_ambiguous=True)["action"]
        if self.params["wait"] or action_type in ("power_off", "resize"):
            # A resize needs the power-off to finish; everything else waits only when asked to.
            action = self.wait_action(action, droplet)
        return action

    # -- create ----------------------------------------------------------------------------------

    def create_body(self):
        p = self.params
        image = p.get("image") or DEFAULT_IMAGE
        body = dict(name=p["name"], size=p.get("size") or DEFAULT_SIZE,
                    image=int(image) if image.isdigit() else image,
                    monitoring=p["monitoring"], ipv6=p["ipv6"], backups=bool(p.get("backups")))
        if p.get("region"):
            body["region"] = p["region"]
        if p.get("ssh_keys"):
            body["ssh_keys"] = [int(k) if k.isdigit() else k.lower() for k in p["ssh_keys"]]
        if p.get("tags"):
            body["tags"] = list(p["tags"])
        for key in ("vpc_uuid", "user_data"):
            if p.get(key):
                body[key] = p[key]
        return body

    def launch(self):
        """Create the droplet (once), wait until it is up, power it off when asked to."""
        body = self.create_body()
        self.plan(None, {"state": "present", "name": body["name"], "region": body.get("region"),
                         "size": body["size"], "tags": sorted(body.get("tags") or []), "backups": body["backups"],
                         "power": self.params["power"]})
        if self.check_mode:
            return self.result(None)
        droplet, dummy = self.create(body, "droplet %r" % body["name"])
        if self.params["wait"] or self.params["power"] == "off":
            droplet = self.wait_until_up(droplet)
        if self.params["power"] == "off":
            self.action(droplet, "power_off")
            droplet = self.get(droplet["id"])
        return self.result(droplet)

    # -- reconcile -------------------------------------------------------------------------------

    def steps(self, droplet):
        """What differs, as a list of (kind, detail) steps, plus warnings."""
        p = self.params
        steps, warnings = [], []
        current_tags = set(droplet.get("tags") or [])
        if p.get("tags") is not None:
            wanted = set(p["tags"])
            for tag in sorted(wanted - current_tags):
                steps.append(("tag", tag))
            for tag in sorted(current_tags - wanted):
                steps.append(("untag", tag))
        if p.get("backups") is not None and p["backups"] != _has_backups(droplet):
            steps.append(("enable_backups" if p["backups"] else "disable_backups", None))
        if p.get("size") and p["size"] != droplet.get("size_slug"):
            if p["resize"]:
                steps.append(("resize", p["size"]))
            else:
                disk = self.size_disk(p["size"])
                if _shrinks(droplet, disk):
                    warnings.append("droplet %r has size %s, not %s; %s has a %s GB disk and DigitalOcean cannot "
                                    "shrink the droplet's %s GB disk, so it cannot be resized to it (that takes a new "
                                    "droplet: back up, destroy, provision again, restore)"
                                    % (droplet.get("name"), droplet.get("size_slug"), p["size"], p["size"], disk,
                                       droplet["disk"]))
                else:
                    warnings.append("droplet %r has size %s, not %s; set resize=true to resize it (it is powered off "
                                    "while resizing and the disk grows permanently)"
                                    % (droplet.get("name"), droplet.get("size_slug"), p["size"]))
        current_power = _power(droplet)
        if any(kind == "resize" for kind, dummy in steps):
            if p["power"] == "active":
                steps.append(("power_on", None))
        elif p["power"] != current_power:
            steps.append(("power_on" if p["power"] == "active" else "power_off", None))
        return steps, warnings

    def planned_state(self, droplet, steps):
        after = self.describe(droplet)
        for kind, detail in steps:
            if kind == "tag":
                after["tags"] = sorted(set(after["tags"]) | set([detail]))
            elif kind == "untag":
                after["tags"] = sorted(set(after["tags"]) - set([detail]))
            elif kind in ("enable_backups", "disable_backups"):
                after["backups"] = kind == "enable_backups"
            elif kind == "resize":
                after["size"] = detail
            elif kind in ("power_on", "power_off"):
                after["power"] = "active" if kind == "power_on" else "off"
        return after

    def ensure_tag(self, tag):
        try:
            self.client.request("POST", "tags", {"name": tag}, retry_ambiguous=True)
        except DOAPIError as exc:
            if exc.status not in (409, 422):  # the tag exists already
                raise

    def apply(self, droplet, steps):
        resource = {"resources": [{"resource_id": str(droplet["id"]), "resource_type": "droplet"}]}
        for kind, detail in steps:
            if kind == "tag":
                self.ensure_tag(detail)
                self.client.request("POST", "tags/%s/resources" % detail, resource, retry_ambiguous=True)
            elif kind == "untag":
                self.client.request("DELETE", "tags/%s/resources" % detail, resource)
            elif kind == "resize":
                if _power(droplet) == "active":
                    self.action(droplet, "power_off")
                self.action(droplet, "resize", size=detail, disk=True)
            else:
                self.action(droplet, kind)

    def reconcile(self, droplet):
        if self.params["wait"] and droplet.get("status") == "new":
            droplet = self.wait_until_up(droplet)
        steps, warnings = self.steps(droplet)
        for warning in warnings:
            self.module.warn(warning)
        if self.plan(droplet, self.planned_state(droplet, steps)) and not self.check_mode:
            self.apply(droplet, steps)
            droplet = self.get(droplet["id"])
        return self.result(droplet)

    # -- the two states --------------------------------------------------------------------------

    def present(self, current):
        if current is None:
            return self.launch()
        self.refuse_replacement(current)
        return self.reconcile(current)

    def absent(self, current):
        if current is not None:
            self.refuse_replacement(current)
        return super().absent(current)
