# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml's control build mode builds the runtime image in the background while the server is set up, then saves
the archive the server needs (prebuild.yml); the deploy play waits for that job (images_control.yml). The role's own
tasks run here with this machine's Docker: a build that works gives the image's id, a private zstd archive of that
image and the message the e2e timings read; a build that fails stops the run at the wait with Docker's own error
and leaves no archive behind."""

from __future__ import annotations

import json
import stat
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest
import yaml

from tests.integration.local_play import run_local_play
from tests.unit.plugins.conftest import ROOT

TASKS = Path(ROOT, "roles", "pytrackdat_app", "tasks")
BUILD = "Build each image{{ ' (in the background, while the server is set up)' if _background else '' }}"
WAIT = ["Wait for the image build that started while the server was set up", "Say how long the background build took",
        "Note the image ids on the control node (image name -> id)"]
LOOK = "Look for the runtime image on the control node (debian runtime)"
SAVE = "Save the changed images on the control node (compressed with zstd when both ends have it)"


def _tasks(path, names):
    tasks = yaml.safe_load(path.read_text())
    flat = [task for block in tasks for task in block.get("block", [block])]
    found = [next((task for task in flat if task.get("name") == name), None) for name in names]
    assert None not in found, f"{path.name} must hold the tasks {names}"
    return found


def _with_vars(task, extra):
    return {**task, "vars": {**task.get("vars", {}), **extra}}


def _run(tmp_path, dockerfile, ref):
    save = _tasks(TASKS / "images_control.yml", [SAVE])[0]
    # The block around the save names the archive that is sent: the background job's, or the one the save wrote.
    ship = next(task for task in yaml.safe_load((TASKS / "images_control.yml").read_text())
                if task.get("name") == "Ship the changed images")
    sent = {"name": "Show the archive sent", "ansible.builtin.debug": {"var": "_pytrackdat_app_archive_sent"}}
    context = tmp_path / "build" / "site" / "ctx"
    context.mkdir(parents=True, exist_ok=True)
    (context / "Dockerfile").write_text(dockerfile)
    (context / "hello.txt").write_text("built in the background\n")
    role_vars = yaml.safe_load(Path(ROOT, "roles", "pytrackdat_app", "vars", "main.yml").read_text())
    play = [{
        "name": "The app role's background build", "hosts": "localhost", "gather_facts": False,
        "vars": {**role_vars, "_pytrackdat_app_build_in_background": True,
                 "_pytrackdat_app_control_dir": str(tmp_path / "build"), "pytrackdat_app_layout": {"site": "site"},
                 "_pytrackdat_app_control_builds": {"runtime": {"context": "ctx", "dockerfile": "Dockerfile", "ref": ref}},
                 # prebuild.yml's record of the build it started, and the deploy play's key: the same here
                 "_pytrackdat_app_build_key": "key", "_pytrackdat_app_prebuilt_for": "key",
                 "_pytrackdat_app_runtime_image": ref, "pytrackdat_app_runtime": "debian"},
        # The control node's image looked for before the build (none yet) and after it (found, the same id).
        "tasks": _tasks(TASKS / "images_build.yml", [LOOK, BUILD]) + _tasks(TASKS / "images_control.yml", WAIT)
        + [{"name": "Show the ids", "ansible.builtin.debug": {"var": "_pytrackdat_app_local_ids"}}]
        # The deploy play's save: it takes the background job's archive for the server that lacks that image (and
        # reads zstd: Docker 23 or later), and saves afresh otherwise (a server with an older Docker gets a plain archive).
        + [_with_vars(task, {**ship["vars"], "_pytrackdat_app_ship_images": [ref], "_pytrackdat_app_server_zstd": zstd})
           for zstd in (True, False) for task in (save, sent)] + _tasks(TASKS / "images_build.yml", [LOOK]),
    }]
    proc = run_local_play(tmp_path, play, timeout=600)
    return proc, tmp_path / "build" / "images-localhost.tar.zst"


@pytest.fixture
def image_ref():
    ref = f"ptd-background-test/{uuid.uuid4().hex[:12]}:1"
    yield ref
    subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def test_the_background_build_gives_the_image_and_its_archive(tmp_path, image_ref):
    proc, archive = _run(tmp_path, "FROM scratch\nCOPY hello.txt /hello.txt\n", image_ref)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    assert tasks.pop(0)["hosts"]["localhost"]["ansible_facts"]["_pytrackdat_app_local_runtime"] == {"rc": 1, "stdout": ""}
    started = tasks[0]["hosts"]["localhost"]["results"][0]
    assert started.get("ansible_job_id") and not started.get("finished"), started  # it ran in the background
    said = tasks[2]["hosts"]["localhost"]["msg"]
    assert said.startswith(f"{image_ref} built in 0:") and " and saved for the server " in said, said
    image_id = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", image_ref], capture_output=True,
                              text=True, check=True).stdout.strip()
    assert tasks[4]["hosts"]["localhost"]["_pytrackdat_app_local_ids"] == {image_ref: image_id}
    # The archive the deploy play ships: private, and `docker save` of exactly that image.
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert not list(archive.parent.glob("*.part.*")), "the job's partial archive was left behind"
    unpacked = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    (tmp_path / "images.tar").write_bytes(unpacked)
    with tarfile.open(tmp_path / "images.tar") as saved:
        manifest = json.load(saved.extractfile("manifest.json"))
    assert [entry["RepoTags"] for entry in manifest] == [[image_ref]], manifest
    taken, taken_sent, fresh, fresh_sent = (tasks[index]["hosts"]["localhost"] for index in (5, 6, 7, 8))
    # Docker 23+ on the server: the background job's archive goes as it is, and no save runs.
    assert taken.get("skipped") and taken_sent["_pytrackdat_app_archive_sent"] == f"{archive}", (taken, taken_sent)
    # An older Docker there: a plain archive is saved afresh, and that one is sent.
    assert fresh["stdout"] == str(archive)[:-len(".zst")] and "if false &&" in fresh["cmd"], fresh
    assert fresh_sent["_pytrackdat_app_archive_sent"] == fresh["stdout"], fresh_sent
    assert tasks[9]["hosts"]["localhost"]["ansible_facts"]["_pytrackdat_app_local_runtime"] == {"rc": 0, "stdout": image_id}


def test_a_failed_background_build_stops_the_run_at_the_wait_with_dockers_error(tmp_path, image_ref):
    proc, archive = _run(tmp_path, "FROM scratch\nCOPY no-such-file.txt /x\n", image_ref)
    assert proc.returncode != 0
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"][1:]
    wait = tasks[1]["hosts"]["localhost"]
    assert tasks[1]["task"]["name"] == WAIT[0] and wait.get("failed"), wait
    assert "no-such-file.txt" in json.dumps(wait), wait  # Docker's own words reach the user
    assert len(tasks) == 2, [task["task"]["name"] for task in tasks]  # nothing after the wait ran
    assert not archive.exists() and not list(archive.parent.glob("*.part.*"))
