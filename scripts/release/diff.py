"""What changed between two snapshots of the data package: tables, fields, constraints and rows.

This module only states facts (a field was removed, a row changed); :mod:`semver` decides what
version step each fact needs and :mod:`changelog` writes them up. Rows are matched by primary
key and compared as raw CSV text, so "1.0" -> "1" counts as a changed cell.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .snapshot import Snapshot, Table

# Descriptor properties a release rewrites itself; they never count as a change.
STAMPED_PACKAGE_KEYS = frozenset({"version", "created"})
STAMPED_RESOURCE_KEYS = frozenset({"hash", "bytes"})
# Where a resource's file or schema lives: moving them needs no new version.
LOCATION_RESOURCE_KEYS = frozenset({"path", "schema"})
# Resource properties that change how the file is parsed.
PARSING_RESOURCE_KEYS = frozenset({"encoding", "dialect", "format", "mediatype", "scheme"})

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength")


class Kind(Enum):
    """Kinds of structural and metadata change (rows are counted in :class:`TableRows`)."""

    PACKAGE_RENAMED = "package renamed"
    PACKAGE_METADATA = "package metadata changed"
    TABLE_ADDED = "table added"
    TABLE_REMOVED = "table removed"
    RESOURCE_PARSING = "how the file is read changed"
    RESOURCE_METADATA = "table metadata changed"
    FIELD_ADDED = "field added"
    FIELD_REMOVED = "field removed"
    FIELD_TYPE = "field type changed"
    FIELD_FORMAT = "field format changed"
    FIELDS_REORDERED = "fields reordered"
    CONSTRAINT_TIGHTENED = "constraint more restrictive"
    CONSTRAINT_RELAXED = "constraint less restrictive"
    FIELD_METADATA = "field metadata changed"
    PRIMARY_KEY = "primary key changed"
    FOREIGN_KEY_ADDED = "foreign key added"
    FOREIGN_KEY_REMOVED = "foreign key removed"
    MISSING_VALUES = "missing values changed"
    SCHEMA_METADATA = "schema metadata changed"


@dataclass(frozen=True)
class Change:
    """One structural or metadata fact, e.g. ``Change(FIELD_REMOVED, "targets.unit")``."""

    kind: Kind
    subject: str
    detail: str = ""

    def sentence(self) -> str:
        text = f"{self.kind.value}: {self.subject}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class CellChange:
    key: tuple[str, ...]
    field: str
    old: str
    new: str


@dataclass
class TableRows:
    """Row changes of one table present in both snapshots."""

    table: str
    key_fields: list[str]
    rows_before: int
    rows_after: int
    added: list[tuple[str, ...]] = field(default_factory=list)
    removed: list[tuple[str, ...]] = field(default_factory=list)
    changed_rows: int = 0
    cells: list[CellChange] = field(default_factory=list)
    # Removed keys that rows of the old release referred to through a foreign key:
    # referring table -> removed keys it used.
    removed_referenced: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    note: str = ""

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed_rows)


@dataclass
class PackageDiff:
    """Everything that changed from ``old`` to ``new``."""

    old_label: str
    new_label: str
    changes: list[Change]
    rows: dict[str, TableRows]
    added_tables: dict[str, int]  # new table -> row count
    removed_tables: dict[str, int]  # removed table -> row count it had

    @property
    def empty(self) -> bool:
        return not self.changes and all(r.unchanged for r in self.rows.values())


def compare(old: Snapshot, new: Snapshot) -> PackageDiff:
    """Compare two snapshots of the same data package."""
    changes = _package_changes(old.descriptor, new.descriptor)
    added = {n: len(t.rows) for n, t in new.tables.items() if n not in old.tables}
    removed = {n: len(t.rows) for n, t in old.tables.items() if n not in new.tables}
    changes += [Change(Kind.TABLE_ADDED, n, _rows(c)) for n, c in added.items()]
    changes += [Change(Kind.TABLE_REMOVED, n, _rows(c)) for n, c in removed.items()]
    rows: dict[str, TableRows] = {}
    for name, new_table in new.tables.items():
        old_table = old.tables.get(name)
        if old_table is None:
            continue
        changes += _resource_changes(name, old_table.resource, new_table.resource)
        changes += _schema_changes(name, old_table.schema, new_table.schema)
        rows[name] = _row_changes(old_table, new_table, old)
    return PackageDiff(old.label, new.label, changes, rows, added, removed)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


# ------------------------------------------------------------------------------------------
# Descriptor and schemas
# ------------------------------------------------------------------------------------------


def _package_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    if old.get("name") != new.get("name"):
        changes.append(
            Change(Kind.PACKAGE_RENAMED, "package", f"{old.get('name')!r} → {new.get('name')!r}")
        )
    ignored = STAMPED_PACKAGE_KEYS | {"name", "resources"}
    for key in sorted((set(old) | set(new)) - ignored):
        if old.get(key) != new.get(key):
            changes.append(Change(Kind.PACKAGE_METADATA, f"package {key}"))
    return changes


def _resource_changes(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    ignored = STAMPED_RESOURCE_KEYS | LOCATION_RESOURCE_KEYS | {"name"}
    for key in sorted((set(old) | set(new)) - ignored):
        if old.get(key) == new.get(key):
            continue
        kind = Kind.RESOURCE_PARSING if key in PARSING_RESOURCE_KEYS else Kind.RESOURCE_METADATA
        changes.append(Change(kind, f"{table} {key}", f"{old.get(key)!r} → {new.get(key)!r}"))
    return changes


def _schema_changes(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    old_fields = {str(f.get("name")): f for f in old.get("fields", [])}
    new_fields = {str(f.get("name")): f for f in new.get("fields", [])}
    changes = [
        Change(Kind.FIELD_REMOVED, f"{table}.{n}") for n in old_fields if n not in new_fields
    ]
    changes += [Change(Kind.FIELD_ADDED, f"{table}.{n}") for n in new_fields if n not in old_fields]
    common_old = [n for n in old_fields if n in new_fields]
    common_new = [n for n in new_fields if n in old_fields]
    if common_old != common_new:
        changes.append(
            Change(
                Kind.FIELDS_REORDERED, table, f"{', '.join(common_old)} → {', '.join(common_new)}"
            )
        )
    for name in common_new:
        changes += _field_changes(f"{table}.{name}", old_fields[name], new_fields[name])
    if _key(old.get("primaryKey")) != _key(new.get("primaryKey")):
        changes.append(
            Change(
                Kind.PRIMARY_KEY,
                table,
                f"{', '.join(_key(old.get('primaryKey'))) or 'none'} → "
                f"{', '.join(_key(new.get('primaryKey'))) or 'none'}",
            )
        )
    old_fks, new_fks = _foreign_keys(table, old), _foreign_keys(table, new)
    changes += [Change(Kind.FOREIGN_KEY_ADDED, table, fk) for fk in sorted(new_fks - old_fks)]
    changes += [Change(Kind.FOREIGN_KEY_REMOVED, table, fk) for fk in sorted(old_fks - new_fks)]
    if old.get("missingValues", [""]) != new.get("missingValues", [""]):
        changes.append(
            Change(
                Kind.MISSING_VALUES,
                table,
                f"{old.get('missingValues', [''])!r} → {new.get('missingValues', [''])!r}",
            )
        )
    structural = {"fields", "primaryKey", "foreignKeys", "missingValues"}
    for key in sorted((set(old) | set(new)) - structural):
        if old.get(key) != new.get(key):
            changes.append(Change(Kind.SCHEMA_METADATA, f"{table} schema {key}"))
    return changes


def _field_changes(subject: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    old_type, new_type = old.get("type", "string"), new.get("type", "string")
    if old_type != new_type:
        changes.append(Change(Kind.FIELD_TYPE, subject, f"{old_type} → {new_type}"))
    old_format, new_format = old.get("format", "default"), new.get("format", "default")
    if old_format != new_format:
        changes.append(Change(Kind.FIELD_FORMAT, subject, f"{old_format} → {new_format}"))
    for phrase, tightened in compare_constraints(
        old.get("constraints", {}), new.get("constraints", {})
    ):
        kind = Kind.CONSTRAINT_TIGHTENED if tightened else Kind.CONSTRAINT_RELAXED
        changes.append(Change(kind, subject, phrase))
    for key in sorted((set(old) | set(new)) - {"name", "type", "format", "constraints"}):
        if old.get(key) != new.get(key):
            changes.append(Change(Kind.FIELD_METADATA, subject, key))
    return changes


def compare_constraints(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, bool]]:
    """(what changed, whether it accepts fewer values than before) for each changed constraint.

    >>> compare_constraints({"enum": ["a", "b"]}, {"enum": ["a"]})
    [('enum value(s) removed: b', True)]
    >>> compare_constraints({"required": True}, {})
    [('required → not required', False)]
    """
    found: list[tuple[str, bool]] = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in ("required", "unique"):
            found.append((f"{_flag(key, before)} → {_flag(key, after)}", bool(after)))
        elif key == "enum":
            found.append(_enum_change(before, after))
        elif key in LOWER_BOUNDS + UPPER_BOUNDS:
            found.append(_bound_change(key, before, after))
        elif key == "pattern":
            if after is None:
                found.append(("pattern removed", False))
            else:
                found.append((f"pattern {before!r} → {after!r}", True))  # cannot tell: assume so
        else:  # a constraint these rules do not know: assume the worst
            found.append((f"{key} {before!r} → {after!r}", True))
    return found


def _flag(key: str, value: Any) -> str:
    return key if value else f"not {key}"


def _enum_change(before: Any, after: Any) -> tuple[str, bool]:
    if before is None:
        return ("enum added", True)
    if after is None:
        return ("enum removed", False)
    dropped = [v for v in before if v not in after]
    added = [v for v in after if v not in before]
    if dropped:
        return (f"enum value(s) removed: {', '.join(map(str, dropped))}", True)
    if added:
        return (f"enum value(s) added: {', '.join(map(str, added))}", False)
    return ("enum values reordered", False)


def _bound_change(key: str, before: Any, after: Any) -> tuple[str, bool]:
    phrase = f"{key} {before!r} → {after!r}"
    if after is None:
        return (phrase, False)
    if before is None:
        return (phrase, True)
    try:
        raised = after > before
    except TypeError:
        return (phrase, True)
    return (phrase, raised if key in LOWER_BOUNDS else not raised)


def _key(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _foreign_keys(table: str, schema: dict[str, Any]) -> set[str]:
    found = set()
    for fk in schema.get("foreignKeys", []):
        reference = fk.get("reference", {})
        target = reference.get("resource", "") or table
        found.add(
            f"({', '.join(_key(fk.get('fields')))}) → "
            f"{target}({', '.join(_key(reference.get('fields')))})"
        )
    return found


# ------------------------------------------------------------------------------------------
# Rows
# ------------------------------------------------------------------------------------------


def _row_changes(old: Table, new: Table, old_package: Snapshot) -> TableRows:
    key_fields = new.primary_key
    result = TableRows(new.name, key_fields, len(old.rows), len(new.rows))
    usable = bool(key_fields) and all(k in old.header for k in key_fields)
    if not usable:
        return _whole_row_changes(old, new, result)
    if old.primary_key != key_fields:
        result.note = f"matched on the new primary key ({', '.join(key_fields)})"
    old_rows = {tuple(r.get(k, "") for k in key_fields): r for r in old.rows}
    new_rows = {tuple(r.get(k, "") for k in key_fields): r for r in new.rows}
    result.added = sorted(k for k in new_rows if k not in old_rows)
    result.removed = sorted(k for k in old_rows if k not in new_rows)
    common_fields = [f for f in new.header if f in old.header]
    for key in sorted(k for k in new_rows if k in old_rows):
        before, after = old_rows[key], new_rows[key]
        cells = [
            CellChange(key, f, before.get(f, ""), after.get(f, ""))
            for f in common_fields
            if before.get(f, "") != after.get(f, "")
        ]
        if cells:
            result.changed_rows += 1
            result.cells.extend(cells)
    if result.removed:
        result.removed_referenced = _referenced(old_package, old.name, result.removed, key_fields)
    return result


def _whole_row_changes(old: Table, new: Table, result: TableRows) -> TableRows:
    """Tables without a usable primary key: rows compared as whole records (multisets)."""
    columns = [f for f in new.header if f in old.header]
    before = Counter(tuple(r.get(c, "") for c in columns) for r in old.rows)
    after = Counter(tuple(r.get(c, "") for c in columns) for r in new.rows)
    result.key_fields = columns
    result.added = sorted((after - before).elements())
    result.removed = sorted((before - after).elements())
    result.note = "no primary key to match rows on; a changed row shows as removed and added"
    return result


def _referenced(
    package: Snapshot, table: str, removed: list[tuple[str, ...]], key_fields: list[str]
) -> dict[str, list[tuple[str, ...]]]:
    """Which of the ``removed`` keys rows of ``package`` referred to, per referring table."""
    gone = set(removed)
    found: dict[str, list[tuple[str, ...]]] = {}
    for other in package.tables.values():
        for own, target, ref_fields in other.foreign_keys():
            if target != table or list(ref_fields) != key_fields:
                continue
            used = {tuple(r.get(f, "") for f in own) for r in other.rows}
            hits = sorted(gone & used)
            if hits:
                found.setdefault(other.name, []).extend(hits)
    return found
