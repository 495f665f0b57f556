"""Shared pieces of the data commands (tables, show, export): the --release option and turning
loader errors into one-line messages with exit codes (1 invalid data, 2 cannot run)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from cnplans.datapackage.errors import EXIT_CANNOT_RUN, CnplansError

Run = Callable[[argparse.Namespace], int]


def add_release_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--release X.Y.Z``: read a published release instead of the bundled data."""
    parser.add_argument(
        "--release",
        metavar="X.Y.Z",
        default=None,
        help="read this published release (downloaded once, then cached) instead of the "
        "data bundled with this installation",
    )


def reporting_errors(run: Run) -> Run:
    """Wrap a command's ``run``: print an unknown table or an unreadable file as
    ``cnplans: <message>`` and return 2. Other cnplans errors (a
    :class:`~cnplans.loader.DataError` exits 1) are reported by :func:`cnplans.__main__.main`."""

    @functools.wraps(run)
    def reporting(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except CnplansError:
            raise
        except KeyError as exc:  # unknown table: the message lists the valid names
            message = str(exc.args[0]) if exc.args else str(exc)
        except OSError as exc:
            message = f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
        print(f"cnplans: {message}", file=sys.stderr)
        return EXIT_CANNOT_RUN

    return reporting
