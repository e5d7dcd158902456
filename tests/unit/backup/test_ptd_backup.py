# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ptd-backup against real SQLite databases in temp dirs and a moto S3 server on loopback."""

import os
import sqlite3
import stat
import tarfile
import threading

import pytest

from .conftest import ROWS, canonical_dump


def test_backup_delete_restore_gives_identical_dump(site):
    before = canonical_dump(site.db)
    taken = site.run("backup").result
    assert taken["manifest"]["tables"]["core_sample"] == ROWS
    assert taken["manifest"]["integrity_check"] == "ok"
    os.unlink(site.db)
    for root, _dirs, files in os.walk(site.snapshots):
        for name in files:
            os.unlink(os.path.join(root, name))

    restored = site.run("restore").result

    assert restored["restored"] == taken["name"]
    assert canonical_dump(site.db) == before
    assert restored["tables"]["core_sample"] == ROWS
    assert os.path.isfile(os.path.join(site.snapshots, "snapshot_1.json"))
    owner = os.stat(site.db)
    if os.geteuid() == 0:
        assert (owner.st_uid, owner.st_gid) == (1000, 2000)
        assert (os.stat(site.snapshots).st_uid, os.stat(site.snapshots).st_gid) == (1000, 2000)


def test_archive_is_private_holds_bundle_and_has_a_checksum(site):
    taken = site.run("backup").result
    path = taken["path"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path + ".sha256").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(site.backups).st_mode) == 0o700
    if os.geteuid() == 0:
        assert os.stat(path).st_uid == 0
    with open(path + ".sha256", encoding="ascii") as handle:
        assert handle.read() == "%s  %s\n" % (taken["sha256"], taken["name"])
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert "db.sqlite3" in names and "manifest.json" in names and "snapshots/snapshot_1.json" in names
    assert "extra/" + site.bundle.lstrip("/") in names


