"""Stamp the descriptor for a release: version, ``created``, source documents, bytes and hashes.

``bytes`` and ``hash`` ("sha256:<hex>") let frictionless and the loader check that every CSV
file is the one that was released. They go stale when a CSV file is edited afterwards:
``python -m scripts.release stamp`` recomputes them (the version is left alone).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from cnplans.datapackage import PackageError, inside, read_descriptor
from cnplans.datapackage.hashes import file_sha256

from .errors import ReleaseError

DESCRIPTOR = "datapackage.json"
SOURCES_TABLE = "sources"


def file_stamp(path: Path) -> tuple[int, str]:
    """(size in bytes, "sha256:<hex>") of a file."""
    try:
        digest = file_sha256(path)
    except FileNotFoundError:
        raise ReleaseError(f"{path} does not exist, but datapackage.json lists it") from None
    return path.stat().st_size, f"sha256:{digest}"


def source_documents(root: Path, descriptor: dict[str, Any]) -> list[dict[str, str]] | None:
    """The descriptor's ``sources``: title and archived path of each row of the sources table.

    None when the package has no ``sources`` table with ``title`` and ``path`` columns.
    """
    resource = next((r for r in descriptor["resources"] if r.get("name") == SOURCES_TABLE), None)
    if resource is None or not isinstance(resource.get("path"), str):
        return None
    path = _file(root, resource["path"], f"resource {SOURCES_TABLE!r} path")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    if not rows or "title" not in rows[0] or "path" not in rows[0]:
        return None
    return [{"title": row["title"], "path": row["path"]} for row in rows if row["title"]]


def stamped(
    root: Path,
    descriptor: dict[str, Any],
    *,
    version: str | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    """A copy of ``descriptor`` stamped from the files in ``root`` (key order kept)."""
    result = dict(descriptor)
    if version is not None:
        result["version"] = version
    if created is not None:
        result = _with_key(result, "created", created, after="version")
    documents = source_documents(root, descriptor)
    if documents is not None:
        result = _with_key(result, "sources", documents, before="resources")
    resources = []
    for resource in descriptor["resources"]:
        resource = dict(resource)
        path = resource.get("path")
        if isinstance(path, str):
            size, digest = file_stamp(_file(root, path, f"resource {resource.get('name')!r} path"))
            resource["bytes"] = size
            resource["hash"] = digest
        resources.append(resource)
    result["resources"] = resources
    return result


def dump(descriptor: dict[str, Any]) -> str:
    """The descriptor as datapackage.json text (two-space indent, UTF-8, final newline)."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def read(root: Path) -> dict[str, Any]:
    """The descriptor ``root/datapackage.json``; a :class:`ReleaseError` says what is wrong."""
    try:
        return read_descriptor(root / DESCRIPTOR)
    except PackageError as exc:
        raise ReleaseError(
            f"{exc}; the release tools read {DESCRIPTOR} at the package root"
        ) from None


def _file(root: Path, relative: object, what: str) -> Path:
    """The file ``relative`` names inside ``root``; a :class:`ReleaseError` if it is not safe."""
    try:
        return inside(root, relative, f"{root / DESCRIPTOR}: {what}")
    except PackageError as exc:
        raise ReleaseError(str(exc)) from None


def _with_key(
    data: dict[str, Any],
    key: str,
    value: Any,
    *,
    after: str | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """``data`` with ``key`` set; a new key goes right after ``after`` or before ``before``."""
    if key in data:
        return {**data, key: value}
    result: dict[str, Any] = {}
    for existing, item in data.items():
        if existing == before:
            result[key] = value
        result[existing] = item
        if existing == after:
            result[key] = value
    result.setdefault(key, value)
    return result
