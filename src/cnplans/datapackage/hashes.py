"""File hashes and the ``SHA256SUMS`` format that releases are published with.

``SHA256SUMS`` is what ``sha256sum`` writes and ``sha256sum -c`` checks: one
``<64 lower-case hex digits>  <file name>`` line per file, sorted by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pooch

from cnplans.datapackage.errors import CnplansError

SUMS_NAME = "SHA256SUMS"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LINE = re.compile(r"^(?P<sha>[0-9a-fA-F]{64}) [ *](?P<name>\S.*)$")


class ChecksumError(CnplansError, ValueError):
    """A ``SHA256SUMS`` text is malformed; the message names the line."""


def file_sha256(path: Path) -> str:
    """Lower-case hexadecimal SHA-256 of a file's bytes (read in chunks).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "a.txt"
    ...     _ = path.write_bytes(b"abc")
    ...     file_sha256(path)[:16]
    'ba7816bf8f01cfea'
    """
    return str(pooch.file_hash(str(path), alg="sha256"))


def parse_sha256sums(text: str, label: str = SUMS_NAME) -> dict[str, str]:
    """File name -> lower-case digest from ``SHA256SUMS`` text ("<hex>  <name>", "<hex> *<name>").

    Blank lines and ``#`` comments are skipped; any other bad line is a :class:`ChecksumError`.

    >>> digest = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
    >>> parse_sha256sums(f"{digest}  a.txt\\n")
    {'a.txt': 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'}
    >>> try:
    ...     parse_sha256sums("not a checksum")
    ... except ChecksumError as error:
    ...     print(str(error)[:45])
    SHA256SUMS, line 1: expected '<64 hex digits>
    """
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.match(line.rstrip("\r"))
        if match is None:
            raise ChecksumError(
                f"{label}, line {number}: expected '<64 hex digits>  <file name>' as sha256sum "
                f"writes it, found {line[:80]!r}"
            )
        sums[match["name"].strip()] = match["sha"].lower()
    return sums


def format_sha256sums(sums: Mapping[str, str]) -> str:
    """``SHA256SUMS`` text for file name -> digest, sorted by name, as ``sha256sum`` writes it.

    >>> format_sha256sums({"b.csv": "1" * 64, "a.csv": "0" * 64}).splitlines()[0][-7:]
    '  a.csv'
    """
    return "".join(f"{sums[name]}  {name}\n" for name in sorted(sums))
