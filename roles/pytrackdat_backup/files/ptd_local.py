# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup's work on the server: take a backup, list, prune and restore the archives in the backup folder."""

import datetime
import os
import shutil
import socket
import tempfile

import ptd_sqlite
from ptd_archive import (CHECKSUM_SUFFIX, DB_MEMBER, KINDS, VERSION, archives_of, extract_data, new_archive_name,
                         verify_archive, write_archive, write_checksum)
from ptd_files import BackupError, chown_tree, ensure_private_dir, log, make_root_owned, sha256_of
from ptd_retention import select_kept


def ensure_backup_dir(cfg):
    ensure_private_dir(cfg.backup_dir)


def _copy_database(cfg, copy, tolerate_damage):
    """A consistent, checked copy of the live database at `copy`. Returns None, or, with `tolerate_damage`, what is
    wrong with a database that fails its check (then `copy` is the file as found, so nothing is lost)."""
    try:
        ptd_sqlite.online_copy(cfg.db, copy)
        check = ptd_sqlite.integrity_check(copy)
    except ptd_sqlite.SQLiteError as exc:
        if not tolerate_damage:
            raise BackupError(str(exc)) from exc
        check = str(exc)
    if check == "ok":
        return None
    if not tolerate_damage:
        raise BackupError("integrity_check of the copy of %s failed: %s; the live database may be damaged, "
                          "no archive written" % (cfg.db, check))
    log("warning: %s fails its integrity check (%s); archiving the file as found" % (cfg.db, check))
    if os.path.exists(copy):
        os.unlink(copy)
    shutil.copy2(cfg.db, copy)
    return check


def _manifest(cfg, kind, copy, damaged):
    return {
        "tool": "ptd-backup", "version": VERSION, "site": cfg.site, "kind": kind,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(), "source_db": os.path.abspath(cfg.db),
        "source_snapshots": os.path.abspath(cfg.snapshots),
        "integrity_check": damaged or "ok",
        "db_sha256": sha256_of(copy),
        "dump_sha256": None if damaged else ptd_sqlite.canonical_dump_sha256(copy),
        "tables": None if damaged else ptd_sqlite.table_counts(copy),
        "snapshots": 0, "extra_paths": [],
    }


def take_backup(cfg, kind="manual", tolerate_damage=False):
    """Create one archive. With `tolerate_damage` (safety backups before a restore) a database that fails
    its integrity check, or is no database at all, is still archived as found, so nothing is lost."""
    if kind not in KINDS:
        raise BackupError("unknown backup kind %r (one of %s)" % (kind, ", ".join(KINDS)))
    ensure_backup_dir(cfg)
    if not os.path.isfile(cfg.db):
        raise BackupError("database %s does not exist: nothing to back up" % cfg.db)
    name = new_archive_name(cfg.site, cfg.backup_dir, kind)
    path = os.path.join(cfg.backup_dir, name)
    with tempfile.TemporaryDirectory(prefix=".ptd-backup-", dir=cfg.backup_dir) as work:
        copy = os.path.join(work, DB_MEMBER)
        manifest = _manifest(cfg, kind, copy, _copy_database(cfg, copy, tolerate_damage))
        tmp_archive = os.path.join(work, name)
        digest = write_archive(tmp_archive, copy, cfg.snapshots, cfg.extra_paths, manifest)
        make_root_owned(tmp_archive)
        os.replace(tmp_archive, path)
    write_checksum(path, digest)
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


def _staged_data(path, manifest, stage):
    """The database and snapshots of an archive unpacked in `stage`, checked against the archive's manifest."""
    staged_db, staged_snapshots = extract_data(path, stage)
    check = ptd_sqlite.integrity_check(staged_db)
    if check != "ok":
        raise BackupError("database in %s fails integrity_check (%s); refusing to restore it" % (os.path.basename(path), check))
    if manifest.get("dump_sha256") and ptd_sqlite.canonical_dump_sha256(staged_db) != manifest["dump_sha256"]:
        raise BackupError("database in %s does not match the dump checksum of its manifest; refusing" % os.path.basename(path))
    if not os.path.isdir(staged_snapshots):
        os.mkdir(staged_snapshots, 0o755)
    return staged_db, staged_snapshots


def _swap_in(cfg, staged_db, staged_snapshots, stage):
    os.chmod(staged_db, 0o644)
    chown_tree(staged_db, cfg.owner_uid, cfg.owner_gid)
    chown_tree(staged_snapshots, cfg.owner_uid, cfg.owner_gid)
    # The app is stopped by the caller. Stale WAL/journal files of the old database would be replayed
    # into the restored one: remove them before the atomic rename.
    for suffix in ("-wal", "-shm", "-journal"):
        try:
            os.unlink(cfg.db + suffix)
        except FileNotFoundError:
            pass
    os.replace(staged_db, cfg.db)
    if os.path.lexists(cfg.snapshots):
        os.replace(cfg.snapshots, os.path.join(stage, "snapshots.old"))
    os.replace(staged_snapshots, cfg.snapshots)


def restore(cfg, which, safety_backup=True):
    path = resolve_local(cfg, which)
    manifest = verify_archive(path)
    if manifest.get("site") not in (None, cfg.site):
        raise BackupError("archive %s belongs to site %s, not %s" % (os.path.basename(path), manifest.get("site"), cfg.site))
    data_dir = os.path.dirname(os.path.abspath(cfg.db))
    if not os.path.isdir(data_dir):
        raise BackupError("data folder %s does not exist; deploy the site first" % data_dir)
    with tempfile.TemporaryDirectory(prefix=".ptd-restore-", dir=data_dir) as stage:
        staged_db, staged_snapshots = _staged_data(path, manifest, stage)
        safety = None
        if safety_backup and os.path.isfile(cfg.db):
            safety = take_backup(cfg, kind="pre-restore", tolerate_damage=True)
            log("safety backup of the current state: %s" % safety["path"])
        _swap_in(cfg, staged_db, staged_snapshots, stage)
    return {"restored": os.path.basename(path), "path": path, "db": cfg.db, "tables": ptd_sqlite.table_counts(cfg.db),
            "dump_sha256": ptd_sqlite.canonical_dump_sha256(cfg.db), "safety_backup": safety["path"] if safety else None}
