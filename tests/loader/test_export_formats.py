"""``cnplans export``: the release's workbook, CSVs in the package's form, overview files.

Runs on the repository's package (the bundled data) and checks each file against the loaded
tables, the Table Schemas and cnplans.datapackage.csv_form, never against fixed row counts or ids.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import cnplans
from cnplans import __main__ as cli
from cnplans.datapackage.csv_form import frame_text
from cnplans.loader import overviews, schema

OVERVIEW_FILES = ("overview-targets", "overview-clusters")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_csv_writes_the_package_form_and_the_overviews(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "export", "--to", str(tmp_path), "--format", "csv")
    assert code == 0, err
    names = cnplans.tables()
    expected = sorted([*(f"{n}.csv" for n in names), *(f"{n}.csv" for n in OVERVIEW_FILES)])
    assert sorted(p.name for p in tmp_path.iterdir()) == expected
    assert sorted(out.splitlines()) == sorted(str(p) for p in tmp_path.iterdir())
    for name in names:
        text = (tmp_path / f"{name}.csv").read_text(encoding="utf-8")
        assert text == frame_text(cnplans.load(name), schema(name)), name
        _assert_numbers_as_the_package_writes_them(text, name, schema(name).field_names)
    for stem, name in zip(OVERVIEW_FILES, overviews.NAMES, strict=True):
        text = (tmp_path / f"{stem}.csv").read_text(encoding="utf-8")
        assert text == frame_text(overviews.overview(name), overviews.schema(name))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows[0] == overviews.schema(name).field_names
        assert all(len(r) == len(rows[0]) for r in rows)


def _assert_numbers_as_the_package_writes_them(text: str, name: str, header: list[str]) -> None:
    """No number cell reads 20.0 or 2.3e+11, and a row's text id is quoted."""
    table_schema = schema(name)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == header
    for row in rows[1:]:
        assert len(row) == len(header), (name, row)
        for field, cell in zip(table_schema.fields, row, strict=True):
            if field.type in ("number", "integer", "year") and cell:
                assert not re.search(r"\.0$|e[+-]", cell), (name, field.name, cell)
    if table_schema.fields[0].type == "string":
        assert all(line.startswith('"') for line in text.splitlines()[1:]), name


def test_export_xlsx_writes_the_release_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "export", "--to", str(tmp_path), "--format", "xlsx")
    assert code == 0, err
    assert out.splitlines() == [str(tmp_path / "cnplans.xlsx")]
    book = load_workbook(tmp_path / "cnplans.xlsx")
    names = cnplans.tables()
    assert book.sheetnames == ["overview", "overview_clusters", "README", *names, "data_dictionary"]
    readme = [str(c) for row in book["README"].iter_rows(values_only=True) for c in row if c]
    assert cnplans.package()["version"] in readme
    projects = book["projects"]
    header = [c.value for c in projects[1]]
    column = header.index("investment_cny") + 1
    amounts = [projects.cell(r, column) for r in range(2, projects.max_row + 1)]
    assert all(c.value is None or c.data_type == "n" for c in amounts)
    assert {c.number_format for c in amounts if c.value is not None} <= {"#,##0"}


def test_export_parquet_adds_the_overviews(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "export", "--to", str(tmp_path), "--format", "parquet")
    assert code == 0, err
    for stem, name in zip(OVERVIEW_FILES, overviews.NAMES, strict=True):
        again = pd.read_parquet(tmp_path / f"{stem}.parquet")
        pd.testing.assert_frame_equal(again, overviews.overview(name))


def test_export_without_the_overview_tables_writes_the_tables_only(tmp_path: Path) -> None:
    from cnplans.loader.export import export

    frames = {"plans": cnplans.load("plans")}
    written = export(frames, tmp_path, "csv", schemas={"plans": schema("plans")})
    assert [p.name for p in written] == ["plans.csv"]
