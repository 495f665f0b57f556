"""The ``cnplans`` command line: one sub-command per module, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> (module that implements it, one-line help). Each module defines
# ``configure(parser: argparse.ArgumentParser) -> None`` and
# ``run(args: argparse.Namespace) -> int``, and keeps heavy imports (pandera, frictionless,
# requests) inside ``run``.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("cnplans.validation.command", "check a data package: schemas, rows, keys, quotes"),
    "tables": ("cnplans.cli_tables", "list the tables with their row counts"),
    "show": ("cnplans.cli_show", "print one table as CSV or JSON, optionally for one region"),
    "export": ("cnplans.cli_export", "write every table as CSV, Excel or Parquet files"),
    "convert": ("cnplans.cli_convert", "recompute the derived US dollar columns of targets"),
    "rates": ("cnplans.rates.command", "fetch fresh annual exchange rates (rates update)"),
    "site": ("cnplans.site.build", "build the static download site of a release (dist/site/)"),
    "new-source": ("cnplans.cli_new_source", "archive a source text and add its sources row"),
    "new-plan": ("cnplans.cli_new_plan", "add a plan stated in an archived source text"),
}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    from cnplans import __version__

    parser = argparse.ArgumentParser(
        prog="cnplans",
        description="Chinese regional industrial development plans: validate, convert, load.",
    )
    parser.add_argument("--version", action="version", version=f"cnplans {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (0 ok, 1 invalid data, 2 cannot run)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("cnplans: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
