"""``cnplans show TABLE``: print one table as CSV or JSON, optionally only one region's rows."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from cnplans.cli.data import add_release_option, run_reporting_errors
from cnplans.errors import EXIT_OK

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "json")


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("table", help="table name (`cnplans tables` lists them)")
    parser.add_argument(
        "--region",
        metavar="CODE",
        help="only rows about this region or its subdivisions: an ISO 3166-2 code (CN-SX) or a "
        "GB/T 2260 code (140000); tables reach regions through their foreign keys "
        "(targets via plans.region_id); tables with no such link are refused",
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="output format")
    add_release_option(parser)


def run(args: argparse.Namespace) -> int:
    """Write the table to standard output."""
    return run_reporting_errors(lambda: _show(args.table, args.region, args.format, args.release))


def _show(table: str, region: str | None, fmt: str, release: str | None) -> int:
    from cnplans.loader import load, schema

    if region is None:
        frame = load(table, version=release)
    else:
        from cnplans.region_filter import rows_in_region

        frame = rows_in_region(
            table,
            region,
            lambda name: load(name, version=release),
            lambda name: schema(name, version=release),
        )
    if fmt == "json":
        dates = [f.name for f in schema(table, version=release).fields if f.type == "date"]
        text = _json(frame, dates)
    else:
        text = frame.to_csv(index=False)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `cnplans show ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _json(frame: pd.DataFrame, date_fields: list[str]) -> str:
    """Records as a JSON array: nulls for missing values, dates as YYYY-MM-DD, URLs unescaped."""
    frame = frame.copy()
    for name in date_fields:
        frame[name] = frame[name].dt.strftime("%Y-%m-%d")
    records = json.loads(frame.to_json(orient="records", date_format="iso") or "[]")
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"
