"""Zip files whose bytes depend only on their members: fixed times, permissions and order.

The release's data zip (scripts/release) and every workbook (:mod:`cnplans.loader.workbook`, an xlsx
is a zip) are written through here, so that building the same data twice gives the same bytes.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

ZIP_EPOCH_MIN = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip member can carry
FILE_MODE = 0o644
UNIX = 3  # "made by" system: permissions are Unix mode bits
COMPRESS_LEVEL = 9


def member_info(name: str, epoch: int) -> zipfile.ZipInfo:
    """A ZipInfo for ``name`` with the time ``epoch`` (UTC) and mode rw-r--r--."""
    info = zipfile.ZipInfo(name, date_time=time.gmtime(max(epoch, ZIP_EPOCH_MIN))[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = UNIX
    info.external_attr = (0o100000 | FILE_MODE) << 16  # regular file, rw-r--r--
    return info


def write(path: Path, members: Iterable[tuple[str, bytes]], epoch: int) -> None:
    """Write a zip of ``members`` (name, bytes), sorted by name."""
    items = sorted(members)
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: the same member name twice in {names}")
    path.write_bytes(_zipped(items, epoch))


def normalized(data: bytes, epoch: int) -> bytes:
    """The zip ``data`` rewritten with fixed times and permissions, member order kept."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return _zipped([(info.filename, source.read(info)) for info in source.infolist()], epoch)


def _zipped(members: Iterable[tuple[str, bytes]], epoch: int) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in members:
            archive.writestr(member_info(name, epoch), data, compresslevel=COMPRESS_LEVEL)
    return output.getvalue()
