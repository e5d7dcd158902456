# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup's error, log line and private files: what every other ptd-backup module writes with."""

import hashlib
import os
import sys

CHUNK = 1024 * 1024


class BackupError(Exception):
    """An error the user can act on: printed as one line, exit status 1, no traceback."""


def log(msg):
    print("ptd-backup: " + msg, file=sys.stderr)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def write_private(path, data):
    """Write `data` to `path` atomically, mode 0600."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def make_root_owned(path):
    os.chmod(path, 0o600)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)


def ensure_private_dir(path):
    """A folder only root can enter (the archives hold the site's data and SECRET_KEY)."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    os.chmod(path, 0o700)


def chown_tree(path, uid, gid):
    """Give a restored file or folder (and everything in it) to the site's account; only root can."""
    if os.geteuid() != 0:
        return
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for entry in dirs + files:
            os.lchown(os.path.join(root, entry), uid, gid)
