"""Run ``datapackage-to-datasette`` on the package, around a frictionless bug with NULL cells.

frictionless 5's SQLite adapter (``frictionless/formats/sql/adapter.py``) registers ``REGEXP`` as
``re.compile(expr).search(item)`` and its mapper turns every ``pattern`` constraint into
``CHECK ("field" REGEXP 'pattern')``. An empty cell of an optional field with a pattern is NULL,
the function raises ``TypeError`` on it, and the INSERT fails ("user-defined function raised
exception"). No pattern can avoid it (the function fails before any matching), so this registers
a REGEXP that lets NULL pass, as SQL does for every other CHECK, and keeps every pattern as strict.

Usage (with ``pip install datapackage-to-datasette datasette``)::

    python -m scripts.release.datasette cnplans.db datapackage.json metadata.json
    datasette cnplans.db --metadata metadata.json

The release's own SQLite file needs none of this: ``datasette cnplans_X_Y_Z.sqlite`` serves it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .errors import ReleaseError


def regexp(expr: str, item: str | None) -> bool:
    """SQLite's ``item REGEXP expr``: NULL passes (a CHECK on NULL holds), text must match.

    >>> regexp("^[0-9]{6}$", None), regexp("^[0-9]{6}$", "310000"), regexp("^[0-9]{6}$", "31")
    (True, True, False)
    """
    return item is None or re.search(expr, item) is not None


@contextmanager
def null_tolerant_regexp() -> Iterator[None]:
    """While active, frictionless' SQLite adapter registers :func:`regexp` as REGEXP."""
    try:
        from frictionless.formats.sql import adapter
    except ImportError as exc:
        raise ReleaseError(
            f"frictionless' SQL support is not installed ({exc}); run `pip install "
            "datapackage-to-datasette`"
        ) from None
    original: Any = adapter.regexp
    adapter.regexp = regexp  # the adapter looks the name up each time it opens a database
    try:
        yield
    finally:
        adapter.regexp = original


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.release.datasette",
        description="datapackage-to-datasette, with a REGEXP that lets empty cells pass",
    )
    parser.add_argument("dbname", help="the SQLite database file to write")
    parser.add_argument("data_package", help="path or URL of datapackage.json")
    parser.add_argument("metadata_filename", help="the Datasette metadata file to write")
    parser.add_argument("--write-mode", choices=["replace", "merge"])
    args = parser.parse_args(argv)
    try:
        try:
            from datapackage_to_datasette import datapackage_to_datasette
        except ImportError:
            raise ReleaseError(
                "datapackage-to-datasette is not installed; run `pip install "
                "datapackage-to-datasette datasette`"
            ) from None
        with null_tolerant_regexp():
            datapackage_to_datasette(
                args.dbname, args.data_package, args.metadata_filename, args.write_mode
            )
    except ReleaseError as exc:
        print(f"datasette: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {args.dbname} and {args.metadata_filename}; serve them with `datasette "
        f"{args.dbname} --metadata {args.metadata_filename}`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
