"""``cnplans new-plan``: add a plan, stated in an archived source text, to the plans table.

Exit codes: 0 added, 1 refused (the message says which value and why), 2 the package cannot be
used. Nothing is written unless everything is right.
"""

from __future__ import annotations

import argparse

from cnplans.drafting.commands.new_source import add_package_option, report


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "--source",
        required=True,
        metavar="SLUG",
        dest="source_id",
        help="the source_id of the archived text",
    )
    parser.add_argument(
        "--id", required=True, metavar="SLUG", dest="plan_id", help="the new plan_id"
    )
    parser.add_argument(
        "--region",
        required=True,
        metavar="CODE",
        dest="region_id",
        help="the six-digit GB/T 2260 code of the plan's region (a row of regions)",
    )
    parser.add_argument(
        "--title",
        required=True,
        help="the plan's title, or the words the source uses to name it",
    )
    parser.add_argument(
        "--quote",
        required=True,
        help="a verbatim passage of the source text stating the plan (whitespace may differ)",
    )
    parser.add_argument("--issuer", help="the body that issued the plan, as the source names it")
    parser.add_argument("--sector", help="the industry (an enum value of plans.sector)")
    parser.add_argument(
        "--document-type", help="what kind of document it is (an enum value of plans.document_type)"
    )
    parser.add_argument(
        "--issued", metavar="DATE", help="the issue date as stated: 2024, 2024-11 or 2024-11-12"
    )
    parser.add_argument(
        "--issued-basis",
        choices=("quote", "dateline"),
        help="where the year of --issued comes from: the quote (default) or, when the quote "
        "gives only a month and day, the source's dateline",
    )
    parser.add_argument("--period-start", metavar="YEAR", help="first year of the plan period")
    parser.add_argument("--period-end", metavar="YEAR", help="last year of the plan period")
    parser.add_argument("--notes", help="remarks for the notes column")
    add_package_option(parser)


def run(args: argparse.Namespace) -> int:
    """Add the plans row."""
    from cnplans.drafting.scaffold import PLAN_OPTIONS, new_plan

    values = {name: getattr(args, name) for name in PLAN_OPTIONS}
    return report("new-plan", lambda: new_plan(args.package, **values))
