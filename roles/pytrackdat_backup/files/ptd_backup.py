# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup: backups of a PyTrackDat site that restore.

A backup is one compressed archive holding a consistent copy of the live SQLite database (taken with
SQLite's online backup API, never a file copy, and checked with PRAGMA integrity_check), the site's
snapshots/ folder, a manifest (row counts per table, a checksum of a canonical dump) and any extra files
named in the configuration (the deployed bundle, its settings). A sha256 file beside the archive
(`sha256sum -c` format) proves it is intact before anything is restored from it.

Off-site copies go to any S3-compatible store (DigitalOcean Spaces) through a small AWS Signature V4
client built on the standard library, so the server needs nothing beyond python3. Credentials come
from the configuration file (mode 0600) or the environment, never from the command line.

Only the standard library is used. Python 3.8 or later. Installed by the role as
/usr/local/lib/pytrackdat-backup/ptd_backup.py with the wrapper /usr/local/sbin/ptd-backup.
"""

import argparse
import configparser
import datetime
import fcntl
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import stat
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

VERSION = "1.0.0"
ARCHIVE_SUFFIX = ".tar.gz"
CHECKSUM_SUFFIX = ".sha256"
DB_MEMBER = "db.sqlite3"
SNAPSHOTS_MEMBER = "snapshots"
EXTRA_MEMBER = "extra"
MANIFEST_MEMBER = "manifest.json"
KINDS = ("scheduled", "manual", "pre-restore", "pre-deploy", "pre-update")
# Only the timer's archives rotate daily/weekly. Every other kind is a safety archive (taken by hand or before a
# change), kept by its own count per kind: a scheduled run must never delete the state from before a restore.
ROTATED_KIND = "scheduled"
DEFAULT_KEEP_SAFETY = 5
NAME_RE = re.compile(r"^(?P<site>[A-Za-z0-9][A-Za-z0-9._-]*)_(?P<ts>\d{8}T\d{6}Z)(?:-(?P<seq>\d+))?_(?P<kind>[a-z-]+)" + re.escape(ARCHIVE_SUFFIX) + "$")
TS_FORMAT = "%Y%m%dT%H%M%SZ"
S3_ENV = {
    "access_key": ("PTD_BACKUP_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    "secret_key": ("PTD_BACKUP_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"),
    "endpoint": ("PTD_BACKUP_S3_ENDPOINT",),
    "bucket": ("PTD_BACKUP_S3_BUCKET",),
    "region": ("PTD_BACKUP_S3_REGION",),
    "prefix": ("PTD_BACKUP_S3_PREFIX",),
}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """An error the user can act on: printed as one line, exit status 1, no traceback."""


def log(msg):
    print("ptd-backup: " + msg, file=sys.stderr)


# ----------------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------------

class Config:
    """Settings from the INI file, overridden by command-line options (never secrets) and the environment (S3)."""

    def __init__(self):
        self.site = None
        self.db = None
        self.snapshots = None
        self.backup_dir = None
        self.extra_paths = []
        self.owner_uid = 1000
        self.owner_gid = 2000
        self.keep_daily = 7
        self.keep_weekly = 4
        self.keep_safety = DEFAULT_KEEP_SAFETY
        self.s3 = {"endpoint": "", "bucket": "", "region": "us-east-1", "prefix": "pytrackdat/", "access_key": "", "secret_key": ""}
        self.s3_keep_daily = None
        self.s3_keep_weekly = None
        self.s3_keep_safety = None

    @classmethod
    def load(cls, path, args):
        cfg = cls()
        if path:
            cfg._read_file(path)
        for name in ("site", "db", "snapshots", "backup_dir", "owner_uid", "owner_gid", "keep_daily", "keep_weekly", "keep_safety"):
            value = getattr(args, name, None)
            if value is not None:
                setattr(cfg, name, value)
        if getattr(args, "include", None):
            cfg.extra_paths.extend(args.include)
        for key, names in S3_ENV.items():
            for env in names:
                if os.environ.get(env):
                    cfg.s3[key] = os.environ[env]
                    break
        cfg._check()
        return cfg

    def _read_file(self, path):
        try:
            st = os.stat(path)
        except OSError as exc:
            raise BackupError("cannot read configuration file %s: %s" % (path, exc.strerror))
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8") as handle:
                parser.read_file(handle)
        except (OSError, configparser.Error) as exc:
            raise BackupError("configuration file %s is not valid: %s" % (path, exc))
        if parser.has_section("backup"):
            sec = parser["backup"]
            self.site = sec.get("site", self.site)
            self.db = sec.get("db", self.db)
            self.snapshots = sec.get("snapshots", self.snapshots)
            self.backup_dir = sec.get("backup_dir", self.backup_dir)
            self.extra_paths = [p.strip() for p in sec.get("extra_paths", "").splitlines() if p.strip()]
            for name in ("owner_uid", "owner_gid", "keep_daily", "keep_weekly", "keep_safety"):
                if name in sec:
                    setattr(self, name, _int_option(path, "backup", name, sec[name]))
        if parser.has_section("s3"):
            sec = parser["s3"]
            for key in self.s3:
                if key in sec:
                    self.s3[key] = sec[key].strip()
            for name in ("keep_daily", "keep_weekly", "keep_safety"):
                if name in sec:
                    setattr(self, "s3_" + name, _int_option(path, "s3", name, sec[name]))
            if sec.get("secret_key") and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise BackupError("configuration file %s holds the S3 secret key but is readable by others (mode %04o): "
                                  "run chmod 600 %s" % (path, stat.S_IMODE(st.st_mode), path))

    def _check(self):
        missing = [name for name in ("site", "db", "backup_dir") if not getattr(self, name)]
        if missing:
            raise BackupError("missing setting(s): %s (set them in the configuration file or with --%s)"
                              % (", ".join(missing), missing[0].replace("_", "-")))
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", self.site):
            raise BackupError("site name %r may only hold letters, digits, '.', '_' and '-'" % self.site)
        if self.snapshots is None:
            self.snapshots = os.path.join(os.path.dirname(self.db), "snapshots")
        for name in ("keep_daily", "keep_weekly", "owner_uid", "owner_gid"):
            if int(getattr(self, name)) < 0:
                raise BackupError("%s must be 0 or more" % name)
        if self.keep_daily + self.keep_weekly == 0:
            raise BackupError("keep_daily and keep_weekly are both 0: pruning would delete every backup")
        if self.s3_keep_daily is None:
            self.s3_keep_daily = self.keep_daily
        if self.s3_keep_weekly is None:
            self.s3_keep_weekly = self.keep_weekly
        if self.s3_keep_safety is None:
            self.s3_keep_safety = self.keep_safety
        for name in ("keep_safety", "s3_keep_safety"):
            if int(getattr(self, name)) < 1:
                raise BackupError("%s must be 1 or more: the newest manual, pre-deploy, pre-update and pre-restore "
                                  "backups are what a restore falls back to" % name.replace("s3_", "[s3] "))

    def s3_configured(self):
        return bool(self.s3["endpoint"] and self.s3["bucket"])


def _int_option(path, section, name, value):
    try:
        return int(value)
    except ValueError:
        raise BackupError("%s: [%s] %s must be an integer, got %r" % (path, section, name, value))


# ----------------------------------------------------------------------------------------------------
# Archive names and retention
# ----------------------------------------------------------------------------------------------------

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


def select_kept(archives, keep_daily, keep_weekly, keep_safety=DEFAULT_KEEP_SAFETY):
    """Retention, two rules that never touch each other's archives:
    - scheduled archives rotate: the newest of each of the `keep_daily` most recent days (UTC) that have one,
      and the newest of each of the `keep_weekly` most recent ISO weeks that have one (an archive can satisfy both);
    - every other kind (manual, pre-deploy, pre-update, pre-restore, and any kind this version does not know)
      is a safety archive: the `keep_safety` newest of each kind are kept, whatever scheduled runs came after.
    Returns the set of names to keep."""
    newest_first = sorted(archives, key=lambda a: a.sort_key, reverse=True)
    scheduled = [a for a in newest_first if a.kind == ROTATED_KIND]
    kept = set()
    for count, period in ((keep_daily, lambda a: a.time.date()), (keep_weekly, lambda a: a.time.isocalendar()[:2])):
        seen = []
        for archive in scheduled:
            key = period(archive)
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            kept.add(archive.name)
    per_kind = {}
    for archive in newest_first:
        if archive.kind == ROTATED_KIND:
            continue
        per_kind[archive.kind] = per_kind.get(archive.kind, 0) + 1
        if per_kind[archive.kind] <= keep_safety:
            kept.add(archive.name)
    return kept


# ----------------------------------------------------------------------------------------------------
# Files and checksums
# ----------------------------------------------------------------------------------------------------

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


def read_checksum_file(path):
    try:
        with open(path, encoding="ascii") as handle:
            line = handle.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError("cannot read checksum file %s: %s" % (path, exc))
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
        raise BackupError("archive %s cannot be read: %s" % (name, exc))
    return manifest


# ----------------------------------------------------------------------------------------------------
# SQLite
# ----------------------------------------------------------------------------------------------------

def sqlite_online_copy(src_path, dst_path):
    """Consistent copy of a live database with SQLite's online backup API (one step, so the copy is one
    point in time even while other connections write)."""
    try:
        src = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(src_path)), uri=True, timeout=60)
    except sqlite3.Error as exc:
        raise BackupError("cannot open database %s: %s" % (src_path, exc))
    try:
        dst = sqlite3.connect(dst_path)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError("SQLite backup of %s failed: %s" % (src_path, exc))
    finally:
        src.close()


def integrity_check(db_path):
    try:
        con = sqlite3.connect(db_path)
        try:
            rows = [r[0] for r in con.execute("PRAGMA integrity_check")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    return "ok" if rows == ["ok"] else "; ".join(rows[:10])


def table_counts(db_path):
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: con.execute('SELECT COUNT(*) FROM "%s"' % t.replace('"', '""')).fetchone()[0] for t in tables}
    finally:
        con.close()


def canonical_dump_sha256(db_path):
    """sha256 of the SQL dump: equal for two databases with the same schema and rows, whatever the pages."""
    con = sqlite3.connect(db_path)
    try:
        digest = hashlib.sha256()
        for line in con.iterdump():
            digest.update(line.encode("utf-8") + b"\n")
        return digest.hexdigest()
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------------
# Backup
# ----------------------------------------------------------------------------------------------------

class Lock:
    """One ptd-backup at a time per backup folder (the timer and a manual run must not interleave)."""

    def __init__(self, directory):
        self.path = os.path.join(directory, ".ptd-backup.lock")
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a", encoding="ascii")  # pylint: disable=consider-using-with
        deadline = time.monotonic() + 600
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BackupError("another ptd-backup has held %s for 10 minutes; giving up" % self.path)
                time.sleep(0.5)

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def ensure_backup_dir(cfg):
    os.makedirs(cfg.backup_dir, mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(cfg.backup_dir, 0, 0)
    os.chmod(cfg.backup_dir, 0o700)


def new_archive_name(cfg, kind, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime(TS_FORMAT)
    seq = 0
    while True:
        name = "%s_%s%s_%s%s" % (cfg.site, stamp, "-%d" % seq if seq else "", kind, ARCHIVE_SUFFIX)
        if not os.path.exists(os.path.join(cfg.backup_dir, name)):
            return name
        seq += 1


def _add_tree(tar, path, arcname):
    tar.add(path, arcname=arcname, recursive=True)


def take_backup(cfg, kind="manual", tolerate_damage=False):
    """Create one archive. With `tolerate_damage` (safety backups before a restore) a database that fails
    its integrity check, or is no database at all, is still archived as found, so nothing is lost."""
    if kind not in KINDS:
        raise BackupError("unknown backup kind %r (one of %s)" % (kind, ", ".join(KINDS)))
    ensure_backup_dir(cfg)
    if not os.path.isfile(cfg.db):
        raise BackupError("database %s does not exist: nothing to back up" % cfg.db)
    name = new_archive_name(cfg, kind)
    path = os.path.join(cfg.backup_dir, name)
    with tempfile.TemporaryDirectory(prefix=".ptd-backup-", dir=cfg.backup_dir) as work:
        copy = os.path.join(work, DB_MEMBER)
        damaged = None
        try:
            sqlite_online_copy(cfg.db, copy)
            check = integrity_check(copy)
        except BackupError as exc:
            if not tolerate_damage:
                raise
            check = str(exc)
        if check != "ok":
            if not tolerate_damage:
                raise BackupError("integrity_check of the copy of %s failed: %s; the live database may be damaged, "
                                  "no archive written" % (cfg.db, check))
            damaged = check
            log("warning: %s fails its integrity check (%s); archiving the file as found" % (cfg.db, check))
            if os.path.exists(copy):
                os.unlink(copy)
            shutil.copy2(cfg.db, copy)
        manifest = {
            "tool": "ptd-backup", "version": VERSION, "site": cfg.site, "kind": kind,
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "host": socket.gethostname(), "source_db": os.path.abspath(cfg.db),
            "source_snapshots": os.path.abspath(cfg.snapshots),
            "integrity_check": damaged or "ok",
            "db_sha256": sha256_of(copy),
            "dump_sha256": None if damaged else canonical_dump_sha256(copy),
            "tables": None if damaged else table_counts(copy),
            "snapshots": 0, "extra_paths": [],
        }
        tmp_archive = os.path.join(work, name)
        fd = os.open(tmp_archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(copy, arcname=DB_MEMBER)
                if os.path.isdir(cfg.snapshots):
                    _add_tree(tar, cfg.snapshots, SNAPSHOTS_MEMBER)
                    manifest["snapshots"] = sum(len(files) for _root, _dirs, files in os.walk(cfg.snapshots))
                for extra in cfg.extra_paths:
                    if not os.path.exists(extra):
                        log("warning: extra path %s does not exist, not archived" % extra)
                        continue
                    _add_tree(tar, extra, EXTRA_MEMBER + "/" + os.path.abspath(extra).lstrip("/"))
                    manifest["extra_paths"].append(os.path.abspath(extra))
                data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST_MEMBER)
                info.size = len(data)
                info.mtime = int(time.time())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        digest = sha256_of(tmp_archive)
        make_root_owned(tmp_archive)
        os.replace(tmp_archive, path)
    write_private(path + CHECKSUM_SUFFIX, ("%s  %s\n" % (digest, name)).encode("ascii"))
    make_root_owned(path + CHECKSUM_SUFFIX)
    return {"name": name, "path": path, "sha256": digest, "manifest": manifest}


def local_archives(cfg):
    try:
        names = os.listdir(cfg.backup_dir)
    except FileNotFoundError:
        return []
    return archives_of(cfg.site, names)


def resolve_local(cfg, which):
    """`which` is 'latest', an archive name or a path."""
    if which in (None, "", "latest"):
        found = local_archives(cfg)
        if not found:
            raise BackupError("no backup of site %s in %s" % (cfg.site, cfg.backup_dir))
        return os.path.join(cfg.backup_dir, found[-1].name)
    if os.sep in which:
        return which
    return os.path.join(cfg.backup_dir, which)


def prune_local(cfg, dry_run=False):
    found = local_archives(cfg)
    kept = select_kept(found, cfg.keep_daily, cfg.keep_weekly, cfg.keep_safety)
    removed = []
    for archive in found:
        if archive.name in kept:
            continue
        removed.append(archive.name)
        if not dry_run:
            for path in (os.path.join(cfg.backup_dir, archive.name), os.path.join(cfg.backup_dir, archive.name + CHECKSUM_SUFFIX)):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
    return {"kept": sorted(kept), "removed": removed}


# ----------------------------------------------------------------------------------------------------
# Restore
# ----------------------------------------------------------------------------------------------------

def _safe_members(tar, prefix):
    for member in tar.getmembers():
        if member.name != prefix and not member.name.startswith(prefix + "/"):
            continue
        parts = member.name.split("/")
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise BackupError("archive member %r is unsafe (absolute, '..', link or device); refusing" % member.name)
        yield member


def _chown_tree(path, uid, gid):
    if os.geteuid() != 0:
        return
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for entry in dirs + files:
            os.lchown(os.path.join(root, entry), uid, gid)


def restore(cfg, which, safety_backup=True):
    path = resolve_local(cfg, which)
    manifest = verify_archive(path)
    if manifest.get("site") not in (None, cfg.site):
        raise BackupError("archive %s belongs to site %s, not %s" % (os.path.basename(path), manifest.get("site"), cfg.site))
    data_dir = os.path.dirname(os.path.abspath(cfg.db))
    if not os.path.isdir(data_dir):
        raise BackupError("data folder %s does not exist; deploy the site first" % data_dir)
    with tempfile.TemporaryDirectory(prefix=".ptd-restore-", dir=data_dir) as stage:
        with tarfile.open(path, "r:gz") as tar:
            members = list(_safe_members(tar, DB_MEMBER)) + list(_safe_members(tar, SNAPSHOTS_MEMBER))
            if hasattr(tarfile, "data_filter"):
                tar.extractall(stage, members=members, filter="data")  # nosec - members checked by _safe_members
            else:
                tar.extractall(stage, members=members)  # nosec - members checked by _safe_members
        staged_db = os.path.join(stage, DB_MEMBER)
        check = integrity_check(staged_db)
        if check != "ok":
            raise BackupError("database in %s fails integrity_check (%s); refusing to restore it" % (os.path.basename(path), check))
        if manifest.get("dump_sha256") and canonical_dump_sha256(staged_db) != manifest["dump_sha256"]:
            raise BackupError("database in %s does not match the dump checksum of its manifest; refusing" % os.path.basename(path))
        safety = None
        if safety_backup and os.path.isfile(cfg.db):
            safety = take_backup(cfg, kind="pre-restore", tolerate_damage=True)
            log("safety backup of the current state: %s" % safety["path"])
        staged_snapshots = os.path.join(stage, SNAPSHOTS_MEMBER)
        if not os.path.isdir(staged_snapshots):
            os.mkdir(staged_snapshots, 0o755)
        os.chmod(staged_db, 0o644)
        _chown_tree(staged_db, cfg.owner_uid, cfg.owner_gid)
        _chown_tree(staged_snapshots, cfg.owner_uid, cfg.owner_gid)
        # The app is stopped by the caller. Stale WAL/journal files of the old database would be replayed
        # into the restored one: remove them before the atomic rename.
        for suffix in ("-wal", "-shm", "-journal"):
            try:
                os.unlink(cfg.db + suffix)
            except FileNotFoundError:
                pass
        os.replace(staged_db, cfg.db)
        old_snapshots = None
        if os.path.lexists(cfg.snapshots):
            old_snapshots = os.path.join(stage, "snapshots.old")
            os.replace(cfg.snapshots, old_snapshots)
        os.replace(staged_snapshots, cfg.snapshots)
    return {"restored": os.path.basename(path), "path": path, "db": cfg.db, "tables": table_counts(cfg.db),
            "dump_sha256": canonical_dump_sha256(cfg.db), "safety_backup": safety["path"] if safety else None}


# ----------------------------------------------------------------------------------------------------
# S3-compatible off-site store (AWS Signature Version 4, path-style addressing)
# ----------------------------------------------------------------------------------------------------

class S3Client:
    """The five calls ptd-backup needs: put, get, delete, list, head. Works with DigitalOcean Spaces,
    AWS S3, MinIO and moto. Path-style URLs (https://region.digitaloceanspaces.com/bucket/key)."""

    def __init__(self, endpoint, bucket, region, access_key, secret_key, timeout=300):
        if not endpoint or not bucket:
            raise BackupError("off-site store not configured: set [s3] endpoint and bucket")
        if not access_key or not secret_key:
            raise BackupError("S3 credentials missing: set [s3] access_key/secret_key in the configuration file "
                              "(mode 0600) or PTD_BACKUP_S3_ACCESS_KEY/PTD_BACKUP_S3_SECRET_KEY in the environment")
        if "://" not in endpoint:
            endpoint = "https://" + endpoint
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BackupError("S3 endpoint %r is not an http(s) URL" % endpoint)
        self.scheme, self.host = parsed.scheme, parsed.netloc
        self.bucket, self.region = bucket, region or "us-east-1"
        self.access_key, self.secret_key = access_key, secret_key
        self.timeout = timeout

    def _signing_key(self, day):
        key = ("AWS4" + self.secret_key).encode("utf-8")
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        return key

    def sign(self, method, key="", query=None, payload_sha256=None, length=None, headers=None, now=None):
        """URL and headers (with the SigV4 Authorization) for one request."""
        payload_sha256 = payload_sha256 or hashlib.sha256(b"").hexdigest()
        path = "/" + urllib.parse.quote(self.bucket, safe="") + ("/" + urllib.parse.quote(key, safe="/~") if key else "")
        query = sorted((query or {}).items())
        canonical_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="~"), urllib.parse.quote(str(v), safe="~")) for k, v in query)
        now = now or datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        all_headers = {"host": self.host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_sha256}
        if length is not None:
            all_headers["content-length"] = str(length)
        for name, value in (headers or {}).items():
            all_headers[name.lower()] = value
        signed = sorted(all_headers)
        canonical = "\n".join([method, path, canonical_query, "".join("%s:%s\n" % (h, str(all_headers[h]).strip()) for h in signed),
                               ";".join(signed), payload_sha256])
        scope = "%s/%s/s3/aws4_request" % (now.strftime("%Y%m%d"), self.region)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
        signature = hmac.new(self._signing_key(now.strftime("%Y%m%d")), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        all_headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.access_key, scope, ";".join(signed), signature)
        url = "%s://%s%s%s" % (self.scheme, self.host, path, "?" + canonical_query if canonical_query else "")
        return url, all_headers

    def request(self, method, key="", query=None, body=None, payload_sha256=None, length=None, headers=None):
        """Send one signed request. `body` is bytes or a file object (then pass its sha256 and length)."""
        if isinstance(body, bytes):
            payload_sha256 = hashlib.sha256(body).hexdigest()
            length = len(body)
        url, all_headers = self.sign(method, key, query, payload_sha256, length, headers)
        req = urllib.request.Request(url, data=body, method=method, headers={k: v for k, v in all_headers.items() if k != "host"})
        attempt = 0
        while True:
            attempt += 1
            try:
                return urllib.request.urlopen(req, timeout=self.timeout)  # pylint: disable=consider-using-with
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:500].decode("utf-8", "replace")
                if exc.code in (429, 500, 502, 503, 504) and attempt < 4 and not hasattr(body, "read"):
                    time.sleep(min(2 ** attempt, 10))
                    continue
                code = re.search(r"<Code>([^<]+)</Code>", detail)
                raise BackupError("S3 %s %s/%s failed: HTTP %d %s" % (method, self.bucket, key, exc.code, code.group(1) if code else exc.reason))
            except (urllib.error.URLError, OSError) as exc:
                raise BackupError("S3 endpoint %s://%s unreachable: %s" % (self.scheme, self.host, getattr(exc, "reason", exc)))

    def put_file(self, key, path):
        digest = sha256_of(path)
        with open(path, "rb") as handle:
            self.request("PUT", key, body=handle, payload_sha256=digest, length=os.path.getsize(path),
                         headers={"content-type": "application/octet-stream"}).close()

    def get_file(self, key, path):
        tmp = path + ".part"
        response = self.request("GET", key)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(response, handle, CHUNK)
        finally:
            response.close()
        os.replace(tmp, path)

    def delete(self, key):
        self.request("DELETE", key).close()

    def list(self, prefix):
        keys, token = [], None
        for _page in range(10000):
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            with self.request("GET", query=query) as response:
                root = ElementTree.fromstring(response.read())
            namespace = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            keys.extend(el.findtext(namespace + "Key") for el in root.iter(namespace + "Contents"))
            token = root.findtext(namespace + "NextContinuationToken")
            if root.findtext(namespace + "IsTruncated") != "true" or not token:
                return keys
        raise BackupError("S3 listing of %s did not end after 10000 pages" % prefix)


