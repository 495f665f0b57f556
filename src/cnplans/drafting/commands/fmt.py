"""``cnplans fmt``: put every table's rows in primary-key order, in canonical CSV form.

The order is the one ``cnplans validate``'s ``sort-order`` rule checks. Exit codes: 0 done (or,
with ``--check``, every table is in order), 1 with ``--check``: a table would change, 2 a table
or the package cannot be read (nothing is written then).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cnplans.drafting.commands.new_source import add_package_option, report

if TYPE_CHECKING:
    from cnplans.drafting.filing import Formatting


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a table is not in order (for CI)",
    )
    add_package_option(parser)


def show(formatting: Formatting) -> int:
    """Print which tables were reordered (or would be) and return the exit code."""
    changed = formatting.reordered + formatting.tidied
    if not changed:
        print("all tables are in order")
        return 0
    if formatting.check:
        for label in formatting.reordered:
            print(f"{label}: the rows are not in primary-key order; run `cnplans fmt`")
        for label in formatting.tidied:
            print(f"{label}: not in canonical CSV form; run `cnplans fmt`")
        return 1
    for label in formatting.reordered:
        print(f"reordered {label}")
    for label in formatting.tidied:
        print(f"rewrote {label} in canonical CSV form")
    for change in formatting.changes:
        if change.label not in changed:
            print(f"wrote {change.label} (the stamps of the tables)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Reorder the tables, or check that they are in order."""
    from cnplans.drafting.filing import format_tables

    return report("fmt", lambda: format_tables(args.package, check=args.check), show)
