# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export and import every table of a PyTrackDat site's `core` app as CSV - the upstream path for a changed design.

Runs inside the site's Django, through `manage.py shell`:
  PTD_TABLES_MODE=export PTD_TABLES_DIR=/x python3 manage.py shell -c "exec(open('ptd_tables.py').read())"
  PTD_TABLES_MODE=import PTD_TABLES_DIR=/x [PTD_TABLES_RESET=1] python3 manage.py shell -c "..."

export: one <model>.csv per model of the `core` app (header = field names, NULL written as \\N), plus
        manifest.json (row count per model, field names, foreign-key order).
import: with PTD_TABLES_RESET=1 first drops the database's core_* tables and core's migration records and runs
        `migrate` (the new design's tables are created; users, sessions and admin history are kept), then loads the
        CSVs in foreign-key order mapping columns by field name, in one transaction, and checks that every table
        has exactly the exported row count. Refuses (nothing imported) when a table with rows or a column holding
        data has no place in the new design, or a new required field has no default. A new text field (CharField,
        TextField: PyTrackDat writes them without null=True or a default, even for a "nullable" design field) gets
        the empty string in the old rows, the value PyTrackDat's own CSV import and Django's admin store for "no
        text". Row timestamps (PyTrackDat's pdt_created_at / pdt_modified_at, auto_now_add / auto_now) keep their
        exported values instead of becoming the time of the import.
Writes result.json into PTD_TABLES_DIR and exits non-zero on any error.
"""

import csv
import json
import os
import sys

from django.apps import apps  # pylint: disable=import-error
from django.core.management import call_command  # pylint: disable=import-error
from django.db import connection, transaction  # pylint: disable=import-error

NULL = "\\N"
BATCH = 500


class TablesError(Exception):
    """A reason to refuse the import; nothing is written."""


def core_models():
    return list(apps.get_app_config("core").get_models())


def fk_order(model_list):
    """Models sorted so that every model comes after the models its foreign keys point to."""
    by_label = {m._meta.label_lower: m for m in model_list}
    deps = {label: {f.related_model._meta.label_lower for f in m._meta.concrete_fields
                    if f.is_relation and f.related_model is not None and f.related_model._meta.label_lower in by_label
                    and f.related_model._meta.label_lower != label}
            for label, m in by_label.items()}
    ordered = []
    while deps:
        ready = sorted(label for label, needs in deps.items() if not needs - set(ordered))
        if not ready:  # a cycle of foreign keys: load the rest in name order, FK checks are deferred to commit
            ready = sorted(deps)
        for label in ready:
            ordered.append(label)
            del deps[label]
    return [by_label[label] for label in ordered]


def export(directory):
    os.makedirs(directory, exist_ok=True)
    manifest = {"order": [], "counts": {}, "fields": {}, "tables": {}}
    for model in fk_order(core_models()):
        name = model._meta.model_name
        fields = list(model._meta.concrete_fields)
        count = 0
        with open(os.path.join(directory, name + ".csv"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([f.name for f in fields])
            for obj in model._default_manager.order_by("pk").iterator():
                writer.writerow([NULL if getattr(obj, f.attname) is None else f.value_to_string(obj) for f in fields])
                count += 1
        manifest["order"].append(name)
        manifest["counts"][name] = count
        manifest["fields"][name] = [f.name for f in fields]
        manifest["tables"][name] = model._meta.db_table
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
    return {"exported": manifest["counts"], "order": manifest["order"]}


def reset_core():
    """Drop the old design's core tables and forget core's migrations, then create the new design's tables."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in connection.introspection.table_names(cursor):
            if table.startswith("core_"):
                cursor.execute('DROP TABLE "%s"' % table.replace('"', '""'))
        cursor.execute("DELETE FROM django_migrations WHERE app = 'core'")
        cursor.execute("PRAGMA foreign_keys = ON")
    call_command("migrate", interactive=False, verbosity=0)


def _read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, list(reader)


def _empty_string_field(field):
    """A string field whose "no value" is '' (Django's get_default() gives '' to a new row that does not set it).
    Not for unique fields: two old rows with '' would collide."""
    return field.empty_strings_allowed and not field.unique and not field.is_relation


def _new_text_fields(work):
    """The new text fields the old rows got '' in."""
    return sorted("%s.%s" % (model._meta.model_name, f.name) for model, header, rows in work if rows
                  for f in model._meta.concrete_fields if f.name not in header and _empty_string_field(f)
                  and not f.null and not f.has_default())


class _KeptTimestamps:
    """Switch off auto_now / auto_now_add on the models' fields while importing, so the exported creation and
    modification times are stored as they were (Django's pre_save would overwrite them with the current time).
    Only for fields the export has: a timestamp field new in this design still gets the current time."""

    def __init__(self, work):
        self.saved = [(f, f.auto_now, f.auto_now_add) for model, header, _rows in work for f in model._meta.concrete_fields
                      if f.name in header and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))]

    def __enter__(self):
        for field, _now, _add in self.saved:
            field.auto_now = field.auto_now_add = False
        return self

    def __exit__(self, *exc):
        for field, now, add in self.saved:
            field.auto_now, field.auto_now_add = now, add
        return False