def s3_client(cfg):
    return S3Client(cfg.s3["endpoint"], cfg.s3["bucket"], cfg.s3["region"], cfg.s3["access_key"], cfg.s3["secret_key"])


def s3_site_prefix(cfg):
    prefix = cfg.s3["prefix"]
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return "%s%s/" % (prefix.lstrip("/"), cfg.site)


def remote_archives(cfg, client):
    prefix = s3_site_prefix(cfg)
    return archives_of(cfg.site, [k[len(prefix):] for k in client.list(prefix)])


def upload(cfg, which):
    path = resolve_local(cfg, which)
    verify_archive(path)
    client = s3_client(cfg)
    prefix = s3_site_prefix(cfg)
    name = os.path.basename(path)
    client.put_file(prefix + name, path)
    client.put_file(prefix + name + CHECKSUM_SUFFIX, path + CHECKSUM_SUFFIX)
    return {"uploaded": name, "key": prefix + name, "bucket": cfg.s3["bucket"]}


def prune_remote(cfg, dry_run=False):
    client = s3_client(cfg)
    prefix = s3_site_prefix(cfg)
    found = remote_archives(cfg, client)
    kept = select_kept(found, cfg.s3_keep_daily, cfg.s3_keep_weekly, cfg.s3_keep_safety)
    removed = [a.name for a in found if a.name not in kept]
    if not dry_run:
        for name in removed:
            client.delete(prefix + name)
            client.delete(prefix + name + CHECKSUM_SUFFIX)
    return {"kept": sorted(kept), "removed": removed}


