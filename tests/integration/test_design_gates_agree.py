# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both design gates of a deploy decide alike and say the same thing, on bundles PyTrackDat 0.2.1's generator made.

The control-node gate (pytrackdat_app's validate_local.yml: check_bundle.py's models_sha256 against the deployed state, then
ptd_designcheck.py describe) and the server-side gate (pytrackdat_backup's pre_deploy.yml: ptd_design.py diff of the
installed code against the new release, run from the folder install.yml fills) are run here with the argv and stdin
their tasks template, on the same pairs: the same bundle again, the same design regenerated, a changed design.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.nativetypes
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1].parent
APP, BACKUP = ROOT / "roles" / "pytrackdat_app", ROOT / "roles" / "pytrackdat_backup"
MAKE_REAL = ROOT / "tests" / "fixtures" / "pytrackdat" / "make_real_bundles.py"
DOMAIN, SITE = "ptd.example.test", "ptdsite"
ADDED_NOTES = "table core_pytrackdatsite: fields added notes"

pytestmark = pytest.mark.xdist_group("pytrackdat-real-bundles")

PAIRS = [  # old, new, same design?
    ("v1", "v1", True),
    ("v1", "v2-code", True),
    ("design", "design-again", True),
    ("v1", "design", False),
    ("design", "v1", False),
]


def task(path, name):
    """A task of a role's task file, nested blocks included."""
    def walk(tasks):
        for item in tasks:
            if item.get("name") == name:
                return item
            found = walk(item.get("block", []))
            if found:
                return found
        return None
    with open(path, encoding="utf-8") as handle:
        found = walk(yaml.safe_load(handle))
    assert found, "no task %r in %s" % (name, path)
    return found


def render(text, **variables):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters.update(to_json=json.dumps, basename=os.path.basename, quote=shlex.quote)
    env.tests.update(changed=lambda result: bool(result.get("changed")))
    return env.from_string(text).render(**variables)


