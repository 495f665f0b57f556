"""What the download table offers: the release files found in a dist folder, and the CSV tables.

The release builder leaves its files and a ``SHA256SUMS`` in ``dist/cnplans-X.Y.Z/``. When that
file exists, the site offers exactly what it lists, after checking every file against it (a page
must never print a checksum its file does not have). Without it, files of this version are
picked up by name (:func:`release_names`) and hashed here. The CSV tables and
``datapackage.json`` are always offered, so a site built without any release still lets
readers download the data.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from itertools import product
from pathlib import Path, PurePosixPath

from cnplans import datapackage
from cnplans.datapackage.hashes import SUMS_NAME, file_sha256, parse_sha256sums
from cnplans.datapackage.paths import DESCRIPTOR_NAME
from cnplans.loader.overviews import NAMES as OVERVIEWS

from ..release.artifacts.overview_csv import file_name as overview_file_name
from ..release.artifacts.sqlite import database_name
from .package import DATA_FOLDER, Package, SiteError

DOWNLOADS_FOLDER = "downloads"
# kind -> (label, file name endings), in the order the download table lists the kinds.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "zip": ("Data package (zip)", (".zip",)),
    "overview": ("Overview CSV", ()),
    "xlsx": ("Excel workbook", (".xlsx",)),
    "csv": ("CSV table", (".csv",)),
    "json": ("JSON", (".json",)),
    "parquet": ("Parquet table", (".parquet",)),
    "sqlite": ("SQLite database", (".sqlite", ".sqlite3", ".db")),
    "wheel": ("Python wheel", (".whl",)),
    "sdist": ("Python source distribution", (".tar.gz",)),
    "citation": ("Citation (CFF)", (".cff",)),
    "other": ("File", ()),
    "checksums": ("Checksums (sha256sum -c)", ()),
}
OVERVIEW_FILES = {overview_file_name(name): name for name in OVERVIEWS}


def release_names(version: str) -> set[str]:
    """Release files whose names do not hold the version as written (the SQLite file has no
    dots in its stem, the overview CSVs no version).

    >>> sorted(release_names("1.2.3"))
    ['cnplans_1_2_3.sqlite', 'overview-clusters.csv', 'overview-targets.csv']
    """
    return {database_name(version), *OVERVIEW_FILES}


@dataclass(frozen=True)
class Download:
    """One file the site offers: where it comes from, where it goes, its size and digest."""

    label: str
    kind: str
    source: Path
    site_path: PurePosixPath
    size_bytes: int
    sha256: str


def classify(name: str, table_names: list[str]) -> tuple[str, str]:
    """``(kind, label)`` of a file name; a per-table file names its table in the label."""
    if name == SUMS_NAME:
        return "checksums", KINDS["checksums"][0]
    if name in OVERVIEW_FILES:
        return "overview", f"Overview CSV: {OVERVIEW_FILES[name]}, one readable row each"
    lower = name.lower()
    kind = next((k for k, (_, endings) in KINDS.items() if lower.endswith(endings)), "other")
    label = KINDS[kind][0]
    if kind in ("csv", "parquet"):
        stem = lower.rsplit(".", 1)[0]
        tables = [t for t in table_names if stem == t or stem.endswith(("-" + t, "_" + t))]
        label += f": {max(tables, key=len)}" if tables else ""
    return kind, label


def _download(
    path: Path, site_path: PurePosixPath, kind_label: tuple[str, str], digest: str | None = None
) -> Download:
    kind, label = kind_label
    return Download(label, kind, path, site_path, path.stat().st_size, digest or file_sha256(path))


def _listed(folder: Path, version: str, table_names: list[str]) -> list[Download]:
    """The files ``folder/SHA256SUMS`` lists, each checked against its digest."""
    sums_path = folder / SUMS_NAME
    text = datapackage.read_text(sums_path, expected="a SHA256SUMS file")
    sums = parse_sha256sums(text, str(sums_path))
    if sums and not any(version in name for name in sums):
        raise SiteError(
            f"{sums_path} lists no file of version {version} (the version in {DESCRIPTOR_NAME}): "
            "rebuild the release, or build the site without it (--no-release)"
        )
    found = []
    for name, expected in sorted(sums.items()):
        reason = datapackage.unsafe_reason(name)
        if reason is not None:
            raise SiteError(f"{sums_path}: path {name!r} cannot be used: {reason}")
        path = folder / name
        if not path.is_file():
            raise SiteError(
                f"{sums_path} lists {name}, which is not in {folder}: rebuild the release"
            )
        actual = file_sha256(path)
        if actual != expected:
            raise SiteError(
                f"{path}: sha256 is {actual} but {sums_path} says {expected}; the file changed "
                "after the release was built: rebuild the release"
            )
        site_path = PurePosixPath(DOWNLOADS_FOLDER, name)
        found.append(_download(path, site_path, classify(site_path.name, table_names), actual))
    site_path = PurePosixPath(DOWNLOADS_FOLDER, SUMS_NAME)
    return [*found, _download(sums_path, site_path, classify(SUMS_NAME, []))]


def release_downloads(dist: Path, package: Package, skip: Path) -> list[Download]:
    """The release files of the package's version in ``dist``; files under ``skip`` are ignored.

    With a ``SHA256SUMS`` in ``dist/<name>-<version>/`` or ``dist/``, exactly the files it
    lists; without, every file under ``dist`` whose name holds the version, and the files of
    :func:`release_names` in ``dist/<name>-<version>/``, that end as a known format.
    """
    if not dist.is_dir():
        return []
    table_names = [table.name for table in package.tables]
    own_folder = dist / f"{package.name}-{package.version}"
    for folder in (own_folder, dist):
        if (folder / SUMS_NAME).is_file():
            return _listed(folder, package.version, table_names)
    found = []
    for path in sorted(dist.rglob("*")):
        relative = path.relative_to(dist)
        named = path.name in release_names(package.version) and path.parent == own_folder
        if not path.is_file() or path.is_relative_to(skip):
            continue
        kind_label = classify(path.name, table_names)
        hidden = any(part.startswith(".") for part in relative.parts)
        if (package.version in path.name or named) and kind_label[0] != "other" and not hidden:
            site_path = PurePosixPath(DOWNLOADS_FOLDER, relative.as_posix())
            found.append(_download(path, site_path, kind_label))
    return found


def package_downloads(package: Package) -> list[Download]:
    """The CSV tables and ``datapackage.json``, from the package folder itself."""
    found = [
        _download(
            package.root / table.relative_path,
            DATA_FOLDER / table.relative_path,
            ("csv", f"CSV table: {table.name}"),
        )
        for table in package.tables
    ]
    descriptor = package.root / DESCRIPTOR_NAME
    site_path = PurePosixPath(DATA_FOLDER, DESCRIPTOR_NAME)
    return [*found, _download(descriptor, site_path, ("json", "Data package descriptor"))]


def stale_release_warnings(downloads: list[Download], package: Package) -> list[str]:
    """Sentences for each CSV inside a release zip that differs from the package's own CSV."""
    current = {
        str(table.relative_path): file_sha256(package.root / table.relative_path)
        for table in package.tables
    }
    warnings = []
    for download in (d for d in downloads if d.kind == "zip"):
        try:
            with zipfile.ZipFile(download.source) as archive:
                for member, relative in product(archive.namelist(), current):
                    if member != relative and not member.endswith("/" + relative):
                        continue
                    if hashlib.sha256(archive.read(member)).hexdigest() != current[relative]:
                        warnings.append(
                            f"{download.source} holds {member}, which differs from "
                            f"{package.root / relative}: the release was built from "
                            "other data; rebuild it so the page offers one release"
                        )
        except zipfile.BadZipFile:
            raise SiteError(f"{download.source}: not a readable zip archive") from None
    return warnings


def all_downloads(
    package: Package, dist: Path | None, skip: Path
) -> tuple[list[Download], list[str]]:
    """Everything the download table lists (release files first within each kind), and
    warnings to print."""
    release = [] if dist is None else release_downloads(dist, package, skip)
    warnings = stale_release_warnings(release, package)
    order = list(KINDS)
    return sorted(release + package_downloads(package), key=lambda d: order.index(d.kind)), warnings
