# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which archives ptd-backup keeps, locally and off-site (the same rule for both)."""

# Only the timer's archives rotate daily/weekly. Every other kind is a safety archive (taken by hand or before a
# change), kept by its own count per kind: a scheduled run must never delete the state from before a restore.
ROTATED_KIND = "scheduled"
DEFAULT_KEEP_SAFETY = 5


def select_kept(archives, keep_daily, keep_weekly, keep_safety=DEFAULT_KEEP_SAFETY):
    """Retention, two rules that never touch each other's archives:
    - scheduled archives rotate: the newest of each of the `keep_daily` most recent days (UTC) that have one,
      and the newest of each of the `keep_weekly` most recent ISO weeks that have one (an archive can satisfy both);
    - every other kind (manual, pre-deploy, pre-update, pre-restore, and any kind this version does not know)
      is a safety archive: the `keep_safety` newest of each kind are kept, whatever scheduled runs came after.
    `archives` are ptd_archive.ArchiveName objects. Returns the set of names to keep."""
    newest_first = sorted(archives, key=lambda a: a.sort_key, reverse=True)
    scheduled = [a for a in newest_first if a.kind == ROTATED_KIND]
    kept = set()
    for count, period in ((keep_daily, lambda a: a.time.date()), (keep_weekly, lambda a: a.time.isocalendar()[:2])):
        seen = []
        for archive in scheduled:
            key = period(archive)
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            kept.add(archive.name)
    per_kind = {}
    for archive in newest_first:
        if archive.kind == ROTATED_KIND:
            continue
        per_kind[archive.kind] = per_kind.get(archive.kind, 0) + 1
        if per_kind[archive.kind] <= keep_safety:
            kept.add(archive.name)
    return kept
