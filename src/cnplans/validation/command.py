"""``cnplans validate``: check a data package and print its problems.

Exit codes: 0 the package is valid, 1 it has problems, 2 validation could not run (the
descriptor is missing, unreadable or not JSON, or a check crashed). Nothing is ever written.
Heavy imports (pandas, pandera, frictionless) happen inside :func:`run`.

pyarrow's memory pool is jemalloc on Linux and the system allocator elsewhere (not every
pyarrow build has jemalloc), unless ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise. Peak memory of
a run at 100,000 target rows (2 CPUs, 2026-12-04, two runs each): jemalloc 266-271 MiB,
pyarrow's default mimalloc 326-329 MiB, the system allocator 350-356 MiB; at a million 1,203,
1,369 and 1,651 MiB. No pool was faster than jemalloc at 100,000 rows; at a million the runs
differed less than their noise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cnplans.datapackage.errors import EXIT_CANNOT_RUN, EXIT_INVALID, EXIT_OK
from cnplans.datapackage.paths import MAX_FILE_BYTES

DEFAULT_MAX_FILE_MB = MAX_FILE_BYTES / 1024 / 1024
MAX_FILE_MB_ALLOWED = 1024 * 1024  # a terabyte: beyond it a file is not read whole


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``cnplans validate``."""
    parser.add_argument(
        "descriptor",
        nargs="?",
        default="datapackage.json",
        metavar="PATH",
        help="the package's datapackage.json, or its folder (default: ./datapackage.json)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text for people (default), json for programs, github for Actions annotations",
    )
    parser.add_argument(
        "--max-file-size-mb",
        type=float,
        default=DEFAULT_MAX_FILE_MB,
        metavar="MB",
        help=f"largest file read, in megabytes (default {DEFAULT_MAX_FILE_MB:g}); "
        "a larger one is reported as a problem",
    )


def _github_prefix(root: Path) -> str:
    """The descriptor's folder relative to the working directory, for annotation paths."""
    try:
        relative = root.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return ""
    return "" if str(relative) == "." else relative.as_posix() + "/"


def run(args: argparse.Namespace) -> int:
    """Validate the package named in ``args`` and print the report; return the exit code."""
    try:
        return _run(args)
    except Exception as error:  # last resort: a sentence, never a traceback
        print(
            f"cnplans validate: internal error ({type(error).__name__}: {error}); "
            "this is a bug in cnplans, please report it",
            file=sys.stderr,
        )
        return EXIT_CANNOT_RUN


def _run(args: argparse.Namespace) -> int:
    if not 0 < args.max_file_size_mb <= MAX_FILE_MB_ALLOWED:
        print(
            "cnplans validate: --max-file-size-mb must be a positive number of at most "
            f"{MAX_FILE_MB_ALLOWED:,} (files are read whole)",
            file=sys.stderr,
        )
        return EXIT_CANNOT_RUN
    if "pyarrow" not in sys.modules:  # (the variable is read when pyarrow starts)
        pool = "jemalloc" if sys.platform == "linux" else "system"
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", pool)
    from cnplans.validation.problems import CannotRun, format_github, format_json, format_text
    from cnplans.validation.runner import validate_package

    descriptor = Path(os.path.expanduser(args.descriptor))
    try:
        report = validate_package(
            descriptor, max_file_bytes=int(args.max_file_size_mb * 1024 * 1024)
        )
    except CannotRun as error:
        print(f"cnplans validate: {error}", file=sys.stderr)
        if args.format == "github":
            print(f"::error::{error}")
        return EXIT_CANNOT_RUN
    label = report.context.descriptor_label
    if args.format == "json":
        output = format_json(report.problems, label, report.crashed)
    elif args.format == "github":
        output = format_github(report.problems, _github_prefix(report.context.root))
    else:
        output = format_text(report.problems, label, report.stats(), report.crashed)
    sys.stdout.write(output)
    for crash in report.crashed:
        print(
            f"cnplans validate: the check {crash} crashed; this is a bug in cnplans, "
            "please report it. The problems above may be incomplete.",
            file=sys.stderr,
        )
    return EXIT_CANNOT_RUN if report.crashed else EXIT_OK if report.valid else EXIT_INVALID
