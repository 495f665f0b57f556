"""The release as people download it: one folder, a data README, the overviews, SQLite, CSVs.

The release is built once from a copy of the real package (one exchange rate gets a retrieval
date, so that a date cell exists). Every expectation is computed from the package's own tables,
never from ids or counts typed here; the LibreOffice tests skip when ``soffice`` is not installed.
"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from release_support import EPOCH, REPO, commit_all, copy_real_package, read_rows

from cnplans.datapackage.csv_form import frame_text, table_text
from cnplans.datapackage.table_schema import TableSchema
from cnplans.loader import overviews, read_table
from scripts.release.cli import main

VERSION = "1.0.0"
FOLDER = f"cnplans-{VERSION}"
SHANGHAI, BAOSHAN, SHANXI = "310000", "310113", "140000"
RETRIEVED = "2024-01-15"
SOFFICE_TIMEOUT_SECONDS = 180


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/cnplans-1.0.0 of a copy of the real package."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        root = copy_real_package(tmp_path_factory.mktemp("real") / "repo")
        rates = root / "resources" / "exchange_rates.csv"
        header, *records = read_rows(rates)
        records[0][header.index("retrieved")] = RETRIEVED
        schema = TableSchema.from_path(root / "schemas" / "exchange_rates.json")
        rates.write_text(table_text(header, records, schema), encoding="utf-8", newline="")
        descriptor = root / "datapackage.json"
        descriptor.write_text(
            descriptor.read_text(encoding="utf-8").replace(
                '"version": "' + _version(root) + '"', f'"version": "{VERSION}"', 1
            ),
            encoding="utf-8",
        )
        assert main(["--root", str(root), "stamp"]) == 0
        commit_all(root, "a retrieval date, version 1.0.0")
        assert main(["--root", str(root), "build", "--no-python-dist"]) == 0
    return root / "dist" / FOLDER


def _version(root: Path) -> str:
    import json

    return str(json.loads((root / "datapackage.json").read_text(encoding="utf-8"))["version"])


@pytest.fixture(scope="module")
def unpacked(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked as someone who downloads it would: the folder inside it."""
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(built / f"{FOLDER}.zip") as archive:
        archive.extractall(target)
    return target / FOLDER


@pytest.fixture(scope="module")
def frames(unpacked: Path) -> dict[str, pd.DataFrame]:
    return {
        name: read_table(unpacked, name)
        for name in ("sources", "regions", "plans", "targets", "clusters", "cluster_regions")
    }


def _within(regions: pd.DataFrame, top: str) -> set[str]:
    """``top`` and every region below it, by following parent_id in the regions table."""
    parent = dict(zip(regions["region_id"], regions["parent_id"], strict=True))
    found = set()
    for region in parent:
        walk: str | None = region
        while isinstance(walk, str):
            if walk == top:
                found.add(region)
                break
            walk = parent.get(walk)
    return found


# ------------------------------------------------------------------------------------------
# The zip: one folder, a data README, the overviews
# ------------------------------------------------------------------------------------------


def test_zip_holds_one_folder_with_a_data_readme_not_the_developers(built: Path) -> None:
    with zipfile.ZipFile(built / f"{FOLDER}.zip") as archive:
        names = archive.namelist()
        readme = archive.read(f"{FOLDER}/README.md").decode("utf-8")
    assert {n.split("/", 1)[0] for n in names} == {FOLDER}
    inside = {n.split("/", 1)[1] for n in names}
    for member in ("datapackage.json", "LICENSE", "CHANGELOG.md", "CITATION.cff"):
        assert member in inside
    assert {"overview-targets.csv", "overview-clusters.csv"} <= inside
    assert not [n for n in inside if n.startswith("sources/")]
    assert readme != (REPO / "README.md").read_text(encoding="utf-8")
    developers = [
        line
        for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    ]
    assert developers and not [line for line in developers if line in readme.splitlines()]
    for words in (
        "## How the tables join",
        "Format quoted field as text",
        "65001",
        "From Text/CSV",
        "## How to cite",
        "CC-BY-4.0",
        "resources/sources.csv",
        "overview-targets.csv",
        "`targets.plan_id` → `plans.plan_id`",
        "base units",
    ):
        assert words in readme, words
    for resource in _descriptor(built)["resources"]:
        assert f"`{resource['path']}`" in readme


def _descriptor(built: Path) -> dict[str, object]:
    import json

    with zipfile.ZipFile(built / f"{FOLDER}.zip") as archive:
        return dict(json.loads(archive.read(f"{FOLDER}/datapackage.json")))


