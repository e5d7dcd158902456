# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-design: tell whether two PyTrackDat bundles have the same design, what changed, and carry the data over.

Usage: ptd_design.py diff OLD NEW
       ptd_design.py carry-over --app-dir APP --db DB --new-bundle ZIP --stage DIR --tables-script PTD_TABLES_PY
                                --compose-project P [--service web] [--uid 1000 --gid 2000] [--install]
OLD and NEW are a bundle zip (one top folder) or a site folder (holding core/). Prints JSON:
  {"same": bool, "files_changed": [...], "tables": {"added": [...], "removed": [...], "changed": {table: {...}}},
   "summary": "one line per changed table"}

What a design is, its fingerprint (old_sha256/new_sha256, the same as check_bundle.py's models_sha256), the per-table
detail and the refusal message all come from ptd_designcheck.py, the one design module of the collection (installed
beside this file; run from the collection, it is found in roles/pytrackdat_app/files). Standard library only.

carry-over is the upstream update path for a changed design, automated and done beside the live site (which the
caller has stopped): export every core table of a copy of the live database to CSV with the deployed code, build
the new database from another copy with the new bundle's code (core tables recreated by its migrations, users and
sessions kept, rows imported in foreign-key order by field name), check integrity and per-table row counts, and
only then (--install) swap it in. Both steps run `manage.py shell` in a throwaway container of the site's web image,
without network. Nothing live changes unless every count matches.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile

try:
    import ptd_designcheck
except ImportError:  # run from the collection: the design module's home is pytrackdat_app's files/ (see its docstring)
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pytrackdat_app", "files"))
    import ptd_designcheck
import ptd_sqlite
from ptd_designcheck import DesignError


def diff(old_source, new_source):
    """The design check of a deploy: the deployed code (a site folder) or a bundle against the new bundle."""
    return ptd_designcheck.compare(ptd_designcheck.read_design(old_source), ptd_designcheck.read_design(new_source))


