"""``cnplans rates update``: fetch fresh annual exchange rates into the ``exchange_rates`` table.

Exit codes: 0 updated (or, with ``--dry-run``, changes printed); 1 the response was refused (HTML,
wrong header, truncated, a gap, an implausible jump) or the table cannot be read; 2 the service
could not be reached or answered with an HTTP error, or the file cannot be written. On any failure
the table is left byte for byte as it was and one sentence says why.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from cnplans.cli_data import EXIT_CANNOT_RUN, EXIT_INVALID_DATA, EXIT_OK

URL_ENVIRONMENT_VARIABLE = "CNPLANS_FX_URL"
SOURCE_CHOICES = ("fred", "worldbank")  # keys of cnplans.rates.sources.SOURCES


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare ``rates update`` and its options."""
    actions = parser.add_subparsers(dest="rates_action", metavar="ACTION", required=True)
    update = actions.add_parser(
        "update",
        help="fetch fresh annual rates and replace the table if they pass the checks",
        description="Fetch annual average exchange rates (yuan per US dollar) and merge them "
        "into the exchange_rates table. Nothing is written unless the response passes every "
        "check; then the table is replaced atomically and the changes are printed.",
    )
    update.add_argument(
        "descriptor",
        nargs="?",
        type=Path,
        default=Path("datapackage.json"),
        help="the data package descriptor (default: ./datapackage.json)",
    )
    update.add_argument(
        "--source",
        choices=SOURCE_CHOICES,
        default="fred",
        help="fred: Federal Reserve series AEXCHUS from FRED's graph CSV (the conversion basis, "
        "default); worldbank: World Bank indicator PA.NUS.FCRF, stored as a separate provider",
    )
    update.add_argument(
        "--url",
        metavar="BASE_URL",
        default=None,
        help=f"scheme and host to fetch from instead of the service's own, e.g. a mirror or a "
        f"test server (default: ${URL_ENVIRONMENT_VARIABLE}, else the service's)",
    )
    update.add_argument(
        "--since",
        type=int,
        metavar="YEAR",
        default=None,
        help="first year to take (default: the table's first year for the currency)",
    )
    update.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    update.add_argument(
        "--connect-timeout", type=float, default=10.0, metavar="SECONDS", help="default 10"
    )
    update.add_argument(
        "--read-timeout", type=float, default=30.0, metavar="SECONDS", help="default 30"
    )
    update.add_argument(
        "--retries",
        type=int,
        default=3,
        metavar="N",
        help="retries after a connection error, timeout or HTTP 429/5xx (default 3)",
    )
    update.add_argument(
        "--backoff",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="backoff factor: the n-th retry waits about SECONDS * 2**(n-1) (default 0.5)",
    )


def run(args: argparse.Namespace, today: date | None = None) -> int:
    """Run ``rates update`` (the only action)."""
    from cnplans.fx import RESOURCE_NAME, resource_path
    from cnplans.rates.fetch import FetchError, FetchSettings, fetch
    from cnplans.rates.sources import SOURCES, ResponseRejected
    from cnplans.rates.table import RatesTableError, read_table
    from cnplans.rates.update import plan_update

    def fail(message: str, code: int) -> int:
        print(f"cnplans rates update: {message}", file=sys.stderr)
        return code

    source = SOURCES[args.source]
    try:
        path = resource_path(args.descriptor, RESOURCE_NAME)
    except (FileNotFoundError, ValueError) as error:
        return fail(str(error), EXIT_CANNOT_RUN)
    try:
        table = read_table(path)
    except RatesTableError as error:
        return fail(str(error), EXIT_INVALID_DATA)
    if args.retries < 0 or args.connect_timeout <= 0 or args.read_timeout <= 0:
        return fail("--retries must be 0 or more and the timeouts more than 0", EXIT_CANNOT_RUN)

    today = today or datetime.now(UTC).date()
    years = [y for (c, y, _) in table.rows if c == source.currency]
    since = args.since if args.since is not None else (min(years) if years else None)
    base_url = args.url or os.environ.get(URL_ENVIRONMENT_VARIABLE) or None
    url = source.url(base_url, since, today.year)
    settings = FetchSettings(args.connect_timeout, args.read_timeout, args.retries, args.backoff)
    try:
        fetched = fetch(url, settings)
        values = source.parse(fetched)
        plan = plan_update(table, source, values, fetched.url, today, since)
    except FetchError as error:
        return fail(f"{error}; {path.name} is unchanged", EXIT_CANNOT_RUN)
    except ResponseRejected as error:
        return fail(f"{error}; {path.name} is unchanged", EXIT_INVALID_DATA)

    print(
        f"{source.series}: {len(plan.years)} annual {source.currency} values, "
        f"{plan.years[0]}-{plan.years[-1]}, from {fetched.url}"
    )
    for change in plan.changes:
        if change.kind != "relabelled":
            print(change.sentence())
    relabelled: dict[tuple[str, str], list[int]] = {}
    for change in plan.changes:
        if change.kind == "relabelled":
            relabelled.setdefault((change.old, change.new), []).append(change.year)
    for (old, new), changed_years in relabelled.items():
        listed = ", ".join(str(y) for y in changed_years)
        print(f"source of {source.currency} {listed}: {old} -> {new}")
    if not any(c.kind in ("added", "revised") for c in plan.changes):
        print("no value added or revised")
    print(f"retrieved set to {plan.retrieved} on {len(plan.years)} row(s)")
    if args.dry_run:
        print(f"dry run: {path} not written")
        return EXIT_OK
    try:
        plan.table.write()
    except OSError as error:
        return fail(f"cannot write {path}: {error}", EXIT_CANNOT_RUN)
    print(f"wrote {path}")
    if any(c.kind in ("added", "revised") for c in plan.changes):
        print("run `cnplans convert` to recompute the derived US dollar columns of targets")
    return EXIT_OK
