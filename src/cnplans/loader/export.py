"""Write loaded tables to a folder as CSV, Excel or Parquet, each file written atomically.

CSV and Parquet give one file per table and one per overview (``overview-targets.csv``) when the
tables it reads are there; CSV is in the package's own form (:mod:`cnplans.datapackage.csv_form`).
Excel gives one workbook, ``cnplans.xlsx``, the release's (:mod:`cnplans.loader.workbook`).

>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> folder = Path(tempfile.mkdtemp())
>>> [p.name for p in export({"t": pd.DataFrame({"a": [1, 2]})}, folder, "csv")]
['t.csv']
>>> (folder / "t.csv").read_text()
'a\\n1\\n2\\n'
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from cnplans.datapackage.atomic import write_text, write_with
from cnplans.datapackage.csv_form import frame_text
from cnplans.datapackage.table_schema import TableSchema
from cnplans.loader import overviews

FORMATS = ("csv", "xlsx", "parquet")
WORKBOOK_NAME = "cnplans.xlsx"
OVERVIEW_PREFIX = "overview-"  # overview-targets.csv, overview-clusters.parquet


def export(
    frames: Mapping[str, pd.DataFrame],
    folder: Path,
    fmt: str = "csv",
    *,
    schemas: Mapping[str, TableSchema] | None = None,
    descriptor: Mapping[str, Any] | None = None,
    citation: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write ``frames`` (table name -> DataFrame) into ``folder`` (created) in format ``fmt``;
    return the paths written. ``schemas`` types the CSV quoting and the workbook's cells,
    ``descriptor`` and ``citation`` (CITATION.cff as parsed) fill the workbook's README."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    known = dict(schemas or {})
    if fmt == "xlsx":
        from cnplans.loader import workbook

        target = folder / WORKBOOK_NAME
        workbook.write(target, descriptor or {}, frames, known, citation=citation)
        return [target]
    files = [(name, frame, known.get(name)) for name, frame in frames.items()]
    for name, frame in overviews.every(frames).items():
        files.append((f"{OVERVIEW_PREFIX}{name}", frame, overviews.schema(name)))
    written = []
    for name, frame, schema in files:
        target = folder / f"{name}.{fmt}"
        if fmt == "csv":
            write_text(target, frame_text(frame, schema))
        else:
            write_with(target, partial(frame.to_parquet, index=False))
        written.append(target)
    return written


def export_package(folder: Path, fmt: str = "csv", *, version: str | None = None) -> list[Path]:
    """Export every table and overview of the bundled data (or of release ``version``)."""
    from cnplans.datapackage.citation import read_citation
    from cnplans.loader import data_root, read_descriptor, read_table, schema

    root = data_root(version)
    descriptor = read_descriptor(root)
    names = [str(r["name"]) for r in descriptor["resources"]]
    frames = {name: read_table(root, name) for name in names}
    schemas = {name: schema(name, version=version) for name in names}
    citation = read_citation(root)
    cited = citation[1] if citation else None
    return export(frames, folder, fmt, schemas=schemas, descriptor=descriptor, citation=cited)
