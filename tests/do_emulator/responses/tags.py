# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags and tagged resources."""

from __future__ import annotations

from .base import paginate


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


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/tags", list_tags),
    ("POST", "/v2/tags", create_tag),
    ("GET", "/v2/tags/{tag}", get_tag),
    ("DELETE", "/v2/tags/{tag}", delete_tag),
    ("POST", "/v2/tags/{tag}/resources", tag_resources),
    ("DELETE", "/v2/tags/{tag}/resources", untag_resources),
]
