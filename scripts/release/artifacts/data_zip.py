"""The data package zip: what the loader downloads with ``cnplans.load(..., version=...)``.

Members sit at the top level: datapackage.json, resources/*.csv, schemas/*.json, README.md,
LICENSE, CHANGELOG.md and CITATION.cff. The archived source texts in ``sources/`` stay in the
repository (provenance for contributors and reviewers) and are not redistributed in releases: they
are third parties' articles. Every row still names its source and quotes it verbatim.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.datapackage import PackageError, inside

from ..errors import ReleaseError
from . import reproducible_zip

DOCUMENTS = ("datapackage.json", "README.md", "LICENSE", "CHANGELOG.md", "CITATION.cff")


def member_paths(root: Path, descriptor: dict[str, Any]) -> list[str]:
    """Relative POSIX paths of every member, sorted; a missing file is a ReleaseError."""
    paths = set(DOCUMENTS)
    for resource in descriptor["resources"]:
        for key in ("path", "schema"):
            value = resource.get(key)
            if isinstance(value, str):
                what = f"datapackage.json: resource {resource.get('name')!r} {key}"
                try:
                    inside(root, value, what)  # no member from outside, even through a link
                except PackageError as exc:
                    raise ReleaseError(str(exc)) from None
                paths.add(str(PurePosixPath(value)))
    missing = sorted(p for p in paths if not root.joinpath(*PurePosixPath(p).parts).is_file())
    if missing:
        raise ReleaseError(
            f"the release zip needs {', '.join(missing)}, which do not exist in {root}"
        )
    return sorted(paths)


def build(root: Path, descriptor: dict[str, Any], target: Path, epoch: int) -> Path:
    """Write the zip to ``target`` and return it."""
    members = [
        (path, root.joinpath(*PurePosixPath(path).parts).read_bytes())
        for path in member_paths(root, descriptor)
    ]
    reproducible_zip.write(target, members, epoch)
    return target
