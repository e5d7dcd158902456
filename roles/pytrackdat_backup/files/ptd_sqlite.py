# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQLite operations of ptd-backup and ptd-design: a consistent copy of a live database, its integrity check,
its row counts and a checksum of its content. Standard library only."""

import hashlib
import os
import sqlite3
import urllib.parse


class SQLiteError(Exception):
    """A database that cannot be opened or copied; the message names it."""


def _read_only(path, timeout=5.0):
    """A read-only connection; the path is URL-quoted, so a name with '?', '#' or '%' opens that very file."""
    return sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path)), uri=True, timeout=timeout)


def online_copy(src_path, dst_path):
    """Consistent copy of a live database with SQLite's online backup API (one step, so the copy is one
    point in time even while other connections write)."""
    try:
        src = _read_only(src_path, timeout=60)
    except sqlite3.Error as exc:
        raise SQLiteError("cannot open database %s: %s" % (src_path, exc)) from exc
    try:
        dst = sqlite3.connect(dst_path)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise SQLiteError("SQLite backup of %s failed: %s" % (src_path, exc)) from exc
    finally:
        src.close()


def integrity_check(db_path):
    """'ok', or what PRAGMA integrity_check (or opening the file) reported."""
    try:
        con = sqlite3.connect(db_path)
        try:
            rows = [r[0] for r in con.execute("PRAGMA integrity_check")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    return "ok" if rows == ["ok"] else "; ".join(rows[:10])


def table_counts(db_path, prefix=""):
    """{table: rows} of every table whose name starts with `prefix` (SQLite's own sqlite_* tables left out)."""
    con = _read_only(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
                  if not r[0].startswith("sqlite_") and r[0].startswith(prefix)]
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
