"""Command line of the site builder: ``python -m scripts.site --root . [--dist D] [--out O]``.

Exit status: 0 written, 1 the input is wrong (the message says which file and what to change),
2 the site cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cnplans.datapackage.errors import CnplansError
from cnplans.datapackage.paths import DESCRIPTOR_NAME

from .build import build_site


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.site",
        description="Build the static download site of the data package (works offline).",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help=f"folder holding {DESCRIPTOR_NAME} (default: the current folder)",
    )
    parser.add_argument(
        "--dist",
        type=Path,
        help="folder with the release files and SHA256SUMS (default: ROOT/dist)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder to write the site to, replaced whole (default: ROOT/dist/site)",
    )
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="offer only the package's own CSV files, ignoring any release files",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build the site; 0 when written, 1 when the input is wrong, 2 when files cannot be written."""
    args = build_parser().parse_args(argv)
    root: Path = args.root
    dist = None if args.no_release else (args.dist or root / "dist")
    out = args.out or root / "dist" / "site"
    try:
        report = build_site(root, out, dist)
    except CnplansError as exc:
        print(f"site: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"site: cannot write the site: {exc}", file=sys.stderr)
        return 2
    for warning in report.warnings:
        print(f"site: warning: {warning}", file=sys.stderr)
    release = "with the release files" if report.has_release else "without release files"
    print(
        f"site: wrote {report.pages} pages and {len(report.downloads)} downloads "
        f"({release}) to {report.out}; open {report.out / 'index.html'}"
    )
    return 0
