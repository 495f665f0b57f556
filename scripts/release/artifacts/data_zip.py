"""The data package zip: what people download, and what ``cnplans.load(..., version=...)`` reads.

Every member sits in one folder, ``cnplans-X.Y.Z/`` (contents: scripts/release/README.md). The
archived source texts in ``sources/`` are third parties' articles and are not redistributed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.datapackage import inside
from cnplans.loader import reproducible_zip

from ..errors import ReleaseStepError

DOCUMENTS = ("datapackage.json", "LICENSE", "CHANGELOG.md", "CITATION.cff")


def member_paths(root: Path, descriptor: dict[str, Any]) -> list[str]:
    """Relative POSIX paths of every file taken from ``root``, sorted; a missing one is an error."""
    paths = set(DOCUMENTS)
    for resource in descriptor["resources"]:
        for key in ("path", "schema"):
            value = resource.get(key)
            if isinstance(value, str):
                what = f"datapackage.json: resource {resource.get('name')!r} {key}"
                inside(root, value, what)  # no member from outside, even through a link
                paths.add(str(PurePosixPath(value)))
    missing = sorted(p for p in paths if not root.joinpath(*PurePosixPath(p).parts).is_file())
    if missing:
        raise ReleaseStepError(
            f"the release zip needs {', '.join(missing)}, which do not exist in {root}"
        )
    return sorted(paths)


def build(
    root: Path,
    descriptor: dict[str, Any],
    target: Path,
    epoch: int,
    folder: str,
    added: Mapping[str, str],
) -> None:
    """Write the zip to ``target``, every member under ``folder/``: the package's files from
    ``root`` and ``added``, the files written for the release (README.md, ...) -> their texts."""
    taken = member_paths(root, descriptor)
    clash = sorted(set(added) & set(taken))
    if clash:
        raise ReleaseStepError(f"the release zip would hold {', '.join(clash)} twice")
    members = [
        (f"{folder}/{path}", root.joinpath(*PurePosixPath(path).parts).read_bytes())
        for path in taken
    ]
    members += [(f"{folder}/{name}", text.encode("utf-8")) for name, text in added.items()]
    reproducible_zip.write(target, members, epoch)
