"""The workbook opens right in LibreOffice: every sheet converted to CSV by ``soffice --headless``.

The workbook is the one cnplans.loader.workbook writes for the release (and ``cnplans export``),
built from the repository's package. LibreOffice converts it twice: with an explicit filter (UTF-8,
every sheet to its own file, cell values rather than as shown) and without one (the first
sheet, the overview). The CSVs must keep every row's columns, amounts as plain numbers and
dates as YYYY-MM-DD; with the UTF-8 filter the Chinese names must be intact. Without a filter
LibreOffice writes the system's character set (a headless run: question marks for Chinese), so
Chinese is checked with the filter only.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import cnplans
from cnplans.loader import overviews, schema, workbook

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui",
)

EPOCH = 1_700_000_000
STEM = "cnplans-test"
# Field ",", text '"', UTF-8 (76), from line 1, no column formats, language 0, then: quoted as
# text false, detect special numbers true, save cell contents as shown FALSE (the values, not
# "230,000,000,000"), no formulas, no space trimming, sheet -1: every sheet to <stem>-<sheet>.csv.
EVERY_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
TIMEOUT_SECONDS = 180
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _convert(book: Path, out: Path, profile: Path, target: str) -> None:
    out.mkdir()
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0 and any(out.iterdir()), done.stdout + done.stderr


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workbook, and the folders LibreOffice wrote its CSVs to (with and without filter)."""
    root = tmp_path_factory.mktemp("libreoffice")
    frames = cnplans.load_all()
    book = workbook.write(
        root / f"{STEM}.xlsx",
        cnplans.package(),
        frames,
        {name: schema(name) for name in frames},
        epoch=EPOCH,
    )
    profile = root / "profile"
    _convert(book, root / "filtered", profile, EVERY_SHEET)
    _convert(book, root / "plain", profile, "csv")
    return {"book": book, "filtered": root / "filtered", "plain": root / "plain"}


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _sheet(converted: dict[str, Path], sheet: str) -> list[dict[str, str]]:
    rows = _rows(converted["filtered"] / f"{STEM}-{sheet}.csv")
    header = rows[0]
    for row in rows[1:]:
        assert len(row) == len(header), (sheet, row)
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_every_sheet_is_converted_with_its_columns(converted: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    sheets = load_workbook(converted["book"], read_only=True).sheetnames
    written = sorted(p.name for p in converted["filtered"].iterdir())
    assert written == sorted(f"{STEM}-{s}.csv" for s in sheets)
    for name in [*cnplans.tables(), "overview", "overview_clusters", "data_dictionary"]:
        rows = _rows(converted["filtered"] / f"{STEM}-{name}.csv")
        assert all(len(r) == len(rows[0]) for r in rows), name


def test_chinese_names_are_intact(converted: dict[str, Path]) -> None:
    regions = cnplans.load("regions")
    shown = {r["region_id"]: r["name_zh"] for r in _sheet(converted, "regions")}
    assert shown == dict(zip(regions["region_id"], regions["name_zh"].fillna(""), strict=True))
    targets = overviews.overview("targets")
    in_sheet = [r["region_name_zh"] for r in _sheet(converted, "overview")]
    assert in_sheet == targets["region_name_zh"].fillna("").tolist()
    assert any(re.search(r"[\u4e00-\u9fff]", name) for name in in_sheet)


def _assert_numbers(records: list[dict[str, str]], frame: pd.DataFrame, fields: list[str]) -> None:
    for field in fields:
        for record, value in zip(records, frame[field].astype(object), strict=True):
            cell = record[field]
            if value is None or pd.isna(value):
                assert cell == "", (field, cell)
            else:
                assert PLAIN_NUMBER.fullmatch(cell), (field, cell)  # no "230,000,000,000"
                assert float(cell) == pytest.approx(float(value)), (field, cell)


def test_amounts_and_rates_are_plain_numbers(converted: dict[str, Path]) -> None:
    targets = cnplans.load("targets").set_index("target_id")
    records = _sheet(converted, "targets")
    ordered = targets.loc[[r["target_id"] for r in records]]
    _assert_numbers(records, ordered, ["value", "value_max", "usd", "reported_usd"])
    _assert_numbers(records, ordered, ["fx_units_per_usd"])
    projects = cnplans.load("projects")
    _assert_numbers(_sheet(converted, "projects"), projects, ["investment_cny", "project_count"])
    _assert_numbers(
        _sheet(converted, "exchange_rates"), cnplans.load("exchange_rates"), ["units_per_usd"]
    )
    _assert_numbers(
        _sheet(converted, "overview"), overviews.overview("targets"), ["value", "usd", "usd_max"]
    )


def test_dates_are_dates(converted: dict[str, Path]) -> None:
    for table, field in (("plans", "issued"), ("sources", "published")):
        frame = cnplans.load(table)
        records = _sheet(converted, table)
        key = schema(table).primary_key[0]
        by_id = dict(zip(frame[key], frame[field], strict=True))
        for record in records:
            value = by_id[record[key]]
            if isinstance(value, pd.Timestamp) and not pd.isna(value):
                assert record[field] == value.strftime("%Y-%m-%d"), (table, record[field])
            elif isinstance(value, str):  # a text date (partial, or loaded as text)
                assert record[field] == value


def test_without_a_filter_the_overview_keeps_its_columns_numbers_and_years(
    converted: dict[str, Path],
) -> None:
    (written,) = list(converted["plain"].iterdir())
    assert written.name == f"{STEM}.csv"
    with written.open(encoding="utf-8", errors="replace", newline="") as file:
        rows = list(csv.reader(file))
    expected = overviews.overview("targets")
    assert rows[0] == list(expected.columns)
    assert all(len(r) == len(rows[0]) for r in rows)
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["target_id"] for r in records] == expected["target_id"].tolist()
    _assert_numbers(records, expected, ["value", "usd", "year"])
