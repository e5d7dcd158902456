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

Only the standard library is used. Python 3.8 or later. Installed by the role (install.yml) with its modules in
/usr/local/lib/pytrackdat-backup/, run by the wrapper /usr/local/sbin/ptd-backup. This file is the command line;
each job has its module beside it:
  ptd_config.py     settings (INI file, options, environment)
  ptd_archive.py    the archive format: names, content, sha256 file, verification
  ptd_retention.py  which archives are kept
  ptd_lock.py       one run at a time per backup folder
  ptd_local.py      backup, list, prune and restore on the server
  ptd_s3.py         the S3 client (Signature V4, retries)
  ptd_offsite.py    upload, download, list and prune off-site
  ptd_sqlite.py     SQLite copy, integrity check, counts (shared with ptd_design.py)
  ptd_files.py      the error, the log line, private files
"""

import argparse
import json
import os
import sys

from ptd_archive import KINDS, VERSION, archives_of, verify_archive
from ptd_config import Config
from ptd_files import BackupError, log, sha256_of
from ptd_local import ensure_backup_dir, local_archives, prune_local, resolve_local, restore, take_backup
from ptd_lock import Lock
from ptd_offsite import download, prune_remote, remote_archives, s3_client, upload
from ptd_retention import DEFAULT_KEEP_SAFETY, select_kept
from ptd_s3 import S3Client

# The tool's API, for scripts and tests that load this file: the command line and the building blocks it runs.
__all__ = ["main", "run", "build_parser", "Config", "BackupError", "take_backup", "restore", "prune_local", "upload",
           "download", "prune_remote", "verify_archive", "archives_of", "select_kept", "sha256_of", "S3Client"]


def build_parser():
    parser = argparse.ArgumentParser(prog="ptd-backup", description="Backups of a PyTrackDat site that restore.")
    parser.add_argument("--config", "-c", help="INI configuration file (sections [backup] and [s3]); mode 0600 if it holds S3 keys")
    parser.add_argument("--site", help="site name (archive names start with it)")
    parser.add_argument("--db", help="live SQLite database (db.sqlite3)")
    parser.add_argument("--snapshots", help="snapshots folder (default: snapshots/ beside the database)")
    parser.add_argument("--backup-dir", help="local folder holding the archives")
    parser.add_argument("--include", action="append", metavar="PATH", help="extra file or folder to archive (repeatable)")
    parser.add_argument("--owner-uid", type=int, help="owner of restored files (default 2000, the pytrackdat_app role's dedicated account)")
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
