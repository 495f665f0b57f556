"""Semantic versions for the data, after the Frictionless data-package-version pattern.

Each kind of change names the step it needs (:class:`~diff.Kind`); the rules are listed in
scripts/release/README.md ("Version rules"). A rename is a removal plus an addition: major.
"""

from __future__ import annotations

from dataclasses import dataclass

from .diff import Level, PackageDiff, plural
from .errors import Refused
from .gitrepo import RELEASE_TAG


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``X.Y.Z`` (no leading zeros, no prefix or suffix); anything else is Refused."""
        match = RELEASE_TAG.match("v" + text.strip())  # a version is its tag without the "v"
        if match is None:
            raise Refused(
                f"{text!r} is not a release version: expected MAJOR.MINOR.PATCH such as 1.2.0 "
                "(numbers without leading zeros, no 'v' prefix, no suffix)"
            )
        return cls(*(int(part) for part in match.groups()))

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
        bumped = {Level.MAJOR: (self.major + 1, 0, 0), Level.MINOR: (self.major, self.minor + 1, 0)}
        return Version(*bumped.get(level, (self.major, self.minor, self.patch + 1)))


@dataclass(frozen=True)
class Reason:
    """One change and the version step it needs, e.g. "field targets.unit removed"."""

    level: Level
    text: str


def reasons(diff: PackageDiff) -> list[Reason]:
    """Every change in ``diff`` with the step it needs, biggest first (stable within a level)."""
    found = [Reason(c.kind.level, c.reason) for c in diff.changes]
    for table, rows in diff.rows.items():
        if rows.added:
            found.append(Reason(Level.MINOR, f"{plural(len(rows.added))} added to {table}"))
        if rows.changed_rows:
            found.append(Reason(Level.PATCH, f"{plural(rows.changed_rows)} changed in {table}"))
        if rows.removed:
            text = f"{plural(len(rows.removed))} removed from {table}"
            users = ", ".join(sorted(rows.removed_referenced))
            if users:
                found.append(Reason(Level.MAJOR, f"{text}, which {users} referred to"))
            else:
                found.append(Reason(Level.PATCH, text))
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