def run(argv, stdin=None):
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Every bundle checked as validate.yml checks it, and installed as release.yml installs it; the server's tool
    folder filled as install.yml fills it."""
    out = tmp_path_factory.mktemp("gates")
    proc = subprocess.run([sys.executable, MAKE_REAL, "--out", out / "bundles", "--variants", "v1,v2-code,design,design-again"],
                          capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    made = json.loads(proc.stdout)
    check = task(APP / "tasks" / "validate_local.yml", "Check the bundle on the control node and pack the release the server receives")
    info, app_dirs = {}, {}
    for variant in {p[0] for p in PAIRS} | {p[1] for p in PAIRS}:
        argv = [render(arg, ansible_playbook_python=sys.executable, role_path=APP, _source=made[variant],
                       pytrackdat_app_domain=DOMAIN, pytrackdat_app_bundle_max_mb=1024, pytrackdat_app_bundle_max_files=50000,
                       pytrackdat_app_control_workdir=out / ("control-" + variant)) for arg in check["vars"]["_argv"]]
        info[variant] = run(argv)
        assert "error" not in info[variant], info[variant]
        site_dir = out / ("server-" + variant)
        subprocess.run([sys.executable, APP / "files" / "install_release.py", info[variant]["release"]["path"], SITE, site_dir,
                        "2000", "2000"], check=True, capture_output=True, timeout=300)
        app_dirs[variant] = site_dir / "app"
    lib = out / "lib"
    lib.mkdir()
    with open(BACKUP / "vars" / "main.yml", encoding="utf-8") as handle:
        role_vars = yaml.safe_load(handle)
    native = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
    design_files = [render(item, role_path=BACKUP) for item in role_vars["_pytrackdat_backup_design_files"]]
    for item in native.from_string(role_vars["_pytrackdat_backup_tool_files"]).render(_pytrackdat_backup_design_files=design_files):
        shutil.copy(item if os.path.isabs(item) else BACKUP / "files" / item, lib / os.path.basename(item))
    return {"info": info, "app_dirs": app_dirs, "lib": lib}


def control_gate(world, old, new):
    """validate_server.yml on a server where `old` is deployed (the state settle.yml records) and `new` is the bundle: refused?, message."""
    state = json.loads(json.dumps({"models_sha256": world["info"][old]["models_sha256"], "design": world["info"][old]["design"]}))
    bundle_info = world["info"][new]
    describe = task(APP / "tasks" / "validate_server.yml", "Describe the design change (ptd_designcheck.py, the same words as "
                    "pytrackdat_backup's check on the server)")
    refuse = task(APP / "tasks" / "validate_server.yml", "Refuse a changed design over live data")
    assert describe["when"] == refuse["when"] == [
        "_pytrackdat_app_state.models_sha256 is defined",
        "_pytrackdat_app_state.models_sha256 != _pytrackdat_app_bundle_info.models_sha256",
        "not pytrackdat_app_allow_design_change"]
    if state["models_sha256"] == bundle_info["models_sha256"]:
        return False, ""
    variables = {"ansible_playbook_python": sys.executable, "role_path": APP, "_pytrackdat_app_state": state,
                 "_pytrackdat_app_bundle_info": bundle_info}
    command = describe["ansible.builtin.command"]
    result = run([render(arg, **variables) for arg in command["argv"]], render(command["stdin"], **variables))
    assert refuse["ansible.builtin.fail"]["msg"] == "{{ (_pytrackdat_app_design_change.stdout | from_json).message }}"
    return True, result["message"]


LOOK = ("Look for the live database and the deployed code, compare the design with the new bundle's, read an earlier "
        "carry-over's record")


def server_gate(world, old, new, tmp_path):
    """pre_deploy.yml on the server where `old` is installed and `new`'s release arrived: refused?, message, result.
    Its one read (live data, design diff, carry-over record) runs as the task templates it, with python3 on PATH being
    this Python, and its output is taken apart by the task that decides, with that task's own expressions."""
    look = task(BACKUP / "tasks" / "pre_deploy.yml", LOOK)
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"")
    variables = {"_pytrackdat_backup_lib_dir": world["lib"], "pytrackdat_backup_database": database,
                 "pytrackdat_backup_compose_project_dir": world["app_dirs"][old], "ansible_check_mode": False,
                 "_pytrackdat_backup_incoming": {"changed": True},
                 "_pytrackdat_backup_new_bundle_path": world["info"][new]["release"]["path"],
                 "_pytrackdat_backup_carried_file": tmp_path / "no-carry-over.json"}
    # The raw command as the task templates it: its script and arguments (task vars), quoted into one command line.
    script = render(look["vars"]["_script"], **variables)
    args = [render(arg, **variables) for arg in look["vars"]["_args"]]
    argv = ["sh", "-c", render(look["ansible.builtin.raw"], _script=script, _args=args)]
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    if not (shim / "python3").exists():
        (shim / "python3").symlink_to(sys.executable)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, PATH="%s:%s" % (shim, os.environ["PATH"])))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines()[:2] == ["yes", "yes"], proc.stdout
    decide = task(BACKUP / "tasks" / "pre_deploy.yml", "Decide what this deploy does with the data")["vars"]
    read = render(decide["_read"], _pytrackdat_backup_live={"stdout": proc.stdout})
    result = json.loads(render(decide["_design_text"], _read=read))
    assert render(decide["_carried_text"], _read=read) == ""
    refuse = task(BACKUP / "tasks" / "pre_deploy.yml", "Refuse a changed design (nothing was changed)")
    assert refuse["ansible.builtin.fail"]["msg"] == "{{ _pytrackdat_backup_design.message }}"
    return not result["same"], result["message"], result


@pytest.mark.parametrize("old, new, same", PAIRS, ids=["%s-to-%s" % p[:2] for p in PAIRS])
def test_the_control_node_and_the_server_decide_the_same_and_say_the_same(world, old, new, same, tmp_path):
    control_refused, control_message = control_gate(world, old, new)
    server_refused, server_message, result = server_gate(world, old, new, tmp_path)
    assert control_refused == server_refused == (not same)
    assert control_message == server_message
    # One fingerprint: the server's design hashes are the bundle check's models_sha256 of the same code.
    assert (result["old_sha256"], result["new_sha256"]) == (world["info"][old]["models_sha256"], world["info"][new]["models_sha256"])
    if not same:
        expected = ADDED_NOTES if new == "design" else "table core_pytrackdatsite: fields removed notes"
        assert result["summary"] == [expected]
        assert expected in control_message and "pytrackdat_app_allow_design_change=true" in control_message
