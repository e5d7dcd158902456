# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup's off-site copies: upload, download, list and prune the archives of a site in its S3 prefix."""

import os

from ptd_archive import CHECKSUM_SUFFIX, ArchiveName, archives_of, verify_archive
from ptd_files import BackupError, make_root_owned
from ptd_local import ensure_backup_dir, resolve_local
from ptd_retention import select_kept
from ptd_s3 import S3Client


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
