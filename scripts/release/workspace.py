"""A private copy of the tracked files, where a release is stamped, validated and built.

The maintainer's tree stays untouched until every check passed, and the artifacts depend only
on tracked files.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from cnplans.datapackage import atomic

from .gitrepo import GitRepo


def tracked_copy(repo: GitRepo, target: Path) -> Path:
    """Copy every file git tracks (as it is in the working tree) into ``target``."""
    listing = repo.check("ls-files", "-z", "--cached")
    for name in sorted(filter(None, listing.split("\0"))):
        source = repo.root.joinpath(*PurePosixPath(name).parts)
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree (only possible with --allow-dirty)
        destination = target.joinpath(*PurePosixPath(name).parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    return target


def apply(root: Path, edits: dict[str, str]) -> None:
    """Write ``edits`` (relative POSIX path -> new text) into ``root``, all files together."""
    atomic.write_texts(
        [(root.joinpath(*PurePosixPath(path).parts), text) for path, text in sorted(edits.items())]
    )
