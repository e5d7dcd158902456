# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml's tags: provision, setup, docker, app, backup; the inventory check and the login (connect.yml) always run,
so a run limited with --tags still reaches the server, and runs only the part asked for."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.unit.plugins.conftest import ROOT, ansible_env

TAGS = {"provision", "setup", "docker", "app", "backup"}
LOGIN_TASKS = ['Stop unless the inventory lists a host in the "pytrackdat" group', "Try to log in as the admin user",
               "Log in as the initial user instead, or stop",
               "Use the user (and port) that could log in for the rest of the run"]
PROVISION_TASK = "Create the droplet and wait until it is active (about a minute)"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("inventory") / "hosts.yml"
    path.write_text("pytrackdat:\n  hosts:\n    lab-server: {ansible_host: 127.0.0.1}\n")
    return str(path)


def ansible_playbook(inventory, book, *args):
    proc = subprocess.run(["ansible-playbook", "-i", inventory, os.path.join("playbooks", book)] + list(args),
                          cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def tasks(listing):
    """The task names of --list-tasks, as 'role : task' (or 'task' for a play's own tasks)."""
    return [re.split(r"\tTAGS:", line.strip())[0] for line in listing.splitlines() if "\tTAGS:" in line
            and not line.lstrip().startswith("play #")]


def role_tasks(names, role):
    """A role's tasks, without the argument check Ansible runs for every role of a play (tagged always)."""
    return [n for n in names if n.startswith("pytrackdat.deploy.%s : " % role) and "Validating arguments" not in n]


def test_list_tags_shows_every_documented_tag(inventory):
    listing = ansible_playbook(inventory, "site.yml", "--list-tags")
    found = set()
    for line in listing.splitlines():
        if "TASK TAGS:" in line:
            found |= {t.strip() for t in line.split("TASK TAGS:")[1].strip(" []").split(",")}
    assert TAGS | {"always"} <= found, listing


def test_tags_docker_logs_in_and_runs_only_the_docker_role(inventory):
    names = tasks(ansible_playbook(inventory, "site.yml", "--list-tasks", "--tags", "docker"))
    for login in LOGIN_TASKS:
        assert any(n.startswith(login) for n in names), (login, names)
    assert role_tasks(names, "docker")
    for role in ("server_setup", "pytrackdat_app", "pytrackdat_backup"):
        assert role_tasks(names, role) == [], role
    assert PROVISION_TASK not in names


# The app tag runs pytrackdat_backup's pre-deploy step (it backs up the live data before new code replaces it), so it
# checks the backup settings first, and nothing else of that role.
BACKUP_CHECKS = ["pytrackdat.deploy.pytrackdat_backup : Find the site on the server when no name is given",
                 "pytrackdat.deploy.pytrackdat_backup : Check the inputs and the off-site settings"]


# The setup tag generates the site from the design CSV first (setup.yml imports pytrackdat_app's generate.yml), so a
# design PyTrackDat refuses stops the run before the server changes; nothing else of that role.
GENERATE_TASKS = ["pytrackdat.deploy.pytrackdat_app : Take the site an earlier play of this run generated from the same "
                  "design and settings",
                  "pytrackdat.deploy.pytrackdat_app : Generate the site from the design CSV on the control node"]


@pytest.mark.parametrize("tag, runs, skips", [
    ("setup", ["server_setup"], ["docker", "pytrackdat_app", "pytrackdat_backup"]),
    ("app", ["pytrackdat_app"], ["server_setup", "docker", "pytrackdat_backup"]),
    ("backup", ["pytrackdat_backup"], ["server_setup", "docker", "pytrackdat_app"]),
])
def test_each_tag_runs_its_role_after_logging_in(inventory, tag, runs, skips):
    names = tasks(ansible_playbook(inventory, "site.yml", "--list-tasks", "--tags", tag))
    assert any(n.startswith(LOGIN_TASKS[1]) for n in names), names
    for role in runs:
        assert role_tasks(names, role), (role, names)
    for role in skips:
        allowed = {("app", "pytrackdat_backup"): BACKUP_CHECKS, ("setup", "pytrackdat_app"): GENERATE_TASKS}.get((tag, role), [])
        assert [n for n in role_tasks(names, role) if n not in allowed] == [], (role, names)


def test_tags_provision_runs_only_the_provisioning_play(inventory):
    names = tasks(ansible_playbook(inventory, "site.yml", "--list-tasks", "--tags", "provision"))
    assert PROVISION_TASK in names
    for role in ("server_setup", "docker", "pytrackdat_app", "pytrackdat_backup"):
        assert role_tasks(names, role) == [], role
