"""The package as one Excel workbook, for the release and for ``cnplans export --format xlsx``.

Sheets, in order: the overviews (:mod:`cnplans.loader.overviews`), ``README`` (for analysts),
one sheet per table, then ``data_dictionary``. Cells are typed and formatted from the Table
Schemas (:func:`number_format`, :func:`column_order`). The bytes depend only on the data and
``epoch`` (:mod:`cnplans.loader.reproducible_zip`).

>>> import cnplans
>>> from cnplans.loader import schema
>>> column_order(schema("projects"))[:4]
['project_id', 'name', 'project_count', 'investment_cny']
>>> number_format(schema("projects"), "investment_cny"), number_format(schema("targets"), "usd")
('#,##0', '#,##0')
>>> number_format(schema("exchange_rates"), "units_per_usd")
'0.0000'
>>> number_format(schema("targets"), "value") is PER_ROW_UNIT
True
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from cnplans.datapackage.atomic import write_bytes
from cnplans.datapackage.citation import citation_text
from cnplans.datapackage.errors import EXIT_INVALID, CnplansError
from cnplans.datapackage.table_schema import Field, TableSchema, is_partial_date_field
from cnplans.loader import overviews, reproducible_zip

README_SHEET = "README"
DICTIONARY_SHEET = "data_dictionary"
# cnplans.loader.overviews name -> its sheet; the targets' overview is the workbook's first.
OVERVIEW_SHEETS = {"targets": "overview", "clusters": "overview_clusters"}
DICTIONARY_HEADER = [
    "table", "field", "title", "type", "format", "required", "primary_key", "foreign_key",
    "allowed_values", "other_constraints", "description",
]  # fmt: skip
MAX_SHEET_NAME = 31  # Excel refuses longer sheet names
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 60
WIDTH_SAMPLE_ROWS = 500  # column widths are measured on the header and this many rows

WHOLE_NUMBER = "#,##0"  # amounts in base units and counts: 230,000,000,000
RATE = "0.0000"  # exchange rates: 6.7290
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm:ss"
# number_format's answer for a number whose unit is given row by row in the table's `unit` field.
PER_ROW_UNIT = "per-row unit"
UNIT_FIELD = "unit"
COUNT_WORD = "count"
RATE_WORD = "per"  # fx_units_per_usd, units_per_usd: a rate says its direction in its name
LAST_FIELDS = ("quote", "notes")  # the long verbatim text and the curator's remarks, at the right
FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
COMMAND = re.compile(r"`cnplans [a-z]")  # a developer's command, which the README leaves out
# Currencies field names carry (investment_cny, usd), beside those a unit field lists.
NAMED_CURRENCIES = ("cny", "usd")


class WorkbookError(CnplansError):
    """The tables cannot be written as a workbook (a name Excel refuses as a sheet name)."""

    exit_code = EXIT_INVALID


@dataclass(frozen=True)
class Sheet:
    """One data sheet: its name, the typed frame and the Table Schema that types it (if known)."""

    name: str
    frame: pd.DataFrame
    schema: TableSchema | None
    description: str = ""


def write(
    path: Path,
    descriptor: Mapping[str, Any],
    frames: Mapping[str, pd.DataFrame],
    schemas: Mapping[str, TableSchema],
    *,
    citation: Mapping[str, Any] | None = None,
    epoch: int | None = None,
) -> Path:
    """Write the workbook of ``frames`` (table name -> typed DataFrame) to ``path``, atomically.

    ``schemas`` types each table's cells (a table without one is written unformatted);
    ``citation`` is CITATION.cff as parsed; ``epoch`` (seconds, UTC) dates the document and its
    zip members (default: now).
    """
    write_bytes(path, workbook_bytes(descriptor, frames, schemas, citation=citation, epoch=epoch))
    return path


def workbook_bytes(
    descriptor: Mapping[str, Any],
    frames: Mapping[str, pd.DataFrame],
    schemas: Mapping[str, TableSchema],
    *,
    citation: Mapping[str, Any] | None = None,
    epoch: int | None = None,
) -> bytes:
    """The workbook (see :func:`write`) as the bytes of an xlsx file."""
    stamp_epoch = int(time.time()) if epoch is None else epoch
    tables = [
        Sheet(name, frame, schemas.get(name), _resource_description(descriptor, name))
        for name, frame in frames.items()
    ]
    summaries = [  # none when the frames lack a table the overviews read
        Sheet(OVERVIEW_SHEETS[name], frame, overviews.schema(name))
        for name, frame in overviews.every(frames).items()
    ]
    _check_sheet_names([s.name for s in (*summaries, *tables)])
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for sheet in summaries:
        _data_sheet(workbook.create_sheet(sheet.name), sheet)
    readme = workbook.create_sheet(README_SHEET)  # after the overviews, before the tables
    for sheet in tables:
        _data_sheet(workbook.create_sheet(sheet.name), sheet)
    _dictionary(workbook.create_sheet(DICTIONARY_SHEET), [*summaries, *tables])
    _readme(readme, descriptor, summaries, tables, citation)
    stamp = dt.datetime.fromtimestamp(stamp_epoch, dt.UTC).replace(tzinfo=None)
    props = workbook.properties
    props.created = props.modified = stamp
    props.creator = "cnplans"
    props.title = str(descriptor.get("title", descriptor.get("name", "")))
    raw = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which would stamp "modified" with the current time.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()
    return reproducible_zip.normalized(raw.getvalue(), stamp_epoch)


def column_order(schema: TableSchema) -> list[str]:
    """The sheet's columns: the primary key, the content fields, the foreign keys, quote, notes.

    Content fields are those that are neither keys nor :data:`LAST_FIELDS`, in schema order, so
    the first screen of a sheet shows what a row says rather than which rows it points to.

    >>> from cnplans.loader import schema
    >>> order = column_order(schema("targets"))
    >>> order[:4], order[-2:]
    (['target_id', 'target_type', 'indicator', 'subject'], ['quote', 'notes'])
    >>> order.index("plan_id") > order.index("reported_usd")
    True
    """
    names = schema.field_names
    key = [n for n in schema.primary_key if n in names]
    foreign = {n for fk in schema.foreign_keys for n in fk.fields}
    last = [n for n in LAST_FIELDS if n in names and n not in key]
    content = [n for n in names if n not in key and n not in foreign and n not in last]
    references = [n for n in names if n in foreign and n not in key]
    return [*key, *content, *references, *last]


def number_format(schema: TableSchema | None, name: str) -> str | None:
    """The cell format of field ``name``: from its type, its name and the table's unit field.

    Dates (and full dates in partial-date text fields) ``yyyy-mm-dd``; a rate (``_per_`` in
    its name) ``0.0000``; an amount (a currency code among the parts of its name, such as
    ``investment_cny`` or ``usd``) and a count (``project_count``) ``#,##0``; another number in
    a table with a ``unit`` field is :data:`PER_ROW_UNIT` (see :func:`unit_format`); anything
    else None (General: years, ordinals, text).
    """
    if schema is None or name not in schema.field_names:
        return None
    field = schema.field(name)
    if field.type == "date" or is_partial_date_field(field):
        return DATE
    if field.type == "datetime":
        return DATETIME
    if field.type not in ("number", "integer"):
        return None
    parts = name.lower().split("_")
    if RATE_WORD in parts:
        return RATE
    if COUNT_WORD in parts or (field.type == "number" and set(parts) & _currencies(schema)):
        return WHOLE_NUMBER
    return PER_ROW_UNIT if field.type == "number" and UNIT_FIELD in schema.field_names else None


def unit_format(unit: object) -> str | None:
    """The format of a number stated in ``unit``: ``#,##0`` for money and counts, else None.

    >>> unit_format("CNY"), unit_format("count"), unit_format("percent")
    ('#,##0', '#,##0', None)
    """
    text = str(unit) if unit is not None else ""
    return WHOLE_NUMBER if CURRENCY_CODE.fullmatch(text) or text == COUNT_WORD else None


def _check_sheet_names(names: Sequence[str]) -> None:
    taken = {README_SHEET, DICTIONARY_SHEET}
    for name in names:
        if len(name) > MAX_SHEET_NAME or name in taken:
            raise WorkbookError(
                f"table {name!r} cannot be a sheet name: Excel allows at most {MAX_SHEET_NAME} "
                f"characters, and the names {', '.join(sorted(taken))} are taken"
            )
        taken.add(name)


def _data_sheet(sheet: Worksheet, table: Sheet) -> None:
    """A table as typed, formatted cells under its header."""
    frame, schema = table.frame, table.schema
    names = [str(c) for c in frame.columns]
    if schema is not None and table.name not in OVERVIEW_SHEETS.values():
        order = [n for n in column_order(schema) if n in names]
        names = order + [n for n in names if n not in order]
    known = {f.name: f for f in schema.fields} if schema is not None else {}
    formats = [number_format(schema, n) for n in names]
    units = frame[UNIT_FIELD].astype(object).tolist() if UNIT_FIELD in frame.columns else None
    sheet.append(names)
    columns = [frame[n].astype(object).tolist() for n in names]
    for row_index, values in enumerate(zip(*columns, strict=True)):
        sheet.append([_cell(v, known.get(n)) for v, n in zip(values, names, strict=True)])
        for cell, kind in zip(sheet[sheet.max_row], formats, strict=True):
            if kind == PER_ROW_UNIT:
                kind = unit_format(units[row_index]) if units else None
            if kind is None or cell.value is None:
                continue
            if kind != DATE or isinstance(cell.value, dt.date):  # a partial date stays text
                cell.number_format = kind
    _finish(sheet)


def _dictionary(sheet: Worksheet, tables: Iterable[Sheet]) -> None:
    sheet.append(DICTIONARY_HEADER)
    for table in tables:
        if (schema := table.schema) is None:
            continue
        references = {own: target for _, own, target in _joins([table])}
        for field in schema.fields:
            sheet.append(
                [
                    table.name,
                    field.name,
                    field.title,
                    field.type,
                    field.format,
                    field.required,
                    field.name in schema.primary_key,
                    references.get(field.name, ""),
                    ", ".join(field.enum) if field.enum else "",
                    field.constraints_text(leave_out=("required", "enum")),
                    field.description,
                ]
            )
    _finish(sheet)


def _finish(sheet: Worksheet) -> None:
    """Bold header; header row and first column frozen; autofilter; widths from the content."""
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    sample = min(sheet.max_row, WIDTH_SAMPLE_ROWS + 1)  # iter_cols would add missing rows
    for index, column in enumerate(sheet.iter_cols(max_row=sample), start=1):
        shown = [_shown_width(c.value, c.number_format) for c in column if c.value is not None]
        widest = max(shown, default=0)
        width = min(max(widest + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width


def _readme(
    sheet: Worksheet,
    descriptor: Mapping[str, Any],
    overviews: Sequence[Sheet],
    tables: Sequence[Sheet],
    citation: Mapping[str, Any] | None,
) -> None:
    """The first words an analyst reads: what the data is, where to start, units, citing."""

    def heading(*values: str) -> None:
        sheet.append([*values])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)

    sheet.append([str(descriptor.get("title") or descriptor.get("name") or "Data package")])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.append([str(descriptor.get("description", ""))])
    sheet.append([])
    facts = (
        ("Version", str(descriptor.get("version", ""))),
        ("Created", str(descriptor.get("created") or "")),
        ("License", _license_text(descriptor)),
        ("How to cite", citation_text(citation or {}, descriptor)),
    )
    for label, text in facts:
        if text:
            sheet.append([label, text])
    sheet.append([])
    if overviews:
        heading("Start here")
        sheet.append(
            [
                overviews[0].name,
                "One row per target with everything needed to read it: the region, the plan, "
                "the value as the source states it, the value in base units, the year, US "
                "dollars, and the source's title and quote. Most questions are answered from "
                "this sheet alone: filter its columns (the filter buttons are in the header row).",
            ]
        )
        for sheet_ in overviews[1:]:
            sheet.append([sheet_.name, "One row per cluster and region it is in."])
        sheet.append([])
    heading("Sheet", "Rows", "What it holds")
    for sheet_ in overviews:
        sheet.append([sheet_.name, len(sheet_.frame), "Overview (generated from the tables)"])
    for sheet_ in tables:
        sheet.append([sheet_.name, len(sheet_.frame), sheet_.description])
    sheet.append([DICTIONARY_SHEET, None, "Every column of every sheet: type, description."])
    joins = _joins(tables)
    if joins:
        sheet.append([])
        heading("How the tables join")
        sheet.append(["Column", "Refers to the row of"])
        for table, own, target in joins:
            sheet.append([f"{table}.{own}", target])
    sheet.append([])
    heading("Reading the numbers")
    for topic, text in _notes(tables):
        sheet.append([topic, text])
    for row in sheet.iter_rows(min_col=2, max_col=4):
        for cell in row:
            if isinstance(cell.value, str) and len(cell.value) > 60:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in (("A", 22), ("B", 70), ("C", 26), ("D", 40)):
        sheet.column_dimensions[letter].width = width


def _notes(tables: Sequence[Sheet]) -> list[tuple[str, str]]:
    """What a reader must know to use the numbers, said for the fields the package has."""
    fields = {f.name for t in tables if t.schema is not None for f in t.schema.fields}
    notes = (
        (
            UNIT_FIELD in fields or bool(fields & {"investment_cny", "usd"}),
            "Base units",
            "Amounts are in base units: yuan, not billions of yuan (150 billion yuan is "
            "150000000000, shown as 150,000,000,000). The unit column says what a value "
            "counts: CNY (yuan), USD (US dollars), percent (15 means 15 %), or count.",
        ),
        (
            {"usd", "fx_basis"} <= fields,
            "US dollars",
            "usd is the value converted at the annual average exchange rate of fx_year "
            "(in exchange_rates); for a range it is the lower end (the overview also "
            "gives the upper end). It is empty when the value is not money (a percentage "
            "or a count), or when fx_basis is unknown: neither the plan's issue date nor "
            "the source's publication date is known, so no year's rate applies. "
            "reported_usd is the dollar figure the source itself prints, if any.",
        ),
        (
            "target_year" in fields,
            "Years",
            "target_year is empty when the source names no year for the goal; the "
            "overview's year column then gives the plan's end year, and year_basis says "
            "where each year comes from.",
        ),
        (
            True,
            "Dates",
            "Complete dates are date cells (yyyy-mm-dd); a date known only to the month or "
            "year stays text, such as 2024-11.",
        ),
        (
            "quote" in fields,
            "Quotes",
            "Every fact row carries a quote: a verbatim excerpt of the source text it was "
            "read from (whitespace may differ). The sources sheet names each source: its "
            "title, publisher, address and date.",
        ),
    )
    return [(topic, text) for wanted, topic, text in notes if wanted]


def _joins(tables: Sequence[Sheet]) -> list[tuple[str, str, str]]:
    """(table, column, referenced table.column) for every single-column foreign key."""
    return [
        (table.name, own, f"{fk.resource or table.name}.{ref}")
        for table in tables
        if table.schema is not None
        for fk in table.schema.foreign_keys
        for own, ref in zip(fk.fields, fk.reference_fields, strict=True)
    ]


def _license_text(descriptor: Mapping[str, Any]) -> str:
    licenses = [lic for lic in descriptor.get("licenses") or [] if isinstance(lic, dict)]
    return "; ".join(
        " ".join(str(x) for x in (lic.get("title") or lic.get("name"), lic.get("path")) if x)
        for lic in licenses
    )


def _resource_description(descriptor: Mapping[str, Any], name: str) -> str:
    """The resource's description for analysts: its clauses that name no cnplans command."""
    for resource in descriptor.get("resources") or []:
        if isinstance(resource, dict) and resource.get("name") == name:
            text = str(resource.get("description") or resource.get("title") or "")
            clauses = [c for c in text.split("; ") if not COMMAND.search(c)]
            kept = "; ".join(clauses)
            return kept if kept.endswith(".") or not kept else kept.rstrip(",;") + "."
    return ""


def _cell(value: Any, field: Field | None) -> Any:
    """A value as an Excel cell: None for missing, int/float/bool/str, full dates as dates."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, pd.Timestamp):
        if (field is None or field.type != "datetime") and value == value.normalize():
            return value.date()
        return value.to_pydatetime()
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if field is not None and field.type in ("integer", "year") and isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str) and field is not None and is_partial_date_field(field):
        return dt.date.fromisoformat(value) if FULL_DATE.fullmatch(value) else value
    if isinstance(value, bool | int | float | str | dt.date):
        return value
    return str(value)  # categories of enums and anything else print as text


def _currencies(schema: TableSchema) -> set[str]:
    """Currency codes (lower case) a field name may end in: the unit field's ISO 4217 codes."""
    enums = [v for field in schema.fields for v in field.enum or []]
    return {*NAMED_CURRENCIES, *(v.lower() for v in enums if CURRENCY_CODE.fullmatch(v))}


def _shown_width(value: Any, kind: str | None) -> int:
    """Columns a cell's value takes as shown; Chinese and other wide characters count twice."""
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float) and kind == WHOLE_NUMBER:
        return len(f"{value:,.0f}")
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in str(value))
