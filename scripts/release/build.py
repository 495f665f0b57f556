"""Build every artifact of one version into ``dist/cnplans-X.Y.Z/``.

The artifacts go into a temporary folder in dist/, renamed only when all of them (and
SHA256SUMS) are complete. Times come from SOURCE_DATE_EPOCH, so builds are byte-identical.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnplans.datapackage import read_descriptor
from cnplans.loader import workbook

from . import checksums
from .artifacts import data_readme, data_zip, overview_csv, parquet, python_dist, sqlite
from .artifacts import tables as typed_tables
from .citation import parsed_citation
from .errors import ReleaseStepError

EPOCH_ENV = "SOURCE_DATE_EPOCH"


@dataclass(frozen=True)
class BuildOptions:
    """What to build: the wheel and sdist are slow, so they can be left out."""

    python_dist: bool = True
    build_isolation: bool = True


def folder_name(version: str) -> str:
    """The release folder in dist/ and the single top-level folder of the zip."""
    return f"cnplans-{version}"


def source_date_epoch(default: Callable[[], int]) -> int:
    """``$SOURCE_DATE_EPOCH`` as an int, or ``default()`` when it is not set."""
    configured = os.environ.get(EPOCH_ENV)
    if not configured:
        return default()
    try:
        value = int(configured)
    except ValueError:
        raise ReleaseStepError(
            f"{EPOCH_ENV} is {configured!r}; expected whole seconds since 1970-01-01 UTC"
        ) from None
    if value < 0:
        raise ReleaseStepError(f"{EPOCH_ENV} is {value}; it cannot be negative")
    return value


def build_staged(
    root: Path,
    dist: Path,
    version: str,
    epoch: int,
    options: BuildOptions,
    *,
    after_zip: Callable[[Path], None] | None = None,
) -> Path:
    """Build all artifacts of the package in ``root`` into a new temporary folder in ``dist``.

    ``after_zip(zip_path)`` runs once the data zip exists, before the wheel is built (the
    release uses it to record the zip's sha256 in the loader's registry, which the wheel ships).
    Returns the temporary folder; :func:`finalize` moves it into place.
    """
    descriptor = read_descriptor(root)
    if descriptor.get("version") != version:
        raise ReleaseStepError(
            f"datapackage.json says version {descriptor.get('version')!r}, not {version!r}"
        )
    dist.mkdir(parents=True, exist_ok=True)
    prefix = folder_name(version)
    staging = Path(tempfile.mkdtemp(prefix=f".{prefix}.partial-", dir=dist))
    try:
        tables = typed_tables.read_all(root, descriptor)
        overviews = overview_csv.build(tables)
        database = sqlite.database_name(version)
        described = [  # the files published beside the zip, as its README names them
            (f"{prefix}.xlsx", "the tables as an Excel workbook, typed, with a README sheet"),
            (f"{prefix}-<table>.parquet", "one Parquet file per table, with the schema's types"),
            (
                database,
                "every table in one SQLite database, with its keys and the overview views; "
                f"`datasette {database}` serves it as it is",
            ),
        ]
        beside = [data_readme.Companion(name, text) for name, text in described]
        cff = parsed_citation(root)
        readme = data_readme.render(
            descriptor, tables, prefix, [c for c, _ in overviews], beside, citation=cff
        )
        generated = {companion.name: text for companion, text in overviews}
        archive = staging / f"{prefix}.zip"
        data_zip.build(root, descriptor, archive, epoch, prefix, {"README.md": readme, **generated})
        if after_zip is not None:
            after_zip(archive)
        for name, text in generated.items():
            (staging / name).write_text(text, encoding="utf-8", newline="")
        frames, schemas = {t.name: t.frame for t in tables}, {t.name: t.schema for t in tables}
        workbook.write(
            staging / f"{prefix}.xlsx", descriptor, frames, schemas, citation=cff, epoch=epoch
        )
        parquet.build(tables, staging, f"{prefix}-")
        sqlite.build(tables, staging / database, overview_views=bool(overviews))
        if options.python_dist:
            python_dist.build(root, staging, epoch, isolation=options.build_isolation)
        checksums.write(staging)
        staging.chmod(0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def finalize(staging: Path, dist: Path, version: str) -> Path:
    """Rename the complete ``staging`` folder to ``dist/cnplans-X.Y.Z`` in one step."""
    final = dist / folder_name(version)
    if final.exists():
        shutil.rmtree(staging, ignore_errors=True)
        raise ReleaseStepError(f"{final} already exists; nothing was replaced")
    staging.rename(final)
    return final
