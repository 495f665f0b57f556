"""``cnplans draft``: propose the rows a source text states, as CSV to review and then ``add``.

Exit codes: 0 drafted (even when nothing was found: standard error says so), 2 the text or the
package cannot be read. Nothing in the package is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from cnplans.drafting.commands.new_source import add_package_option

TABLES = ("targets", "clusters", "measures")
PROGRESS_BYTES = 100_000  # texts longer than this get a progress line on standard error

DESCRIPTION = """\
Read a source text and print, as CSV with the header of the targets table, one candidate row per
quantified goal: value, value_max, unit, qualifier, strive, target_year (a year the sentence
states, or the source's dateline year for "this year"), indicator where the words say it
(revenue, output value, added value, investment, funding in place, growth rate, count), subject
(the noun phrase), a suggested target_id, and the shortest verbatim passage that states it, as
the quote. Baselines ("up from 210 billion yuan") and thresholds ("enterprises with revenue of 20
million yuan or more") are left out unless --all is given. Not proposed at all: years alone,
figures inside quotation marks (names), durations ("three-year", 三年), areas and weights (square
meters, tons, 亩) and a count after "the" (a restatement of one counted before).

Left to you: whether each row is a goal the plan sets, target_type (structure is a guess),
project_id, measure_id, baseline_year, notes, better subjects and ids, an indicator the words do
not name, and anything stated in a form the reader does not know. Edit the rows, then file them
with `cnplans add targets ROWS.csv`.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("text", type=Path, metavar="SOURCE.txt", help="the source text (UTF-8)")
    parser.add_argument(
        "--plan",
        metavar="PLAN_ID",
        help="the plan the rows belong to (default: the one plan of this source in the package)",
    )
    parser.add_argument(
        "--language", choices=("en", "zh"), help="the text's language (default: detected)"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="include_all",
        help="include baselines and thresholds, with a last column kind "
        "(goal, baseline or threshold)",
    )
    parser.add_argument(
        "--with",
        dest="with_tables",
        default="",
        metavar="TABLES",
        help="also propose these tables, comma-separated: clusters (named parks, bases, zones, "
        "clusters, chains), measures (numbered headings)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write TABLE.csv files into DIR instead of printing (DIR is created)",
    )
    add_package_option(parser)


def run(args: argparse.Namespace) -> int:
    """Draft the rows and print or write them."""
    from cnplans.drafting.draft import DraftError, draft_files

    extra = [name.strip() for name in args.with_tables.split(",") if name.strip()]
    unknown = [name for name in extra if name not in TABLES[1:]]
    if unknown:
        print(
            f"cnplans draft: --with {','.join(unknown)}: expected clusters and/or measures",
            file=sys.stderr,
        )
        return 2
    try:
        size = args.text.stat().st_size
    except OSError:
        size = 0  # draft_files says why it cannot be read
    if size > PROGRESS_BYTES:
        print(f"cnplans draft: reading {size // 1024:,} KB of {args.text}...", file=sys.stderr)
    try:
        blocks, notes = draft_files(
            args.text,
            args.package,
            plan_id=args.plan,
            language=args.language,
            include_all=args.include_all,
            tables=("targets", *extra),
        )
    except DraftError as error:
        print(f"cnplans draft: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"cnplans draft: {note}", file=sys.stderr)
    if args.out is not None:
        return _write(args.out, blocks)
    sys.stdout.write("\n".join(_csv(header, rows) for header, rows in blocks.values()))
    return 0


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    """Rows as CSV text: the header, then one line per row (cells quoted only when they must)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write(folder: Path, blocks: dict[str, tuple[list[str], list[dict[str, str]]]]) -> int:
    """Write each block to ``folder/TABLE.csv`` (each file whole, or not at all)."""
    from cnplans.datapackage.atomic import write_texts

    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_texts([(folder / f"{name}.csv", _csv(*block)) for name, block in blocks.items()])
    except OSError as error:
        print(f"cnplans draft: cannot write into {folder}: {error}", file=sys.stderr)
        return 2
    for name, (_, rows) in blocks.items():
        print(f"wrote {len(rows)} {name} rows to {folder / (name + '.csv')}")
    return 0
