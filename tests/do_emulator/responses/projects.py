# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Projects and their resources (``default`` names the default project)."""

from __future__ import annotations

from .base import paginate


def list_projects(call):
    return paginate(call, "projects", list(call.state.projects.values()))


def create_project(call):
    return 201, {"project": call.state.create_project(call.json())}


def get_project(call):
    return 200, {"project": call.state.get_project(call.params.get("project", "default"))}


def put_project(call):
    return 200, {"project": call.state.update_project(call.params.get("project", "default"), call.json(), replace=True)}


def patch_project(call):
    return 200, {"project": call.state.update_project(call.params.get("project", "default"), call.json(), replace=False)}


def delete_project(call):
    call.state.delete_project(call.params["project"])
    return 204, None


def list_project_resources(call):
    return paginate(call, "resources", call.state.project_resources(call.params.get("project", "default")))


def assign_project_resources(call):
    return 200, {"resources": call.state.assign_resources(call.params.get("project", "default"),
                                                          call.json().get("resources"))}


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/projects", list_projects),
    ("POST", "/v2/projects", create_project),
    ("GET", "/v2/projects/default", get_project),
    ("PUT", "/v2/projects/default", put_project),
    ("PATCH", "/v2/projects/default", patch_project),
    ("GET", "/v2/projects/default/resources", list_project_resources),
    ("POST", "/v2/projects/default/resources", assign_project_resources),
    ("GET", "/v2/projects/{project}", get_project),
    ("PUT", "/v2/projects/{project}", put_project),
    ("PATCH", "/v2/projects/{project}", patch_project),
    ("DELETE", "/v2/projects/{project}", delete_project),
    ("GET", "/v2/projects/{project}/resources", list_project_resources),
    ("POST", "/v2/projects/{project}/resources", assign_project_resources),
]
