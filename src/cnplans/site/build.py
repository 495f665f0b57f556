"""Build the static site all at once: in a temp folder beside the target, checked, then swapped in.

Usage (from a checkout)::

    python -m cnplans.site --root . --dist dist --out dist/site

or ``nox -s site``. The result needs no server and loads nothing from the network: open
``dist/site/index.html`` from disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from cnplans.site import chart, pages
from cnplans.site.check import check_site
from cnplans.site.downloads import (
    Download,
    all_downloads,
    print_warnings,
)
from cnplans.site.markup import Html
from cnplans.site.package import (
    CITATION_NAME,
    DATA_FOLDER,
    DESCRIPTOR_NAME,
    SOURCE_PATH_FIELD,
    SOURCES_TABLE,
    Package,
    SiteError,
    read_package,
    relative_posix,
)
from cnplans.site.templates import PLANS_TABLE, page_name

ASSETS = ("site.css", "print.css", "site.js")


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote, for the command's summary and for tests."""

    out: Path
    pages: int
    downloads: list[Download]
    warnings: list[str]
    has_release: bool


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise SiteError(f"{source} does not exist, but the site must offer it")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _site_file(folder: Path, relative: PurePosixPath) -> Path:
    return folder.joinpath(*relative.parts)


def write_site(folder: Path, package: Package, downloads: list[Download], has_release: bool) -> int:
    """Write every page and file of the site into ``folder``; returns the number of pages."""
    assets = resources.files("cnplans.site").joinpath("assets")
    for name in ASSETS:
        _write(folder / "assets" / name, assets.joinpath(name).read_text(encoding="utf-8"))
    # The package itself, laid out as in the repository, so data/ is a data package too.
    _copy(package.root / DESCRIPTOR_NAME, folder / DATA_FOLDER / DESCRIPTOR_NAME)
    for table in package.tables:
        _copy(table.csv_path, _site_file(folder / DATA_FOLDER, table.relative_path))
        if table.schema_relative_path is not None:
            _copy(
                package.root / table.schema_relative_path,
                _site_file(folder / DATA_FOLDER, table.schema_relative_path),
            )
    if package.has_table(SOURCES_TABLE):
        sources = package.table(SOURCES_TABLE)
        for row in sources.rows:
            if row.get(SOURCE_PATH_FIELD):
                relative = relative_posix(row[SOURCE_PATH_FIELD], f"{sources.csv_path}")
                _copy(package.root / relative, _site_file(folder / DATA_FOLDER, relative))
    for download in downloads:
        target = _site_file(folder, download.site_path)
        if not target.exists():
            _copy(download.source, target)
    if package.citation is not None:
        _write(folder / CITATION_NAME, package.citation.text)

    count = 0

    def emit(relative: str, html: Html) -> None:
        nonlocal count
        _write(folder / relative, html)
        count += 1

    emit("index.html", pages.home_page(package, downloads, has_release))
    svg = chart.render_svg(pages.money_targets(package), standalone=True)
    if svg is not None:
        _write(folder / pages.CHART_FILE, '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
    by_path = {d.source.resolve(): d for d in downloads if d.kind == "csv"}
    for table in package.tables:
        name = page_name(table.name, "table name")
        emit(
            f"tables/{name}.html",
            pages.table_page(package, table, by_path.get(table.csv_path.resolve())),
        )
    if package.has_table(PLANS_TABLE):
        for row in package.table(PLANS_TABLE).rows:
            emit(
                f"plans/{page_name(row['plan_id'], 'plan_id')}.html", pages.plan_page(package, row)
            )
    return count


def _swap_in(built: Path, out: Path) -> None:
    """Replace ``out`` with ``built`` (same parent folder): rename, rename, then delete the old."""
    if out.exists() and not out.is_dir():
        raise SiteError(f"{out} exists and is not a folder; move it away or choose another --out")
    if not out.exists():
        built.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        built.rename(out)
    except OSError:
        old.rename(out)  # put the previous site back
        raise
    shutil.rmtree(old, ignore_errors=True)


def build_site(root: Path, out: Path, dist: Path | None = None) -> BuildReport:
    """Build the site of the package in ``root`` into ``out``, offering release files in ``dist``.

    ``out`` is replaced only when the whole new site was written and passed
    :func:`cnplans.site.check.check_site`; otherwise it is left as it was.
    """
    package = read_package(root)
    out = out.absolute()
    downloads, warnings = all_downloads(package, dist, skip=out)
    has_release = any(not str(d.site_path).startswith(DATA_FOLDER + "/") for d in downloads)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        count = write_site(building, package, downloads, has_release)
        problems = check_site(building)
        if problems:
            listed = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise SiteError(
                f"the generated site has {len(problems)} problems, so {out} was left as it "
                f"was:\n  {listed}{more}"
            )
        os.chmod(building, 0o755)  # mkdtemp makes it private; a published site is readable
        _swap_in(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return BuildReport(out, count, downloads, warnings, has_release)


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m cnplans.site`` (and ``cnplans site``)."""
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help=f"folder holding {DESCRIPTOR_NAME} (default: the current folder)",
    )
    parser.add_argument(
        "--dist",
        type=Path,
        default=None,
        help="folder with the release files and SHA256SUMS (default: ROOT/dist)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder to write the site to, replaced whole (default: ROOT/dist/site)",
    )
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="offer only the package's own CSV files, ignoring any release files",
    )


def run(args: argparse.Namespace) -> int:
    """Build the site; 0 when written, 1 when the input is wrong, 2 when files cannot be written."""
    root: Path = args.root
    dist = None if args.no_release else (args.dist or root / "dist")
    out = args.out or root / "dist" / "site"
    try:
        report = build_site(root, out, dist)
    except SiteError as exc:
        print(f"cnplans site: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cnplans site: cannot write the site: {exc}", file=sys.stderr)
        return 2
    print_warnings(report.warnings)
    release = "with the release files" if report.has_release else "without release files"
    print(
        f"cnplans site: wrote {report.pages} pages and {len(report.downloads)} downloads "
        f"({release}) to {report.out}; open {report.out / 'index.html'}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point of ``python -m cnplans.site``."""
    parser = argparse.ArgumentParser(
        prog="python -m cnplans.site",
        description="Build the static download site of the data package (works offline).",
    )
    configure(parser)
    return run(parser.parse_args(argv))
