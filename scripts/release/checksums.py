"""The release's ``SHA256SUMS`` (:mod:`cnplans.datapackage.hashes`): written, and checked."""

from __future__ import annotations

from pathlib import Path

from cnplans.datapackage.hashes import SUMS_NAME, file_sha256, format_sha256sums, parse_sha256sums

from .errors import ReleaseStepError


def write(folder: Path) -> None:
    """Write ``folder/SHA256SUMS`` covering every other file in ``folder``."""
    files = [p for p in folder.iterdir() if p.is_file() and p.name != SUMS_NAME]
    text = format_sha256sums({p.name: file_sha256(p) for p in files})
    (folder / SUMS_NAME).write_text(text, encoding="utf-8", newline="\n")


def verify(folder: Path) -> dict[str, str]:
    """Check every file SHA256SUMS lists; return the sums, or raise naming the bad files."""
    path = folder / SUMS_NAME
    if not path.is_file():
        raise ReleaseStepError(f"{path} does not exist; build the release first")
    sums = parse_sha256sums(path.read_text(encoding="utf-8"), label=str(path))
    problems = []
    for name, digest in sums.items():
        if not (folder / name).is_file():
            problems.append(f"{name} is missing")
        elif file_sha256(folder / name) != digest:
            problems.append(f"{name} does not match its sha256")
    if problems:
        raise ReleaseStepError(f"{folder} is not the release that was built: {'; '.join(problems)}")
    return sums