@pytest.mark.parametrize("name", overviews.NAMES)
def test_overview_csvs_equal_the_overview_of_the_released_tables(
    built: Path, unpacked: Path, frames: dict[str, pd.DataFrame], name: str
) -> None:
    file = f"overview-{name}.csv"
    expected = frame_text(overviews.overview(name, frames=frames), overviews.schema(name))
    assert (unpacked / file).read_text(encoding="utf-8") == expected
    assert (built / file).read_bytes() == (unpacked / file).read_bytes()
    assert file in (built / "SHA256SUMS").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(expected)))
    if name == "targets":  # one row per target, in the base table's order of ids
        assert sorted(r["target_id"] for r in rows) == sorted(frames["targets"]["target_id"])
    else:  # one row per cluster_regions row, and clusters no row places
        pairs = {(r["cluster_id"], r["region_id"]) for r in rows if r["region_id"]}
        links = frames["cluster_regions"]
        assert pairs == set(zip(links["cluster_id"], links["region_id"], strict=True))


# ------------------------------------------------------------------------------------------
# SQLite: a name Datasette serves, and the views answer the analysts' questions
# ------------------------------------------------------------------------------------------


def _query(database: Path, sql: str) -> list[dict[str, str]]:
    """Rows of ``sql`` run by the sqlite3 command-line tool (the stdlib module if absent)."""
    if shutil.which("sqlite3"):
        done = subprocess.run(
            ["sqlite3", "-bail", "-csv", "-header", str(database), sql],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=True,
        )
        return list(csv.DictReader(io.StringIO(done.stdout)))
    connection = sqlite3.connect(database)
    try:
        cursor = connection.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [
            {c: "" if v is None else str(v) for c, v in zip(columns, row, strict=True)}
            for row in cursor.fetchall()
        ]
    finally:
        connection.close()


def _database(built: Path) -> Path:
    (database,) = built.glob("*.sqlite")
    return database


def test_sqlite_file_name_has_no_dot_in_its_stem(built: Path) -> None:
    database = _database(built)
    assert "." not in database.stem and database.suffix == ".sqlite"
    assert f"  {database.name}\n" in (built / "SHA256SUMS").read_text(encoding="utf-8")


def test_views_list_shanghais_targets_with_dollar_amounts(
    built: Path, frames: dict[str, pd.DataFrame]
) -> None:
    rows = _query(
        _database(built),
        f"SELECT target_id, region_id, plan_title, usd FROM overview_targets "
        f"WHERE province_id = '{SHANGHAI}' ORDER BY target_id",
    )
    plans = frames["plans"].set_index("plan_id")
    shanghai = _within(frames["regions"], SHANGHAI)
    targets = frames["targets"]
    mine = targets[targets["plan_id"].map(plans["region_id"]).isin(shanghai)]
    assert len(mine) > 0
    assert [r["target_id"] for r in rows] == sorted(mine["target_id"])
    usd = dict(zip(mine["target_id"], mine["usd"], strict=True))
    for row in rows:
        expected = usd[row["target_id"]]
        assert (row["usd"] == "") == bool(pd.isna(expected))
        if row["usd"]:
            assert float(row["usd"]) == expected
        plan = targets.set_index("target_id").loc[row["target_id"], "plan_id"]
        assert row["plan_title"] == plans.loc[plan, "title"]
        assert row["region_id"] in shanghai


def test_views_list_the_clusters_in_baoshan(built: Path, frames: dict[str, pd.DataFrame]) -> None:
    rows = _query(
        _database(built),
        f"SELECT DISTINCT cluster_id, cluster_name, province_id FROM overview_clusters "
        f"WHERE region_id = '{BAOSHAN}' ORDER BY cluster_id",
    )
    links = frames["cluster_regions"]
    expected = sorted(set(links.loc[links["region_id"] == BAOSHAN, "cluster_id"]))
    assert expected, "the package places clusters in Baoshan"
    assert [r["cluster_id"] for r in rows] == expected
    names = frames["clusters"].set_index("cluster_id")["name"]
    assert all(r["cluster_name"] == names[r["cluster_id"]] for r in rows)
    assert {r["province_id"] for r in rows} == {SHANGHAI}


def test_views_give_each_shanxi_plans_revenue_target(
    built: Path, frames: dict[str, pd.DataFrame]
) -> None:
    rows = _query(
        _database(built),
        f"SELECT plan_id, plan_title, target_id, value, value_max, unit FROM overview_targets "
        f"WHERE province_id = '{SHANXI}' AND indicator = 'revenue' ORDER BY plan_id, target_id",
    )
    plans = frames["plans"].set_index("plan_id")
    targets = frames["targets"]
    shanxi = targets["plan_id"].map(plans["region_id"]).isin(_within(frames["regions"], SHANXI))
    revenue = targets[shanxi & (targets["indicator"] == "revenue")]
    assert len(revenue) > 0
    expected = sorted(zip(revenue["plan_id"], revenue["target_id"], strict=True))
    assert [(r["plan_id"], r["target_id"]) for r in rows] == expected
    by_id = revenue.set_index("target_id")
    for row in rows:
        assert float(row["value"]) == by_id.loc[row["target_id"], "value"]
        assert row["unit"] == by_id.loc[row["target_id"], "unit"]
        assert row["plan_title"] == plans.loc[row["plan_id"], "title"]


