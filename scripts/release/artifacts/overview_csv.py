"""The overview CSV files of the release (``overview-targets.csv``, ``overview-clusters.csv``).

:func:`cnplans.loader.overviews.overview` of the release's tables in the package's CSV form, in
the zip's folder and beside it; the zip's README describes them (they are not resources).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ReleaseStepError
from .data_readme import Companion
from .tables import TypedTable


def file_name(overview: str) -> str:
    """``overview-targets.csv`` for the overview ``targets``."""
    return f"overview-{overview}.csv"


def build(tables: Sequence[TypedTable]) -> list[tuple[Companion, str]]:
    """Every overview of ``tables`` and its CSV text, in ``cnplans.loader.overviews.NAMES`` order.

    Empty when the package lacks a table the overviews read (a cnplans package has them all).
    """
    from cnplans.datapackage.csv_form import frame_text
    from cnplans.datapackage.errors import CnplansError
    from cnplans.loader import overviews

    frames = {t.name: t.frame for t in tables}
    if not all(name in frames for name in overviews.TABLES):
        return []
    built = []
    for name in overviews.NAMES:
        schema = overviews.schema(name)
        try:
            frame = overviews.overview(name, frames=frames)
        except CnplansError as exc:
            raise ReleaseStepError(
                f"cannot build the {name} overview for the release: {exc}"
            ) from None
        companion = Companion(file_name(name), schema.description, schema)
        built.append((companion, frame_text(frame, schema)))
    return built
