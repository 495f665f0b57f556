"""Command line of the rate updater: ``python -m scripts.rates update [DESCRIPTOR] [options]``.

Fetches annual average rates from FRED (series AEXCHUS, the Federal Reserve's yuan per dollar)
or, with ``--source worldbank``, from the World Bank (indicator PA.NUS.FCRF), and merges them
into the ``exchange_rates`` table. Exit status: 0 updated (or, with ``--dry-run``, changes
printed); 1 the response was refused (HTML, wrong header, truncated, a gap, an implausible
jump) or the table cannot be read; 2 the service could not be reached or answered with an HTTP
error, or the file cannot be written. On any failure the table is left byte for byte as it was
and one sentence says why.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from cnplans.conversion.fx import RESOURCE_NAME, RatesFileError, read_rates_file, resource_path
from cnplans.datapackage import atomic, read_descriptor, read_schema, resource
from cnplans.datapackage.errors import EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK

from .fetch import FetchError, fetch
from .sources import SOURCES, ResponseRejected
from .update import UPDATED_COLUMNS, merge, render

URL_ENVIRONMENT_VARIABLE = "CNPLANS_FX_URL"
# The transport's options: flag, type, default, metavar, help.
TRANSPORT_OPTIONS: list[tuple[str, Callable[[str], float], float, str, str]] = [
    ("--connect-timeout", float, 10.0, "SECONDS", "default 10"),
    ("--read-timeout", float, 30.0, "SECONDS", "default 30"),
    ("--retries", int, 3, "N", "retries after a connection error, timeout or HTTP 429/5xx "
     "(default 3)"),
    ("--backoff", float, 0.5, "SECONDS", "backoff factor: the n-th retry waits about SECONDS * "
     "2**(n-1) (default 0.5)"),
]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.rates",
        description="Keep the exchange_rates table of the cnplans data package current.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
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
        choices=sorted(SOURCES),
        default="fred",
        help="fred: Federal Reserve series AEXCHUS from FRED's graph CSV (the conversion basis, "
        "default); worldbank: World Bank indicator PA.NUS.FCRF, stored as a separate provider",
    )
    update.add_argument(
        "--url",
        metavar="BASE_URL",
        help=f"scheme and host to fetch from instead of the service's own, e.g. a mirror or a "
        f"test server (default: ${URL_ENVIRONMENT_VARIABLE}, else the service's)",
    )
    update.add_argument(
        "--since",
        type=int,
        metavar="YEAR",
        help="first year to take (default: the table's first year for the currency)",
    )
    update.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    for flag, kind, default, metavar, words in TRANSPORT_OPTIONS:
        update.add_argument(flag, type=kind, default=default, metavar=metavar, help=words)
    return parser


def main(argv: Sequence[str] | None = None, today: date | None = None) -> int:
    """Run ``update`` (the only action) and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _update(args, today or datetime.now(UTC).date())
    except KeyboardInterrupt:
        print("rates update: interrupted", file=sys.stderr)
        return 130


def _fail(message: str, code: int) -> int:
    print(f"rates update: {message}", file=sys.stderr)
    return code


def _update(args: argparse.Namespace, today: date) -> int:
    source = SOURCES[args.source]
    try:
        path = resource_path(args.descriptor, RESOURCE_NAME)
        descriptor = read_descriptor(args.descriptor)
        schema = read_schema(args.descriptor.parent, resource(descriptor, RESOURCE_NAME))
    except (FileNotFoundError, ValueError) as error:
        return _fail(str(error), EXIT_CANNOT_RUN)
    try:
        table = read_rates_file(path, required=UPDATED_COLUMNS)
    except RatesFileError as error:
        return _fail(str(error), EXIT_INVALID)
    if args.retries < 0 or args.connect_timeout <= 0 or args.read_timeout <= 0:
        return _fail("--retries must be 0 or more and the timeouts more than 0", EXIT_CANNOT_RUN)

    years = [y for (c, y, _) in table.rows if c == source.currency]
    since = args.since if args.since is not None else (min(years) if years else None)
    base_url = args.url or os.environ.get(URL_ENVIRONMENT_VARIABLE) or None
    url = source.url(base_url, since, today.year)
    try:
        fetched = fetch(url, args.connect_timeout, args.read_timeout, args.retries, args.backoff)
        merged = merge(table, source, source.parse(fetched), fetched.url, today, since)
    except FetchError as error:
        return _fail(f"{error}; {path.name} is unchanged", EXIT_CANNOT_RUN)
    except ResponseRejected as error:
        return _fail(f"{error}; {path.name} is unchanged", EXIT_INVALID)

    print(
        f"{source.series}: {len(merged.years)} annual {source.currency} values, "
        f"{merged.years[0]}-{merged.years[-1]}, from {fetched.url}"
    )
    print(*merged.report, sep="\n")
    if args.dry_run:
        print(f"dry run: {path} not written")
        return EXIT_OK
    try:
        atomic.write_text(path, render(table.header, merged.rows, schema))
    except OSError as error:
        return _fail(f"cannot write {path}: {error}", EXIT_CANNOT_RUN)
    print(f"wrote {path}")
    if merged.changed:
        print("run `cnplans convert` to recompute the derived US dollar columns of targets")
    return EXIT_OK
