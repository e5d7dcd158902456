# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account and its SSH keys (by id or by fingerprint)."""

from __future__ import annotations

from .base import answer, listing

ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/account", answer("get_account", 200, "account", "account")),
    ("GET", "/v2/account/keys", listing("list_keys", "ssh_keys", lambda call: list(call.state.ssh_keys.values()))),
    ("POST", "/v2/account/keys", answer("create_key", 201, "ssh_key", "create_ssh_key", body="*")),
    ("GET", "/v2/account/keys/{key}", answer("get_key", 200, "ssh_key", "get_ssh_key", ("key",))),
    ("PUT", "/v2/account/keys/{key}", answer("update_key", 200, "ssh_key", "update_ssh_key", ("key",), body="*")),
    ("DELETE", "/v2/account/keys/{key}", answer("delete_key", 204, None, "delete_ssh_key", ("key",))),
]
