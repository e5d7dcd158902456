# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Design diff and CSV export/import against the fixture bundle's real Django app (Django 4.2 from the fixture's venv)."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FILES = os.path.join(ROOT, "roles", "pytrackdat_backup", "files")
MAKE_BUNDLE = os.path.join(ROOT, "tests", "fixtures", "bundle", "make_bundle.py")
DJANGO_PYTHON = os.path.join(os.path.expanduser("~"), ".cache", "ptd-fixture-django-venv", "bin", "python")
ROWS = 240


def make_bundle(out, *args):
    subprocess.run([sys.executable, MAKE_BUNDLE, "--domain", "ptd.example.test", "--out", out] + list(args),
                   check=True, capture_output=True, timeout=600)
    return os.path.join(out, "ptdsite.zip")


def unpack(bundle, dest):
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(dest)
    return os.path.join(dest, "ptdsite")


def manage_shell(site_dir, code, env=None):
    proc = subprocess.run([DJANGO_PYTHON, "manage.py", "shell", "-c", code], cwd=site_dir, capture_output=True, text=True,
                          env=dict(os.environ, DJANGO_ENV="production", **(env or {})), timeout=300, check=False)
    return proc


def tables_tool(site_dir, mode, directory, reset=False):
    path = os.path.join(FILES, "ptd_tables.py")
    code = "exec(compile(open(%r).read(), %r, 'exec'), {'__name__': 'ptd_tables'})" % (path, path)
    env = {"PTD_TABLES_MODE": mode, "PTD_TABLES_DIR": directory}
    if reset:
        env["PTD_TABLES_RESET"] = "1"
    return manage_shell(site_dir, code, env)


