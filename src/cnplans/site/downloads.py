"""What the download table offers: the release files found in a dist folder, and the CSV tables.

The release builder leaves its files and a ``SHA256SUMS`` in ``dist/``. When that file exists,
the site offers exactly what it lists, after checking every file against it (a page must never
print a checksum its file does not have). Without it, files of this version are picked up by
name and hashed here. The CSV tables, ``datapackage.json`` and the schemas are always offered,
hashed here, so a site built without any release still lets readers download the data.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cnplans.site.package import (
    DATA_FOLDER,
    DESCRIPTOR_NAME,
    Package,
    SiteError,
    relative_posix,
)

SUMS_NAME = "SHA256SUMS"
DOWNLOADS_FOLDER = "downloads"
_SUMS_LINE = re.compile(r"^(?P<sha>[0-9a-fA-F]{64}) [ *](?P<name>.+)$")

# File name ending -> (kind, label), in the order the download table lists them.
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
KIND_ORDER = ["zip", "xlsx", "csv", "json", "parquet", "sqlite", "wheel", "sdist", "citation"]


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


def sha256_of(path: Path) -> str:
    """Lower-case hexadecimal SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def classify(name: str, table_names: list[str]) -> tuple[str, str]:
    """``(kind, label)`` of a file name; a per-table file names its table in the label."""
    lower = name.lower()
    if name == SUMS_NAME:
        return "checksums", "Checksums (sha256sum -c)"
    for ending, kind, label in KINDS:
        if lower.endswith(ending):
            stem = lower[: -len(ending)]
            tables = [t for t in table_names if stem == t or stem.endswith(("-" + t, "_" + t))]
            if tables and kind in {"csv", "parquet"}:
                return kind, f"{label}: {max(tables, key=len)}"
            return kind, label
    return "other", "File"


