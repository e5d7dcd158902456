# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make images` and `make demo` on a machine that lacks something say what and how to install it, in a second,
before any download (they used to fail with `debootstrap: command not found` after two minutes of setup).
A stand-in `docker` on PATH plays the engine's states; the real engine and images are never touched."""
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_IMAGES = ROOT / "molecule" / "resources" / "build-images.sh"
NOT_RUNNING = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"


def fake(bin_dir, name, script):
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)


@pytest.fixture
def bin_dir(tmp_path):
    """A PATH with a stand-in docker (engine up, no test-host image built) and without debootstrap or dockerd."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake(fake_bin, "docker", 'case "$1" in info) exit 0 ;; *) echo "No such image" >&2; exit 1 ;; esac')
    return fake_bin


def path_without(fake_bin, *commands):
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if d and not any(os.path.exists(os.path.join(d, c)) for c in commands)]
    path = os.pathsep.join([str(fake_bin), *kept])
    assert shutil.which("debootstrap", path=path) is None and shutil.which("make", path=path), path
    return path


def run(args, path, timeout=30):
    started = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, env=dict(os.environ, PATH=path), capture_output=True, text=True,
                          timeout=timeout, check=False)
    return proc, time.monotonic() - started


def test_images_without_debootstrap_says_so_at_once(bin_dir):
    proc, seconds = run(["/bin/bash", BUILD_IMAGES, "13", "12"], path_without(bin_dir, "debootstrap", "dockerd"))
    assert proc.returncode == 3 and seconds < 5, (proc.returncode, seconds, proc.stderr)
    assert "debootstrap" in proc.stderr and "apt-get install debootstrap" in proc.stderr, proc.stderr
    assert "local/debian-systemd:13" in proc.stderr and "nothing was done" in proc.stderr
    assert "debootstrap trixie" not in proc.stdout and "command not found" not in proc.stderr


def test_make_demo_checks_before_setting_anything_up(bin_dir):
    proc, seconds = run(["make", "--no-print-directory", "demo"], path_without(bin_dir, "debootstrap", "dockerd"))
    assert proc.returncode != 0 and seconds < 10, (proc.returncode, seconds, proc.stdout, proc.stderr)
    assert "apt-get install debootstrap" in proc.stderr, proc.stderr
    for later_step in ("pip install", "make_real_bundles", "standin", "tests.e2e.demo"):
        assert later_step not in proc.stdout + proc.stderr, later_step


@pytest.mark.parametrize("with_dockerd, expected", [
    (True, "a running Docker engine"),
    (False, "only the docker client is installed"),
])
def test_engine_not_running_or_not_installed(bin_dir, with_dockerd, expected):
    fake(bin_dir, "docker", f'echo "{NOT_RUNNING}" >&2; exit 1')
    if with_dockerd:
        fake(bin_dir, "dockerd", "exit 1")
    proc, seconds = run(["/bin/bash", BUILD_IMAGES, "--check", "13"], path_without(bin_dir, "debootstrap", "dockerd"))
    assert proc.returncode == 3 and seconds < 5, (proc.returncode, seconds, proc.stderr)
    assert expected in proc.stderr and "systemctl start docker" in proc.stderr, proc.stderr
    assert with_dockerd or "apt-get install docker.io" in proc.stderr


def test_no_docker_at_all_and_not_root(tmp_path):
    only = tmp_path / "only"
    only.mkdir()
    os.symlink(shutil.which("timeout"), only / "timeout")
    fake(only, "id", "echo 1000")
    proc, seconds = run(["/bin/bash", BUILD_IMAGES, "--check", "13"], str(only))
    assert proc.returncode == 3 and seconds < 5, (proc.returncode, seconds, proc.stderr)
    for expected in ("Docker (client and engine): apt-get install docker.io", "apt-get install debootstrap",
                     "run as root"):
        assert expected in proc.stderr, proc.stderr


def test_nothing_missing_passes_the_check(bin_dir):
    recipe = re.search(r"^RECIPE_VERSION=(\d+)", BUILD_IMAGES.read_text(), re.M).group(1)
    fake(bin_dir, "docker", f'case "$1" in info) exit 0 ;; image) echo {recipe} ;; esac')
    proc = run(["/bin/bash", BUILD_IMAGES, "--check", "13", "12"], path_without(bin_dir, "debootstrap", "dockerd"))[0]
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
