# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: droplets
short_description: DigitalOcean droplets as inventory hosts
version_added: 0.1.0
author:
  - pytrackdat.deploy developers (@pytrackdat)
description:
  - Lists the account's droplets (200 per request, so N droplets cost ceil(N/200) requests; after the first page,
    which gives the count, up to four pages are fetched at a time) and adds each as a host named after the droplet.
  - C(ansible_host) is the droplet's public IPv4 address, or its private one with O(use_private_network).
  - Requests are retried on 429 (honouring C(Retry-After)), 5xx and connection errors, with bounded backoff.
  - The configuration file's name must end in C(droplets.yml), C(droplets.yaml), C(digitalocean.yml) or
    C(digitalocean.yaml).
  - When the API rejects the token (or cannot be reached) the source fails to parse with the API's reason. Set
    C(any_unparsed_is_failed = True) in the C([inventory]) section of C(ansible.cfg) (or
    E(ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=1)) so that C(ansible-inventory) and C(ansible-playbook) then stop
    with a non-zero exit code; without it Ansible only warns and goes on with an empty inventory (the collection's
    playbooks stop anyway, in C(playbooks/require_hosts.yml)).
  - With O(cache=true) a run within O(cache_timeout) of the last one makes no API request
    (C(ansible-inventory --flush-cache) or C(--flush-cache) on a playbook run fetches afresh).
requirements:
  - requests >= 2.28
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; always V(pytrackdat.deploy.droplets).
    type: str
    required: true
    choices: [pytrackdat.deploy.droplets]
  api_token:
    description:
      - DigitalOcean API token (read scope is enough). May be a template, for example a lookup.
    type: str
    aliases: [oauth_token]
    env:
      - name: DIGITALOCEAN_ACCESS_TOKEN
      - name: DIGITALOCEAN_TOKEN
      - name: DO_API_TOKEN
  api_url:
    description:
      - Base URL of the DigitalOcean API, normalised to end in C(/v2/). May be a template.
    type: str
    default: https://api.digitalocean.com/v2/
    aliases: [baseurl]
    env:
      - name: DIGITALOCEAN_END_POINT
      - name: DIGITALOCEAN_API_URL
  api_timeout:
    description: Timeout of each API request in seconds.
    type: float
    default: 30
    env:
      - name: PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC
  tags:
    description:
      - Only droplets that carry all these tags. The first tag is filtered by the API (C(tag_name)), the others
        client-side.
    type: list
    elements: str
    default: []
  filters:
    description:
      - Jinja2 expressions evaluated with each droplet's host variables; only droplets for which all are true
        become hosts. For example V(do_region_slug == "fra1").
    type: list
    elements: str
    default: []
  use_private_network:
    description: Use the private (VPC) IPv4 address as C(ansible_host) instead of the public one.
    type: bool
    default: false
  var_prefix:
    description: Prefix of the host variables made from droplet attributes (V(tags) becomes V(do_tags)).
    type: str
    default: do_
  attributes:
    description:
      - Droplet attributes to set as host variables with O(var_prefix) (V(status) becomes C(do_status)).
      - Any key of the API's droplet object (V(id), V(name), V(status), V(size_slug), V(tags), V(vpc_uuid),
        V(created_at), V(features), V(region), V(image), V(size), V(networks), ...), or one of these strings taken
        from the nested objects (null when the droplet has none) - V(public_ipv4), V(private_ipv4), V(ipv6),
        V(region_slug), V(image_slug).
      - The default is what the collection's playbooks, inventory and examples read. Add V(name) (the same as
        C(inventory_hostname)), V(private_ipv4), V(ipv6) or a nested object only when you use it. Every variable
        of every host costs time in big inventories (ansible-core handles each value of each host, for example
        when C(ansible-inventory --list) writes it), nested objects most.
      - O(filters), O(compose), O(groups) and O(keyed_groups) see only these variables.
    type: list
    elements: str
    default: [id, status, tags, size_slug, region_slug, image_slug, public_ipv4]
"""

EXAMPLES = r"""
# inventory/droplets.yml - every droplet tagged "pytrackdat", grouped by region
plugin: pytrackdat.deploy.droplets
tags: [pytrackdat]
keyed_groups:
  - key: do_region_slug
    prefix: region
compose:
  droplet_size: do_size_slug

---
# inventory/digitalocean.yml - token from a file, private addresses, only active droplets in fra1
plugin: pytrackdat.deploy.droplets
api_token: "{{ lookup('ansible.builtin.file', '~/.config/pytrackdat/do-token') }}"
use_private_network: true
filters:
  - do_status == "active"
  - do_region_slug == "fra1"
