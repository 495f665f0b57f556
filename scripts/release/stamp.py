"""Stamp the descriptor for a release: version, ``created``, source documents, bytes and hashes.

``bytes`` and ``hash`` ("sha256:<hex>") go stale when a CSV file is edited afterwards:
``python -m scripts.release stamp`` recomputes them (the version is left alone).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from cnplans.datapackage import inside, read_text
from cnplans.datapackage.hashes import file_sha256

from .errors import ReleaseError

DESCRIPTOR = "datapackage.json"
SOURCES_TABLE = "sources"


def source_documents(root: Path, descriptor: dict[str, Any]) -> list[dict[str, str]] | None:
    """The descriptor's ``sources``: title and archived path of each row of the sources table.

    None when the package has no ``sources`` table with ``title`` and ``path`` columns.
    """
    resource = next((r for r in descriptor["resources"] if r.get("name") == SOURCES_TABLE), None)
    if resource is None or not isinstance(resource.get("path"), str):
        return None
    text = read_text(_file(root, resource), expected="a CSV file").removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
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
        if isinstance(resource.get("path"), str):
            path = _file(root, resource)
            resource.update(bytes=path.stat().st_size, hash=f"sha256:{file_sha256(path)}")
        resources.append(resource)
    result["resources"] = resources
    return result


def dump(descriptor: dict[str, Any]) -> str:
    """The descriptor as datapackage.json text (two-space indent, UTF-8, final newline)."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def _file(root: Path, resource: dict[str, Any]) -> Path:
    """The existing file a resource's ``path`` names inside ``root``."""
    what = f"{root / DESCRIPTOR}: resource {resource.get('name')!r} path"
    path = inside(root, resource.get("path"), what)
    if not path.is_file():
        raise ReleaseError(f"{path} does not exist, but {DESCRIPTOR} lists it")
    return path


def _with_key(
    data: dict[str, Any], key: str, value: Any, *, after: str = "", before: str = ""
) -> dict[str, Any]:
    """``data`` with ``key`` set; a new key goes right after ``after`` or before ``before``."""
    anchor = after or before
    if key in data or anchor not in data:
        return {**data, key: value}
    items = list(data.items())
    at = list(data).index(anchor) + (1 if after else 0)
    return dict([*items[:at], (key, value), *items[at:]])
