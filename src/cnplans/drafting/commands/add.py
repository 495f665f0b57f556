"""``cnplans add``: check rows with the gate's own rules and file them in primary-key order.

Exit codes: 0 added (or, with ``--dry-run``, would be added), 1 refused (each problem is shown
at the place in the rows file it comes from), 2 the package cannot be used. Nothing is written
unless every row is right.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cnplans.drafting.commands.new_source import add_package_option, report

if TYPE_CHECKING:
    from cnplans.drafting.filing import Filing


class _Pairs(argparse.Action):
    """TABLE ROWS.csv pairs: an even number of words, standard input (-) at most once."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        words = list(values)
        if len(words) % 2:
            parser.error(
                f"expected TABLE ROWS.csv pairs; {words[-1]!r} has no rows file "
                "(name a CSV file, or - for standard input)"
            )
        pairs = list(zip(words[::2], words[1::2], strict=True))
        if [rows for _, rows in pairs].count("-") > 1:
            parser.error("standard input (-) can be read once only")
        setattr(namespace, self.dest, pairs)


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "pairs",
        nargs="+",
        action=_Pairs,
        metavar="TABLE ROWS.csv",
        help="a table (targets, measures, ...) and a CSV file of its new rows, whose header "
        "names some or all of the table's columns in any order (- reads standard input)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the rows and print what would be added; write nothing",
    )
    add_package_option(parser)


def show(filing: Filing) -> int:
    """Print what was added (or would be), where each row landed, and the next step."""
    from cnplans.drafting.filing import NEXT_STEP

    verb = "would add" if filing.dry_run else "added"
    for added in filing.added:
        count = len(added.placed)
        rows = ", ".join(f"{key} (line {line})" for key, line in added.placed)
        print(f"{verb} {count} {'row' if count == 1 else 'rows'} to {added.label}: {rows}")
    for remark in filing.remarks:
        print(remark)
    if filing.dry_run:
        print("nothing was written (--dry-run)")
        print(f"Next step: run it again without --dry-run, then `{NEXT_STEP}`.")
    else:
        for change in filing.changes:
            print(f"wrote {change.label}")
        print(f"Next step: `{NEXT_STEP}`.")
    sys.stdout.flush()
    return 0


def run(args: argparse.Namespace) -> int:
    """Check and file the rows."""
    from cnplans.drafting.filing import add_rows

    return report(
        "add",
        lambda: add_rows(args.package, args.pairs, dry_run=args.dry_run, stdin=sys.stdin.buffer),
        show,
    )
