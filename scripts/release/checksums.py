"""SHA256SUMS in ``sha256sum`` format ("<hex>  <name>"), one line per artifact, sorted by name."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .errors import ReleaseError

SUMS = "SHA256SUMS"
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def write(folder: Path) -> Path:
    """Write ``folder/SHA256SUMS`` covering every other file in ``folder``."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != SUMS)
    text = "".join(f"{sha256(p)}  {p.name}\n" for p in files)
    target = folder / SUMS
    target.write_text(text, encoding="utf-8", newline="\n")
    return target


def read(path: Path) -> dict[str, str]:
    """File name -> sha256 from a SHA256SUMS file; a malformed line is a ReleaseError."""
    sums = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ReleaseError(f"{path}, line {number}: expected '<sha256>  <file name>'")
        sums[match.group(2)] = match.group(1)
    return sums


def verify(folder: Path) -> dict[str, str]:
    """Check every file SHA256SUMS lists; return the sums, or raise naming the bad files."""
    path = folder / SUMS
    if not path.is_file():
        raise ReleaseError(f"{path} does not exist; build the release first")
    sums = read(path)
    problems = []
    for name, digest in sums.items():
        target = folder / name
        if not target.is_file():
            problems.append(f"{name} is missing")
        elif sha256(target) != digest:
            problems.append(f"{name} does not match its sha256")
    if problems:
        raise ReleaseError(f"{folder} is not the release that was built: {'; '.join(problems)}")
    return sums
