"""What changed between two snapshots of the data package: tables, fields, constraints and rows.

Each kind of change names the version step it needs (:class:`Kind`; :mod:`semver` applies the
steps, :mod:`changelog` writes the changes up). Rows are matched by primary key and compared as
raw CSV text, so "1.0" -> "1" counts as a changed cell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from .snapshot import Snapshot, Table, names

# Descriptor properties a release rewrites itself; they never count as a change.
STAMPED_PACKAGE_KEYS = frozenset({"version", "created"})
STAMPED_RESOURCE_KEYS = frozenset({"hash", "bytes"})
# Where a resource's file or schema lives: moving them needs no new version.
LOCATION_RESOURCE_KEYS = frozenset({"path", "schema"})
# Resource properties that change how the file is parsed.
PARSING_RESOURCE_KEYS = frozenset({"encoding", "dialect", "format", "mediatype", "scheme"})

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength")


class Level(IntEnum):
    """How big a version step is, smallest first (the rules are in :mod:`semver`)."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def word(self) -> str:
        return {0: "no", 1: "a patch", 2: "a minor", 3: "a major"}[int(self)]


MAJOR, MINOR, PATCH = Level.MAJOR, Level.MINOR, Level.PATCH


class Kind(Enum):
    """A kind of structural or metadata change (rows are counted in :class:`TableRows`).

    Each is (its name, the version step it needs, how a reason phrases it: ``{s}`` the subject,
    ``{d}`` the detail).
    """

    PACKAGE_RENAMED = ("package renamed", MAJOR, "package renamed")
    PACKAGE_METADATA = ("package metadata changed", PATCH, "{s} changed")
    TABLE_ADDED = ("table added", MINOR, "table {s} added")
    TABLE_REMOVED = ("table removed", MAJOR, "table {s} removed")
    RESOURCE_PARSING = (
        "how the file is read changed",
        MAJOR,
        "{s} changed, which changes how the file is read",
    )
    RESOURCE_METADATA = ("table metadata changed", PATCH, "{s} changed")
    FIELD_ADDED = ("field added", MINOR, "field {s} added")
    FIELD_REMOVED = ("field removed", MAJOR, "field {s} removed")
    FIELD_TYPE = ("field type changed", MAJOR, "field {s} changed type")
    FIELD_FORMAT = ("field format changed", MAJOR, "field {s} changed format")
    FIELDS_REORDERED = ("fields reordered", MAJOR, "fields of {s} reordered")
    CONSTRAINT_TIGHTENED = (
        "constraint more restrictive",
        MAJOR,
        "constraint of field {s} made more restrictive",
    )
    CONSTRAINT_RELAXED = (
        "constraint less restrictive",
        MINOR,
        "constraint of field {s} made less restrictive",
    )
    FIELD_METADATA = ("field metadata changed", PATCH, "field {s}: {d} changed")
    PRIMARY_KEY = ("primary key changed", MAJOR, "primary key of {s} changed")
    FOREIGN_KEY_ADDED = ("foreign key added", MAJOR, "foreign key added to {s}")
    FOREIGN_KEY_REMOVED = ("foreign key removed", MINOR, "foreign key removed from {s}")
    MISSING_VALUES = ("missing values changed", MAJOR, "missing values of {s} changed")
    SCHEMA_METADATA = ("schema metadata changed", PATCH, "{s} changed")

    @property
    def label(self) -> str:
        return str(self.value[0])

    @property
    def level(self) -> Level:
        return Level(self.value[1])


@dataclass(frozen=True)
class Change:
    """One structural or metadata fact, e.g. ``Change(FIELD_REMOVED, "targets.unit")``."""

    kind: Kind
    subject: str
    detail: str = ""

    @property
    def reason(self) -> str:
        """The change as "<what> <verb>", e.g. "field targets.unit removed"."""
        template = self.kind.value[2]
        text = template.format(s=self.subject, d=self.detail)
        return f"{text} ({self.detail})" if self.detail and "{d}" not in template else text


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

    @property
    def empty(self) -> bool:
        return not self.changes and all(r.unchanged for r in self.rows.values())


def compare(old: Snapshot, new: Snapshot) -> PackageDiff:
    """Compare two snapshots of the same data package."""
    before, after = old.descriptor, new.descriptor
    changes = _changed(Kind.PACKAGE_RENAMED, "package", before.get("name"), after.get("name"), repr)
    ignored = STAMPED_PACKAGE_KEYS | {"name", "resources"}
    changes += [
        Change(Kind.PACKAGE_METADATA, f"package {k}") for k in _differing(before, after, ignored)
    ]
    added = [(n, t) for n, t in new.tables.items() if n not in old.tables]
    changes += [Change(Kind.TABLE_ADDED, n, plural(len(t.rows))) for n, t in added]
    removed = [(n, t) for n, t in old.tables.items() if n not in new.tables]
    changes += [Change(Kind.TABLE_REMOVED, n, plural(len(t.rows))) for n, t in removed]
    rows: dict[str, TableRows] = {}
    for name, new_table in new.tables.items():
        old_table = old.tables.get(name)
        if old_table is None:
            continue
        changes += _resource_changes(name, old_table.resource, new_table.resource)
        changes += _schema_changes(name, old_table.schema, new_table.schema)
        rows[name] = _row_changes(old_table, new_table, old)
    return PackageDiff(old.label, new.label, changes, rows)


