"""The one workbook writer (cnplans.loader.workbook): sheets, typed cells, formats, panes, README.

The workbook is built from the repository's package and cross-checked against the loaded tables
and their Table Schemas, never against fixed row counts or ids.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

import cnplans
from cnplans.datapackage.citation import read_citation
from cnplans.datapackage.table_schema import TableSchema
from cnplans.loader import overviews, schema, workbook

REPO = Path(__file__).resolve().parents[2]
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return cnplans.load_all()


@pytest.fixture(scope="module")
def schemas(frames: dict[str, pd.DataFrame]) -> dict[str, TableSchema]:
    return {name: schema(name) for name in frames}


@pytest.fixture(scope="module")
def book_bytes(frames: dict[str, pd.DataFrame], schemas: dict[str, TableSchema]) -> bytes:
    citation = read_citation(REPO)[1]  # type: ignore[index]  # the repository has one
    return workbook.workbook_bytes(
        cnplans.package(), frames, schemas, citation=citation, epoch=EPOCH
    )


@pytest.fixture(scope="module")
def book(book_bytes: bytes) -> Workbook:
    return load_workbook(io.BytesIO(book_bytes))


def _records(book: Workbook, sheet: str) -> list[dict[str, Any]]:
    rows = list(book[sheet].iter_rows())
    header = [c.value for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_sheets_come_in_order_overviews_readme_tables_dictionary(
    book: Workbook, frames: dict[str, pd.DataFrame]
) -> None:
    assert book.sheetnames == [
        "overview", "overview_clusters", "README", *frames, "data_dictionary",
    ]  # fmt: skip
    assert all(len(name) <= workbook.MAX_SHEET_NAME for name in book.sheetnames)


def test_every_data_sheet_freezes_header_and_id_and_filters(book: Workbook) -> None:
    for name in book.sheetnames:
        if name == "README":
            continue
        sheet = book[name]
        assert sheet.freeze_panes == "B2", name
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" + (
            f"{sheet.max_row}"
        ), name
        for letter, dimension in sheet.column_dimensions.items():
            assert dimension.width is None or 6 <= dimension.width <= 60, (name, letter)


def test_columns_put_the_id_and_content_first_foreign_keys_then_quote_last(
    book: Workbook, schemas: dict[str, TableSchema]
) -> None:
    for name, table_schema in schemas.items():
        header = [c.value for c in book[name][1]]
        assert sorted(header) == sorted(table_schema.field_names), name
        assert header[: len(table_schema.primary_key)] == table_schema.primary_key, name
        foreign = {f for fk in table_schema.foreign_keys for f in fk.fields}
        foreign -= set(table_schema.primary_key)
        last = [n for n in ("quote", "notes") if n in header]
        assert header[len(header) - len(last) :] == last, name
        positions = [header.index(n) for n in foreign]
        content = [
            header.index(n)
            for n in header
            if n not in foreign and n not in table_schema.primary_key and n not in last
        ]
        assert not positions or not content or min(positions) > max(content), name
    targets = [c.value for c in book["targets"][1]]
    assert targets.index("value") < 8 < targets.index("plan_id")  # in view on the first screen


def test_cells_have_the_types_of_their_fields(
    book: Workbook, frames: dict[str, pd.DataFrame], schemas: dict[str, TableSchema]
) -> None:
    for name, table_schema in schemas.items():
        records = _records(book, name)
        frame = frames[name]
        assert len(records) == len(frame), name
        for field in table_schema.fields:
            loaded = frame[field.name].astype(object).tolist()
            for record, value in zip(records, loaded, strict=True):
                cell = record[field.name]
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    assert cell.value is None, (name, field.name)
                elif field.type in ("integer", "year"):
                    assert type(cell.value) is int and cell.value == value, (name, field.name)
                elif field.type == "number":
                    assert cell.data_type == "n" and cell.value == value, (name, field.name)
                elif field.type == "boolean":
                    assert cell.value is bool(value), (name, field.name)
                elif isinstance(value, pd.Timestamp):  # date fields, and full partial dates
                    assert cell.is_date and cell.value == value.to_pydatetime(), field.name
                    assert cell.number_format == "yyyy-mm-dd", (name, field.name)
                else:
                    assert cell.data_type == "s" and cell.value == str(value), (name, field.name)


def test_amounts_and_counts_show_separators_and_rates_four_decimals(book: Workbook) -> None:
    for record in _records(book, "targets"):
        unit = record["unit"].value
        expected = "General" if unit == "percent" else "#,##0"
        assert record["value"].number_format == expected, unit
        for name in ("usd", "reported_usd"):
            if record[name].value is not None:
                assert record[name].number_format == "#,##0"
        if record["fx_units_per_usd"].value is not None:
            assert record["fx_units_per_usd"].number_format == "0.0000"
        if record["target_year"].value is not None:
            assert record["target_year"].number_format == "General"  # 2025, never 2,025
    for record in _records(book, "projects"):
        for name in ("investment_cny", "project_count"):
            if record[name].value is not None:
                assert record[name].number_format == "#,##0", name
    rates = [r["units_per_usd"] for r in _records(book, "exchange_rates")]
    assert rates and all(c.number_format == "0.0000" for c in rates)
    for record in _records(book, "overview"):
        if record["usd"].value is not None:
            assert record["usd"].number_format == "#,##0"


def test_number_formats_follow_the_schema_rule() -> None:
    fields = [
        {"name": "thing_id", "type": "string"},
        {"name": "amount_usd", "type": "number"},
        {"name": "widget_count", "type": "integer"},
        {"name": "eur_per_usd", "type": "number"},
        {"name": "ordinal", "type": "integer"},
        {"name": "share", "type": "number"},
        {"name": "day", "type": "date"},
        {"name": "year", "type": "year"},
    ]
    plain = TableSchema.from_descriptor({"fields": fields})
    assert [workbook.number_format(plain, f["name"]) for f in fields] == [
        None, "#,##0", "#,##0", "0.0000", None, None, "yyyy-mm-dd", None,
    ]  # fmt: skip
    with_unit = TableSchema.from_descriptor(
        {"fields": [*fields, {"name": "unit", "type": "string", "constraints": {"enum": ["EUR"]}}]}
    )
    assert workbook.number_format(with_unit, "share") == workbook.PER_ROW_UNIT
    assert workbook.number_format(with_unit, "total_eur") is None  # not a field


def test_partial_dates_stay_text_and_full_ones_become_dates(tmp_path: Path) -> None:
    plans_schema = schema("plans")
    frame = cnplans.load("plans").head(3).copy()
    frame["issued"] = pd.Series(["2024-11-12", "2024-11", None], dtype="string")
    path = workbook.write(
        tmp_path / "plans.xlsx", {"name": "p"}, {"plans": frame}, {"plans": plans_schema}
    )
    book = load_workbook(path)
    assert book.sheetnames == ["README", "plans", "data_dictionary"]  # no overview tables
    issued = [r["issued"] for r in _records(book, "plans")]
    assert issued[0].value == dt.datetime(2024, 11, 12) and issued[0].number_format == "yyyy-mm-dd"
    assert issued[1].value == "2024-11" and issued[1].data_type == "s"
    assert issued[2].value is None


def test_overview_sheets_are_the_overviews(book: Workbook, frames: dict[str, pd.DataFrame]) -> None:
    for sheet, name in (("overview", "targets"), ("overview_clusters", "clusters")):
        expected = overviews.overview(name, frames=frames)
        header = [c.value for c in book[sheet][1]]
        assert header == list(expected.columns)
        records = _records(book, sheet)
        assert [r[header[0]].value for r in records] == expected.iloc[:, 0].tolist()
    zh = {r["region_name_zh"].value for r in _records(book, "overview")}
    assert zh == set(overviews.overview("targets", frames=frames)["region_name_zh"].dropna())


def test_readme_speaks_to_analysts(book: Workbook, frames: dict[str, pd.DataFrame]) -> None:
    cells = [str(c) for row in book["README"].iter_rows(values_only=True) for c in row if c]
    text = "\n".join(cells)
    descriptor = cnplans.package()
    assert descriptor["version"] in cells
    assert "sources/" not in text
    assert "cnplans convert" not in text and "`cnplans" not in text
    assert "CC-BY-4.0" in text or "Creative Commons" in text
    assert descriptor["title"] in text
    assert re.search(r"yuan, not billions", text)
    assert "fx_basis is unknown" in text
    assert "verbatim" in text
    for name in frames:
        assert name in cells, name
    for name, table_schema in (("targets", schema("targets")), ("clusters", schema("clusters"))):
        for fk in table_schema.foreign_keys:
            assert f"{name}.{fk.fields[0]}" in cells
    cite = next(
        row for row in book["README"].iter_rows(values_only=True) if row[0] == "How to cite"
    )
    assert descriptor["title"] in str(cite[1]) and "[Data set]" in str(cite[1])


def test_the_dictionary_lists_every_field_of_every_sheet(
    book: Workbook, schemas: dict[str, TableSchema]
) -> None:
    rows = list(book["data_dictionary"].iter_rows(values_only=True))
    assert list(rows[0]) == workbook.DICTIONARY_HEADER
    listed = {(r[0], r[1]) for r in rows[1:]}
    for name, table_schema in schemas.items():
        assert {(name, f) for f in table_schema.field_names} <= listed
    assert ("overview", "stated") in listed


def test_same_data_and_epoch_give_the_same_bytes(
    book_bytes: bytes, book: Workbook, frames: dict[str, pd.DataFrame], schemas: dict[str, Any]
) -> None:
    citation = read_citation(REPO)[1]  # type: ignore[index]  # the repository has one
    again = workbook.workbook_bytes(
        cnplans.package(), frames, schemas, citation=citation, epoch=EPOCH
    )
    assert again == book_bytes
    assert book.properties.created == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert book.properties.modified == book.properties.created


def test_a_name_excel_refuses_is_a_clear_error(tmp_path: Path) -> None:
    long_name = "a_table_name_longer_than_excel_allows"
    with pytest.raises(workbook.WorkbookError, match="at most 31 characters"):
        workbook.write(tmp_path / "x.xlsx", {}, {long_name: pd.DataFrame({"a": [1]})}, {})
    assert not (tmp_path / "x.xlsx").exists()
