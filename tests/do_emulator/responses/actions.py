# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Actions, on every resource."""

from __future__ import annotations

from .base import answer, listing

ROUTES = [
    ("GET", "/v2/actions", listing("list_actions", "actions", lambda call: list(call.state.actions.values()))),
    ("GET", "/v2/actions/{action}", answer("get_action", 200, "action", "get_action", ("action",))),
]
