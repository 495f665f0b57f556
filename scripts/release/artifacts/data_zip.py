"""The data package zip: what people download, and what ``cnplans.load(..., version=...)`` reads.

Every member sits in one folder, ``cnplans-X.Y.Z/``, so that unpacking the zip never scatters
files: datapackage.json, resources/*.csv, schemas/*.json, the overview CSVs, LICENSE,
CHANGELOG.md, CITATION.cff, and a README.md written for people who use the data (see
:mod:`.data_readme`) instead of the repository's README, which speaks to contributors. The
archived source texts in ``sources/`` stay in the repository (provenance for contributors and
reviewers) and are not redistributed in releases: they are third parties' articles. Every row
still names its source and quotes it verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.datapackage import PackageError, inside

from ..errors import ReleaseError
from . import reproducible_zip

README = "README.md"
DOCUMENTS = ("datapackage.json", "LICENSE", "CHANGELOG.md", "CITATION.cff")


def member_paths(root: Path, descriptor: dict[str, Any]) -> list[str]:
    """Relative POSIX paths of every file taken from ``root``, sorted; a missing one is an error."""
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


def build(
    root: Path,
    descriptor: dict[str, Any],
    target: Path,
    epoch: int,
    *,
    folder: str,
    readme: str,
    generated: Mapping[str, str] | None = None,
) -> Path:
    """Write the zip to ``target``, every member under ``folder/``, and return it.

    ``readme`` is the text of the zip's README.md; ``generated`` maps more file names (the
    overview CSVs) to their texts.
    """
    added = {README: readme, **(generated or {})}
    taken = member_paths(root, descriptor)
    clash = sorted(set(added) & set(taken))
    if clash:
        raise ReleaseError(f"the release zip would hold {', '.join(clash)} twice")
    members = [
        (f"{folder}/{path}", root.joinpath(*PurePosixPath(path).parts).read_bytes())
        for path in taken
    ]
    members += [(f"{folder}/{name}", text.encode("utf-8")) for name, text in added.items()]
    reproducible_zip.write(target, members, epoch)
    return target
