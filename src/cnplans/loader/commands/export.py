"""``cnplans export --to DIR``: write every table and overview as CSV, Excel or Parquet files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnplans.datapackage.errors import EXIT_CANNOT_RUN, EXIT_OK
from cnplans.loader.commands import add_release_option, reporting_errors
from cnplans.loader.export import FORMATS, WORKBOOK_NAME


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument(
        "--to", required=True, type=Path, metavar="DIR", help="folder to write (created if needed)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="csv or parquet: one file per table and per overview (overview-targets, "
        f"overview-clusters); xlsx: one workbook {WORKBOOK_NAME}, the release's, with the "
        "overview, a README, a sheet per table and the data dictionary",
    )
    add_release_option(parser)


@reporting_errors
def run(args: argparse.Namespace) -> int:
    """Load every table and write it; print the paths written."""
    from cnplans.loader.export import export_package

    folder: Path = args.to
    if folder.exists() and not folder.is_dir():
        print(f"cnplans: {folder} exists and is not a folder; choose another --to", file=sys.stderr)
        return EXIT_CANNOT_RUN
    for path in export_package(folder, args.format, version=args.release):
        print(path)
    return EXIT_OK
