"""``datapackage-to-datasette`` with a SQLite ``REGEXP`` that lets NULL pass.

frictionless 5 turns every ``pattern`` constraint into ``CHECK ("field" REGEXP 'pattern')`` and
registers a ``REGEXP`` that raises ``TypeError`` on NULL, so an empty optional patterned cell
fails the INSERT (see scripts/release/README.md). Usage (``pip install datapackage-to-datasette``)::

    python -m scripts.release.datasette cnplans.db datapackage.json metadata.json
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from unittest import mock


def regexp(expr: str, item: str | None) -> bool:
    """SQLite's ``item REGEXP expr``: NULL passes (a CHECK on NULL holds), text must match.

    >>> regexp("^[0-9]{6}$", None), regexp("^[0-9]{6}$", "310000"), regexp("^[0-9]{6}$", "31")
    (True, True, False)
    """
    return item is None or re.search(expr, item) is not None


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
        from datapackage_to_datasette import datapackage_to_datasette
        from frictionless.formats.sql import adapter

        # the adapter looks regexp up each time it opens a database: replacing the name suffices
        with mock.patch.object(adapter, "regexp", regexp):
            datapackage_to_datasette(
                args.dbname, args.data_package, args.metadata_filename, args.write_mode
            )
    except ImportError as exc:
        print(f"datasette: {exc}; run `pip install datapackage-to-datasette`", file=sys.stderr)
        return 1
    print(
        f"wrote {args.dbname} and {args.metadata_filename}; serve them with `datasette "
        f"{args.dbname} --metadata {args.metadata_filename}`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
