"""playbooks/backup.yml -e fetch=true run to its end against a throwaway Debian 13 systemd container (the docker
connection, as Molecule uses): the archive arrives in ./backups/<host>/ (the folder the README names), private."""

import hashlib
import os
import stat
import subprocess
import sys
import time
import uuid

import pytest

from .conftest import make_site_db

pytestmark = pytest.mark.docker
PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
IMAGE = "local/debian-systemd:13"
HOST = "ptdhost"
SITE_DIR = "/opt/pytrackdat/demo"
SYSTEMD_FLAGS = ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
                 "--security-opt", "apparmor=unconfined", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                 "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp"]


def _docker(*args, timeout=60):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def server(tmp_path):
    """A systemd container holding one PyTrackDat site (a small SQLite database); removed afterwards.
    Fails (never skips) without an engine or the image, like the other docker tests."""
    try:
        if _docker("info", "--format", "{{.ServerVersion}}").returncode != 0:
            pytest.fail("no Docker engine answers: start dockerd, then run `make images`")
    except FileNotFoundError:
        pytest.fail("the docker CLI is missing: this test needs a Docker engine (see docs/DEVELOPING.md)")
    if _docker("image", "inspect", IMAGE).returncode != 0:
        pytest.fail(f"the image {IMAGE} is missing: run `make images`")
    name = "ptd-unit-backup-" + uuid.uuid4().hex[:10]
    started = _docker("run", "-d", "--name", name, "--hostname", HOST, *SYSTEMD_FLAGS, IMAGE, "/lib/systemd/systemd")
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 180
        while True:  # systemctl answers once systemd's private socket exists, then --wait blocks until boot ends
            booted = _docker("exec", name, "systemctl", "is-system-running", "--wait", timeout=180)
            if booted.stdout.strip() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert booted.stdout.strip() in ("running", "degraded"), booted.stdout + booted.stderr
        db = tmp_path / "db.sqlite3"
        make_site_db(str(db))
        assert _docker("exec", name, "mkdir", "-p", SITE_DIR + "/data/snapshots").returncode == 0
        copied = _docker("cp", str(db), "%s:%s/data/db.sqlite3" % (name, SITE_DIR))
        assert copied.returncode == 0, copied.stderr
        yield name
    finally:
        _docker("rm", "-f", "-v", name)


def _run_backup_playbook(container, workdir, *extra_vars):
    inventory = workdir / "inventory.yml"
    inventory.write_text(
        "pytrackdat:\n"
        "  hosts:\n"
        "    %s:\n"
        "      ansible_connection: community.docker.docker\n"
        "      ansible_host: %s\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
        "  vars:\n"
        "    server_setup_user: root\n" % (HOST, container), encoding="utf-8")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_CONFIG=os.path.join(PROJECT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(PROJECT, ".collections"),
               ANSIBLE_LOCAL_TEMP=str(workdir / ".ansible-tmp"), ANSIBLE_NOCOLOR="1")
    # The operator's usual umask: the role, not the umask, must keep the copy private.
    cmd = ["ansible-playbook", "-i", str(inventory), os.path.join(PROJECT, "playbooks", "backup.yml")]
    for item in extra_vars:
        cmd += ["-e", item]
    proc = subprocess.run(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, check=False, preexec_fn=lambda: os.umask(0o022))
    return proc.returncode, proc.stdout


def test_backup_playbook_fetches_a_private_copy_into_backups_host(server, tmp_path):
    workdir = tmp_path / "operator"
    workdir.mkdir()

    rc, out = _run_backup_playbook(server, workdir, "fetch=true")

    assert rc == 0, out[-4000:]
    listed = _docker("exec", server, "ptd-backup", "-c", "/etc/pytrackdat-backup/demo.ini", "list")
    names = [n for n in listed.stdout.split() if n.endswith("_manual.tar.gz")]
    assert len(names) == 1, listed.stdout + listed.stderr
    name = names[0]
    fetch_dir = workdir / "backups" / HOST
    local = fetch_dir / name
    assert local.is_file() and (fetch_dir / (name + ".sha256")).is_file(), sorted(os.listdir(workdir))
    assert "A copy is in %s" % fetch_dir in out
    # Private: the archive holds the database and the Django SECRET_KEY.
    for path in (local, fetch_dir / (name + ".sha256")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (workdir / "backups", fetch_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    # Intact: the copy matches its checksum line and the server's archive.
    expected, listed_name = (fetch_dir / (name + ".sha256")).read_text(encoding="ascii").split()
    assert listed_name == name and hashlib.sha256(local.read_bytes()).hexdigest() == expected
    remote = _docker("exec", server, "sha256sum", "/var/backups/pytrackdat/demo/" + name).stdout.split()[0]
    assert remote == expected
    # The server's configuration carries the safety retention.
    ini = _docker("exec", server, "cat", "/etc/pytrackdat-backup/demo.ini").stdout
    assert "keep_safety = 5" in ini

    # Without fetch=true the playbook ends as well, and says how to get a copy.
    rc, out = _run_backup_playbook(server, workdir)
    assert rc == 0, out[-4000:]
    assert "Add -e fetch=true to copy it here." in out


@pytest.mark.parametrize("path", ["backups/%s/demo_20261201T000000Z_manual.tar.gz" % HOST,
                                  "backups/%s/demo_20261201T000000Z_manual.tar.gz.sha256" % HOST])
def test_the_fetch_folder_is_ignored_by_git(path):
    proc = subprocess.run(["git", "check-ignore", "-q", "--no-index", path],
                          cwd=PROJECT, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, "%s (fetched by backup.yml -e fetch=true) is not ignored by .gitignore" % path
