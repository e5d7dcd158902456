# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ptd-backup archive: its name, its content (database, snapshots, extra files, manifest), its sha256 file.

`<site>_<UTC timestamp>[-<seq>]_<kind>.tar.gz` holds db.sqlite3, snapshots/, extra/<absolute path>... and
manifest.json; `<archive>.sha256` beside it is in `sha256sum -c` format and proves it intact before any use.
"""

import datetime
import io
import json
import os
import re
import tarfile
import time

from ptd_files import BackupError, log, sha256_of, write_private, make_root_owned

VERSION = "1.0.0"
ARCHIVE_SUFFIX = ".tar.gz"
CHECKSUM_SUFFIX = ".sha256"
DB_MEMBER = "db.sqlite3"
SNAPSHOTS_MEMBER = "snapshots"
EXTRA_MEMBER = "extra"
MANIFEST_MEMBER = "manifest.json"
KINDS = ("scheduled", "manual", "pre-restore", "pre-deploy", "pre-update")
NAME_RE = re.compile(r"^(?P<site>[A-Za-z0-9][A-Za-z0-9._-]*)_(?P<ts>\d{8}T\d{6}Z)(?:-(?P<seq>\d+))?_(?P<kind>[a-z-]+)"
                     + re.escape(ARCHIVE_SUFFIX) + "$")
TS_FORMAT = "%Y%m%dT%H%M%SZ"


class ArchiveName:
    """`<site>_<UTC timestamp>[-<seq>]_<kind>.tar.gz`, sortable by time."""

    def __init__(self, name):
        match = NAME_RE.match(name)
        if not match:
            raise ValueError(name)
        self.name = name
        self.site = match.group("site")
        self.kind = match.group("kind")
        self.seq = int(match.group("seq") or 0)
        self.time = datetime.datetime.strptime(match.group("ts"), TS_FORMAT).replace(tzinfo=datetime.timezone.utc)

    @property
    def sort_key(self):
        return (self.time, self.seq, self.name)

    @classmethod
    def parse(cls, name):
        try:
            return cls(name)
        except ValueError:
            return None


def archives_of(site, names):
    """The archive names that belong to `site`, oldest first."""
    found = [a for a in (ArchiveName.parse(n) for n in names) if a is not None and a.site == site]
    return sorted(found, key=lambda a: a.sort_key)


def new_archive_name(site, directory, kind, now=None):
    """A name for a new archive of `site` in `directory` (a sequence number when the second is taken)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime(TS_FORMAT)
    seq = 0
    while True:
        name = "%s_%s%s_%s%s" % (site, stamp, "-%d" % seq if seq else "", kind, ARCHIVE_SUFFIX)
        if not os.path.exists(os.path.join(directory, name)):
            return name
        seq += 1


def write_archive(path, db_copy, snapshots, extra_paths, manifest):
    """Write the archive (mode 0600, fsynced) from a database copy, the snapshots folder and the extra paths; the
    manifest gets the snapshot count and the extra paths archived before it is added last. Returns its sha256."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(db_copy, arcname=DB_MEMBER)
            if os.path.isdir(snapshots):
                tar.add(snapshots, arcname=SNAPSHOTS_MEMBER, recursive=True)
                manifest["snapshots"] = sum(len(files) for _root, _dirs, files in os.walk(snapshots))
            for extra in extra_paths:
                if not os.path.exists(extra):
                    log("warning: extra path %s does not exist, not archived" % extra)
                    continue
                tar.add(extra, arcname=EXTRA_MEMBER + "/" + os.path.abspath(extra).lstrip("/"), recursive=True)
                manifest["extra_paths"].append(os.path.abspath(extra))
            data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST_MEMBER)
            info.size = len(data)
            info.mtime = int(time.time())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
        raw.flush()
        os.fsync(raw.fileno())
    return sha256_of(path)


def write_checksum(path, digest):
    """<archive>.sha256 beside the archive, root's and 0600."""
    write_private(path + CHECKSUM_SUFFIX, ("%s  %s\n" % (digest, os.path.basename(path))).encode("ascii"))
    make_root_owned(path + CHECKSUM_SUFFIX)


def read_checksum_file(path):
    try:
        with open(path, encoding="ascii") as handle:
            line = handle.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError("cannot read checksum file %s: %s" % (path, exc)) from exc
    match = re.match(r"^([0-9a-f]{64})\s+\*?(\S+)$", line)
    if not match:
        raise BackupError("checksum file %s is not in sha256sum format" % path)
    return match.group(1), match.group(2)


def verify_archive(path):
    """Check the archive against its sha256 file and that it holds a manifest and a database.
    Returns the manifest. Raises BackupError with a clear message when anything is off."""
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise BackupError("archive %s does not exist" % path)
    checksum_path = path + CHECKSUM_SUFFIX
    if not os.path.isfile(checksum_path):
        raise BackupError("archive %s has no checksum file %s: refusing to use an archive that cannot be verified" % (name, checksum_path))
    expected, listed_name = read_checksum_file(checksum_path)
    if listed_name != name:
        raise BackupError("checksum file %s is for %s, not %s" % (checksum_path, listed_name, name))
    actual = sha256_of(path)
    if actual != expected:
        raise BackupError("archive %s is corrupted: sha256 %s does not match %s in %s; refusing to use it"
                          % (name, actual, expected, checksum_path))
    try:
        with tarfile.open(path, "r:gz") as tar:
            names = tar.getnames()
            if MANIFEST_MEMBER not in names or DB_MEMBER not in names:
                raise BackupError("archive %s lacks %s or %s: not a ptd-backup archive" % (name, MANIFEST_MEMBER, DB_MEMBER))
            manifest = json.load(tar.extractfile(MANIFEST_MEMBER))
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError("archive %s cannot be read: %s" % (name, exc)) from exc
    return manifest


def _safe_members(tar, prefix):
    for member in tar.getmembers():
        if member.name != prefix and not member.name.startswith(prefix + "/"):
            continue
        parts = member.name.split("/")
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise BackupError("archive member %r is unsafe (absolute, '..', link or device); refusing" % member.name)
        yield member


def extract_data(path, stage):
    """Unpack the database and the snapshots of a verified archive into `stage` (every member checked first)."""
    with tarfile.open(path, "r:gz") as tar:
        members = list(_safe_members(tar, DB_MEMBER)) + list(_safe_members(tar, SNAPSHOTS_MEMBER))
        if hasattr(tarfile, "data_filter"):
            tar.extractall(stage, members=members, filter="data")  # nosec - members checked by _safe_members
        else:
            tar.extractall(stage, members=members)  # nosec - members checked by _safe_members
    return os.path.join(stage, DB_MEMBER), os.path.join(stage, SNAPSHOTS_MEMBER)