groups:
  web: "'web' in do_tags"
"""

import re
from concurrent.futures import ThreadPoolExecutor
from keyword import iskeyword

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import (
    DOAPIError, DOClient, HAS_DIGITALOCEAN, droplet_ips,
)

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 has no data tagging: templates are trusted as they are
    def trust_as_template(value):
        return value


PER_PAGE = 200
PAGE_THREADS = 4
# attributes that are not keys of the API's droplet object but strings taken from its nested objects
DERIVED = frozenset(("public_ipv4", "private_ipv4", "ipv6", "region_slug", "image_slug"))
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "pytrackdat.deploy.droplets"

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        if path.endswith(("droplets.yml", "droplets.yaml", "digitalocean.yml", "digitalocean.yaml")):
            return True
        self.display.vvv("pytrackdat.deploy.droplets: skipping %s, the file name must end in droplets.yml, "
                         "droplets.yaml, digitalocean.yml or digitalocean.yaml" % path)
        return False

    def _templated_option(self, name):
        """An option value, rendered when it is a template (trusted: it comes from the inventory source)."""
        value = self.get_option(name)
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            self.templar.available_variables = {}
            value = self.templar.template(trust_as_template(value))
        return value

    def _clients(self, count):
        """``count`` API clients (one per thread that fetches pages), built from the options once."""
        token = self._templated_option("api_token")
        if not token:
            raise AnsibleParserError("pytrackdat.deploy.droplets: no DigitalOcean API token; set api_token in %s or "
                                     "the DIGITALOCEAN_ACCESS_TOKEN environment variable" % self._source)
        api_url = to_native(self._templated_option("api_url"))
        try:
            return [DOClient(to_native(token), api_url, float(self.get_option("api_timeout"))) for dummy in range(count)]
        except (DOAPIError, ValueError) as exc:
            raise AnsibleParserError("pytrackdat.deploy.droplets: %s" % to_native(exc))

    def _fetch(self):
        """Every droplet, 200 a page: the first page says how many there are, then the other pages are fetched
        PAGE_THREADS at a time (each thread with its own client, pages in order), so N droplets still cost
        ceil(N/200) requests but not ceil(N/200) round trips one after the other."""
        query = {"per_page": PER_PAGE}
        tags = self.get_option("tags")
        if tags:
            query["tag_name"] = tags[0]
        clients = self._clients(PAGE_THREADS)
        try:
            first = clients[0].get("droplets", query)
            total = (first.get("meta") or {}).get("total")
            if not ((first.get("links") or {}).get("pages") or {}).get("next"):
                return list(first.get("droplets") or [])
            if not isinstance(total, int):  # no count to plan with: follow the links one page after another
                return clients[0].list_all("droplets", "droplets", query)
            pages = list(range(2, -(-total // PER_PAGE) + 1))
            shares = [(clients[i], pages[i::len(clients)]) for i in range(min(len(clients), len(pages)))]
            with ThreadPoolExecutor(max_workers=len(shares)) as pool:
                fetched = pool.map(lambda share: [(page, share[0].get("droplets", dict(query, page=page)))
                                                  for page in share[1]], shares)
                bodies = dict(pair for share in fetched for pair in share)
        except DOAPIError as exc:
            raise AnsibleParserError("pytrackdat.deploy.droplets: %s" % to_native(exc))
        droplets, seen = list(first.get("droplets") or []), set()
        for page in pages:
            droplets.extend(bodies[page].get("droplets") or [])
        # a droplet created or deleted while the pages were read may shift another onto two pages: list it once
        return [d for d in droplets if d.get("id") not in seen and not seen.add(d.get("id"))]

    @staticmethod
    def _host_vars(droplet, attributes, prefix, private):
        """``attributes`` is (API keys, derived names); the variables of one droplet, and ``ansible_host``."""
        keys, derived = attributes
        host_vars = dict((prefix + key, droplet[key]) for key in keys if key in droplet)
        public4, private4, public6 = droplet_ips(droplet)
        if derived:
            values = {"public_ipv4": public4, "private_ipv4": private4, "ipv6": public6,
                      "region_slug": (droplet.get("region") or {}).get("slug"),
                      "image_slug": (droplet.get("image") or {}).get("slug")}
            for name in derived:
                host_vars[prefix + name] = values[name]
        address = private4 if private else public4
        if address:
            host_vars["ansible_host"] = address
        return host_vars

    def _passes(self, filters, host_vars, name, strict):
        for expression in filters:
            try:
                if not self._compose(expression, host_vars):
                    return False
            except Exception as exc:  # pylint: disable=broad-except  # any template error excludes the host
                if strict:
                    raise AnsibleError("pytrackdat.deploy.droplets: could not evaluate filter %r for %s: %s"
                                       % (expression, name, to_native(exc)))
                return False
        return True

    def _attributes(self):
        """The ``attributes`` option split into (API keys, derived names), and whether every variable name it makes
        is a plain identifier (see _set_host_vars)."""
        attributes = self.get_option("attributes")
        prefix = self.get_option("var_prefix")
        derived = [name for name in attributes if name in DERIVED]
        keys = [name for name in attributes if name not in DERIVED]
        plain = all(PLAIN_NAME.match(prefix + name) and not iskeyword(prefix + name)
                    and (prefix + name).lower() not in ("true", "false", "none") for name in attributes)
        return (keys, derived), plain

    def _set_host_vars(self, name, host_vars, in_bulk):
        """All variables of a new host at once, or one by one through ``set_variable``.

        Per variable, ansible-core 2.19+ (its inventory wrapper) copies the value tagged with the inventory file as
        origin and the host checks the name; that was half of the build time. In bulk, the host gets the API's
        values as they are: untagged strings, which ansible-core 2.19+ never templates (only values tagged trusted
        are), as before; older cores stored them as they are anyway. It is used only for a host this source just
        added (nothing to merge with) and names already checked (``_attributes``)."""
        if in_bulk:
            self.inventory.get_host(name).vars.update(host_vars)
            return
        for key, value in host_vars.items():
            self.inventory.set_variable(name, key, value)

    def _populate(self, droplets, attributes, plain_names):
        prefix = self.get_option("var_prefix")
        wanted_tags = set(self.get_option("tags")[1:])
        filters = self.get_option("filters")
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        construct = compose or groups or keyed_groups
        private = self.get_option("use_private_network")
        for droplet in droplets:
            name = droplet.get("name")
            if not name or not wanted_tags.issubset(droplet.get("tags") or ()):
                continue
            host_vars = self._host_vars(droplet, attributes, prefix, private)
            if filters and not self._passes(filters, host_vars, name, strict):
                continue
            new = name not in self.inventory.hosts
            self.inventory.add_host(name)
            self._set_host_vars(name, host_vars, in_bulk=new and plain_names)
            if construct:
                self._set_composite_vars(compose, host_vars, name, strict=strict)
                self._add_host_to_composed_groups(groups, host_vars, name, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, host_vars, name, strict=strict)

    @staticmethod
    def _cache_fields(attributes):
        """The droplet fields the variables are made from: the cache keeps only these (a 10,000 droplet account is
        15 MB of JSON in full, most of it the region's and the size's details that nothing reads)."""
        keys, derived = attributes
        fields = set(("id", "name", "tags", "networks")) | set(keys)
        return fields | set(name for name in ("region_slug", "image_slug") if name in derived and name[:-5] not in fields)

    @staticmethod
    def _slim(droplets, fields):
        nested = [(name, name[:-5]) for name in fields if name in ("region_slug", "image_slug")]
        plain = [name for name in fields if name not in ("region_slug", "image_slug")]
        slim = []
        for droplet in droplets:
            kept = dict((name, droplet[name]) for name in plain if name in droplet)
            for name, key in nested:
                kept[key] = {"slug": (droplet.get(key) or {}).get("slug")}
            slim.append(kept)
        return slim

    def _cached(self, cache_key, fields):
        """The cached droplets, or None when there are none or they lack a field this configuration reads."""
        try:
            entry = self._cache[cache_key]
        except KeyError:
            return None
        if isinstance(entry, list):  # written before the cache kept only what is read: whole droplets
            return entry
        if isinstance(entry, dict) and fields <= set(entry.get("fields") or ()):
            return entry.get("droplets") or []
        return None

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        if not HAS_DIGITALOCEAN:
            raise AnsibleParserError("pytrackdat.deploy.droplets needs the Python library requests on the controller: "
                                     "pip install requests")
        self._source = path
        self._read_config_data(path)
        attributes, plain_names = self._attributes()
        cache_key = self.get_cache_key(path)
        fields = self._cache_fields(attributes)
        droplets = self._cached(cache_key, fields) if self.get_option("cache") and cache else None
        if droplets is None:
            droplets = self._fetch()
            if self.get_option("cache"):
                self._cache[cache_key] = {"fields": sorted(fields), "droplets": self._slim(droplets, fields)}
        self._populate(droplets, attributes, plain_names)