def design_diff(old, new):
    proc = subprocess.run([sys.executable, os.path.join(FILES, "ptd_design.py"), "diff", old, new],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def dump_rows(db, table):
    con = sqlite3.connect(db)
    try:
        return con.execute('SELECT * FROM "%s" ORDER BY 1' % table).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    base = tmp_path_factory.mktemp("bundles")
    v1 = make_bundle(str(base / "v1"))
    code = make_bundle(str(base / "code"), "--code-change", "v2")
    design = make_bundle(str(base / "design"), "--design-change")
    if not os.path.exists(DJANGO_PYTHON):
        pytest.fail("make_bundle.py did not leave Django in %s" % DJANGO_PYTHON)
    return {"v1": v1, "code": code, "design": design}


@pytest.fixture
def live_site(bundles, tmp_path):
    """The v1 site unpacked, with ROWS samples at 7 sites (some NULL sex values) entered through Django."""
    site = unpack(bundles["v1"], str(tmp_path / "live"))
    proc = manage_shell(site, (
        "from core.models import Site, Sample\n"
        "import datetime, decimal\n"
        "sites = [Site.objects.create(site_name='s%d' % i, latitude=decimal.Decimal('45.1234567') + i) for i in range(7)]\n"
        "for i in range({rows}):\n"
        "    Sample.objects.create(date=datetime.date(2026, 1, 1) + datetime.timedelta(days=i), sex=[None, 'F', 'M', 'U'][i % 4],"
        " site=sites[i % 7])\n").format(rows=ROWS))
    assert proc.returncode == 0, proc.stderr
    return site


def test_same_design_with_changed_code_is_the_same(bundles, tmp_path):
    result = design_diff(bundles["v1"], bundles["code"])
    assert result["same"] is True and result["summary"] == []
    # A deployed site folder compares like its bundle.
    assert design_diff(unpack(bundles["v1"], str(tmp_path / "d")), bundles["code"])["same"] is True


def test_changed_design_is_detected_by_content_and_names_the_changed_field(bundles):
    result = design_diff(bundles["v1"], bundles["design"])
    assert result["same"] is False
    # Same migration file name, different content: names prove nothing.
    assert result["files_changed"] == ["core/migrations/0001_initial.py", "core/models.py"]
    assert result["tables"]["changed"] == {"core_sample": {"added": ["notes"], "removed": [], "altered": []}}
    assert result["summary"] == ["table core_sample: fields added notes"]


def test_design_diff_reports_bad_input_without_traceback(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    proc = subprocess.run([sys.executable, os.path.join(FILES, "ptd_design.py"), "diff", str(bad), str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "cannot read bundle" in proc.stderr and "Traceback" not in proc.stderr


def test_export_then_import_into_the_new_design_keeps_every_row_and_value(bundles, live_site, tmp_path):
    export_dir = str(tmp_path / "csv")
    proc = tables_tool(live_site, "export", export_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.load(open(os.path.join(export_dir, "manifest.json"), encoding="utf-8"))
    assert manifest["counts"] == {"site": 7, "sample": ROWS}
    assert manifest["order"] == ["site", "sample"]  # foreign-key order: sample points to site
    old_samples = dump_rows(os.path.join(live_site, "db.sqlite3"), "core_sample")
    old_users = dump_rows(os.path.join(live_site, "db.sqlite3"), "auth_user")

    new_site = unpack(bundles["design"], str(tmp_path / "new"))
    shutil.copy(os.path.join(live_site, "db.sqlite3"), os.path.join(new_site, "db.sqlite3"))
    proc = tables_tool(new_site, "import", export_dir, reset=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.load(open(os.path.join(export_dir, "result.json"), encoding="utf-8"))
    assert result["ok"] and result["imported"] == {"site": 7, "sample": ROWS}

    new_db = os.path.join(new_site, "db.sqlite3")
    new_samples = dump_rows(new_db, "core_sample")
    # Old columns id, date, sex, site_id keep their values; the new column notes is NULL.
    con = sqlite3.connect(new_db)
    columns = [r[1] for r in con.execute("PRAGMA table_info(core_sample)")]
    con.close()
    assert "notes" in columns
    projected = [tuple(row[columns.index(c)] for c in ("id", "date", "sex", "site_id")) for row in new_samples]
    assert projected == [tuple(r[:4]) for r in old_samples]
    assert all(row[columns.index("notes")] is None for row in new_samples)
    assert dump_rows(new_db, "auth_user") == old_users  # accounts survive the design change
    # The new site works with its data: the ORM reads it and new rows get fresh ids.
    proc = manage_shell(new_site, "from core.models import Sample\nimport datetime\n"
                                  "s = Sample.objects.create(date=datetime.date(2026, 5, 5), site_id='s1', notes='x')\n"
                                  "print(Sample.objects.count(), s.id)")
    assert proc.stdout.split() == [str(ROWS + 1), str(ROWS + 1)], proc.stderr


def test_import_refuses_a_design_that_drops_a_column_holding_data(bundles, live_site, tmp_path):
    export_dir = str(tmp_path / "csv")
    assert tables_tool(live_site, "export", export_dir).returncode == 0
    new_site = unpack(bundles["v1"], str(tmp_path / "dropped"))
    models_py = os.path.join(new_site, "core", "models.py")
    with open(models_py, encoding="utf-8") as handle:
        text = handle.read()
    with open(models_py, "w", encoding="utf-8") as handle:
        handle.write("\n".join(line for line in text.splitlines() if not line.strip().startswith("sex =")) + "\n")
    os.unlink(os.path.join(new_site, "core", "migrations", "0001_initial.py"))
    proc = manage_shell(new_site, "from django.core.management import call_command; call_command('makemigrations', 'core', verbosity=0)")
    assert proc.returncode == 0, proc.stderr
    shutil.copy(os.path.join(live_site, "db.sqlite3"), os.path.join(new_site, "db.sqlite3"))
    proc = tables_tool(new_site, "import", export_dir, reset=True)
    assert proc.returncode == 1
    result = json.load(open(os.path.join(export_dir, "result.json"), encoding="utf-8"))
    assert "column sample.sex holds data" in result["error"]
    assert "Traceback" not in proc.stderr


def test_regenerating_the_same_design_later_is_not_a_design_change(bundles, tmp_path):
    # makemigrations stamps the date into 0001_initial.py: bytes differ, the design does not.
    site = unpack(bundles["v1"], str(tmp_path / "regen"))
    migration = os.path.join(site, "core", "migrations", "0001_initial.py")
    with open(migration, encoding="utf-8") as handle:
        text = handle.read()
    with open(migration, "w", encoding="utf-8") as handle:
        handle.write("# Generated by Django 2.2.28 on 2031-01-01 00:00\n" + text)
    assert design_diff(bundles["v1"], site)["same"] is True