def test_backup_uses_sqlite_backup_api_and_is_consistent_while_another_thread_writes(site):
    # Each writer transaction adds one sample and one user: a consistent copy has as many new samples
    # as new users, whatever moment it was taken at.
    stop = threading.Event()
    written = []

    def writer():
        con = sqlite3.connect(site.db, timeout=30)
        i = 0
        while not stop.is_set() and i < 20000:
            i += 1
            with con:
                con.execute("INSERT INTO core_sample (date, sex, site_id) VALUES ('2026-01-01', 'F', 'site01')")
                con.execute("INSERT INTO auth_user (username) VALUES (?)", ("user%d" % i,))
            written.append(i)
        con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 50:
            thread.join(0.01)
        taken = [site.run("backup").result for _attempt in range(3)]
    finally:
        stop.set()
        thread.join(60)
    assert len(written) > 50
    for result in taken:
        tables = result["manifest"]["tables"]
        assert result["manifest"]["integrity_check"] == "ok"
        assert tables["core_sample"] - ROWS == tables["auth_user"] - 1 > 0
    os.unlink(site.db)
    restored = site.run("restore", taken[-1]["name"], "--no-safety-backup").result
    con = sqlite3.connect(site.db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    samples = con.execute("SELECT COUNT(*) FROM core_sample").fetchone()[0]
    users = con.execute("SELECT COUNT(*) FROM auth_user").fetchone()[0]
    con.close()
    assert samples - ROWS == users - 1 == restored["tables"]["auth_user"] - 1


def test_restore_takes_a_safety_backup_of_the_current_state_first(site):
    first = site.run("backup").result
    con = sqlite3.connect(site.db)
    with con:
        con.execute("DELETE FROM core_sample WHERE id > 10")
    con.close()
    damaged_dump = canonical_dump(site.db)
    restored = site.run("restore", first["name"]).result
    assert "pre-restore" in restored["safety_backup"]
    assert restored["tables"]["core_sample"] == ROWS
    # The state we replaced can itself be restored.
    site.run("restore", os.path.basename(restored["safety_backup"]), "--no-safety-backup")
    assert canonical_dump(site.db) == damaged_dump


def test_corrupted_archive_is_refused_and_nothing_changes(site):
    taken = site.run("backup").result
    with open(taken["path"], "r+b") as handle:
        handle.seek(os.path.getsize(taken["path"]) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    con = sqlite3.connect(site.db)
    with con:
        con.execute("DELETE FROM core_sample")
    con.close()
    before = canonical_dump(site.db)
    entries_before = sorted(os.listdir(site.backups))

    proc = site.run("restore", taken["name"], check=False)

    assert proc.returncode == 1
    assert "is corrupted" in proc.stderr and "refusing" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert canonical_dump(site.db) == before
    assert sorted(os.listdir(site.backups)) == entries_before  # not even a safety backup was needed
    verify = site.run("verify", taken["name"], check=False)
    assert verify.returncode == 1 and "is corrupted" in verify.stderr


def test_archive_without_checksum_file_is_refused(site):
    taken = site.run("backup").result
    os.unlink(taken["path"] + ".sha256")
    proc = site.run("restore", check=False)
    assert proc.returncode == 1 and "no checksum file" in proc.stderr


def test_damaged_live_database_is_not_archived_as_a_good_backup(site):
    with open(site.db, "r+b") as handle:
        handle.write(b"this is not an sqlite database header")
    proc = site.run("backup", check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "no archive written" in proc.stderr or "failed" in proc.stderr
    assert not [n for n in os.listdir(site.backups) if n.endswith(".tar.gz")]


def _touch_archives(site, stamps, site_name="demo"):
    os.makedirs(site.backups, exist_ok=True)
    names = []
    for stamp in stamps:
        name = "%s_%s_scheduled.tar.gz" % (site_name, stamp)
        for path in (name, name + ".sha256"):
            with open(os.path.join(site.backups, path), "w", encoding="ascii") as handle:
                handle.write("x")
        names.append(name)
    return names


def test_prune_keeps_exactly_the_configured_dailies_and_weeklies(site):
    # Two backups a day from Mon 2026-10-05 to Wed 2026-11-25.
    stamps = []
    for month, first, last in ((10, 5, 31), (11, 1, 25)):
        for day in range(first, last + 1):
            stamps += ["2026%02d%02dT030000Z" % (month, day), "2026%02d%02dT150000Z" % (month, day)]
    _touch_archives(site, stamps)
    _touch_archives(site, ["20260101T000000Z"], site_name="othersite")
    with open(os.path.join(site.backups, "notes.txt"), "w", encoding="ascii") as handle:
        handle.write("not an archive")
    site.write_config(keep_daily=3, keep_weekly=3)

    result = site.run("prune").result

    # Days: 25, 24, 23 Nov (newest each). ISO weeks: Mon 23 Nov (-> 25th, already kept), 16-22 Nov (-> 22nd),
    # 9-15 Nov (-> 15th).
    expected = {"demo_202611%sT150000Z_scheduled.tar.gz" % d for d in ("25", "24", "23", "22", "15")}
    assert set(result["kept"]) == expected
    left = {n for n in os.listdir(site.backups) if n.startswith("demo_") and n.endswith(".tar.gz")}
    assert left == expected
    assert {n[:-len(".sha256")] for n in os.listdir(site.backups) if n.startswith("demo_") and n.endswith(".sha256")} == expected
    assert "othersite_20260101T000000Z_scheduled.tar.gz" in os.listdir(site.backups)
    assert "notes.txt" in os.listdir(site.backups)
    assert len(result["removed"]) == len(stamps) - 5


def test_prune_counts_days_that_have_backups_not_calendar_days(tool):
    names = ["demo_20261101T010000Z_scheduled.tar.gz", "demo_20261101T020000Z_scheduled.tar.gz",
             "demo_20261110T010000Z_scheduled.tar.gz", "demo_20261120T010000Z_scheduled.tar.gz",
             "demo_20261120T010000Z-1_scheduled.tar.gz"]
    archives = tool.archives_of("demo", names)
    assert tool.select_kept(archives, 2, 0) == {"demo_20261120T010000Z-1_scheduled.tar.gz", "demo_20261110T010000Z_scheduled.tar.gz"}
    assert tool.select_kept(archives, 0, 2) == {"demo_20261120T010000Z-1_scheduled.tar.gz", "demo_20261110T010000Z_scheduled.tar.gz"}
    assert tool.select_kept(archives, 1, 3) == {"demo_20261120T010000Z-1_scheduled.tar.gz", "demo_20261110T010000Z_scheduled.tar.gz",
                                                "demo_20261101T020000Z_scheduled.tar.gz"}
    assert len(tool.select_kept(archives, 10, 10)) == 3  # one per day that has backups
    # Safety archives (manual, pre-deploy, ...) neither count as a day nor are rotated: test_safety_retention.py.
    safety = tool.archives_of("demo", names + ["demo_20261121T010000Z_manual.tar.gz"])
    assert tool.select_kept(safety, 2, 0) == tool.select_kept(archives, 2, 0) | {"demo_20261121T010000Z_manual.tar.gz"}


def test_two_backups_in_the_same_second_get_distinct_names(site):
    names = {site.run("backup").result["name"] for _attempt in range(3)}
    assert len(names) == 3


def test_config_file_with_secret_readable_by_others_is_refused(site):
    site.write_config(extra="[s3]\nendpoint = http://127.0.0.1:9\nbucket = b\naccess_key = AK\nsecret_key = SECRET\n", mode=0o644)
    proc = site.run("list", check=False)
    assert proc.returncode == 1
    assert "chmod 600" in proc.stderr
    assert "SECRET" not in proc.stderr


def test_bad_settings_fail_with_a_message_not_a_traceback(site):
    site.write_config(extra="", keep_daily=0, keep_weekly=0)
    proc = site.run("prune", check=False)
    assert proc.returncode == 1 and "would delete every backup" in proc.stderr and "Traceback" not in proc.stderr


def test_offsite_upload_lands_in_s3_and_restore_takes_it_from_there(site, s3_bucket):
    client, bucket, env = s3_bucket
    before = canonical_dump(site.db)
    taken = site.run("backup", "--offsite", env=env).result
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["pytrackdat/demo/" + taken["name"], "pytrackdat/demo/" + taken["name"] + ".sha256"]
    body = client.get_object(Bucket=bucket, Key="pytrackdat/demo/" + taken["name"])["Body"].read()
    assert len(body) == os.path.getsize(taken["path"])

    # The server is lost: no local archives, no database.
    for name in os.listdir(site.backups):
        if name.endswith((".tar.gz", ".sha256")):
            os.unlink(os.path.join(site.backups, name))
    os.unlink(site.db)

    assert site.run("list", "--remote", env=env).result["archives"] == [taken["name"]]
    restored = site.run("restore", "--from-remote", env=env).result
    assert restored["restored"] == taken["name"]
    assert canonical_dump(site.db) == before


def test_offsite_retention_is_exact_and_a_corrupted_remote_copy_is_refused(site, s3_bucket, tool):
    client, bucket, env = s3_bucket
    taken = site.run("backup").result
    with open(taken["path"], "rb") as handle:
        data = handle.read()
    # The same archive under five dated names (each with its own checksum line), uploaded one by one.
    stamps = ["20261101T010000Z", "20261102T010000Z", "20261109T010000Z", "20261110T010000Z", "20261111T010000Z"]
    for stamp in stamps:
        name = "demo_%s_scheduled.tar.gz" % stamp
        with open(os.path.join(site.backups, name), "wb") as handle:
            handle.write(data)
        with open(os.path.join(site.backups, name + ".sha256"), "w", encoding="ascii") as handle:
            handle.write("%s  %s\n" % (taken["sha256"], name))
        site.run("upload", name, env=env)
    os.unlink(taken["path"])
    os.unlink(taken["path"] + ".sha256")
    env = dict(env)
    site.write_config(keep_daily=2, keep_weekly=2)
    result = site.run("prune", "--remote", env=env).result
    # Days: 11th, 10th. Weeks: 9-15 Nov (11th), 26 Oct-1 Nov? no: 2 Nov is a Monday -> week 2-8 Nov (2nd).
    assert set(result["kept"]) == {"demo_20261111T010000Z_scheduled.tar.gz", "demo_20261110T010000Z_scheduled.tar.gz",
                                   "demo_20261102T010000Z_scheduled.tar.gz"}
    keys = sorted(o["Key"].rsplit("/", 1)[1] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(result["kept"] + [n + ".sha256" for n in result["kept"]])
    assert tool.S3Client  # the tool's own client did the work above, not boto3

    # A remote copy damaged in transit or at rest is refused and not left behind.
    bad = "demo_20261111T010000Z_scheduled.tar.gz"
    client.put_object(Bucket=bucket, Key="pytrackdat/demo/" + bad, Body=data[:-10] + b"0123456789")
    for name in os.listdir(site.backups):
        if name.endswith((".tar.gz", ".sha256")):
            os.unlink(os.path.join(site.backups, name))
    proc = site.run("restore", "--from-remote", env=env, check=False)
    assert proc.returncode == 1 and "is corrupted" in proc.stderr
    assert bad not in os.listdir(site.backups)


def test_wrong_s3_credentials_give_a_clear_error(site, s3_bucket, tmp_path):
    _client, _bucket, env = s3_bucket
    site.run("backup")
    # The endpoint refuses every connection: the whole retry schedule runs, its waits recorded, not slept
    # (sleep_recorder/sitecustomize.py), so the test checks the schedule instead of waiting ~15 s for it.
    delays = tmp_path / "delays"
    env = dict(env, PTD_BACKUP_S3_ENDPOINT="http://127.0.0.1:9", PTD_TEST_SLEEP_LOG=str(delays),
               PYTHONPATH=os.path.join(os.path.dirname(__file__), "sleep_recorder"))
    proc = site.run("upload", env=env, check=False)
    assert proc.returncode == 1 and "unreachable" in proc.stderr and "Traceback" not in proc.stderr
    waited = [float(line) for line in delays.read_text(encoding="ascii").split()]
    assert "gave up after %d attempts" % (len(waited) + 1) in proc.stderr, (waited, proc.stderr)
    assert len(waited) == 7 and all(0.1 <= d <= 8.0 for d in waited) and waited[-1] >= 4.0, waited  # backoff grows
    env.pop("PTD_BACKUP_S3_SECRET_KEY")
    proc = site.run("upload", env=env, check=False)
    assert proc.returncode == 1 and "credentials missing" in proc.stderr


def test_unsafe_archive_members_are_refused(site, tool):
    taken = site.run("backup").result
    evil = os.path.join(site.backups, "demo_20260101T000000Z_manual.tar.gz")
    with tarfile.open(taken["path"]) as src, tarfile.open(evil, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        link = tarfile.TarInfo("snapshots/escape")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        dst.addfile(link)
    with open(evil + ".sha256", "w", encoding="ascii") as handle:
        handle.write("%s  %s\n" % (tool.sha256_of(evil), os.path.basename(evil)))
    proc = site.run("restore", os.path.basename(evil), check=False)
    assert proc.returncode == 1 and "unsafe" in proc.stderr


@pytest.mark.parametrize("argv", [["--db", "x"], []])
def test_missing_required_settings_are_reported(tmp_path, argv):
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    from .conftest import TOOL  # pylint: disable=import-outside-toplevel
    proc = subprocess.run([sys.executable, TOOL] + argv + ["list"], capture_output=True, text=True, cwd=str(tmp_path), check=False)
    assert proc.returncode == 1 and "missing setting(s)" in proc.stderr


@pytest.mark.parametrize("method,key,query", [
    ("PUT", "pytrackdat/demo/demo_20261125T010203Z_manual.tar.gz", None),
    ("GET", "", {"list-type": "2", "prefix": "pytrackdat/demo/", "continuation-token": "a+b/c=="}),
    ("DELETE", "weird key/with spaces~and+plus.tar.gz", None),
])
def test_sigv4_signature_matches_botocore(tool, method, key, query):
    # moto does not check signatures; botocore's signer is the reference DigitalOcean Spaces and AWS accept.
    import datetime  # pylint: disable=import-outside-toplevel
    from botocore.auth import S3SigV4Auth  # pylint: disable=import-outside-toplevel
    from botocore.awsrequest import AWSRequest  # pylint: disable=import-outside-toplevel
    from botocore.credentials import Credentials  # pylint: disable=import-outside-toplevel
    client = tool.S3Client("https://fra1.digitaloceanspaces.com", "my-space", "fra1", "AKEXAMPLE", "secret/EXAMPLE+key")
    now = datetime.datetime(2026, 11, 25, 13, 45, 6, tzinfo=datetime.timezone.utc)
    payload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    url, headers = client.sign(method, key, query, payload, 0 if method == "PUT" else None, None, now)
    ours = headers.pop("authorization")
    request = AWSRequest(method=method, url=url, headers=dict(headers.items()))
    request.context["timestamp"] = "20261125T134506Z"
    signer = S3SigV4Auth(Credentials("AKEXAMPLE", "secret/EXAMPLE+key"), "s3", "fra1")
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    assert ours.endswith("Signature=" + signature)
