"""A data package as it stands in a folder or at a git ref: descriptor, schemas and raw rows.

The diff compares raw CSV text (not parsed values), so a snapshot needs nothing but the standard
library and works for any past release, even one whose schemas the current code cannot parse.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.datapackage import parse_descriptor, parse_json, resolve_inside, unsafe_reason
from cnplans.datapackage.paths import DESCRIPTOR_NAME as DESCRIPTOR

from .errors import ReleaseStepError
from .gitrepo import GitRepo

Reader = Callable[[str], bytes | None]


def names(value: Any) -> list[str]:
    """A key given as one field name or a list of them, as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@dataclass
class Table:
    """One resource: its schema descriptor and its rows as text, keyed by the CSV header."""

    name: str
    resource: dict[str, Any]
    schema: dict[str, Any]
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def primary_key(self) -> list[str]:
        return names(self.schema.get("primaryKey", []))


@dataclass
class Snapshot:
    """A whole data package; ``label`` says where it came from (a ref or "working tree")."""

    label: str
    descriptor: dict[str, Any]
    tables: dict[str, Table]


def read(reader: Reader, label: str) -> Snapshot:
    """Read a package through ``reader`` (relative POSIX path -> bytes, or None if missing)."""
    descriptor = parse_descriptor(_text(reader, DESCRIPTOR, label), f"{label}: {DESCRIPTOR}")
    tables: dict[str, Table] = {}
    for resource in descriptor["resources"]:
        name = str(resource.get("name", ""))
        schema = resource.get("schema", {})
        if isinstance(schema, str):
            schema = parse_json(_text(reader, schema, label), f"{label}: {schema}")
        path = resource.get("path")
        if not isinstance(path, str):
            raise ReleaseStepError(
                f"{label}: resource {name!r} has path {path!r}; the release tools handle one "
                "relative CSV file per resource"
            )
        header, *records = list(
            csv.reader(io.StringIO(_text(reader, path, label), newline=""))
        ) or [[]]
        rows = [dict(zip(header, record, strict=False)) for record in records if record]
        tables[name] = Table(name, dict(resource), dict(schema), header, rows)
    return Snapshot(label, descriptor, tables)


def from_directory(root: Path) -> Snapshot:
    """The package in folder ``root`` (the working tree)."""

    def reader(path: str) -> bytes | None:
        target, reason = resolve_inside(root, path)  # links must stay inside the tree too
        if target is None:
            raise ReleaseStepError(f"working tree: {path!r}: {reason}")
        return target.read_bytes() if target.is_file() else None

    return read(reader, "working tree")


def from_git(repo: GitRepo, ref: str) -> Snapshot:
    """The package as committed at ``ref``."""
    repo.resolve(ref)
    return read(lambda path: repo.show(ref, path), ref)


def _text(reader: Reader, path: str, label: str) -> str:
    """The UTF-8 text of the package file ``path``, which must be a safe relative path."""
    reason = unsafe_reason(path)
    if reason is not None:
        raise ReleaseStepError(f"{label}: {path!r} is not a path inside the data package: {reason}")
    data = reader(str(PurePosixPath(path)))
    if data is None:
        raise ReleaseStepError(f"{label}: {path} does not exist")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReleaseStepError(f"{label}: {path} is not UTF-8: {exc}") from None