def bundle_site(bundle):
    try:
        with zipfile.ZipFile(bundle) as archive:
            return ptd_designcheck.archive_top(archive, bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DesignError("cannot read bundle %s: %s" % (bundle, exc)) from exc


def _docker(args, timeout=900):
    try:
        proc = subprocess.run(["docker"] + args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DesignError("docker %s failed: %s" % (args[0], exc))
    return proc


def web_image(project, service):
    proc = _docker(["ps", "-a", "-q", "--filter", "label=com.docker.compose.project=%s" % project,
                    "--filter", "label=com.docker.compose.service=%s" % service])
    containers = proc.stdout.split()
    if proc.returncode != 0 or not containers:
        raise DesignError("no container of service %s in compose project %s: cannot run the site's Django (%s)"
                          % (service, project, proc.stderr.strip()))
    proc = _docker(["inspect", "-f", "{{.Image}}", containers[0]])
    if proc.returncode != 0:
        raise DesignError("cannot inspect container %s: %s" % (containers[0], proc.stderr.strip()))
    return proc.stdout.strip()


def run_tables(image, code_dir, data_dir, csv_dir, script, mode, reset=False):
    """ptd_tables.py in a throwaway container of the site's image; returns its result.json. The code folder is
    mounted read-only for the export (it is the live site's)."""
    args = ["run", "--rm", "--network", "none", "-w", "/code", "-v", "%s:/code%s" % (code_dir, ":ro" if mode == "export" else ""),
            "-v", "%s:/ptd-csv" % csv_dir,
            "-v", "%s:/ptd-tools/ptd_tables.py:ro" % script, "-e", "DJANGO_ENV=production", "-e", "PYTHONDONTWRITEBYTECODE=1",
            "-e", "PTD_TABLES_MODE=%s" % mode, "-e", "PTD_TABLES_DIR=/ptd-csv"]
    if data_dir:
        args += ["-v", "%s:/data" % data_dir]
    if reset:
        args += ["-e", "PTD_TABLES_RESET=1"]
    code = "exec(compile(open('/ptd-tools/ptd_tables.py').read(), 'ptd_tables.py', 'exec'), {'__name__': 'ptd_tables'})"
    proc = _docker(args + [image, "python3", "manage.py", "shell", "-c", code])
    try:
        with open(os.path.join(csv_dir, "result.json"), encoding="utf-8") as handle:
            result = json.load(handle)
    except (OSError, ValueError):
        raise DesignError("%s in the site's container failed (exit %d): %s" % (mode, proc.returncode, (proc.stderr or proc.stdout).strip()[-800:]))
    if not result.get("ok"):
        raise DesignError("%s refused: %s" % (mode, result.get("error")))
    os.unlink(os.path.join(csv_dir, "result.json"))
    return result


def _extract_code(bundle, dest):
    """Unpack the bundle's code (no database, snapshots or static files) into `dest`; returns the site folder."""
    with zipfile.ZipFile(bundle) as archive:
        top = ptd_designcheck.archive_top(archive, bundle)
        members = []
        for info in archive.infolist():
            rel = info.filename[len(top) + 1:]
            if not rel or rel.split("/")[0] in ("db.sqlite3", "snapshots", "static"):
                continue
            if rel.startswith("/") or ".." in rel.split("/"):
                raise DesignError("unsafe member %r in %s" % (info.filename, bundle))
            members.append(info)
        archive.extractall(dest, members)
    return os.path.join(dest, top)


def core_counts(db):
    return ptd_sqlite.table_counts(db, prefix="core_")


def carry_over(opts):
    """See the module docstring. Returns a JSON-able summary; raises DesignError, leaving the live data untouched."""
    if not os.path.isfile(opts.db):
        raise DesignError("live database %s does not exist" % opts.db)
    image = web_image(opts.compose_project, opts.service)
    shutil.rmtree(opts.stage, ignore_errors=True)
    old_data, csv_dir, new_code = (os.path.join(opts.stage, n) for n in ("old-data", "csv", "new-code"))
    for path in (old_data, csv_dir, new_code):
        os.makedirs(path, mode=0o700)
    ptd_sqlite.online_copy(opts.db, os.path.join(old_data, "db.sqlite3"))
    exported = run_tables(image, opts.app_dir, old_data, csv_dir, opts.tables_script, "export")
    new_code = _extract_code(opts.new_bundle, new_code)
    new_db = os.path.join(new_code, "db.sqlite3")
    ptd_sqlite.online_copy(os.path.join(old_data, "db.sqlite3"), new_db)
    os.makedirs(os.path.join(new_code, "snapshots"), exist_ok=True)
    imported = run_tables(image, new_code, None, csv_dir, opts.tables_script, "import", reset=True)
    # Independent of Django: the new file is sound and every exported table has its rows.
    check = ptd_sqlite.integrity_check(new_db)
    if check != "ok":
        raise DesignError("the new database fails integrity_check: %s" % check)
    with open(os.path.join(csv_dir, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    counts = core_counts(new_db)
    mismatched = {table: (manifest["counts"][name], counts.get(table)) for name, table in manifest["tables"].items()
                  if table in counts and counts[table] != manifest["counts"][name]}
    if mismatched:
        raise DesignError("row counts differ in the new database (table: exported, imported): %s" % mismatched)
    result = {"image": image, "exported": exported["exported"], "imported": imported["imported"], "order": imported["order"],
              "new_db": new_db, "core_counts": counts, "installed": False,
              "empty_text_fields": imported.get("empty_text_fields", [])}
    if opts.install:
        staged = opts.db + ".ptd-new"
        shutil.copy2(new_db, staged)
        os.chmod(staged, 0o644)
        if os.geteuid() == 0:
            os.chown(staged, opts.uid, opts.gid)
        for suffix in ("-wal", "-shm", "-journal"):
            if os.path.exists(opts.db + suffix):
                os.unlink(opts.db + suffix)
        os.replace(staged, opts.db)
        result["installed"] = True
    return result


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="ptd_design.py")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cmd = sub.add_parser("diff", help="compare the designs of two bundles or site folders")
    cmd.add_argument("old")
    cmd.add_argument("new")
    cmd = sub.add_parser("site", help="print the site name (top folder) of a bundle")
    cmd.add_argument("bundle")
    cmd = sub.add_parser("counts", help="row counts of the core tables of a database")
    cmd.add_argument("db")
    cmd.add_argument("--expect", help="JSON file with core_counts: fail when a table's count differs")
    cmd = sub.add_parser("carry-over", help="move the data of a live site into a new design (see the module docstring)")
    for name in ("app-dir", "db", "new-bundle", "stage", "tables-script", "compose-project"):
        cmd.add_argument("--" + name, required=True)
    cmd.add_argument("--service", default="web")
    cmd.add_argument("--uid", type=int, default=2000)
    cmd.add_argument("--gid", type=int, default=2000)
    cmd.add_argument("--install", action="store_true", help="replace the live database once every count matches")
    args = parser.parse_args(argv)
    try:
        if args.command == "diff":
            result = diff(args.old, args.new)
        elif args.command == "site":
            result = {"site": bundle_site(args.bundle)}
        elif args.command == "counts":
            result = {"core_counts": core_counts(args.db)}
            if args.expect:
                with open(args.expect, encoding="utf-8") as handle:
                    expected = json.load(handle)["core_counts"]
                wrong = {t: (n, result["core_counts"].get(t)) for t, n in expected.items() if result["core_counts"].get(t) != n}
                if wrong:
                    raise DesignError("row counts differ from the carried-over ones (table: expected, found): %s" % wrong)
        else:
            result = carry_over(args)
    except (DesignError, ptd_sqlite.SQLiteError, OSError, sqlite3.Error, zipfile.BadZipFile) as exc:
        print("ptd-design: error: %s" % exc, file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
