"""A data package as it stands in a folder or at a git ref: descriptor, schemas and raw rows.

The diff compares raw CSV text (not parsed values), so a snapshot needs nothing but the standard
library and works for any past release, even one whose schemas the current code cannot parse.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.datapackage import PackageError, parse_descriptor, resolve_inside, unsafe_reason

from .errors import ReleaseError
from .gitrepo import GitRepo

DESCRIPTOR = "datapackage.json"

Reader = Callable[[str], bytes | None]


@dataclass
class Table:
    """One resource: its schema descriptor and its rows as text, keyed by the CSV header."""

    name: str
    resource: dict[str, Any]
    schema: dict[str, Any]
    header: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def field_names(self) -> list[str]:
        return [str(f.get("name")) for f in self.schema.get("fields", [])]

    @property
    def primary_key(self) -> list[str]:
        key = self.schema.get("primaryKey", [])
        return [key] if isinstance(key, str) else [str(k) for k in key]

    def foreign_keys(self) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
        """(own fields, referenced table, referenced fields); "" as table means this one."""
        found = []
        for fk in self.schema.get("foreignKeys", []):
            own = fk.get("fields", [])
            reference = fk.get("reference", {})
            ref_fields = reference.get("fields", [])
            found.append(
                (
                    tuple([own] if isinstance(own, str) else own),
                    str(reference.get("resource", "")) or self.name,
                    tuple([ref_fields] if isinstance(ref_fields, str) else ref_fields),
                )
            )
        return found


@dataclass
class Snapshot:
    """A whole data package; ``label`` says where it came from (a ref or "working tree")."""

    label: str
    descriptor: dict[str, Any]
    tables: dict[str, Table]


def read(reader: Reader, label: str) -> Snapshot:
    """Read a package through ``reader`` (relative POSIX path -> bytes, or None if missing)."""
    try:
        descriptor = parse_descriptor(_text(reader, DESCRIPTOR, label), f"{label}: {DESCRIPTOR}")
    except PackageError as exc:
        raise ReleaseError(str(exc)) from None
    tables: dict[str, Table] = {}
    for resource in descriptor["resources"]:
        name = str(resource.get("name", ""))
        schema = resource.get("schema", {})
        if isinstance(schema, str):
            schema = _json(reader, _relative(schema, label), label)
        path = resource.get("path")
        if not isinstance(path, str):
            raise ReleaseError(
                f"{label}: resource {name!r} has path {path!r}; the release tools handle one "
                "relative CSV file per resource"
            )
        header, rows = _csv(reader, _relative(path, label), label)
        tables[name] = Table(name, dict(resource), dict(schema), header, rows)
    return Snapshot(label, descriptor, tables)


def from_directory(root: Path) -> Snapshot:
    """The package in folder ``root`` (the working tree)."""

    def reader(path: str) -> bytes | None:
        target, reason = resolve_inside(root, path)  # links must stay inside the tree too
        if target is None:
            raise ReleaseError(f"working tree: {path!r}: {reason}")
        return target.read_bytes() if target.is_file() else None

    return read(reader, "working tree")


def from_git(repo: GitRepo, ref: str) -> Snapshot:
    """The package as committed at ``ref``."""
    repo.resolve(ref)
    return read(lambda path: repo.show(ref, path), ref)


def _relative(path: str, label: str) -> str:
    reason = unsafe_reason(path)
    if reason is not None:
        raise ReleaseError(f"{label}: {path!r} is not a path inside the data package: {reason}")
    return str(PurePosixPath(path))


def _text(reader: Reader, path: str, label: str) -> str:
    data = reader(path)
    if data is None:
        raise ReleaseError(f"{label}: {path} does not exist")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReleaseError(f"{label}: {path} is not UTF-8: {exc}") from None


def _json(reader: Reader, path: str, label: str) -> Any:
    try:
        return json.loads(_text(reader, path, label))
    except json.JSONDecodeError as exc:
        raise ReleaseError(f"{label}: {path} is not valid JSON: {exc}") from None


def _csv(reader: Reader, path: str, label: str) -> tuple[list[str], list[dict[str, str]]]:
    text = _text(reader, path, label)
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records:
        return [], []
    header = records[0]
    rows = [dict(zip(header, record, strict=False)) for record in records[1:] if record]
    return header, rows
