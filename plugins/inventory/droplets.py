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
      - The default is what the collection's playbooks and inventory read, and the region to group by. Add
        V(size_slug), V(image_slug), V(public_ipv4) (the same as C(ansible_host) unless O(use_private_network)),
        V(name) (the same as C(inventory_hostname)), V(private_ipv4), V(ipv6) or a nested object only when you use
        it. Every variable of every host costs time in big inventories (ansible-core handles each value of each
        host, for example when C(ansible-inventory --list) writes it), nested objects most.
      - O(filters), O(compose), O(groups) and O(keyed_groups) see only these variables.
    type: list
    elements: str
    default: [id, status, tags, region_slug]
"""

EXAMPLES = r"""
# inventory/droplets.yml - every droplet tagged "pytrackdat", grouped by region, with its size as a variable
plugin: pytrackdat.deploy.droplets
tags: [pytrackdat]
attributes: [id, status, tags, region_slug, size_slug]
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

import gc
import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from keyword import iskeyword

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.host import Host
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import (
    DOAPIError, DOClient, HAS_DIGITALOCEAN, droplet_ips,
)

try:
    from ansible.template import is_trusted_as_template, trust_as_template
    DATA_TAGGING = True
except ImportError:  # ansible-core < 2.19 has no data tagging: templates are trusted as they are
    DATA_TAGGING = False

    def trust_as_template(value):
        return value

    def is_trusted_as_template(value):  # pylint: disable=unused-argument
        return False


PER_PAGE = 200
PAGE_THREADS = 4
# attributes that are not keys of the API's droplet object but strings taken from its nested objects
DERIVED = frozenset(("public_ipv4", "private_ipv4", "ipv6", "region_slug", "image_slug"))
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# the variables ansible-core's add_host sets on a new host
ADD_HOST_VARS = frozenset(("inventory_file", "inventory_dir"))
# names that are no plain variable reference in a Jinja expression: its literals and the globals of Jinja and Ansible
NOT_VARIABLES = frozenset(("true", "false", "none", "True", "False", "None", "range", "dict", "lipsum", "cycler",
                           "joiner", "namespace", "lookup", "query", "q", "now", "undef", "omit", "finalize"))
SCALARS = (str, int, float, bool, type(None))
_NOT_PLAIN = object()


