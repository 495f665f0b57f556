"""Write files atomically: a temporary file in the same folder, then one rename over the target.

A reader (or a crash) never sees half a file: either the old content or the new one. Every
command that writes (convert, export, and the rate and release tools in scripts/) goes through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

_DEFAULT_MODE = 0o644


def _temporary_copy(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path`` and return its path."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else _DEFAULT_MODE
        temporary.chmod(mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step (keeping the file's permissions)."""
    temporary = _temporary_copy(path, data)
    try:
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_with(path: Path, write: Callable[[Path], object]) -> None:
    """Replace ``path`` with what ``write`` puts into a temporary file beside it.

    For writers that want a file name rather than bytes (Excel, Parquet). If ``write`` raises,
    ``path`` is left as it was and the temporary file is removed.
    """
    temporary = _temporary_copy(path, b"")
    try:
        write(temporary)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with UTF-8 ``text`` in one step; line ends are written as given."""
    write_bytes(path, text.encode("utf-8"))


def write_texts(files: Sequence[tuple[Path, str]]) -> None:
    """Replace several files together: every new content is written first, then all renamed.

    If writing any temporary file fails, no target is touched. The renames themselves are
    separate system calls, but each is atomic and they run back to back.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files:
            staged.append((_temporary_copy(path, text.encode("utf-8")), path))
        for temporary, path in staged:
            temporary.replace(path)
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