# ------------------------------------------------------------------------------------------
# The downloaded CSVs in LibreOffice
# ------------------------------------------------------------------------------------------

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="needs LibreOffice (`soffice`, Debian package libreoffice-calc-nogui)",
)
# LibreOffice CSV filter options: separators, text delimiter (34 = "), charset (76 = UTF-8),
# first line. "44/59/9" is comma, semicolon and tab: the separators its Text Import dialog ticks.
COMMA = "CSV:44,34,76,1"
DIALOG = "CSV:44/59/9,34,76,1"


def _csv_files(unpacked: Path) -> dict[str, TableSchema]:
    """Every CSV of the download with the Table Schema that types it."""
    files = {
        f"resources/{p.stem}.csv": TableSchema.from_path(unpacked / "schemas" / f"{p.stem}.json")
        for p in sorted((unpacked / "resources").glob("*.csv"))
    }
    files |= {f"overview-{n}.csv": overviews.schema(n) for n in overviews.NAMES}
    return files


def _convert(files: list[Path], to: str, out: Path, infilter: str | None, profile: Path) -> None:
    command = [
        "soffice",
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        to,
        "--outdir",
        str(out),
        *map(str, files),
    ]
    subprocess.run(command, capture_output=True, timeout=SOFFICE_TIMEOUT_SECONDS, check=True)


def _flat(unpacked: Path, folder: Path) -> dict[str, Path]:
    """The CSVs copied into one folder under unique names (LibreOffice names outputs by stem)."""
    folder.mkdir()
    copies = {}
    for name in _csv_files(unpacked):
        copy = folder / name.replace("/", "--")
        shutil.copyfile(unpacked / name, copy)
        copies[name] = copy
    return copies


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@needs_soffice
@pytest.mark.parametrize("infilter", [None, COMMA, DIALOG], ids=["no-filter", "comma", "dialog"])
def test_libreoffice_reads_every_row_into_its_columns_with_chinese_intact(
    unpacked: Path, tmp_path: Path, infilter: str | None
) -> None:
    copies = _flat(unpacked, tmp_path / "in")
    _convert(list(copies.values()), "csv", tmp_path / "out", infilter, tmp_path / "profile")
    for name, copy in copies.items():
        original = _read(copy)
        converted = _read(tmp_path / "out" / copy.name)
        assert len(converted) == len(original), name
        assert converted[0] == original[0], name
        for number, row in enumerate(converted[1:], start=2):
            assert len(row) == len(original[0]), f"{name} line {number}: {row}"
        for column in [c for c in original[0] if c.endswith("name_zh")]:
            i = original[0].index(column)
            assert [r[i] for r in converted[1:]] == [r[i] for r in original[1:]], name


@needs_soffice
@pytest.mark.parametrize("infilter", [COMMA, DIALOG], ids=["comma", "dialog"])
def test_libreoffice_reads_amounts_as_numbers_and_dates_as_dates(
    unpacked: Path, tmp_path: Path, infilter: str
) -> None:
    copies = _flat(unpacked, tmp_path / "in")
    schemas = _csv_files(unpacked)
    _convert(list(copies.values()), "xlsx", tmp_path / "out", infilter, tmp_path / "profile")
    dates = 0
    for name, copy in copies.items():
        original = _read(copy)
        sheet = load_workbook(tmp_path / "out" / f"{copy.stem}.xlsx").active
        assert sheet is not None
        cells = list(sheet.iter_rows(min_row=2, max_col=len(original[0])))
        assert len(cells) == len(original) - 1, name
        for field in schemas[name].fields:
            i = original[0].index(field.name)
            for row, source in zip(cells, original[1:], strict=True):
                cell, text = row[i], source[i]
                where = f"{name} {field.name} {text!r}"
                if text == "":
                    assert cell.value is None, where
                elif field.type in ("number", "integer", "year"):
                    assert cell.data_type == "n" and float(cell.value) == float(text), where
                elif field.type == "date":
                    assert cell.is_date and cell.value.date().isoformat() == text, where
                    dates += 1
                elif field.type == "boolean":
                    assert cell.value is (text == "true"), where
                elif field.name.endswith("name_zh"):
                    assert cell.value == text, where
    assert dates > 0  # the retrieval date the fixture set
