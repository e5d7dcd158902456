# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control build mode loads the shipped image archive on the server in the background (images_control.yml) while
Caddy and the code are installed, and waits for it before the containers start (images_loaded.yml). The role's own
tasks run here against this machine's Docker: an archive that loads gives the image back, the message the e2e
timings read and no archive left; one that does not load stops the run with Docker's own words, also without the
archive. The wait is one module run, whatever the load takes."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from tests.integration.local_play import run_local_play
from tests.integration.test_background_build import _tasks
from tests.unit.plugins.conftest import ROOT

TASKS = Path(ROOT, "roles", "pytrackdat_app", "tasks")
START = "Load the images on the server in the background{{ ' (zstd)' if _pytrackdat_app_image_suffix else '' }}"


def _load(tmp_path, ref, archive):
    wait = yaml.safe_load((TASKS / "images_loaded.yml").read_text())
    play = [{
        "name": "The app role's image load in the background", "hosts": "localhost", "gather_facts": False,
        "vars": {"_pytrackdat_app_server_archive": str(archive), "_pytrackdat_app_image_suffix": "",
                 "_pytrackdat_app_ship_images": [ref]},
        "tasks": _tasks(TASKS / "images_control.yml", [START])
        + [{"name": "Work that runs meanwhile", "ansible.builtin.command": "true", "changed_when": False}] + wait,
    }]
    proc = run_local_play(tmp_path, play, timeout=300)
    return proc, json.loads(proc.stdout)["plays"][0]["tasks"] if proc.stdout.startswith("{") else []


@pytest.fixture
def tiny_image(tmp_path):
    """A one-file image (docker import), saved to images.tar and then removed from Docker: the server lacks it."""
    ref = f"ptd-load-test/{uuid.uuid4().hex[:12]}:1"
    (tmp_path / "rootfs").mkdir()
    (tmp_path / "rootfs" / "hello.txt").write_text("loaded in the background\n")
    tar = subprocess.run(["tar", "-C", str(tmp_path / "rootfs"), "-cf", "-", "."], capture_output=True, check=True).stdout
    subprocess.run(["docker", "import", "-", ref], input=tar, capture_output=True, check=True)
    archive = tmp_path / "images.tar"
    subprocess.run(["docker", "save", "-o", str(archive), ref], check=True)
    subprocess.run(["docker", "image", "rm", ref], capture_output=True, check=True)
    yield ref, archive
    subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def _image_id(ref):
    return subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", ref], capture_output=True, text=True,
                          check=False).stdout.strip()


def test_the_image_loads_in_the_background_and_its_archive_goes(tmp_path, tiny_image):
    ref, archive = tiny_image
    assert not _image_id(ref)
    proc, tasks = _load(tmp_path, ref, archive)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    started = tasks[0]["hosts"]["localhost"]
    assert started.get("ansible_job_id") and not started.get("finished") and started.get("changed"), started
    assert not Path(started["results_file"]).exists(), "the load's results file was left behind"
    assert _image_id(ref), "the image did not load"
    assert not archive.exists(), "the image archive was left behind"
    names = [task["task"]["name"] for task in tasks]
    assert names[2] == "Wait until the images are loaded on the server", names
    assert "attempts" not in tasks[2]["hosts"]["localhost"]  # one module run, not a poll per second
    said = tasks[-1]["hosts"]["localhost"]["msg"]
    assert said.startswith(f"{ref} loaded on the server in 0:"), said


def test_an_archive_that_does_not_load_stops_the_run_with_dockers_words_and_goes(tmp_path, tiny_image):
    ref, archive = tiny_image
    archive.write_bytes(b"not an image archive\n" * 100)
    proc, tasks = _load(tmp_path, ref, archive)
    assert proc.returncode != 0
    stop = tasks[-1]
    assert stop["task"]["name"] == "Stop when the images did not load", [task["task"]["name"] for task in tasks]
    message = stop["hosts"]["localhost"]["msg"]
    assert message.startswith("docker load failed on the server (exit code 1): ") and "tar" in message, message
    assert not archive.exists(), "the image archive was left behind"
    assert not _image_id(ref)
    assert not Path(tasks[0]["hosts"]["localhost"]["results_file"]).exists(), "the load's results file was left behind"