def _plain_copy(value):
    """A copy of ``value`` when it is plain JSON data (exactly str, int, float, bool, None, or lists and str-keyed
    dicts of those, untagged), as evaluating a reference to it returns it: scalars as they are, containers copied;
    otherwise _NOT_PLAIN."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is list:
        items = [_plain_copy(item) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in items) else items
    if kind is dict:
        items = dict((key, _plain_copy(item)) for key, item in value.items())
        # exactly str keys: a tagged one (a subclass) is no plain data
        plain = (all(type(key) is str for key in items)  # pylint: disable=unidiomatic-typecheck
                 and not any(item is _NOT_PLAIN for item in items.values()))
        return items if plain else _NOT_PLAIN
    return _NOT_PLAIN


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "pytrackdat.deploy.droplets"
    # New hosts after the first are made as ansible-core's add_host made the first one (see _add_new_host), and an
    # expression that is only a variable's name is answered with the variable's value (see _compose). False sends
    # every host through add_host and every expression through the templar (the tests compare both ways).
    COPY_NEW_HOSTS = True
    PLAIN_REFERENCES = True
    _references = False  # whether _compose may answer plain references (set for each parse by _populate)

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

    def _compose(self, template, variables, *args, **kwargs):
        """An expression that only names a variable (``do_region_slug``, as in a keyed group's key or a composed
        variable) gives that variable's value, when the value is plain JSON data; any other goes to the templar.

        ansible-core 2.19+ compiles every expression again for every host (0.6 ms each: 12 s at 10,000 droplets for
        the two of EXAMPLES). Evaluating a name returns the value itself for a scalar and a copy for a list or dict,
        as this does; the API's strings are untrusted, so they are never templated either way. Only on cores with
        data tagging (older ones may template the variable's value again), for a trusted expression (an untrusted
        one is refused by the templar), without use_extra_vars (extra vars may override the variable) and for names
        that Jinja or Ansible do not define themselves; a name the variables lack goes to the templar too."""
        if (self._references and not args and not kwargs and isinstance(template, str)
                and PLAIN_NAME.fullmatch(template) and not iskeyword(template) and template not in NOT_VARIABLES
                and isinstance(variables, Mapping) and template in variables and is_trusted_as_template(template)):
            value = _plain_copy(variables[template])
            if value is not _NOT_PLAIN:
                self.templar.available_variables = variables  # as the templar's way leaves it (a keyed group's
                return value                                   # parent_group is templated with it next)
        return super(InventoryModule, self)._compose(template, variables, *args, **kwargs)

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

    def _set_host_vars(self, name, host_vars):
        """A host's variables one by one through ``set_variable``: for a host that was already there (a second
        droplet of the same name: merged as ansible-core merges) or a variable name that is no plain identifier."""
        for key, value in host_vars.items():
            self.inventory.set_variable(name, key, value)

    @staticmethod
    def _host_template(host):
        """What ansible-core's add_host gave a new host of this source (``inventory_file`` and ``inventory_dir``),
        or None when it did anything else (a group, another variable): then every host goes through add_host."""
        # exactly a Host: a core whose add_host made a subclass may make it differently
        if type(host) is not Host or host.groups or host.implicit or not set(host.vars) <= ADD_HOST_VARS:  # pylint: disable=unidiomatic-typecheck
            return None
        return dict(host.vars)

    def _add_new_host(self, name, host_vars, template):
        """A host this source has not added yet, with all its variables at once; returns the template for the next.

        For every new host, add_host untags the name, works out the source's directory again (abspath and a stat) and
        sets inventory_file and inventory_dir one at a time, each name checked: 70% of the time to make 10,000 hosts.
        So only the first new host goes through add_host; each next one is a ``Host(name)``, as add_host makes it,
        with a copy of the variables add_host gave the first one, and then ours as they are: the API's untagged
        strings, which ansible-core 2.19+ never templates (only values tagged trusted are), as before; older cores
        stored them as they are anyway. localhost-like names (add_host makes one the inventory's localhost) and
        cores whose add_host did anything more take add_host."""
        if template is None or name in C.LOCALHOST:
            self.inventory.add_host(name)
            host = self.inventory.get_host(name)
            if template is None and self.COPY_NEW_HOSTS:
                template = self._host_template(host)
            host.vars.update(host_vars)
            return template
        host = Host(name)
        host.vars = dict(template)
        host.vars.update(host_vars)
        self.inventory.hosts[name] = host
        return template

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
        self._references = DATA_TAGGING and self.PLAIN_REFERENCES and not self.get_option("use_extra_vars")
        hosts = self.inventory.hosts
        template = None
        for droplet in droplets:
            name = droplet.get("name")
            if not name or not wanted_tags.issubset(droplet.get("tags") or ()):
                continue
            host_vars = self._host_vars(droplet, attributes, prefix, private)
            if filters and not self._passes(filters, host_vars, name, strict):
                continue
            if plain_names and isinstance(name, str) and name not in hosts:
                template = self._add_new_host(name, host_vars, template)
            else:
                self.inventory.add_host(name)
                self._set_host_vars(name, host_vars)
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
        """The cached droplets, or None when there are none or they lack a field this configuration reads.

        They are kept as one JSON text: the cache plugin then encodes, decodes and (after a write) deep-copies one
        string, not a dict per droplet and per nested object (that was half of a cached run's own time). Entries of
        the earlier layouts are read too; the earlier plugin finds no "fields" in this one and fetches afresh."""
        try:
            entry = self._cache[cache_key]
        except KeyError:
            return None
        if isinstance(entry, list):  # written before the cache kept only what is read: whole droplets
            return entry
        if not isinstance(entry, dict):
            return None
        if "droplets_json" in entry:
            if fields <= set(entry.get("kept_fields") or ()) and isinstance(entry["droplets_json"], str):
                return json.loads(entry["droplets_json"])
            return None
        if fields <= set(entry.get("fields") or ()):  # written before the JSON text layout
            return entry.get("droplets") or []
        return None

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        if not HAS_DIGITALOCEAN:
            raise AnsibleParserError("pytrackdat.deploy.droplets needs the Python library requests on the controller: "
                                     "pip install requests")
        self._source = path
        self._read_config_data(path)
        # Python's cyclic garbage collector is paused while the droplets are decoded and the hosts made: the
        # hundreds of thousands of dicts and lists made here would trigger several of its full passes, each of which
        # walks every object of the process (a third of the build time at 10,000 droplets), and none of them is
        # cyclic garbage. Afterwards it runs as it did before and collects whatever cycles were left meanwhile.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._parse(path, cache)
        finally:
            # What the process holds now - ansible-core's own objects and the inventory's - lives until the run ends:
            # moved out of the collector's reach (Python's advice before a fork, which ansible-playbook does for every
            # task's workers), so that the full passes of what comes next (each host's variables for --list, a
            # playbook's tasks) do not walk them again: 5% of `ansible-inventory --list` at 1,000 droplets.
            gc.freeze()
            if collecting:
                gc.enable()

    def _parse(self, path, cache):
        attributes, plain_names = self._attributes()
        cache_key = self.get_cache_key(path)
        fields = self._cache_fields(attributes)
        droplets = self._cached(cache_key, fields) if self.get_option("cache") and cache else None
        if droplets is None:
            droplets = self._fetch()
            if self.get_option("cache"):
                self._cache[cache_key] = {"kept_fields": sorted(fields), "droplets_json": json.dumps(
                    self._slim(droplets, fields), separators=(",", ":"))}
        self._populate(droplets, attributes, plain_names)
