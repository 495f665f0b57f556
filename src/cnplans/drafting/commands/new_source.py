"""``cnplans new-source``: archive a source text in sources/ and add its row to the sources table.

Exit codes: 0 archived, 1 refused (the message says which value and why), 2 the package cannot be
used. Nothing is written unless everything is right.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnplans.drafting.scaffold import Result


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("text", type=Path, metavar="PATH", help="the source text, a UTF-8 file")
    parser.add_argument(
        "--id",
        required=True,
        metavar="SLUG",
        dest="source_id",
        help="the new source_id: lower-case letters, digits and hyphens; the text is archived "
        "as sources/SLUG.txt",
    )
    parser.add_argument(
        "--title",
        help="the document's own headline, verbatim (default: the file's first non-empty line)",
    )
    parser.add_argument("--publisher", help="who published it, only as the document states it")
    parser.add_argument("--url", help="where it was published, only as the document states it")
    parser.add_argument(
        "--published",
        metavar="DATE",
        help="publication date as stated: 2024, 2024-11 or 2024-11-22",
    )
    parser.add_argument(
        "--dateline",
        help="the text's dateline, verbatim as printed (it must state the --published date)",
    )
    parser.add_argument(
        "--language", help="language of the text, a BCP 47 tag such as zh (default: en)"
    )
    parser.add_argument("--notes", help="remarks for the notes column")
    add_package_option(parser)


def add_package_option(parser: argparse.ArgumentParser) -> None:
    """``--package PATH``: the datapackage.json to add to (shared with ``new-plan``)."""
    parser.add_argument(
        "--package",
        type=Path,
        default=Path("datapackage.json"),
        metavar="PATH",
        help="the package's datapackage.json, or its folder (default: ./datapackage.json)",
    )


def report(
    command: str, action: Callable[[], Any], show: Callable[[Any], int] | None = None
) -> int:
    """Run ``action``; print the files it wrote and the next steps, or why it refused.

    ``show`` prints another kind of result (``cnplans add``, ``fmt``) and returns the exit code.
    """
    from cnplans.datapackage.errors import EXIT_CANNOT_RUN, CnplansError

    try:
        result = action()
    except CnplansError as error:
        print(f"cnplans {command}: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        print(f"cnplans {command}: {error}; nothing was changed", file=sys.stderr)
        return EXIT_CANNOT_RUN
    return (show or _show)(result)


def _show(result: Result) -> int:
    for change in result.changes:
        print(f"wrote {change.label}")
    print(f"new row: {result.table_label}, line {result.line}")
    for remark in result.remarks:
        print(remark)
    print("Next steps:")
    for number, step in enumerate(result.next_steps, start=1):
        print(f"  {number}. {step}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Archive the text and add its sources row."""
    from cnplans.drafting.scaffold import SOURCE_OPTIONS, new_source

    values = {name: getattr(args, name) for name in SOURCE_OPTIONS}
    return report("new-source", lambda: new_source(args.package, args.text, **values))
