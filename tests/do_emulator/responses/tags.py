# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags and tagged resources."""

from __future__ import annotations

from .base import answer, listing


def create_tag(call):
    name = call.state.ensure_tag(call.json().get("name"))
    return 201, {"tag": call.state.tag_view(name)}


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/tags", listing("list_tags", "tags", lambda call: [call.state.tag_view(n) for n in call.state.tags])),
    ("POST", "/v2/tags", create_tag),
    ("GET", "/v2/tags/{tag}", answer("get_tag", 200, "tag", "get_tag", ("tag",))),
    ("DELETE", "/v2/tags/{tag}", answer("delete_tag", 204, None, "delete_tag", ("tag",))),
    ("POST", "/v2/tags/{tag}/resources",
     answer("tag_resources", 204, None, "tag_resources", ("tag",), body="resources", add=True)),
    ("DELETE", "/v2/tags/{tag}/resources",
     answer("untag_resources", 204, None, "tag_resources", ("tag",), body="resources", add=False)),
]
