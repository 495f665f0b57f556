"""Stamp the descriptor for a release: version, ``created``, source documents, bytes and hashes.

``bytes`` and ``hash`` ("sha256:<hex>") go stale when a CSV file is edited afterwards:
``python -m scripts.release stamp`` recomputes them (the version is left alone).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.datapackage import atomic, inside, read_text, with_key
from cnplans.datapackage import source_documents as documents_of
from cnplans.datapackage.hashes import file_sha256
from cnplans.datapackage.paths import DESCRIPTOR_NAME as DESCRIPTOR

from .errors import ReleaseStepError

SOURCES_TABLE = "sources"


def source_documents(root: Path, descriptor: dict[str, Any]) -> list[dict[str, str]] | None:
    """The descriptor's ``sources`` from the package's sources table (None without one)."""
    resource = next((r for r in descriptor["resources"] if r.get("name") == SOURCES_TABLE), None)
    if resource is None or not isinstance(resource.get("path"), str):
        return None
    return documents_of(read_text(_file(root, resource), expected="a CSV file"))


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
        result = with_key(result, "created", created, after="version")
    documents = source_documents(root, descriptor)
    if documents is not None:
        result = with_key(result, "sources", documents, before="resources")
    resources = []
    for resource in descriptor["resources"]:
        resource = dict(resource)
        if isinstance(resource.get("path"), str):
            path = _file(root, resource)
            resource.update(bytes=path.stat().st_size, hash=f"sha256:{file_sha256(path)}")
        resources.append(resource)
    result["resources"] = resources
    return result


def _file(root: Path, resource: dict[str, Any]) -> Path:
    """The existing file a resource's ``path`` names inside ``root``."""
    what = f"{root / DESCRIPTOR}: resource {resource.get('name')!r} path"
    path = inside(root, resource.get("path"), what)
    if not path.is_file():
        raise ReleaseStepError(f"{path} does not exist, but {DESCRIPTOR} lists it")
    return path


def apply(root: Path, edits: dict[str, str]) -> None:
    """Write ``edits`` (relative POSIX path -> new text) into ``root``, all files together."""
    atomic.write_texts(
        [(root.joinpath(*PurePosixPath(path).parts), text) for path, text in sorted(edits.items())]
    )
