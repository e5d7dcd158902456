# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account and its SSH keys."""

from __future__ import annotations

from .base import paginate


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


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/account", account),
    ("GET", "/v2/account/keys", list_keys),
    ("POST", "/v2/account/keys", create_key),
    ("GET", "/v2/account/keys/{key}", get_key),
    ("PUT", "/v2/account/keys/{key}", update_key),
    ("DELETE", "/v2/account/keys/{key}", delete_key),
]
