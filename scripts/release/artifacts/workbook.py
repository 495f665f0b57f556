"""The Excel workbook: a README sheet, a data-dictionary sheet, then one sheet per table.

Cells are typed (integers as integers, numbers as numbers, dates as dates, booleans as
booleans), every sheet has a frozen header row and an autofilter, and the workbook is
reproducible: its document properties carry SOURCE_DATE_EPOCH and its zip members fixed times.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..errors import ReleaseError
from . import reproducible_zip
from .tables import TypedTable, python_value

README_SHEET = "README"
DICTIONARY_SHEET = "data_dictionary"
DICTIONARY_HEADER = [
    "table", "field", "title", "type", "format", "required", "primary_key", "foreign_key",
    "allowed_values", "other_constraints", "description",
]  # fmt: skip
MAX_SHEET_NAME = 31  # Excel's limit
MAX_COLUMN_WIDTH = 60
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}
BOLD = Font(bold=True)


def build(descriptor: dict[str, Any], tables: list[TypedTable], target: Path, epoch: int) -> Path:
    """Write the workbook to ``target`` and return it."""
    names = [t.name for t in tables]
    for name in names:
        if len(name) > MAX_SHEET_NAME or name in (README_SHEET, DICTIONARY_SHEET):
            raise ReleaseError(
                f"table {name!r} cannot be a sheet name (at most {MAX_SHEET_NAME} characters, "
                f"not {README_SHEET!r} or {DICTIONARY_SHEET!r})"
            )
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README_SHEET
    _readme(readme, descriptor, tables)
    _dictionary(workbook.create_sheet(DICTIONARY_SHEET), tables)
    for table in tables:
        _table(workbook.create_sheet(table.name), table)
    stamp = dt.datetime.fromtimestamp(epoch, dt.UTC).replace(tzinfo=None)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "cnplans release tools"
    workbook.properties.title = str(descriptor.get("title", ""))
    raw = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which would stamp "modified" with the current time.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()
    target.write_bytes(reproducible_zip.normalized(raw.getvalue(), epoch))
    return target


def _readme(sheet: Worksheet, descriptor: dict[str, Any], tables: list[TypedTable]) -> None:
    licenses = descriptor.get("licenses") or []
    license_text = "; ".join(
        " ".join(str(x) for x in (lic.get("name"), lic.get("path") and f"({lic['path']})") if x)
        for lic in licenses
    )
    rows: list[list[Any]] = [
        [str(descriptor.get("title", descriptor.get("name", "")))],
        [],
        ["Version", str(descriptor.get("version", ""))],
        ["Created", str(descriptor.get("created", ""))],
        ["License", license_text],
        ["Description", str(descriptor.get("description", ""))],
        [],
        ["Sheet", "Title", "Rows", "Description"],
        [DICTIONARY_SHEET, "Data dictionary", None, "Every field of every table, from schemas/"],
    ]
    rows += [
        [
            t.name,
            str(t.resource.get("title", "")),
            len(t.frame),
            str(t.resource.get("description", "")),
        ]
        for t in tables
    ]
    sources = [s for s in descriptor.get("sources", []) if isinstance(s, dict)]
    if sources:
        rows += [[], ["Source document", "Archived text"]]
        rows += [[str(s.get("title", "")), str(s.get("path", ""))] for s in sources]
    rows += [
        [],
        [
            "Generated from datapackage.json and schemas/ by the cnplans release tools; the CSV "
            "files in the release zip are the reference."
        ],
    ]
    for row in rows:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[8]:
        cell.font = BOLD
    if sources:
        for cell in sheet[8 + 1 + len(tables) + 2]:
            cell.font = BOLD
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 50
    sheet.column_dimensions["C"].width = 8
    sheet.column_dimensions["D"].width = 80


def _dictionary(sheet: Worksheet, tables: list[TypedTable]) -> None:
    sheet.append(DICTIONARY_HEADER)
    for table in tables:
        schema = table.schema
        references = {
            tuple(fk.fields): f"{fk.resource or table.name}.{', '.join(fk.reference_fields)}"
            for fk in schema.foreign_keys
        }
        for field in schema.fields:
            other = {k: v for k, v in field.constraints.items() if k not in ("required", "enum")}
            sheet.append(
                [
                    table.name,
                    field.name,
                    field.title,
                    field.type,
                    field.format,
                    field.required,
                    field.name in schema.primary_key,
                    references.get((field.name,), ""),
                    ", ".join(field.enum) if field.enum else "",
                    json.dumps(other, ensure_ascii=False, sort_keys=True) if other else "",
                    field.description,
                ]
            )
    _finish(sheet)


def _table(sheet: Worksheet, table: TypedTable) -> None:
    fields = table.schema.fields
    sheet.append([f.name for f in fields])
    columns = [table.frame[f.name].astype(object).tolist() for f in fields]
    for values in zip(*columns, strict=True):
        sheet.append([python_value(v, f.type) for v, f in zip(values, fields, strict=True)])
    for index, field in enumerate(fields, start=1):
        number_format = NUMBER_FORMATS.get(field.type)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    _finish(sheet)


def _finish(sheet: Worksheet) -> None:
    """Bold frozen header row, autofilter over the data, column widths from the content."""
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        longest = max((len(str(v)) for v in column if v is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, MAX_COLUMN_WIDTH)
