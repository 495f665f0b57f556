"""The release's Excel workbook, written by :mod:`cnplans.loader.workbook` (as `cnplans export` is).

This adapter hands the release's typed tables to it with SOURCE_DATE_EPOCH, so the workbook's
document properties and zip member times are fixed and the same commit gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnplans.loader.workbook import WorkbookError, write

from ..errors import ReleaseError
from .tables import TypedTable


def build(
    descriptor: dict[str, Any],
    tables: list[TypedTable],
    target: Path,
    epoch: int,
    *,
    citation: str | None = None,
) -> Path:
    """Write the workbook of ``tables`` to ``target`` and return it.

    ``citation`` is the text of the package's CITATION.cff, for the README sheet's "How to cite"
    (without it the citation is made from the descriptor).
    """
    frames = {t.name: t.frame for t in tables}
    schemas = {t.name: t.schema for t in tables}
    try:
        return write(target, descriptor, frames, schemas, citation=citation, epoch=epoch)
    except WorkbookError as error:
        raise ReleaseError(str(error)) from None
