# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP in and out: routes, request parsing, pagination, response bodies (moto's responses.py).

Each handler takes a ``Call`` and returns ``(status, body)``; ``body`` None means an empty body.
Handlers run with the state lock held and raise ``ApiError`` for API errors.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlencode

from .models import ApiError

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200


class Call:
    """One parsed request as the handlers see it."""

    def __init__(self, state, method, path, query, body, params, base_url):
        self.state = state
        self.method = method
        self.path = path
        self.query = query          # list of (name, value), as sent
        self.body = body            # parsed JSON or None
        self.params = params        # path parameters
        self.base_url = base_url    # "http://127.0.0.1:PORT"

    def arg(self, name, default=None):
        for key, value in self.query:
            if key == name:
                return value
        return default

    def json(self):
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return self.body


def _int_arg(call, name, default, low, high):
    raw = call.arg(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    return max(low, min(high, value))


def paginate(call, key, items, extra=None):
    """The list body DO returns: the page of ``items`` under ``key``, ``links.pages`` and ``meta.total``."""
    per_page = _int_arg(call, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_arg(call, "page", 1, 1, 10 ** 9)
    total = len(items)
    last = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    kept = [(k, v) for k, v in call.query if k not in ("page", "per_page")]

    def link(number):
        query = urlencode(kept + [("page", number), ("per_page", per_page)])
        return f"{call.base_url}/{call.path.strip('/')}?{query}"

    pages = {}
    if page > 1:
        pages["first"] = link(1)
        pages["prev"] = link(min(page - 1, last))
    if page < last:
        pages["next"] = link(page + 1)
        pages["last"] = link(last)
    body = {key: items[start:start + per_page], "links": {"pages": pages}, "meta": {"total": total}}
    if extra:
        body.update(extra)
    return 200, body


# ---------------------------------------------------------------------------------- handlers
def account(call):
    return 200, {"account": call.state.account()}


def list_keys(call):
    return paginate(call, "ssh_keys", list(call.state.ssh_keys.values()))


def create_key(call):
    return 201, {"ssh_key": call.state.create_ssh_key(call.json())}


def get_key(call):
    return 200, {"ssh_key": call.state.get_ssh_key(call.params["key"])}


def update_key(call):
    return 200, {"ssh_key": call.state.update_ssh_key(call.params["key"], call.json())}


def delete_key(call):
    call.state.delete_ssh_key(call.params["key"])
    return 204, None


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


def list_actions(call):
    return paginate(call, "actions", list(call.state.actions.values()))


def get_action(call):
    return 200, {"action": call.state.get_action(call.params["action"])}


def list_regions(call):
    return paginate(call, "regions", call.state.regions())


def list_sizes(call):
    return paginate(call, "sizes", call.state.sizes())


def list_images(call):
    private = str(call.arg("private", "")).lower() == "true"
    return paginate(call, "images", call.state.images(call.arg("type"), private))


def get_image(call):
    image = call.state.find_image(call.params["image"])
    if image is None:
        raise ApiError(404, "The resource you were accessing could not be found.")
    return 200, {"image": image}


def list_tags(call):
    return paginate(call, "tags", [call.state.tag_view(name) for name in call.state.tags])


def create_tag(call):
    name = call.json().get("name")
    name = call.state.ensure_tag(name)
    return 201, {"tag": call.state.tag_view(name)}


def get_tag(call):
    return 200, {"tag": call.state.get_tag(call.params["tag"])}


def delete_tag(call):
    call.state.delete_tag(call.params["tag"])
    return 204, None


def tag_resources(call):
    call.state.tag_resources(call.params["tag"], call.json().get("resources"), add=True)
    return 204, None


def untag_resources(call):
    call.state.tag_resources(call.params["tag"], call.json().get("resources"), add=False)
    return 204, None


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


def list_domains(call):
    return paginate(call, "domains", [call.state.get_domain(name) for name in call.state.domains])


def create_domain(call):
    domain = call.state.create_domain(call.json())
    return 201, {"domain": call.state.get_domain(domain["name"])}


def get_domain(call):
    return 200, {"domain": call.state.get_domain(call.params["domain"])}


def delete_domain(call):
    call.state.delete_domain(call.params["domain"])
    return 204, None


def list_records(call):
    records = call.state.list_records(call.params["domain"], name=call.arg("name"), record_type=call.arg("type"))
    return paginate(call, "domain_records", records)


def create_record(call):
    return 201, {"domain_record": call.state.create_record(call.params["domain"], call.json())}


def get_record(call):
    return 200, {"domain_record": call.state.get_record(call.params["domain"], call.params["record"])}


def put_record(call):
    return 200, {"domain_record": call.state.update_record(call.params["domain"], call.params["record"], call.json(),
                                                           replace=True)}


def patch_record(call):
    return 200, {"domain_record": call.state.update_record(call.params["domain"], call.params["record"], call.json(),
                                                           replace=False)}


def delete_record(call):
    call.state.delete_record(call.params["domain"], call.params["record"])
    return 204, None


def list_projects(call):
    return paginate(call, "projects", list(call.state.projects.values()))


def create_project(call):
    return 201, {"project": call.state.create_project(call.json())}


def get_project(call):
    return 200, {"project": call.state.get_project(call.params.get("project", "default"))}


def put_project(call):
    return 200, {"project": call.state.update_project(call.params.get("project", "default"), call.json(), replace=True)}


def patch_project(call):
    return 200, {"project": call.state.update_project(call.params.get("project", "default"), call.json(), replace=False)}


def delete_project(call):
    call.state.delete_project(call.params["project"])
    return 204, None


def list_project_resources(call):
    return paginate(call, "resources", call.state.project_resources(call.params.get("project", "default")))


def assign_project_resources(call):
    return 200, {"resources": call.state.assign_resources(call.params.get("project", "default"),
                                                          call.json().get("resources"))}


# ---------------------------------------------------------------------------------- routing
_SEG = r"[^/]+"
ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/account", account),
    ("GET", "/v2/account/keys", list_keys),
    ("POST", "/v2/account/keys", create_key),
    ("GET", "/v2/account/keys/{key}", get_key),
    ("PUT", "/v2/account/keys/{key}", update_key),
    ("DELETE", "/v2/account/keys/{key}", delete_key),
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
    ("GET", "/v2/actions", list_actions),
    ("GET", "/v2/actions/{action}", get_action),
    ("GET", "/v2/regions", list_regions),
    ("GET", "/v2/sizes", list_sizes),
    ("GET", "/v2/images", list_images),
    ("GET", "/v2/images/{image}", get_image),
    ("GET", "/v2/tags", list_tags),
    ("POST", "/v2/tags", create_tag),
    ("GET", "/v2/tags/{tag}", get_tag),
    ("DELETE", "/v2/tags/{tag}", delete_tag),
    ("POST", "/v2/tags/{tag}/resources", tag_resources),
    ("DELETE", "/v2/tags/{tag}/resources", untag_resources),
    ("GET", "/v2/firewalls", list_firewalls),
    ("POST", "/v2/firewalls", create_firewall),
    ("GET", "/v2/firewalls/{firewall}", get_firewall),
    ("PUT", "/v2/firewalls/{firewall}", update_firewall),
    ("DELETE", "/v2/firewalls/{firewall}", delete_firewall),
    ("POST", "/v2/firewalls/{firewall}/droplets", firewall_add_droplets),
    ("DELETE", "/v2/firewalls/{firewall}/droplets", firewall_remove_droplets),
    ("POST", "/v2/firewalls/{firewall}/tags", firewall_add_tags),
    ("DELETE", "/v2/firewalls/{firewall}/tags", firewall_remove_tags),
    ("GET", "/v2/domains", list_domains),
    ("POST", "/v2/domains", create_domain),
    ("GET", "/v2/domains/{domain}", get_domain),
    ("DELETE", "/v2/domains/{domain}", delete_domain),
    ("GET", "/v2/domains/{domain}/records", list_records),
    ("POST", "/v2/domains/{domain}/records", create_record),
    ("GET", "/v2/domains/{domain}/records/{record}", get_record),
    ("PUT", "/v2/domains/{domain}/records/{record}", put_record),
    ("PATCH", "/v2/domains/{domain}/records/{record}", patch_record),
    ("DELETE", "/v2/domains/{domain}/records/{record}", delete_record),
    ("GET", "/v2/projects", list_projects),
    ("POST", "/v2/projects", create_project),
    ("GET", "/v2/projects/default", get_project),
    ("PUT", "/v2/projects/default", put_project),
    ("PATCH", "/v2/projects/default", patch_project),
    ("GET", "/v2/projects/default/resources", list_project_resources),
    ("POST", "/v2/projects/default/resources", assign_project_resources),
    ("GET", "/v2/projects/{project}", get_project),
    ("PUT", "/v2/projects/{project}", put_project),
    ("PATCH", "/v2/projects/{project}", patch_project),
    ("DELETE", "/v2/projects/{project}", delete_project),
    ("GET", "/v2/projects/{project}/resources", list_project_resources),
    ("POST", "/v2/projects/{project}/resources", assign_project_resources),
]
_COMPILED = [(m, t, re.compile("^" + re.sub(r"\{(\w+)\}", rf"(?P<\1>{_SEG})", t) + "$"), h) for m, t, h in ROUTES]


def _match(method, path):
    """(handler, path params, template) of the route for ``method`` ``path``; (None, None, None) when there is
    none, with the handler None and the template "" when only another method is routed there."""
    path = "/" + path.strip("/")   # DO accepts trailing slashes (python-digitalocean always sends them)
    other_method = False
    for route_method, template, pattern, handler in _COMPILED:
        match = pattern.match(path)
        if match:
            if route_method == method:
                # pydo percent-encodes fingerprints (":" -> "%3A"); python-digitalocean does not.
                return handler, {k: unquote(v) for k, v in match.groupdict().items()}, template
            other_method = True
    return None, None, "" if other_method else None


def template_for(method, path):
    """The route template serving ``method`` ``path`` (e.g. "/v2/droplets/{droplet}"), or None; never raises."""
    return _match(method, path)[2] or None


def route(method, path):
    """Return (handler, path params, template); raise ApiError 404/405 when nothing matches."""
    handler, params, template = _match(method, path)
    if handler is not None:
        return handler, params, template
    if template == "":
        raise ApiError(405, f"Method {method} is not allowed on {'/' + path.strip('/')}.")
    raise ApiError(404, "The resource you were accessing could not be found.")