def _sort_key(download: Download) -> int:
    """Rank by kind; the sort is stable, so files of one kind keep the order they came in."""
    kind = download.kind
    if kind == "checksums":
        return len(KIND_ORDER) + 1
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def parse_sums(path: Path) -> dict[PurePosixPath, str]:
    """``SHA256SUMS`` as relative path -> digest; a malformed line is an error naming it."""
    sums: dict[PurePosixPath, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            raise SiteError(
                f"{path}, line {number}: expected '<64 hex digits>  <file name>' as sha256sum "
                f"writes it, found {line[:80]!r}"
            )
        name = relative_posix(match["name"].strip(), f"{path}, line {number}")
        sums[name] = match["sha"].lower()
    return sums


def release_folder(dist: Path, name: str, version: str) -> Path | None:
    """Where the release's ``SHA256SUMS`` is: ``dist/<name>-<version>/`` (as the release
    builder writes it) or ``dist/`` itself; None when neither has one."""
    for folder in (dist / f"{name}-{version}", dist):
        if (folder / SUMS_NAME).is_file():
            return folder
    return None


def release_downloads(
    dist: Path, name: str, version: str, table_names: list[str], skip: Path
) -> list[Download]:
    """The release files of ``version`` in ``dist`` (none when it has none); ``skip`` is ignored.

    With a ``SHA256SUMS`` (see :func:`release_folder`), exactly the files it lists; without,
    every file under ``dist`` whose name holds the version and ends as a known format.
    """
    if not dist.is_dir():
        return []
    folder = release_folder(dist, name, version)
    if folder is not None:
        return _listed_downloads(folder, folder / SUMS_NAME, version, table_names)
    found = []
    for path in sorted(dist.rglob("*")):
        relative = path.relative_to(dist)
        if not path.is_file() or path.is_relative_to(skip):
            continue
        if any(part.startswith(".") for part in relative.parts) or version not in path.name:
            continue
        kind, label = classify(path.name, table_names)
        if kind == "other":
            continue
        found.append(_download(path, PurePosixPath(relative.as_posix()), kind, label))
    return sorted(found, key=_sort_key)  # rglob's sorted paths within each kind


def _listed_downloads(
    dist: Path, sums_path: Path, version: str, table_names: list[str]
) -> list[Download]:
    sums = parse_sums(sums_path)
    if sums and not any(version in str(name) for name in sums):
        raise SiteError(
            f"{sums_path} lists no file of version {version} (the version in {DESCRIPTOR_NAME}): "
            "rebuild the release, or build the site without it (--no-release)"
        )
    found = []
    for relative, expected in sums.items():
        path = dist / Path(*relative.parts)
        if not path.is_file():
            raise SiteError(
                f"{sums_path} lists {relative}, which is not in {dist}: rebuild the release"
            )
        actual = sha256_of(path)
        if actual != expected:
            raise SiteError(
                f"{path}: sha256 is {actual} but {sums_path} says {expected}; the file changed "
                "after the release was built: rebuild the release"
            )
        kind, label = classify(relative.name, table_names)
        found.append(_download(path, relative, kind, label, digest=actual))
    found.sort(key=lambda d: str(d.site_path))
    sums_download = _download(sums_path, PurePosixPath(SUMS_NAME), "checksums", "")
    found.append(sums_download)
    return sorted(found, key=_sort_key)


def _download(
    path: Path, relative: PurePosixPath, kind: str, label: str, digest: str | None = None
) -> Download:
    if kind == "checksums":
        label = classify(SUMS_NAME, [])[1]
    return Download(
        label=label,
        kind=kind,
        source=path,
        site_path=PurePosixPath(DOWNLOADS_FOLDER) / relative,
        size_bytes=path.stat().st_size,
        sha256=digest or sha256_of(path),
    )


def package_downloads(package: Package) -> list[Download]:
    """The CSV tables and ``datapackage.json``, from the package folder itself."""
    found = []
    for table in package.tables:
        found.append(
            Download(
                label=f"CSV table: {table.name}",
                kind="csv",
                source=table.csv_path,
                site_path=PurePosixPath(DATA_FOLDER) / table.relative_path,
                size_bytes=table.csv_path.stat().st_size,
                sha256=sha256_of(table.csv_path),
            )
        )
    descriptor = package.root / DESCRIPTOR_NAME
    found.append(
        Download(
            label="Data package descriptor",
            kind="json",
            source=descriptor,
            site_path=PurePosixPath(DATA_FOLDER) / DESCRIPTOR_NAME,
            size_bytes=descriptor.stat().st_size,
            sha256=sha256_of(descriptor),
        )
    )
    return found


def stale_release_warnings(downloads: list[Download], package: Package) -> list[str]:
    """Sentences for each CSV inside a release zip that differs from the package's own CSV."""
    current = {str(table.relative_path): sha256_of(table.csv_path) for table in package.tables}
    warnings = []
    for download in downloads:
        if download.kind != "zip":
            continue
        try:
            with zipfile.ZipFile(download.source) as archive:
                for member in archive.namelist():
                    for relative, digest in current.items():
                        if member == relative or member.endswith("/" + relative):
                            member_digest = hashlib.sha256(archive.read(member)).hexdigest()
                            if member_digest != digest:
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
    table_names = [table.name for table in package.tables]
    release = (
        []
        if dist is None
        else release_downloads(dist, package.name, package.version, table_names, skip)
    )
    warnings = stale_release_warnings(release, package)
    own = package_downloads(package)
    # Release files first within each kind, the package's own files (descriptor order) after.
    return sorted(release + own, key=_sort_key), warnings


def human_size(size_bytes: int) -> str:
    """``1234`` -> ``1.2 kB`` (SI units, as file managers show them)."""
    if size_bytes < 1000:
        return f"{size_bytes} bytes"
    size = size_bytes / 1000
    for unit in ("kB", "MB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def print_warnings(warnings: list[str]) -> None:
    """Print each warning on standard error, prefixed so it is clear who says it."""
    for warning in warnings:
        print(f"cnplans site: warning: {warning}", file=sys.stderr)
