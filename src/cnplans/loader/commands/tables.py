"""``cnplans tables``: list the package's tables with their row counts and titles."""

from __future__ import annotations

import argparse

from cnplans.datapackage.errors import EXIT_OK
from cnplans.loader.commands import add_release_option, reporting_errors


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    add_release_option(parser)


@reporting_errors
def run(args: argparse.Namespace) -> int:
    """Print one line per table: name, number of rows, title."""
    from cnplans.loader import load, package

    rows = [
        (str(r["name"]), len(load(str(r["name"]), version=args.release)), str(r.get("title", "")))
        for r in package(version=args.release)["resources"]
    ]
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, count, title in rows:
        print(f"{name:<{width}}  {count:>6} rows  {title}")
    return EXIT_OK
