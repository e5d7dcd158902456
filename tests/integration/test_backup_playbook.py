# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml -e fetch=true run to its end against a throwaway Debian 13 systemd container (the docker
connection, as Molecule uses): the archive arrives in ./backups/<host>/ (the folder the README names), private."""

import hashlib
import os
import stat
import subprocess

import pytest

from .systemd_host import PROJECT, boot, docker, run_playbook
from tests.unit.backup.conftest import make_site_db

pytestmark = pytest.mark.docker
HOST = "ptdhost"
SITE_DIR = "/opt/pytrackdat/demo"
_docker = docker


@pytest.fixture
def server(tmp_path):
    """A systemd container holding one PyTrackDat site (a small SQLite database); removed afterwards."""
    name = boot("ptd-unit-backup-", HOST)
    try:
        db = tmp_path / "db.sqlite3"
        make_site_db(str(db))
        assert _docker("exec", name, "mkdir", "-p", SITE_DIR + "/data/snapshots").returncode == 0
        copied = _docker("cp", str(db), "%s:%s/data/db.sqlite3" % (name, SITE_DIR))
        assert copied.returncode == 0, copied.stderr
        yield name
    finally:
        _docker("rm", "-f", "-v", name)


def _run_backup_playbook(container, workdir, *extra_vars):
    return run_playbook(container, HOST, workdir, "backup.yml", *extra_vars)


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
