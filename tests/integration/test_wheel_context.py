# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control build mode puts the wheelhouse into the runtime image's build context with one command (it was a copy
module run per wheel: ~0.2 s each on a first run). The role's own task, taken from images_build.yml, runs here on
real files: every wheel arrives (0600, in a 0700 folder), a rerun changes nothing, a wheel changed in the context is
copied back and named, and names with spaces, quotes or shell syntax are copied, never run."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml

from tests.integration.local_play import run_local_play
from tests.unit.plugins.conftest import ROOT

TASK_NAME = "Put the wheelhouse into the runtime build context (debian runtime)"


def role_task():
    tasks = yaml.safe_load(Path(ROOT, "roles/pytrackdat_app/tasks/images_build.yml").read_text())
    found = [task for block in tasks for task in block.get("block", [block]) if task.get("name") == TASK_NAME]
    assert len(found) == 1, "images_build.yml must hold the task %r once" % TASK_NAME
    return found[0]


def run_task(tmp_path, wheelhouse, wheels, control_dir):
    play = [{
        "name": "The app role's wheel copy", "hosts": "localhost", "gather_facts": False,
        "vars": {"pytrackdat_app_runtime": "debian", "pytrackdat_app_wheelhouse": str(wheelhouse),
                 "_pytrackdat_app_wheels": wheels, "_pytrackdat_app_control_dir": str(control_dir),
                 "pytrackdat_app_layout": {"site": "site one"}},
        "tasks": [role_task()],
    }]
    proc = run_local_play(tmp_path, play)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return result["changed"], result["stdout_lines"]


def test_the_wheelhouse_is_copied_once_and_a_changed_wheel_is_put_back(tmp_path):
    wheelhouse = tmp_path / "wheel's house"
    wheelhouse.mkdir()
    # a name with a space, and one an attacker who can drop a file into the wheelhouse might choose: copied as it is,
    # never run
    wheels = ["a-1.0-py3-none-any.whl", "b c-2.0-py3-none-any.whl", "d$(touch pwned)';`touch pwned2`-3.0.whl"]
    for index, name in enumerate(wheels):
        (wheelhouse / name).write_bytes(b"wheel %d" % index)
        (wheelhouse / name).chmod(0o644)
    control_dir = tmp_path / "build"
    context = control_dir / "site one" / "wheels"

    assert run_task(tmp_path, wheelhouse, wheels, control_dir) == (True, wheels)
    assert not list(tmp_path.rglob("pwned*")) and not list(Path.cwd().glob("pwned*"))
    assert sorted(os.listdir(context)) == sorted(wheels)
    assert stat.S_IMODE(context.stat().st_mode) == 0o700
    for index, name in enumerate(wheels):
        assert (context / name).read_bytes() == b"wheel %d" % index
        assert stat.S_IMODE((context / name).stat().st_mode) == 0o600

    assert run_task(tmp_path, wheelhouse, wheels, control_dir) == (False, [])

    (context / wheels[1]).write_bytes(b"tampered")
    (context / wheels[2]).chmod(0o666)
    assert run_task(tmp_path, wheelhouse, wheels, control_dir) == (True, [wheels[1]])
    assert (context / wheels[1]).read_bytes() == b"wheel 1"
    assert stat.S_IMODE((context / wheels[2]).stat().st_mode) == 0o600
