# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup's settings: the INI file ([backup], [s3]), command-line options (never secrets), the environment (S3)."""

import configparser
import os
import re
import stat

from ptd_files import BackupError
from ptd_retention import DEFAULT_KEEP_SAFETY

S3_ENV = {
    "access_key": ("PTD_BACKUP_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
    "secret_key": ("PTD_BACKUP_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"),
    "endpoint": ("PTD_BACKUP_S3_ENDPOINT",),
    "bucket": ("PTD_BACKUP_S3_BUCKET",),
    "region": ("PTD_BACKUP_S3_REGION",),
    "prefix": ("PTD_BACKUP_S3_PREFIX",),
}


class Config:
    """Settings from the INI file, overridden by command-line options (never secrets) and the environment (S3)."""

    def __init__(self):
        self.site = None
        self.db = None
        self.snapshots = None
        self.backup_dir = None
        self.extra_paths = []
        self.owner_uid = 2000
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
            raise BackupError("cannot read configuration file %s: %s" % (path, exc.strerror)) from exc
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8") as handle:
                parser.read_file(handle)
        except (OSError, configparser.Error) as exc:
            raise BackupError("configuration file %s is not valid: %s" % (path, exc)) from exc
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


def _int_option(path, section, name, value):
    try:
        return int(value)
    except ValueError:
        raise BackupError("%s: [%s] %s must be an integer, got %r" % (path, section, name, value)) from None
