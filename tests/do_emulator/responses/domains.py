# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domains and their records."""

from __future__ import annotations

from .base import answer, listing


def create_domain(call):
    domain = call.state.create_domain(call.json())
    return 201, {"domain": call.state.get_domain(domain["name"])}


def _records(call):
    return call.state.list_records(call.params["domain"], name=call.arg("name"), record_type=call.arg("type"))


_RECORD = ("domain", "record")

ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/domains", listing("list_domains", "domains", lambda call: [call.state.get_domain(n) for n in call.state.domains])),
    ("POST", "/v2/domains", create_domain),
    ("GET", "/v2/domains/{domain}", answer("get_domain", 200, "domain", "get_domain", ("domain",))),
    ("DELETE", "/v2/domains/{domain}", answer("delete_domain", 204, None, "delete_domain", ("domain",))),
    ("GET", "/v2/domains/{domain}/records", listing("list_records", "domain_records", _records)),
    ("POST", "/v2/domains/{domain}/records",
     answer("create_record", 201, "domain_record", "create_record", ("domain",), body="*")),
    ("GET", "/v2/domains/{domain}/records/{record}", answer("get_record", 200, "domain_record", "get_record", _RECORD)),
    ("PUT", "/v2/domains/{domain}/records/{record}",
     answer("put_record", 200, "domain_record", "update_record", _RECORD, body="*", replace=True)),
    ("PATCH", "/v2/domains/{domain}/records/{record}",
     answer("patch_record", 200, "domain_record", "update_record", _RECORD, body="*", replace=False)),
    ("DELETE", "/v2/domains/{domain}/records/{record}", answer("delete_record", 204, None, "delete_record", _RECORD)),
]
