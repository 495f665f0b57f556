"""``cnplans show TABLE`` and ``cnplans show overview [targets|clusters]``: print one table, or
one overview, as CSV (the package's own form, :func:`cnplans.datapackage.csv_form.frame_text`) or
JSON (:func:`_json`), optionally only the rows about one region.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from cnplans.datapackage.errors import EXIT_OK
from cnplans.loader.commands import add_release_option, reporting_errors

if TYPE_CHECKING:
    import pandas as pd

    from cnplans.datapackage.table_schema import TableSchema

FORMATS = ("csv", "json")
OVERVIEW = "overview"  # `cnplans show overview NAME`: no table has this name


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    from cnplans.loader.overviews import NAMES

    parser.add_argument(
        "table",
        help="table name (`cnplans tables` lists them), or `overview` for the readable overview "
        "of every target or cluster with its region, plan and source",
    )
    parser.add_argument(
        "name",
        nargs="?",
        metavar="OVERVIEW",
        help=f"after `overview`: which one, {' or '.join(NAMES)} (default {NAMES[0]})",
    )
    parser.add_argument(
        "--region",
        metavar="CODE",
        help="only rows about this region or its subdivisions: an ISO 3166-2 code (CN-SX) or a "
        "GB/T 2260 code (140000); tables reach regions through their foreign keys (targets via "
        "plans.region_id, clusters via cluster_regions), an overview by its region_id; tables "
        "with no such link are refused",
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="output format")
    add_release_option(parser)


@reporting_errors
def run(args: argparse.Namespace) -> int:
    """Write the table to standard output."""
    if args.table == OVERVIEW:
        frame, table_schema = _overview(args.name, args.region, args.release)
    elif args.name is not None:
        raise KeyError(
            f"unexpected {args.name!r} after table {args.table}: only `cnplans show {OVERVIEW}` "
            "takes a second name"
        )
    else:
        frame, table_schema = _table(args.table, args.region, args.release)
    if args.format == "json":
        text = _json(frame)
    else:
        from cnplans.datapackage.csv_form import frame_text

        text = frame_text(frame, table_schema)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `cnplans show ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _table(table: str, region: str | None, release: str | None) -> tuple[pd.DataFrame, TableSchema]:
    from cnplans.loader import load, schema, tables
    from cnplans.loader.region_filter import rows_in_region

    table_schema = schema(table, version=release)
    if region is None:
        return load(table, version=release), table_schema
    of_release = partial(load, version=release), partial(schema, version=release)
    return rows_in_region(table, region, *of_release, tables(version=release)), table_schema


def _overview(
    name: str | None, region: str | None, release: str | None
) -> tuple[pd.DataFrame, TableSchema]:
    """The overview ``name`` (the first of ``cnplans.loader.overviews.NAMES`` when None), and its
    schema; an unknown name is an ``OverviewError`` (a KeyError: one line, exit code 2)."""
    from cnplans.loader import load
    from cnplans.loader.overviews import NAMES, overview, schema
    from cnplans.loader.region_filter import REGION_KEY, resolve_region

    name = NAMES[0] if name is None else name
    table_schema = schema(name)
    frame = overview(name, version=release)
    if region is not None:
        keys = resolve_region(load("regions", version=release), region)
        frame = frame[frame[REGION_KEY].isin(keys)].reset_index(drop=True)
    return frame, table_schema


def _json(frame: pd.DataFrame) -> str:
    """Records as a JSON array: nulls for missing values, integral numbers as integers, other
    numbers as the shortest float, dates as YYYY-MM-DD, text unescaped (URLs, Chinese)."""
    columns = [_json_values(frame[column]) for column in frame.columns]
    names = [str(column) for column in frame.columns]
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def _json_values(column: pd.Series) -> list[Any]:
    """One column's cells as JSON values (see :func:`_json`)."""
    from pandas.api import types

    from cnplans.loader.overviews import sql_value

    convert: Callable[[Any], Any] = str
    if types.is_datetime64_any_dtype(column.dtype):
        convert = sql_value  # YYYY-MM-DD; a moment with a time of day in full ISO 8601
    elif types.is_bool_dtype(column.dtype):
        convert = bool
    elif types.is_integer_dtype(column.dtype):
        convert = int
    elif types.is_numeric_dtype(column.dtype):
        convert = _number
    missing = column.isna().tolist()
    return [None if gone else convert(v) for v, gone in zip(column.tolist(), missing, strict=True)]


def _number(value: Any) -> int | float:
    """An integral number as an int (``20``, ``230000000000``), any other as a float."""
    number = float(value)
    return int(number) if number.is_integer() else number
