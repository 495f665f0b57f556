"""LibreOffice opens the package's CSVs with every cell in its column, even with ";" as a separator.

LibreOffice's CSV dialog offers the semicolon as a separator; a text cell holding ";" and no
comma, written unquoted, then lands in two columns. In the package's form (text cells quoted,
:mod:`cnplans.datapackage.csv_form`) it stays whole. Each test converts files with LibreOffice
headless (``soffice --convert-to csv`` with an import filter that splits on comma and semicolon,
reads ``"`` as the text delimiter, UTF-8, and quoted cells as text) and reads the result back with
the csv module: numbers may come back as LibreOffice writes them (``6.463`` for ``6.4630``).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

from cnplans.datapackage.csv_form import render_rows

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)
# Import: separators comma and semicolon (44/59), text delimiter '"' (34), UTF-8 (76), from
# line 1, default column formats, language en-US (1033), quoted fields as text (true: the
# dateline "November 22, 2024" stays text), no detection of special numbers (false).
# Export: comma, '"', UTF-8.
IMPORT_FILTER = "CSV:44/59,34,76,1,,1033,true,false"
EXPORT_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76"
TIMEOUT_SECONDS = 240


def converted(files: list[Path], work: Path) -> dict[str, list[list[str]]]:
    """Each file as LibreOffice reads it with the semicolon filter: its rows, by file name."""
    out = work / "out"
    command = [
        str(SOFFICE),
        f"-env:UserInstallation={(work / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        EXPORT_FILTER,
        f"--infilter={IMPORT_FILTER}",
        "--outdir",
        str(out),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
    rows = {}
    for file in files:
        with (out / file.name).open(encoding="utf-8", newline="") as handle:
            rows[file.name] = list(csv.reader(handle))
    return rows


def same_cell(found: str, expected: str) -> bool:
    """The cell as LibreOffice writes it back: the same text, or the same number (it reads
    ``6.4630`` as a number and writes ``6.463``)."""
    if found == expected:
        return True
    try:
        return float(found) == float(expected)
    except ValueError:
        return False


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_the_package_form_keeps_a_semicolon_cell_whole_and_the_minimal_form_does_not(
    tmp_path: Path,
) -> None:
    rows = [["id", "summary", "count"], ["a", "下游深加工企业; downstream enterprises", "20"]]
    quoted, minimal = tmp_path / "quoted.csv", tmp_path / "minimal.csv"
    quoted.write_text(render_rows(rows[:1], ()) + render_rows(rows[1:], [0, 1]), "utf-8")
    minimal.write_text(render_rows(rows, ()), encoding="utf-8")
    found = converted([quoted, minimal], tmp_path)
    assert found["quoted.csv"] == rows
    split = found["minimal.csv"][1]  # what the issue saw: the cell in two columns
    assert split[1] == "下游深加工企业" and len(split) == 4


def test_every_table_keeps_its_rows_columns_and_chinese_text(tmp_path: Path) -> None:
    files = sorted((REPO / "resources").glob("*.csv"))
    found = converted(files, tmp_path)
    for file in files:
        expected = read_rows(file)
        assert len(found[file.name]) == len(expected), file.name
        for got, want in zip(found[file.name], expected, strict=True):
            assert len(got) == len(want) and all(map(same_cell, got, want)), (file.name, got)
        assert {len(row) for row in found[file.name]} == {len(expected[0])}, file.name
    regions = found["regions.csv"]
    column = regions[0].index("name_zh")
    assert any("\u4e00" <= ch <= "\u9fff" for row in regions[1:] for ch in row[column])