def plan(directory, manifest):
    """Check that every exported row and value has a place in the new design. Returns [(model, header, rows)]."""
    new_models = {m._meta.model_name: m for m in core_models()}
    problems, work = [], []
    for name in manifest["order"]:
        header, rows = _read_rows(os.path.join(directory, name + ".csv"))
        model = new_models.get(name)
        if model is None:
            if rows:
                problems.append("table %s (%d rows) does not exist in the new design" % (name, len(rows)))
            continue
        fields = {f.name: f for f in model._meta.concrete_fields}
        for index, column in enumerate(header):
            if column not in fields and any(row[index] != NULL and row[index] != "" for row in rows):
                problems.append("column %s.%s holds data but the new design has no field %s" % (name, column, column))
        for field in fields.values():
            if field.name not in header and rows and not field.null and not field.has_default() and not field.primary_key \
                    and not _empty_string_field(field):
                problems.append("new field %s.%s is required and has no default: the old rows have no value for it" % (name, field.name))
        work.append((model, header, rows))
    if problems:
        raise TablesError("; ".join(problems))
    return work


def import_(directory, reset):
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    if reset:
        reset_core()
    work = plan(directory, manifest)
    order = [m._meta.model_name for m in fk_order([w[0] for w in work])]
    work.sort(key=lambda w: order.index(w[0]._meta.model_name))
    with transaction.atomic(), _KeptTimestamps(work):
        for model, header, rows in work:
            if model._default_manager.exists():
                raise TablesError("table %s of the new database is not empty: refusing to import over data" % model._meta.db_table)
            fields = {f.name: f for f in model._meta.concrete_fields}
            columns = [(i, fields[c]) for i, c in enumerate(header) if c in fields]
            batch = []
            for row in rows:
                values = {}
                for index, field in columns:
                    raw = row[index]
                    values[field.attname] = None if raw == NULL else field.to_python(raw)
                batch.append(model(**values))
                if len(batch) >= BATCH:
                    model._default_manager.bulk_create(batch)
                    batch = []
            if batch:
                model._default_manager.bulk_create(batch)
        counts = {m._meta.model_name: m._default_manager.count() for m, _h, _r in work}
        expected = {name: count for name, count in manifest["counts"].items() if name in counts}
        if counts != expected:
            raise TablesError("row counts differ after the import: expected %s, got %s" % (expected, counts))
    return {"imported": counts, "expected": manifest["counts"], "order": order, "empty_text_fields": _new_text_fields(work)}


def run():
    mode = os.environ.get("PTD_TABLES_MODE")
    directory = os.environ.get("PTD_TABLES_DIR", "")
    result_path = os.path.join(directory, "result.json")
    try:
        if not directory:
            raise TablesError("PTD_TABLES_DIR is not set")
        if mode == "export":
            result = export(directory)
        elif mode == "import":
            result = import_(directory, os.environ.get("PTD_TABLES_RESET") == "1")
        else:
            raise TablesError("PTD_TABLES_MODE must be export or import, not %r" % mode)
        result["ok"] = True
    except (TablesError, OSError, ValueError, KeyError) as exc:
        result = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc) if not isinstance(exc, TablesError) else str(exc)}
    except Exception as exc:  # pylint: disable=broad-except  # e.g. a Django ValidationError or IntegrityError
        result = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    if directory and os.path.isdir(directory):
        with open(result_path, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
    print(json.dumps(result, sort_keys=True))
    if not result["ok"]:
        sys.exit(1)


run()
