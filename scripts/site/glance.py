"""The home page's overview of targets: :func:`cnplans.loader.overviews.overview` as text, and its
filters.

The rows are the package's own overview, written in the package's CSV form
(:func:`cnplans.datapackage.csv_form.frame_text`), so the page shows a number as the files write it.
Each row carries its filter values in ``data-<facet>`` attributes; ``site.js`` matches the choices
of the page's ``<select>`` elements against them (a region matches itself and the targets of the
regions in its province).
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePosixPath

from cnplans import loader
from cnplans.datapackage import csv_form
from cnplans.datapackage.errors import CnplansError
from cnplans.loader.overviews import TABLES, overview, schema, view_name

from .package import Package, Row, SiteError, Table

OVERVIEW = "targets"


Facet = tuple[str, str, list[tuple[str, str]]]  # key, label, (value, text) options by text


def overview_table(package: Package) -> Table | None:
    """The overview of targets with its Table Schema, one row of text per target; None when the
    package lacks a table the overview is made from."""
    if any(package.table(name) is None for name in TABLES):
        return None
    try:
        frames = {name: loader.read_table(package.root, name) for name in TABLES}
        frame = overview(OVERVIEW, frames=frames)
    except CnplansError as exc:
        raise SiteError(f"the overview of {OVERVIEW} cannot be made: {exc}") from None
    overview_schema = schema(OVERVIEW)
    text = csv_form.frame_text(frame, overview_schema)
    return Table(
        name=view_name(OVERVIEW),
        title="Targets at a glance",
        description="One row per target with its region, plan, value in words, year and "
        'US dollars, made from the tables by `cnplans.overview("targets")`.',
        relative_path=PurePosixPath(f"overview-{OVERVIEW}.csv"),
        schema_relative_path=None,
        schema=overview_schema,
        rows=list(csv.DictReader(io.StringIO(text))),
    )


def facets(rows: list[Row]) -> list[Facet]:
    """The filters of the overview (each row's ``data-<key>`` holds its values, space-separated),
    each value once; a region's text follows its province's."""
    places: dict[str, str] = {}
    for row in rows:
        province = f"{row['province_name_en']} {row['province_name_zh']}".strip()
        places[row["province_id"]] = province
        if row["region_id"] != row["province_id"]:
            region = f"{row['region_name_en']} {row['region_name_zh']}".strip()
            places[row["region_id"]] = f"{province} › {region}"
    found = [
        ("region", "Region", places),
        ("plan", "Plan", {row["plan_id"]: row["plan_title"] for row in rows}),
        ("indicator", "Indicator", {row["indicator"]: row["indicator"] for row in rows}),
        ("unit", "Unit", {row["unit"]: row["unit"] for row in rows}),
    ]
    return [
        (key, label, sorted(((v, t) for v, t in options.items() if v), key=lambda o: o[1]))
        for key, label, options in found
    ]
