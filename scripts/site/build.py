"""Build the whole site in a folder beside the target, check it, then swap it in.

The result needs no server and loads nothing from the network: open ``dist/site/index.html``
from disk. ``out`` is replaced only by a complete site that passed :func:`.check.check_site`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cnplans import datapackage
from cnplans.datapackage.paths import DESCRIPTOR_NAME

from . import chart, pages
from .check import check_site
from .downloads import Download, all_downloads
from .package import (
    CITATION_NAME,
    DATA_FOLDER,
    SOURCE_PATH_FIELD,
    SOURCES_TABLE,
    Package,
    SiteError,
    read_package,
)

ASSETS = Path(__file__).resolve().parent / "assets"
MAX_LISTED_PROBLEMS = 20


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


def write_site(folder: Path, package: Package, downloads: list[Download], has_release: bool) -> int:
    """Write every page and file of the site into ``folder``; returns the number of pages."""
    shutil.copytree(ASSETS, folder / "assets")
    # The package itself, laid out as in the repository, so data/ is a data package too.
    descriptor = str(package.root / DESCRIPTOR_NAME)
    copied = [(DESCRIPTOR_NAME, descriptor)]
    for table in package.tables:
        paths = (table.relative_path, table.schema_relative_path)
        copied += [(str(p), f"{descriptor}: {table.name}") for p in paths if p]
    sources = package.table(SOURCES_TABLE)
    if sources is not None:
        where = f"{package.root / sources.relative_path}: {SOURCE_PATH_FIELD}"
        copied += [(r[SOURCE_PATH_FIELD], where) for r in sources.rows if r.get(SOURCE_PATH_FIELD)]
    for path, where in copied:
        _copy(datapackage.inside(package.root, path, where), folder / DATA_FOLDER / path)
    for download in downloads:
        target = folder / download.site_path
        if not target.exists():
            _copy(download.source, target)
    if package.citation_text is not None:
        _copy(package.root / CITATION_NAME, folder / CITATION_NAME)

    written = {"index.html": pages.home_page(package, downloads, has_release)}
    svg = chart.render_svg(pages.money_targets(package), standalone=True)
    if svg is not None:
        _write(folder / pages.CHART_FILE, '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
    csv_downloads = {d.source.resolve(): d for d in downloads if d.kind == "csv"}
    top = pages.View(package, "")  # the pages' paths are their links from the top
    for table in package.tables:
        csv_download = csv_downloads.get((package.root / table.relative_path).resolve())
        written[top.table_href(table.name)] = pages.table_page(package, table, csv_download)
    plans = package.table(pages.PLANS_TABLE)
    if plans is not None:
        for row in plans.rows:
            written[top.plan_href(row["plan_id"])] = pages.plan_page(package, plans, row)
    for page, html in written.items():
        _write(folder / page, html)
    return len(written)


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
    :func:`.check.check_site`; otherwise it is left as it was.
    """
    package = read_package(root)
    out = out.absolute()
    downloads, warnings = all_downloads(package, dist, skip=out)
    has_release = any(d.site_path.parts[0] != DATA_FOLDER for d in downloads)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        count = write_site(building, package, downloads, has_release)
        problems = check_site(building)
        if problems:
            listed = "\n  ".join(problems[:MAX_LISTED_PROBLEMS])
            more = len(problems) - MAX_LISTED_PROBLEMS
            raise SiteError(
                f"the generated site has {len(problems)} problems, so {out} was left as it "
                f"was:\n  {listed}" + (f"\n  ... and {more} more" if more > 0 else "")
            )
        os.chmod(building, 0o755)  # mkdtemp makes it private; a published site is readable
        _swap_in(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return BuildReport(out, count, downloads, warnings, has_release)
