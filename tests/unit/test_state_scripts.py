# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's fast rerun skips its tasks while templates/state.sh.j2 prints the same state as after its last full run.
A file a task writes but the script does not list would drift unseen: every file or folder the tasks write on the
server must be listed there (as written in the task, or by its folder's glob)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent.name for p in REPO.glob("roles/*/templates/state.sh.j2"))
WRITERS = {"ansible.builtin.template": "dest", "ansible.builtin.copy": "dest", "ansible.builtin.file": "path",
           "ansible.builtin.lineinfile": "path", "ansible.posix.sysctl": "sysctl_file", "pytrackdat.deploy.upload": "dest"}
# Written on the server but deliberately not state: the image archive, copied, loaded and removed in one go; the
# backup role's staging folders. (The SSH probe's folder is made and removed by its one shell command.)
TRANSIENT = {"{{_pytrackdat_app_server_archive}}{{_pytrackdat_app_image_suffix}}",
             "{{_pytrackdat_backup_incoming_dir}}", "{{_pytrackdat_backup_stage_dir}}"}
# Targets the script names otherwise: the admin user's home, which it reads from getent as $home.
ALIASES = {"{{_server_setup_user_result.home|default('/home/'+server_setup_user)}}": "$home"}
# Task files a role's main tasks do not run (other entry points, which a fast rerun never skips).
OTHER_ENTRY_POINTS = {"pytrackdat_backup": {"backup_now.yml", "restore.yml", "carry_over.yml", "post_deploy.yml",
                                            "pre_deploy.yml"}}


def norm(text):
    """{{ a | b }} and {{a|b}} alike; `| quote` dropped (the script quotes what the tasks do not)."""
    text = re.sub(r"\s*\|\s*quote\s*", "", str(text))
    return re.sub(r"\s+", "", text)


def tasks_in(items, inherited=None):
    for task in items or []:
        delegated = task.get("delegate_to", inherited)
        for key in ("block", "rescue", "always"):
            if key in task:
                yield from tasks_in(task[key], delegated)
        yield task, delegated


# pytrackdat.deploy.put_files names its files in a dict, here the keys a `files: "{{ {...} }}"` expression builds:
# `PATH | basename` (the file PATH) or `NAME ~ '.suffix'` (DEST/NAME.suffix).
PUT_FILES_KEY = re.compile(r"[{,]\s*([\w.]+)\s*(?:\|\s*(basename)|~\s*'([^']*)')\s*:")


def put_files_targets(args):
    for name, basename, suffix in PUT_FILES_KEY.findall(str(args.get("files", ""))):
        yield "{{ %s }}" % name if basename else "%s/{{ %s }}%s" % (args.get("dest"), name, suffix)


def written_paths(role):
    for path in sorted((REPO / "roles" / role / "tasks").glob("*.yml")):
        if path.name in OTHER_ENTRY_POINTS.get(role, ()):
            continue
        for task, delegated in tasks_in(yaml.safe_load(path.read_text())):
            if isinstance(task.get("pytrackdat.deploy.put_files"), dict) and delegated != "localhost":
                for target in put_files_targets(task["pytrackdat.deploy.put_files"]):
                    yield path.name, task["name"], target
            for module, option in WRITERS.items():
                args = task.get(module)
                if not isinstance(args, dict) or delegated == "localhost" or args.get("state") == "absent":
                    continue
                target = str(args.get(option, ""))
                items = task.get("loop")
                if "item" in target and isinstance(items, list):
                    for item in items:
                        value = item if isinstance(item, str) else list(item.values())[0]
                        yield path.name, task["name"], target.replace("{{ item.path }}", value).replace("{{ item }}", value)
                elif target:
                    yield path.name, task["name"], target


@pytest.mark.parametrize("role", ROLES)
def test_every_file_a_task_writes_is_in_the_state_script(role):
    # state.sh.j2 and the scripts it includes (pytrackdat_app's state_platform.sh.j2)
    script = norm("".join(p.read_text() for p in sorted((REPO / "roles" / role / "templates").glob("state*.sh.j2"))))
    missing = []
    for file_name, task, target in written_paths(role):
        wanted = norm(target)
        wanted = ALIASES.get(wanted, wanted)
        if any(wanted.startswith(t) for t in TRANSIENT) or "{{item" in wanted:
            continue
        folder = wanted.rsplit("/", 1)[0]
        if wanted not in script and folder + "/*" not in script:
            missing.append(f"{file_name}: {task}: {target}")
    assert not missing, "not in templates/state.sh.j2 of %s:\n%s" % (role, "\n".join(missing))


def test_the_roles_with_a_fast_rerun_all_have_a_state_script():
    assert ROLES == ["docker", "pytrackdat_app", "pytrackdat_backup", "server_setup"]


def test_the_check_finds_a_missing_file(tmp_path, monkeypatch):
    """The check itself can fail: a script without the sudoers file is caught."""
    script = (REPO / "roles" / "server_setup" / "templates" / "state.sh.j2").read_text()
    assert "/etc/sudoers.d/90-server-setup-{{ server_setup_user | quote }}" in script
    targets = [t for _file, _task, t in written_paths("server_setup")]
    assert "/etc/sudoers.d/90-server-setup-{{ server_setup_user }}" in targets
    stripped = norm(script.replace("/etc/sudoers.d/90-server-setup-{{ server_setup_user | quote }}", ""))
    assert norm("/etc/sudoers.d/90-server-setup-{{ server_setup_user }}") not in stripped


# A value the shell may see: quoted whole, or each item quoted, or a choice between literals; ansible_managed only in
# a comment line.
SAFE_VALUE = re.compile(r"\|\s*quote\s*$|\|\s*map\('quote'\)\s*\|\s*join\(' '\)\s*$|^'[^']*' if [^']* else '[^']*'$")


def unquoted_values(text):
    for number, line in enumerate(text.splitlines(), 1):
        for expr in re.findall(r"{{(.*?)}}", line):
            expr = expr.strip()
            if not (SAFE_VALUE.search(expr) or (expr == "ansible_managed" and line.lstrip().startswith("#"))):
                yield "line %d: {{ %s }}" % (number, expr)


@pytest.mark.parametrize("script", sorted(REPO.glob("roles/*/templates/state*.sh.j2")), ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_every_value_a_state_script_gives_the_shell_is_quoted(script):
    """A rerun runs these scripts (as root) before the role's own input checks, which then run only when something
    changed: a value such as a user name with a space or a `;` must reach the shell as one word, never as code."""
    unquoted = list(unquoted_values(script.read_text()))
    assert not unquoted, "%s: quote these values (| quote):\n%s" % (script.relative_to(REPO), "\n".join(unquoted))


def test_the_quoting_check_finds_an_unquoted_value():
    assert list(unquoted_values("files /etc/sudoers.d/90-{{ server_setup_user }}\n# {{ ansible_managed }}")) == [
        "line 1: {{ server_setup_user }}"]
    assert list(unquoted_values("echo {{ ansible_managed }}")) == ["line 1: {{ ansible_managed }}"]
    assert not list(unquoted_values("x={{ a | quote }} {{ b | map('quote') | join(' ') }} {{ 'y' if c else '' }}"))


def test_no_role_task_runs_once_for_all_hosts():
    """Every host is a site of its own (domain, design, bundle): a run_once task gives every host the first host's
    result, so a second site got the first site's release, built for another domain (Django answered 400). Found by
    benchmarks/multi_droplet.py on four sites."""
    once = [f"{path.relative_to(REPO)}: {task.get('name')}"
            for path in sorted(REPO.glob("roles/*/tasks/*.yml"))
            for task, _delegated in tasks_in(yaml.safe_load(path.read_text()))
            if task.get("run_once")]
    assert not once, "run_once in a role's tasks:\n" + "\n".join(once)


# pytrackdat_app's platform (packages, account, folders, Caddy, ufw) is skipped on a same-design update while its own
# state and inputs are unchanged; its inputs are the variables listed in vars/main.yml. A variable the platform reads
# but the list lacks would be a change that is never applied.
APP = REPO / "roles" / "pytrackdat_app"
PLATFORM_FILES = ["tasks/site_folders.yml", "tasks/platform.yml", "tasks/front.yml", "tasks/caddy.yml", "tasks/firewall.yml", "handlers/main.yml",
                  "templates/Caddyfile.j2", "templates/state_platform.sh.j2"]


def platform_reads(files, role_vars):
    """The role's public variables the files read, directly or through the role's own vars/main.yml variables."""
    text = "".join((APP / name).read_text() for name in files)
    found, seen = set(), set()
    pending = set(re.findall(r"(?<![A-Za-z0-9_])_?pytrackdat_app_[a-z0-9_]+", text))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if not name.startswith("_"):
            found.add(name)
        elif name in role_vars:
            pending |= set(re.findall(r"(?<![A-Za-z0-9_])_?pytrackdat_app_[a-z0-9_]+", str(role_vars[name])))
    return found


def test_the_app_platform_reads_only_the_variables_its_key_holds():
    role_vars = yaml.safe_load((APP / "vars" / "main.yml").read_text())
    listed = set(role_vars["_pytrackdat_app_platform_vars"])
    read = platform_reads(PLATFORM_FILES, role_vars)
    assert read - listed == set(), "add these to _pytrackdat_app_platform_vars: %s" % sorted(read - listed)
    # and the check can fail: the compose tasks read variables the platform's key does not hold
    assert platform_reads(["tasks/compose.yml"], role_vars) - listed
