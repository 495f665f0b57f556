"""Zip files whose bytes depend only on their members: the wheel's
:mod:`cnplans.loader.reproducible_zip`.

The release's data zip and the workbook (which :mod:`cnplans.loader.workbook` writes, for the
release and for ``cnplans export``) share the one definition; this module only names it for
scripts/release.
"""

from __future__ import annotations

from cnplans.loader.reproducible_zip import (
    COMPRESS_LEVEL,
    FILE_MODE,
    UNIX,
    ZIP_EPOCH_MIN,
    member_info,
    normalized,
    write,
)

__all__ = [
    "COMPRESS_LEVEL",
    "FILE_MODE",
    "UNIX",
    "ZIP_EPOCH_MIN",
    "member_info",
    "normalized",
    "write",
]
