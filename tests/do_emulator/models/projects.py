# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Projects and the resources assigned to them (droplets land in the default project)."""

from __future__ import annotations

from .base import ApiError, iso, not_found, unprocessable


class ProjectModel:
    """``self.projects``: uuid -> project; ``self.resources``: project uuid -> {urn -> assigned_at}."""

    def _new_project(self, name, description, purpose, environment, is_default=False):
        now = iso(self.now())
        project = {"id": self._uuid(), "owner_uuid": self.account_uuid, "owner_id": 258992, "name": name,
                   "description": description, "purpose": purpose, "environment": environment,
                   "created_at": now, "updated_at": now, "is_default": is_default}
        self.projects[project["id"]] = project
        self.resources[project["id"]] = {}
        return project

    def create_project(self, body):
        name = body.get("name")
        if not isinstance(name, str) or not name or len(name) > 175:
            raise unprocessable("Name can't be blank")
        if any(p["name"] == name for p in self.projects.values()):
            raise ApiError(409, "A project with this name already exists.")
        purpose = body.get("purpose")
        if not isinstance(purpose, str) or not purpose:
            raise unprocessable("Purpose can't be blank")
        environment = body.get("environment", "Development")
        if environment not in ("Development", "Staging", "Production"):
            raise unprocessable("Environment must be one of Development, Staging or Production")
        project = self._new_project(name, body.get("description", ""), purpose, environment)
        self.dirty = True
        return project

    def get_project(self, project_id):
        if project_id == "default":
            project_id = self.default_project_id
        if project_id not in self.projects:
            raise not_found()
        return self.projects[project_id]

    def update_project(self, project_id, body, replace):
        project = self.get_project(project_id)
        fields = ("name", "description", "purpose", "environment", "is_default")
        if replace and any(f not in body for f in fields):
            raise ApiError(400, "PUT needs every field: " + ", ".join(fields) + " (use PATCH for some)")
        changes = {f: body[f] for f in fields if f in body}
        if "name" in changes and (not isinstance(changes["name"], str) or not changes["name"] or len(changes["name"]) > 175):
            raise unprocessable("Name can't be blank")
        if "name" in changes and any(p["name"] == changes["name"] and p["id"] != project["id"] for p in self.projects.values()):
            raise ApiError(409, "A project with this name already exists.")
        if "environment" in changes and changes["environment"] not in ("Development", "Staging", "Production"):
            raise unprocessable("Environment must be one of Development, Staging or Production")
        if changes.get("is_default") is False and project["is_default"]:
            raise unprocessable("The default project cannot be unset; make another project the default instead.")
        if changes.get("is_default") is True:
            for other in self.projects.values():
                other["is_default"] = False
            self.default_project_id = project["id"]
        project.update(changes)
        project["updated_at"] = iso(self.now())
        self.dirty = True
        return project

    def delete_project(self, project_id):
        project = self.get_project(project_id)
        if project["is_default"]:
            raise ApiError(412, "Cannot delete the default project.")
        if self.resources.get(project["id"]):
            raise ApiError(412, "Cannot delete a project with resources. Move or remove the resources first.")
        del self.projects[project["id"]]
        self.resources.pop(project["id"], None)
        self.dirty = True

    def _resource_exists(self, urn):
        parts = urn.split(":") if isinstance(urn, str) else []
        if len(parts) != 3 or parts[0] != "do":
            return None
        kind, ident = parts[1], parts[2]
        if kind == "droplet":
            return ident.isdigit() and int(ident) in self.droplets
        if kind == "domain":
            return ident in self.domains
        return False

    def project_resources(self, project_id):
        project = self.get_project(project_id)
        return [self._resource_view(urn, at, "ok") for urn, at in self.resources[project["id"]].items()]

    def _resource_view(self, urn, assigned_at, status):
        kind, ident = urn.split(":")[1:3]
        return {"urn": urn, "assigned_at": assigned_at, "status": status,
                "links": {"self": f"{self.api_base}/v2/{kind}s/{ident}"}}

    def assign_resources(self, project_id, urns):
        project = self.get_project(project_id)
        if not isinstance(urns, list) or not urns:
            raise ApiError(400, "resources must be a non-empty array")
        result = []
        for urn in urns:
            exists = self._resource_exists(urn)
            if exists is None:
                raise ApiError(400, f"invalid urn {urn!r}")
            if not exists:
                result.append(self._resource_view(urn, iso(self.now()), "not_found"))
                continue
            for urns_of in self.resources.values():
                urns_of.pop(urn, None)
            at = iso(self.now())
            self.resources[project["id"]][urn] = at
            result.append(self._resource_view(urn, at, "assigned"))
        self.dirty = True
        return result
