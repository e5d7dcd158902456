# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install the code of a PyTrackDat bundle on the server, keeping the live data (run by the pytrackdat_app role).

Usage: install_release.py BUNDLE SITE SITE_DIR UID GID [KEEP_AS]

- unpacks <SITE>/ from BUNDLE into SITE_DIR/app.new (db.sqlite3 and snapshots/ excluded);
- unpacks the whole bundle as generated into SITE_DIR/source (root only, 0700): the build context of the bundle's own
  Dockerfile, whose `ADD db.sqlite3` (PyTrackDat 0.2.1) then reads the bundle's fresh database, never the live one;
- on the first deploy only, seeds SITE_DIR/data/db.sqlite3 and data/snapshots/ from the bundle;
- points app/db.sqlite3 and app/snapshots at ../data/ with relative links (valid on the host and inside the
  container, where the override mounts SITE_DIR/data at /data and app/ at /code);
- code belongs to root with group GID, not world-readable (settings.py holds the site's SECRET_KEY): folders 0750,
  files 0640 (0750 when executable), so uWSGI (UID:GID) reads it through its group but cannot change it, and a login
  user that happens to have UID on the host owns none of it; only app/static (collectstatic's output) is UID's;
- data belongs to UID:GID (uWSGI writes the database and snapshots), its folder 0770;
- then swaps app.new and source.new into place;
- with KEEP_AS (the deployed bundle's path), then puts a copy of BUNDLE there (root, 0600), replacing the one before in
  one step: the role installs from the copy a deploy's pre-deploy step already sent, and sends nothing again.
The bundle was checked on the control node (one top folder, no absolute paths, '..', links or devices);
members are still re-checked here. Prints a JSON summary.
"""

import json
import os
import shutil
import stat
import sys
import zipfile

DATA_NAMES = ("db.sqlite3", "snapshots")


def protect_code(path, gid):
    """root:GID, 0750 folders, 0640 files (0750 executables); links are chowned, never followed."""
    os.lchown(path, 0, gid)
    os.chmod(path, 0o750)
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            target = os.path.join(directory, name)
            os.lchown(target, 0, gid)
            if os.path.islink(target):
                continue
            if name in dirs:
                os.chmod(target, 0o750)
            else:
                os.chmod(target, 0o750 if os.stat(target).st_mode & 0o111 else 0o640)


def chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(directory, name), uid, gid)


def safe_target(base, rel):
    target = os.path.realpath(os.path.join(base, rel))
    if not target.startswith(os.path.realpath(base) + os.sep):
        raise ValueError("unsafe member %r" % rel)
    return target


def extract(archive, info, target):
    if info.filename.endswith("/"):
        os.makedirs(target, exist_ok=True)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with archive.open(info) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(target, 0o755 if (info.external_attr >> 16) & 0o111 else 0o644)


def swap_in(new, current):
    """Replace the folder `current` by `new` (two renames; the old one is removed afterwards)."""
    if os.path.isdir(current):
        old = current + ".old"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(current, old)
        os.rename(new, current)
        shutil.rmtree(old)
    else:
        os.rename(new, current)


def main():
    bundle, site, site_dir, uid, gid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    keep_as = sys.argv[6] if len(sys.argv) > 6 else ""
    app, new, data = (os.path.join(site_dir, n) for n in ("app", "app.new", "data"))
    source, source_new = os.path.join(site_dir, "source"), os.path.join(site_dir, "source.new")
    for folder in (new, source_new):
        shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(source_new, mode=0o700)
    os.makedirs(os.path.join(data, "snapshots"), exist_ok=True)
    seeded = not os.path.exists(os.path.join(data, "db.sqlite3"))
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            name = info.filename
            mode = info.external_attr >> 16
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR) or not name.startswith(site + "/"):
                raise ValueError("unexpected member %r" % name)
            rel = name[len(site) + 1:]
            if not rel:
                continue
            extract(archive, info, safe_target(source_new, rel))
            if rel.split("/")[0] in DATA_NAMES:
                if seeded:
                    extract(archive, info, safe_target(data, rel))
            else:
                extract(archive, info, safe_target(new, rel))
    os.makedirs(new, exist_ok=True)
    for name in DATA_NAMES:
        os.symlink(os.path.join("..", "data", name), os.path.join(new, name))
    protect_code(new, gid)
    os.makedirs(os.path.join(new, "static"), exist_ok=True)
    chown_tree(os.path.join(new, "static"), uid, gid)
    os.chmod(os.path.join(new, "static"), 0o755)
    chown_tree(data, uid, gid)
    os.chmod(data, 0o770)
    swap_in(new, app)
    swap_in(source_new, source)
    if keep_as and os.path.abspath(keep_as) != os.path.abspath(bundle):
        keep(bundle, keep_as)
    print(json.dumps({"changed": True, "seeded_data": seeded, "app_dir": app, "data_dir": data}))


def keep(bundle, path):
    partial = "%s.%d.part" % (path, os.getpid())
    with open(bundle, "rb") as src, os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chown(partial, 0, 0)
    os.replace(partial, path)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        sys.stderr.write("install_release.py: %s\n" % exc)
        sys.exit(1)
