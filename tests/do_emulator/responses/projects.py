# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Projects and their resources; the /v2/projects/default routes share the {project} handlers."""

from __future__ import annotations

from .base import answer, listing

_ID = ("project",)
get_project = answer("get_project", 200, "project", "get_project", _ID)
put_project = answer("put_project", 200, "project", "update_project", _ID, body="*", replace=True)
patch_project = answer("patch_project", 200, "project", "update_project", _ID, body="*", replace=False)
list_project_resources = listing("list_project_resources", "resources",
                                 lambda call: call.state.project_resources(call.params.get("project", "default")))
assign_project_resources = answer("assign_project_resources", 200, "resources", "assign_resources", _ID,
                                  body="resources")

ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/projects", listing("list_projects", "projects", lambda call: list(call.state.projects.values()))),
    ("POST", "/v2/projects", answer("create_project", 201, "project", "create_project", body="*")),
    ("GET", "/v2/projects/default", get_project),
    ("PUT", "/v2/projects/default", put_project),
    ("PATCH", "/v2/projects/default", patch_project),
    ("GET", "/v2/projects/default/resources", list_project_resources),
    ("POST", "/v2/projects/default/resources", assign_project_resources),
    ("GET", "/v2/projects/{project}", get_project),
    ("PUT", "/v2/projects/{project}", put_project),
    ("PATCH", "/v2/projects/{project}", patch_project),
    ("DELETE", "/v2/projects/{project}", answer("delete_project", 204, None, "delete_project", _ID)),
    ("GET", "/v2/projects/{project}/resources", list_project_resources),
    ("POST", "/v2/projects/{project}/resources", assign_project_resources),
]
