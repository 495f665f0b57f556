"""Semantic versions for the data, after the Frictionless data-package-version pattern.

- MAJOR: a table or field is removed or renamed, a field's type or format changes, fields are
  reordered, a constraint accepts fewer values, the primary key or missing values change, a
  foreign key is added, or rows that other tables referred to are removed.
- MINOR: tables, fields or rows are added, or a constraint accepts more values.
- PATCH: values are corrected, rows nobody referred to are removed, descriptive metadata
  (titles, descriptions, keywords, ...) changes.

A rename is seen as a removal plus an addition, so it needs a major version like a removal.
Versions are plain ``MAJOR.MINOR.PATCH``; 0.x versions follow the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from .diff import Kind, PackageDiff
from .errors import Refused

_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


class Level(IntEnum):
    """How big a version step is, smallest first."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def word(self) -> str:
        return {0: "no", 1: "a patch", 2: "a minor", 3: "a major"}[int(self)]


RULES: dict[Kind, Level] = {
    Kind.PACKAGE_RENAMED: Level.MAJOR,
    Kind.TABLE_REMOVED: Level.MAJOR,
    Kind.RESOURCE_PARSING: Level.MAJOR,
    Kind.FIELD_REMOVED: Level.MAJOR,
    Kind.FIELD_TYPE: Level.MAJOR,
    Kind.FIELD_FORMAT: Level.MAJOR,
    Kind.FIELDS_REORDERED: Level.MAJOR,
    Kind.CONSTRAINT_TIGHTENED: Level.MAJOR,
    Kind.PRIMARY_KEY: Level.MAJOR,
    Kind.FOREIGN_KEY_ADDED: Level.MAJOR,
    Kind.MISSING_VALUES: Level.MAJOR,
    Kind.TABLE_ADDED: Level.MINOR,
    Kind.FIELD_ADDED: Level.MINOR,
    Kind.CONSTRAINT_RELAXED: Level.MINOR,
    Kind.FOREIGN_KEY_REMOVED: Level.MINOR,
    Kind.PACKAGE_METADATA: Level.PATCH,
    Kind.RESOURCE_METADATA: Level.PATCH,
    Kind.FIELD_METADATA: Level.PATCH,
    Kind.SCHEMA_METADATA: Level.PATCH,
}


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``X.Y.Z`` (no leading zeros, no prefix or suffix); anything else is Refused."""
        match = _VERSION.match(text.strip())
        if match is None:
            raise Refused(
                f"{text!r} is not a release version: expected MAJOR.MINOR.PATCH such as 1.2.0 "
                "(numbers without leading zeros, no 'v' prefix, no suffix)"
            )
        major, minor, patch = (int(part) for part in match.groups())
        return cls(major, minor, patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def tag(self) -> str:
        return f"v{self}"

    def step_from(self, previous: Version) -> Level:
        """Which component grew from ``previous`` (NONE if this version is not greater)."""
        if self <= previous:
            return Level.NONE
        if self.major > previous.major:
            return Level.MAJOR
        if self.minor > previous.minor:
            return Level.MINOR
        return Level.PATCH

    def smallest(self, level: Level) -> Version:
        """The smallest version after this one that is a step of ``level``."""
        if level == Level.MAJOR:
            return Version(self.major + 1, 0, 0)
        if level == Level.MINOR:
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)


@dataclass(frozen=True)
class Reason:
    """One change and the version step it needs, e.g. "field targets.unit removed"."""

    level: Level
    text: str


def reasons(diff: PackageDiff) -> list[Reason]:
    """Every change in ``diff`` with the step it needs, biggest first (stable within a level)."""
    found = [Reason(RULES[c.kind], _change_text(c.kind, c.subject, c.detail)) for c in diff.changes]
    for table, rows in diff.rows.items():
        if rows.added:
            found.append(Reason(Level.MINOR, f"{_count(len(rows.added))} added to {table}"))
        if rows.changed_rows:
            found.append(Reason(Level.PATCH, f"{_count(rows.changed_rows)} changed in {table}"))
        if rows.removed:
            users = ", ".join(sorted(rows.removed_referenced))
            if users:
                text = (
                    f"{_count(len(rows.removed))} removed from {table}, which {users} referred to"
                )
                found.append(Reason(Level.MAJOR, text))
            else:
                found.append(
                    Reason(Level.PATCH, f"{_count(len(rows.removed))} removed from {table}")
                )
    return sorted(found, key=lambda r: -r.level)


def required(diff: PackageDiff) -> Level:
    """The smallest step that covers every change (NONE when nothing changed)."""
    return max((r.level for r in reasons(diff)), default=Level.NONE)


def check(previous: Version, proposed: Version, diff: PackageDiff) -> list[Reason]:
    """Refuse ``proposed`` unless it is greater than ``previous`` by a big enough step.

    Returns the reasons (for the changelog) when the version is acceptable.
    """
    found = reasons(diff)
    step = proposed.step_from(previous)
    if step == Level.NONE:
        raise Refused(
            f"version {proposed} is not greater than the previous release {previous}; "
            f"use {previous.smallest(required(diff) or Level.PATCH)} or higher"
        )
    too_big = [r for r in found if r.level > step]
    if too_big:
        needed = max(r.level for r in too_big)
        lines = "\n".join(f"  - {r.text}: needs {r.level.word} version" for r in too_big)
        raise Refused(
            f"version {proposed} is {step.word} release after {previous}, which is too small "
            f"for these changes since {previous.tag}:\n{lines}\n"
            f"Use {previous.smallest(needed)} or higher."
        )
    return found


def _count(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _change_text(kind: Kind, subject: str, detail: str) -> str:
    """Phrase a change as "<what> <verb>", e.g. "field targets.unit removed"."""
    phrases = {
        Kind.TABLE_ADDED: "table {s} added",
        Kind.TABLE_REMOVED: "table {s} removed",
        Kind.FIELD_ADDED: "field {s} added",
        Kind.FIELD_REMOVED: "field {s} removed",
        Kind.FIELD_TYPE: "field {s} changed type",
        Kind.FIELD_FORMAT: "field {s} changed format",
        Kind.FIELDS_REORDERED: "fields of {s} reordered",
        Kind.CONSTRAINT_TIGHTENED: "constraint of field {s} made more restrictive",
        Kind.CONSTRAINT_RELAXED: "constraint of field {s} made less restrictive",
        Kind.PRIMARY_KEY: "primary key of {s} changed",
        Kind.FOREIGN_KEY_ADDED: "foreign key added to {s}",
        Kind.FOREIGN_KEY_REMOVED: "foreign key removed from {s}",
        Kind.MISSING_VALUES: "missing values of {s} changed",
        Kind.PACKAGE_RENAMED: "package renamed",
        Kind.RESOURCE_PARSING: "{s} changed, which changes how the file is read",
        Kind.PACKAGE_METADATA: "{s} changed",
        Kind.RESOURCE_METADATA: "{s} changed",
        Kind.FIELD_METADATA: "field {s}: {d} changed",
        Kind.SCHEMA_METADATA: "{s} changed",
    }
    template = phrases[kind]
    text = template.format(s=subject, d=detail)
    return f"{text} ({detail})" if detail and "{d}" not in template else text
