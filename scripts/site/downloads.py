"""What the download table offers: the release files found in a dist folder, and the CSV tables.

The release builder leaves its files and a ``SHA256SUMS`` in ``dist/cnplans-X.Y.Z/``. When that
file exists, the site offers exactly what it lists, after checking every file against it (a page
must never print a checksum its file does not have). Without it, files of this version are
picked up by name (with the release builder's own names, :func:`release_names`) and hashed
here. The release's overview CSVs are offered as overviews, not as tables. The CSV tables and
``datapackage.json`` are always offered, so a site built without any release still lets
readers download the data.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cnplans.datapackage.hashes import SUMS_NAME, ChecksumError, file_sha256, parse_sha256sums
from cnplans.datapackage.paths import DESCRIPTOR_NAME
from cnplans.loader.overviews import NAMES as OVERVIEWS

from ..release.artifacts.overview_csv import file_name as overview_file_name
from ..release.artifacts.sqlite import database_name
from .package import DATA_FOLDER, Package, SiteError, relative_posix

DOWNLOADS_FOLDER = "downloads"
# File name ending -> (kind, label); kinds are listed in KIND_ORDER, checksums last.
KINDS: list[tuple[str, str, str]] = [
    (".zip", "zip", "Data package (zip)"),
    (".xlsx", "xlsx", "Excel workbook"),
    (".csv", "csv", "CSV table"),
    (".parquet", "parquet", "Parquet table"),
    (".sqlite", "sqlite", "SQLite database"),
    (".sqlite3", "sqlite", "SQLite database"),
    (".db", "sqlite", "SQLite database"),
    (".whl", "wheel", "Python wheel"),
    (".tar.gz", "sdist", "Python source distribution"),
    (".json", "json", "JSON"),
    (".cff", "citation", "Citation (CFF)"),
]
KIND_ORDER = [
    "zip", "overview", "xlsx", "csv", "json", "parquet", "sqlite", "wheel", "sdist", "citation"
]  # fmt: skip
OVERVIEW_FILES = {overview_file_name(name): name for name in OVERVIEWS}


def release_names(version: str) -> set[str]:
    """Release files whose names do not hold the version as written, named as the release names
    them (the SQLite file has no dots in its stem, the overview CSVs no version).

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

    @property
    def file_name(self) -> str:
        return self.site_path.name


def classify(name: str, table_names: list[str]) -> tuple[str, str]:
    """``(kind, label)`` of a file name; a per-table file names its table in the label."""
    if name == SUMS_NAME:
        return "checksums", "Checksums (sha256sum -c)"
    if name in OVERVIEW_FILES:
        return "overview", f"Overview CSV: {OVERVIEW_FILES[name]}, one readable row each"
    lower = name.lower()
    for ending, kind, label in KINDS:
        if lower.endswith(ending):
            stem = lower.removesuffix(ending)
            tables = [t for t in table_names if stem == t or stem.endswith(("-" + t, "_" + t))]
            if tables and kind in {"csv", "parquet"}:
                return kind, f"{label}: {max(tables, key=len)}"
            return kind, label
    return "other", "File"


def _rank(download: Download) -> int:
    """Rank by kind; the sort is stable, so files of one kind keep the order they came in."""
    if download.kind == "checksums":
        return len(KIND_ORDER) + 1
    return KIND_ORDER.index(download.kind) if download.kind in KIND_ORDER else len(KIND_ORDER)


def _download(
    path: Path, site_path: PurePosixPath, kind: str, label: str, digest: str | None = None
) -> Download:
    size = path.stat().st_size
    return Download(label, kind, path, site_path, size, digest or file_sha256(path))


def _listed(folder: Path, version: str, table_names: list[str]) -> list[Download]:
    """The files ``folder/SHA256SUMS`` lists, each checked against its digest."""
    sums_path = folder / SUMS_NAME
    try:
        sums = parse_sha256sums(sums_path.read_text(encoding="utf-8"), str(sums_path))
    except ChecksumError as exc:
        raise SiteError(str(exc)) from None
    if sums and not any(version in name for name in sums):
        raise SiteError(
            f"{sums_path} lists no file of version {version} (the version in {DESCRIPTOR_NAME}): "
            "rebuild the release, or build the site without it (--no-release)"
        )
    found = []
    for name, expected in sorted(sums.items()):
        relative = relative_posix(name, str(sums_path))
        path = folder.joinpath(*relative.parts)
        if not path.is_file():
            raise SiteError(
                f"{sums_path} lists {relative}, which is not in {folder}: rebuild the release"
            )
        actual = file_sha256(path)
        if actual != expected:
            raise SiteError(
                f"{path}: sha256 is {actual} but {sums_path} says {expected}; the file changed "
                "after the release was built: rebuild the release"
            )
        kind, label = classify(relative.name, table_names)
        found.append(_download(path, DOWNLOADS_FOLDER / relative, kind, label, actual))
    kind, label = classify(SUMS_NAME, [])
    found.append(_download(sums_path, PurePosixPath(DOWNLOADS_FOLDER, SUMS_NAME), kind, label))
    return found


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
        of_version = package.version in path.name or named
        if not path.is_file() or path.is_relative_to(skip) or not of_version:
            continue
        kind, label = classify(path.name, table_names)
        if kind != "other" and not any(part.startswith(".") for part in relative.parts):
            site_path = PurePosixPath(DOWNLOADS_FOLDER, relative.as_posix())
            found.append(_download(path, site_path, kind, label))
    return found


def package_downloads(package: Package) -> list[Download]:
    """The CSV tables and ``datapackage.json``, from the package folder itself."""
    found = [
        _download(
            package.root / table.relative_path,
            DATA_FOLDER / table.relative_path,
            "csv",
            f"CSV table: {table.name}",
        )
        for table in package.tables
    ]
    descriptor = package.root / DESCRIPTOR_NAME
    data_path = PurePosixPath(DATA_FOLDER, DESCRIPTOR_NAME)
    return [*found, _download(descriptor, data_path, "json", "Data package descriptor")]


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
                for member in archive.namelist():
                    for relative, digest in current.items():
                        if member != relative and not member.endswith("/" + relative):
                            continue
                        if hashlib.sha256(archive.read(member)).hexdigest() != digest:
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
    """Everything the download table lists (release files first), and warnings to print."""
    release = [] if dist is None else release_downloads(dist, package, skip)
    warnings = stale_release_warnings(release, package)
    # Release files first within each kind, the package's own files (descriptor order) after.
    return sorted(release + package_downloads(package), key=_rank), warnings
