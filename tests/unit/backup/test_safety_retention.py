# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safety archives (manual, pre-deploy, pre-update, pre-restore) are kept by their own rule: the newest
`keep_safety` of each kind. The scheduled daily/weekly rotation never prunes them, locally or off-site."""

import datetime
import os

from .conftest import canonical_dump

SAFETY_KINDS = ("manual", "pre-deploy", "pre-update", "pre-restore")


def _local_names(site):
    return sorted(n for n in os.listdir(site.backups) if n.startswith("demo_") and n.endswith(".tar.gz"))


def _plant(site, source, stamp, kind):
    """A copy of a real archive under another dated name, with its own checksum line (as if taken then)."""
    name = "demo_%s_%s.tar.gz" % (stamp, kind)
    with open(source["path"], "rb") as src, open(os.path.join(site.backups, name), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(site.backups, name + ".sha256"), "w", encoding="ascii") as handle:
        handle.write("%s  %s\n" % (source["sha256"], name))
    return name


def test_manual_backup_survives_a_scheduled_run_the_same_day(site):
    manual = site.run("backup", "--kind", "manual").result

    scheduled = site.run("backup", "--kind", "scheduled", "--prune").result

    assert manual["name"] not in scheduled["pruned"]
    assert set(_local_names(site)) == {manual["name"], scheduled["name"]}
    assert os.path.isfile(manual["path"] + ".sha256")
    assert site.run("verify", manual["name"]).returncode == 0


def test_pre_restore_archive_survives_scheduled_runs_on_later_days(site):
    original = canonical_dump(site.db)
    first = site.run("backup", "--kind", "scheduled").result
    restored = site.run("restore", first["name"]).result
    pre_restore = os.path.basename(restored["safety_backup"])
    assert pre_restore.endswith("_pre-restore.tar.gz")
    # The timer keeps running: a scheduled archive a minute later, then one a day for the next 20 days.
    taken_at = datetime.datetime.strptime(pre_restore.split("_")[1], "%Y%m%dT%H%M%SZ")
    for days in range(0, 21):
        stamp = (taken_at + datetime.timedelta(days=days, minutes=1)).strftime("%Y%m%dT%H%M%SZ")
        _plant(site, first, stamp, "scheduled")

    pruned = site.run("prune").result

    assert pre_restore in pruned["kept"] and pre_restore not in pruned["removed"]
    assert pre_restore in _local_names(site)
    # The state before the restore can still be put back.
    os.unlink(site.db)
    site.run("restore", pre_restore, "--no-safety-backup")
    assert canonical_dump(site.db) == original
    # The rotation itself is unchanged: 7 dailies and the weeklies among the scheduled archives only.
    scheduled_kept = [n for n in pruned["kept"] if n.endswith("_scheduled.tar.gz")]
    assert 7 <= len(scheduled_kept) <= 7 + 4


def test_safety_archives_are_kept_per_kind_up_to_keep_safety_and_older_ones_pruned(site):
    source = site.run("backup", "--kind", "scheduled").result
    os.unlink(source["path"] + ".sha256")
    planted = {kind: [] for kind in SAFETY_KINDS + ("scheduled",)}
    for day in range(1, 29):  # Sun 2026-11-01 .. Sat 2026-11-28
        stamp = "202611%02dT030000Z" % day
        planted["scheduled"].append(_plant(site, source, stamp, "scheduled"))
        kind = SAFETY_KINDS[day % len(SAFETY_KINDS)]
        planted[kind].append(_plant(site, source, "202611%02dT120000Z" % day, kind))
    os.unlink(source["path"])
    site.write_config(keep_daily=2, keep_weekly=1, extra="keep_safety = 3\n")

    result = site.run("prune").result

    expected = {"demo_20261128T030000Z_scheduled.tar.gz", "demo_20261127T030000Z_scheduled.tar.gz"}
    for kind in SAFETY_KINDS:
        expected |= set(planted[kind][-3:])  # each kind's three newest, whatever the days
    assert set(result["kept"]) == expected
    assert set(_local_names(site)) == expected
    assert len(result["removed"]) == 2 * 28 - len(expected)


def test_select_kept_rotates_scheduled_archives_and_keeps_safety_kinds_apart(tool):
    names = ["demo_20261101T010000Z_manual.tar.gz", "demo_20261101T020000Z_pre-deploy.tar.gz",
             "demo_20261102T010000Z_manual.tar.gz", "demo_20261103T010000Z_manual.tar.gz",
             "demo_20261110T010000Z_scheduled.tar.gz", "demo_20261110T020000Z_pre-restore.tar.gz",
             "demo_20261120T010000Z_scheduled.tar.gz", "demo_20261120T010000Z-1_scheduled.tar.gz",
             "demo_20261120T020000Z_pre-update.tar.gz", "demo_20261120T030000Z_some-future-kind.tar.gz"]
    archives = tool.archives_of("demo", names)

    kept = tool.select_kept(archives, keep_daily=1, keep_weekly=0, keep_safety=1)

    assert kept == {"demo_20261120T010000Z-1_scheduled.tar.gz", "demo_20261103T010000Z_manual.tar.gz",
                    "demo_20261101T020000Z_pre-deploy.tar.gz", "demo_20261110T020000Z_pre-restore.tar.gz",
                    "demo_20261120T020000Z_pre-update.tar.gz", "demo_20261120T030000Z_some-future-kind.tar.gz"}
    assert len(tool.select_kept(archives, keep_daily=1, keep_weekly=0, keep_safety=2)) == len(kept) + 1


def test_keep_safety_zero_is_refused(site):
    site.write_config(extra="keep_safety = 0\n")
    proc = site.run("prune", check=False)
    assert proc.returncode == 1 and "keep_safety" in proc.stderr and "Traceback" not in proc.stderr


def test_offsite_rotation_keeps_the_manual_copy_and_prunes_beyond_keep_safety(site, s3_bucket):
    client, bucket, env = s3_bucket
    site.write_config(extra="keep_safety = 2\n")
    manuals = [site.run("backup", "--kind", "manual", "--offsite", env=env).result["name"] for _run in range(3)]

    scheduled = site.run("backup", "--kind", "scheduled", "--offsite", "--prune", env=env).result

    remote = sorted(o["Key"].rsplit("/", 1)[1] for o in client.list_objects_v2(Bucket=bucket)["Contents"]
                    if o["Key"].endswith(".tar.gz"))
    assert remote == sorted(manuals[1:] + [scheduled["name"]])
    assert scheduled["pruned_remote"] == [manuals[0]]
    assert sorted(_local_names(site)) == sorted(manuals[1:] + [scheduled["name"]])