def plural(count: int, word: str = "row") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _changed(
    kind: Kind, subject: str, before: Any, after: Any, shown: Callable[[Any], str] = str
) -> list[Change]:
    """The change from ``before`` to ``after`` (none when they are equal)."""
    return [] if before == after else [Change(kind, subject, f"{shown(before)} → {shown(after)}")]


def _differing(old: dict[str, Any], new: dict[str, Any], ignored: AbstractSet[str]) -> list[str]:
    """The keys, other than ``ignored``, whose values differ, sorted."""
    return [k for k in sorted((set(old) | set(new)) - ignored) if old.get(k) != new.get(k)]


def _resource_changes(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    for key in _differing(old, new, STAMPED_RESOURCE_KEYS | LOCATION_RESOURCE_KEYS | {"name"}):
        kind = Kind.RESOURCE_PARSING if key in PARSING_RESOURCE_KEYS else Kind.RESOURCE_METADATA
        changes += _changed(kind, f"{table} {key}", old.get(key), new.get(key), repr)
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
    changes += _changed(Kind.FIELDS_REORDERED, table, common_old, common_new, ", ".join)
    for name in common_new:
        changes += _field_changes(f"{table}.{name}", old_fields[name], new_fields[name])
    old_key, new_key = names(old.get("primaryKey")), names(new.get("primaryKey"))
    changes += _changed(Kind.PRIMARY_KEY, table, old_key, new_key, lambda k: ", ".join(k) or "none")
    old_fks, new_fks = _foreign_keys(table, old), _foreign_keys(table, new)
    changes += [Change(Kind.FOREIGN_KEY_ADDED, table, fk) for fk in sorted(new_fks - old_fks)]
    changes += [Change(Kind.FOREIGN_KEY_REMOVED, table, fk) for fk in sorted(old_fks - new_fks)]
    old_missing, new_missing = old.get("missingValues", [""]), new.get("missingValues", [""])
    changes += _changed(Kind.MISSING_VALUES, table, old_missing, new_missing, repr)
    structural = {"fields", "primaryKey", "foreignKeys", "missingValues"}
    changes += [
        Change(Kind.SCHEMA_METADATA, f"{table} schema {k}")
        for k in _differing(old, new, structural)
    ]
    return changes


def _field_changes(subject: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = _changed(
        Kind.FIELD_TYPE, subject, old.get("type", "string"), new.get("type", "string")
    )
    old_format, new_format = old.get("format", "default"), new.get("format", "default")
    changes += _changed(Kind.FIELD_FORMAT, subject, old_format, new_format)
    for phrase, tightened in compare_constraints(
        old.get("constraints", {}), new.get("constraints", {})
    ):
        kind = Kind.CONSTRAINT_TIGHTENED if tightened else Kind.CONSTRAINT_RELAXED
        changes.append(Change(kind, subject, phrase))
    metadata = _differing(old, new, {"name", "type", "format", "constraints"})
    return changes + [Change(Kind.FIELD_METADATA, subject, key) for key in metadata]


def compare_constraints(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, bool]]:
    """(what changed, whether it accepts fewer values than before) for each changed constraint.

    >>> compare_constraints({"enum": ["a", "b"]}, {"enum": ["a"]})
    [('enum value(s) removed: b', True)]
    >>> compare_constraints({"required": True}, {})
    [('required → not required', False)]
    """
    keys = sorted(set(old) | set(new))
    return [_constraint(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _constraint(key: str, before: Any, after: Any) -> tuple[str, bool]:
    """What changed, and whether it accepts fewer values (when that cannot be told: it does)."""
    phrase = f"{key} {before!r} → {after!r}"
    if key in ("required", "unique"):
        flags = [key if value else f"not {key}" for value in (before, after)]
        return (" → ".join(flags), bool(after))
    if key == "enum":
        return _enum_change(before, after)
    if key == "pattern" and after is None:
        return ("pattern removed", False)
    if key not in LOWER_BOUNDS + UPPER_BOUNDS:  # a new pattern, or a constraint not known here
        return (phrase, True)
    if before is None or after is None:
        return (phrase, after is not None)
    try:
        raised = after > before
    except TypeError:
        return (phrase, True)
    return (phrase, raised if key in LOWER_BOUNDS else not raised)


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


def _references(
    schema: dict[str, Any], table: str
) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(own fields, referenced table, referenced fields); no table given means ``table``."""
    found = []
    for fk in schema.get("foreignKeys", []):
        reference = fk.get("reference", {})
        target = str(reference.get("resource", "")) or table
        found.append(
            (tuple(names(fk.get("fields"))), target, tuple(names(reference.get("fields"))))
        )
    return found


def _foreign_keys(table: str, schema: dict[str, Any]) -> set[str]:
    keys = _references(schema, table)
    return {f"({', '.join(own)}) → {target}({', '.join(refs)})" for own, target, refs in keys}


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
        for own, target, ref_fields in _references(other.schema, other.name):
            if target != table or list(ref_fields) != key_fields:
                continue
            used = {tuple(r.get(f, "") for f in own) for r in other.rows}
            hits = sorted(gone & used)
            if hits:
                found.setdefault(other.name, []).extend(hits)
    return found
