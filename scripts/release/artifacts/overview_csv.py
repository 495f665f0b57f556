"""The overview CSV files of the release: ``overview-targets.csv`` and ``overview-clusters.csv``.

They are :func:`cnplans.loader.overviews.overview` of the release's own tables, written in the
package's CSV form (:func:`cnplans.datapackage.csv_form.frame_text`); they go into the zip's folder
and beside it. They are not resources of the zip's datapackage.json: they are views of the tables,
described in the zip's README, and the loader and ``cnplans validate`` read only the tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import ReleaseError
from .tables import TypedTable


@dataclass(frozen=True)
class OverviewFile:
    name: str  # overview-targets.csv
    overview: str  # targets
    schema: Any  # cnplans.datapackage.table_schema.TableSchema of the overview
    description: str  # the overview schema's own description
    text: str


def file_name(overview: str) -> str:
    """``overview-targets.csv`` for the overview ``targets``."""
    return f"overview-{overview}.csv"


def applies(tables: Sequence[TypedTable]) -> bool:
    """Whether the package holds every table the overview reads (a cnplans package does)."""
    from cnplans.loader.overviews import TABLES

    names = {t.name for t in tables}
    return all(name in names for name in TABLES)


def build(tables: Sequence[TypedTable]) -> list[OverviewFile]:
    """Every overview of ``tables`` as CSV text, in ``cnplans.loader.overviews.NAMES`` order."""
    from cnplans.datapackage.csv_form import frame_text
    from cnplans.datapackage.errors import CnplansError
    from cnplans.loader import overviews

    frames = {t.name: t.frame for t in tables}
    built = []
    for name in overviews.NAMES:
        schema = overviews.schema(name)
        try:
            frame = overviews.overview(name, frames=frames)
        except CnplansError as exc:
            raise ReleaseError(f"cannot build the {name} overview for the release: {exc}") from None
        text = frame_text(frame, schema)
        built.append(OverviewFile(file_name(name), name, schema, _description(name), text))
    return built


def _description(name: str) -> str:
    """The ``description`` of the overview's Table Schema (TableSchema keeps only the fields)."""
    path = resources.files("cnplans.loader").joinpath("overview_schemas", f"{name}.json")
    return str(json.loads(path.read_text(encoding="utf-8")).get("description", ""))
