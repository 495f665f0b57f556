"""``cnplans convert``: recompute the derived US dollar columns of targets, or check them.

Exit codes: 0 written or up to date (``--check``: nothing stale), 1 stale cells (``--check``) or
data that cannot be converted (a missing rate, an unreadable value), 2 a file cannot be read or
written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnplans.datapackage.errors import EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK

_BASIS_WORDS = {
    "plan_issued": "at the plan's issue year",
    "source_published": "at the source's publication year",
    "unknown": "left unconverted (neither date known)",
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "descriptor",
        nargs="?",
        type=Path,
        default=Path("datapackage.json"),
        help="the data package descriptor (default: ./datapackage.json)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list each derived cell that disagrees with the exchange rates "
        "and exit 1 if there is any",
    )


def run(args: argparse.Namespace) -> int:
    """Convert (or check) the targets of the package at ``args.descriptor``."""
    from cnplans.conversion.convert import ConvertError, compute_conversion, write_conversion
    from cnplans.datapackage.atomic import package_lock

    with package_lock(Path(args.descriptor)):  # no other command rewrites targets meanwhile
        try:
            conversion = compute_conversion(args.descriptor)
        except ConvertError as error:
            print(f"cnplans convert: {error}", file=sys.stderr)
            return error.exit_code
        money = sum(conversion.bases.values())
        bases = ", ".join(
            f"{count} {_BASIS_WORDS.get(basis, basis)}" for basis, count in conversion.bases.items()
        )
        summary = f"{money} money targets" + (f" ({bases})" if bases else "")
        if args.check:
            for cell in conversion.stale:
                print(cell.sentence())
            if conversion.stale:
                print(
                    f"{conversion.label}: {len(conversion.stale)} stale derived cell(s); "
                    "run `cnplans convert` to recompute them",
                    file=sys.stderr,
                )
                return EXIT_INVALID
            print(f"{conversion.label}: derived columns agree with the exchange rates; {summary}.")
            return EXIT_OK
        try:
            wrote = write_conversion(conversion)
        except OSError as error:
            print(f"cnplans convert: cannot write {conversion.label}: {error}", file=sys.stderr)
            return EXIT_CANNOT_RUN
        if wrote:
            print(f"{conversion.label}: rewrote {conversion.rewritten} derived cell(s); {summary}.")
        else:
            print(f"{conversion.label}: already up to date, nothing written; {summary}.")
        return EXIT_OK
