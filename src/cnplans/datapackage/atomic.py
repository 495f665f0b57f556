"""Write files atomically: a temporary file in the same folder, then one rename over the target.

A reader (or a crash) never sees half a file. Commands that read a package's tables and write
them back do so under :func:`package_lock`, so two of them at once run one after the other.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from cnplans.datapackage.errors import EXIT_CANNOT_RUN, CnplansError

_DEFAULT_MODE = 0o644
LOCK_SECONDS = 60.0  # how long a command waits for another one writing the same package
_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextlib.contextmanager
def package_lock(descriptor: Path) -> Iterator[None]:
    """Hold the package's write lock (:mod:`filelock`, reentrant) while the block runs.

    The lock file is in the temporary folder, so nothing is written into the package. Waiting
    longer than :data:`LOCK_SECONDS` is a :class:`~cnplans.datapackage.errors.CnplansError`.
    """
    import filelock

    folder = (descriptor if descriptor.is_dir() else descriptor.parent).resolve()
    name = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
    # one lock object per package (is_singleton), so a nested call re-enters it
    lock = filelock.FileLock(
        Path(tempfile.gettempdir()) / f"cnplans-{name}.lock", is_singleton=True
    )
    try:
        with lock.acquire(timeout=LOCK_SECONDS):
            yield
    except filelock.Timeout:
        raise CnplansError(
            f"another cnplans command has been writing {folder} for {LOCK_SECONDS:g} s; try "
            "again when it has finished",
            EXIT_CANNOT_RUN,
        ) from None


def under_package_lock(
    function: Callable[Concatenate[Path, _P], _R],
) -> Callable[Concatenate[Path, _P], _R]:
    """Run ``function(descriptor, ...)`` holding :func:`package_lock` of ``descriptor``."""

    @functools.wraps(function)
    def locked(descriptor: Path, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with package_lock(Path(descriptor)):
            return function(descriptor, *args, **kwargs)

    return locked


def temporary_copy(path: Path, data: bytes) -> Path:
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
    temporary = temporary_copy(path, data)
    try:
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_with(path: Path, write: Callable[[Path], object]) -> None:
    """Replace ``path`` with what ``write`` puts into a temporary file beside it (for writers
    that want a file name: Excel, Parquet); if ``write`` raises, ``path`` is left as it was."""
    temporary = temporary_copy(path, b"")
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
    """Replace several files together: every new content is written first, then all renamed
    (back to back), so if writing any fails no target is touched."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files:
            staged.append((temporary_copy(path, text.encode("utf-8")), path))
        for temporary, path in staged:
            temporary.replace(path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
