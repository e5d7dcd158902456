# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Actions, on every resource."""

from __future__ import annotations

from .base import paginate


def list_actions(call):
    return paginate(call, "actions", list(call.state.actions.values()))


def get_action(call):
    return 200, {"action": call.state.get_action(call.params["action"])}


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/actions", list_actions),
    ("GET", "/v2/actions/{action}", get_action),
]
