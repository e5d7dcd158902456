# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What test_site.py reads on the server after each step."""

# Runs on the server (python3 as root through sudo, the database opened read-only): the records, the site table's
# columns, the deployed state, the PyTrackDat snapshots and the backup archives, as JSON.
SERVER_STATE = r"""
import json, os, sqlite3, sys
site_dir, backups = sys.argv[1], sys.argv[2]
db = sqlite3.connect("file:%s/data/db.sqlite3?mode=ro" % site_dir, uri=True)
q = lambda sql: [list(row) for row in db.execute(sql).fetchall()]
print(json.dumps({
    "sites": q("select site_name, cast(latitude as text) from core_pytrackdatsite order by 1"),
    "samples": q("select id, date, sex, site_id from core_pytrackdatsample order by 1"),
    "counts": {t: q("select count(*) from " + t)[0][0] for t in ("core_pytrackdatsite", "core_pytrackdatsample")},
    "site_columns": [row[1] for row in db.execute("pragma table_info(core_pytrackdatsite)")],
    "snapshot_rows": q("select count(*) from snapshot_manager_snapshot")[0][0],
    "snapshots": sorted(os.listdir(site_dir + "/data/snapshots")),
    "backups": sorted(n for n in os.listdir(backups) if n.endswith(".tar.gz")) if os.path.isdir(backups) else [],
    "state": json.load(open(site_dir + "/deploy-state.json")),
}))
"""