def download(cfg, which):
    client = s3_client(cfg)
    prefix = s3_site_prefix(cfg)
    if which in (None, "", "latest"):
        found = remote_archives(cfg, client)
        if not found:
            raise BackupError("no backup of site %s in s3://%s/%s" % (cfg.site, cfg.s3["bucket"], prefix))
        name = found[-1].name
    else:
        name = os.path.basename(which)
        if ArchiveName.parse(name) is None:
            raise BackupError("%r is not a ptd-backup archive name" % which)
    ensure_backup_dir(cfg)
    path = os.path.join(cfg.backup_dir, name)
    client.get_file(prefix + name + CHECKSUM_SUFFIX, path + CHECKSUM_SUFFIX)
    client.get_file(prefix + name, path)
    make_root_owned(path)
    make_root_owned(path + CHECKSUM_SUFFIX)
    try:
        verify_archive(path)
    except BackupError:
        for stale in (path, path + CHECKSUM_SUFFIX):
            os.unlink(stale)
        raise
    return {"downloaded": name, "path": path}


# ----------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------

def build_parser():
    parser = argparse.ArgumentParser(prog="ptd-backup", description="Backups of a PyTrackDat site that restore.")
    parser.add_argument("--config", "-c", help="INI configuration file (sections [backup] and [s3]); mode 0600 if it holds S3 keys")
    parser.add_argument("--site", help="site name (archive names start with it)")
    parser.add_argument("--db", help="live SQLite database (db.sqlite3)")
    parser.add_argument("--snapshots", help="snapshots folder (default: snapshots/ beside the database)")
    parser.add_argument("--backup-dir", help="local folder holding the archives")
    parser.add_argument("--include", action="append", metavar="PATH", help="extra file or folder to archive (repeatable)")
    parser.add_argument("--owner-uid", type=int, help="owner of restored files (default 1000)")
    parser.add_argument("--owner-gid", type=int, help="group of restored files (default 2000)")
    parser.add_argument("--keep-daily", type=int, help="daily archives to keep")
    parser.add_argument("--keep-weekly", type=int, help="weekly archives to keep")
    parser.add_argument("--keep-safety", type=int,
                        help="newest archives kept of each kind other than scheduled (manual, pre-deploy, ...; default %d)"
                        % DEFAULT_KEEP_SAFETY)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.add_argument("--version", action="version", version="ptd-backup " + VERSION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cmd = sub.add_parser("backup", help="take a backup now")
    cmd.add_argument("--kind", default="manual", choices=KINDS)
    cmd.add_argument("--prune", action="store_true", help="apply retention afterwards")
    cmd.add_argument("--offsite", action="store_true", help="upload the new archive and apply retention remotely")
    cmd = sub.add_parser("prune", help="delete archives beyond the retention")
    cmd.add_argument("--dry-run", action="store_true")
    cmd.add_argument("--remote", action="store_true", help="prune the off-site copies instead")
    cmd = sub.add_parser("list", help="list archives")
    cmd.add_argument("--remote", action="store_true", help="list the off-site copies")
    cmd = sub.add_parser("verify", help="check archives against their checksums")
    cmd.add_argument("archive", nargs="?", default="latest", help="name, path, 'latest' (default) or 'all'")
    cmd = sub.add_parser("restore", help="restore the database and snapshots (stop the app first)")
    cmd.add_argument("archive", nargs="?", default="latest", help="name, path or 'latest' (default)")
    cmd.add_argument("--from-remote", action="store_true", help="download the archive from the off-site store first")
    cmd.add_argument("--no-safety-backup", action="store_true", help="do not back up the current state first")
    cmd = sub.add_parser("upload", help="copy an archive to the off-site store")
    cmd.add_argument("archive", nargs="?", default="latest")
    cmd.add_argument("--prune", action="store_true", help="apply retention remotely afterwards")
    cmd = sub.add_parser("download", help="fetch an archive from the off-site store")
    cmd.add_argument("archive", nargs="?", default="latest")
    return parser


def run(args):
    cfg = Config.load(args.config, args)
    cmd = args.command
    os.umask(0o077)
    if cmd in ("list",):
        if args.remote:
            return {"archives": [a.name for a in remote_archives(cfg, s3_client(cfg))]}
        return {"archives": [a.name for a in local_archives(cfg)]}
    ensure_backup_dir(cfg)
    with Lock(cfg.backup_dir):
        if cmd == "backup":
            if args.offsite:
                s3_client(cfg)  # fail on missing settings before the work
            result = take_backup(cfg, args.kind)
            if args.prune:
                result["pruned"] = prune_local(cfg)["removed"]
            if args.offsite:
                result["upload"] = upload(cfg, result["path"])
                result["pruned_remote"] = prune_remote(cfg)["removed"] if args.prune else []
            return result
        if cmd == "prune":
            return prune_remote(cfg, args.dry_run) if args.remote else prune_local(cfg, args.dry_run)
        if cmd == "verify":
            targets = [os.path.join(cfg.backup_dir, a.name) for a in local_archives(cfg)] if args.archive == "all" else [resolve_local(cfg, args.archive)]
            if not targets:
                raise BackupError("no backup of site %s in %s" % (cfg.site, cfg.backup_dir))
            return {"verified": [dict(name=os.path.basename(p), tables=verify_archive(p).get("tables")) for p in targets]}
        if cmd == "restore":
            if args.from_remote:
                args.archive = download(cfg, args.archive)["path"]
            return restore(cfg, args.archive, safety_backup=not args.no_safety_backup)
        if cmd == "upload":
            result = upload(cfg, args.archive)
            if args.prune:
                result["pruned_remote"] = prune_remote(cfg)["removed"]
            return result
        if cmd == "download":
            return download(cfg, args.archive)
    raise BackupError("unknown command %s" % cmd)


def human(result):
    if "archives" in result:
        return "\n".join(result["archives"]) or "(no archives)"
    if "verified" in result:
        return "\n".join("ok  %s" % v["name"] for v in result["verified"])
    if "restored" in result:
        return "restored %s into %s (%s)" % (result["restored"], result["db"], ", ".join("%s=%d" % kv for kv in sorted(result["tables"].items())))
    if "kept" in result:
        return "kept: %s\nremoved: %s" % (" ".join(result["kept"]) or "-", " ".join(result["removed"]) or "-")
    if "name" in result:
        return result["path"]
    return json.dumps(result, sort_keys=True)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except BackupError as exc:
        log("error: %s" % exc)
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    print(json.dumps(result, sort_keys=True) if args.json else human(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
