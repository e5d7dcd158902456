# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domains and their records."""

from __future__ import annotations

from .base import paginate


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


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
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
]
