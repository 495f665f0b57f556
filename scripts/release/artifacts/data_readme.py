"""The README.md of the release zip, for people who download the data (not for developers).

Everything about a table or field comes from the descriptor and the Table Schemas; the fixed
prose explains the CSV form and how to open the files in a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .tables import TypedTable


@dataclass(frozen=True)
class Companion:
    """A file of the release the README names: its file name and what it holds."""

    name: str
    description: str
    schema: Any = None  # a TableSchema (cnplans.datapackage.table_schema) of a CSV, by field


CSV_FORM = """\
Every CSV file is UTF-8 (no byte order mark), separated by commas, with one header row. Every
text cell is in double quotes (`"Shanghai"`); numbers, years, booleans (`true`, `false`) and dates
(`YYYY-MM-DD`) are not. An empty cell is a missing value. Numbers are written plainly: a point
before the decimals, no thousands separators, no unit in the cell. Amounts are in base units
(yuan, not billions of yuan: 150 billion yuan is `150000000000`); the unit of every number is in
its field's description below, or in a sibling `unit` or `currency` field.
"""

SPREADSHEETS = """\
The `.xlsx` workbook published beside this zip holds the same tables already typed. To open a
CSV file itself:

- **LibreOffice Calc**: File > Open, choose the file. In the Text Import dialog set Character
  set to "Unicode (UTF-8)", under Separator Options choose "Separated by" and tick **Comma** only
  (untick Semicolon and Tab), set String delimiter to `"`, and leave
  "Format quoted field as text" off. Then OK.
- **Excel**: Data > From Text/CSV (Get Data > From File > From Text/CSV), choose the file, set
  File origin to "65001: Unicode (UTF-8)" and Delimiter to "Comma", then Load. (Opening a CSV
  file by double-clicking it reads it in the computer's own code page, which garbles the
  Chinese names.)
- **Python**: `pandas.read_csv(path, dtype=str)` reads the cells as they are written; the
  `cnplans` package (`pip install cnplans`) loads every table with its Table Schema types:
  `cnplans.load("targets", version="{version}")`.
"""


def render(
    descriptor: dict[str, Any],
    tables: Sequence[TypedTable],
    folder: str,
    overviews: Sequence[Companion] = (),
    beside: Sequence[Companion] = (),
) -> str:
    """The README text of the release zip whose single folder is ``folder``."""
    version = str(descriptor.get("version", ""))
    title = str(descriptor.get("title") or descriptor.get("name", ""))
    parts = [f"# {title}\n\nData release {version}.\n"]
    if descriptor.get("description"):
        parts.append(f"{descriptor['description']}\n")
    parts.append(_contents(tables, folder, overviews, beside))
    parts.append("## The CSV files\n\n" + CSV_FORM)
    parts.append("## Opening the CSV files\n\n" + SPREADSHEETS.replace("{version}", version))
    parts.append(_joins(tables))
    parts.extend(_table(t) for t in tables)
    if overviews:
        parts.append(_overviews(overviews))
    parts.append(_sources(descriptor, tables))
    parts.append(_citation(descriptor))
    parts.append(_licence(descriptor))
    return "\n".join(parts)


def _cell(text: object) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _contents(
    tables: Sequence[TypedTable],
    folder: str,
    overviews: Sequence[Companion],
    beside: Sequence[Companion],
) -> str:
    rows = [
        ("datapackage.json", "The descriptor: every table, its file, its Table Schema, licence"),
        *((str(t.resource.get("path")), _table_summary(t)) for t in tables),
        ("schemas/*.json", "The Table Schema of each table: field types, constraints and keys"),
        *((o.name, o.description.split(". ")[0].rstrip(".") + ".") for o in overviews),
        ("CITATION.cff", "How to cite this release (Citation File Format)"),
        ("CHANGELOG.md", "What changed in each release"),
        ("LICENSE", "The licence of the code that builds the package"),
    ]
    lines = [f"## What is in `{folder}/`\n", "| file | what it holds |", "| --- | --- |"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in rows]
    if beside:
        lines += ["", "Published beside this zip, in the same release:", ""]
        lines += [f"- `{c.name}`: {c.description}" for c in beside]
    return "\n".join(lines) + "\n"


def _table_summary(table: TypedTable) -> str:
    title = str(table.resource.get("title") or table.name)
    rows = len(table.frame)
    return f"{title}: {rows} row{'' if rows == 1 else 's'}"


def _joins(tables: Sequence[TypedTable]) -> str:
    lines = ["## How the tables join\n"]
    keys = [
        (t.name, fk.fields, fk.resource or t.name, fk.reference_fields)
        for t in tables
        for fk in t.schema.foreign_keys
    ]
    if not keys:
        return "\n".join([*lines, "The tables have no foreign keys.\n"])
    lines.append(
        "Each line is a foreign key: the column on the left holds a value of the column on the "
        "right (or is empty where the field is optional).\n"
    )
    lines += [
        f"- `{name}.{', '.join(fields)}` → `{target}.{', '.join(refs)}`"
        for name, fields, target, refs in keys
    ]
    return "\n".join(lines) + "\n"


def _fields(schema: Any) -> list[str]:
    lines = ["| field | type | description |", "| --- | --- | --- |"]
    for field in schema.fields:
        kind = field.type if field.format in ("", "default") else f"{field.type} ({field.format})"
        description = field.description or field.title
        if field.enum:
            description += f" One of: {', '.join(f'`{v}`' for v in field.enum)}."
        lines.append(f"| `{field.name}` | {kind} | {_cell(description)} |")
    return lines


def _table(table: TypedTable) -> str:
    schema = table.schema
    title = str(table.resource.get("title") or table.name)
    lines = [f"## {title} (`{table.resource.get('path')}`)\n"]
    if table.resource.get("description"):
        lines.append(f"{table.resource['description']}\n")
    key = ", ".join(f"`{k}`" for k in schema.primary_key)
    lines.append(f"{len(table.frame)} rows" + (f"; one row per {key}" if key else "") + ".\n")
    lines += _fields(schema)
    return "\n".join(lines) + "\n"


def _overviews(overviews: Sequence[Companion]) -> str:
    lines = [
        "## The overviews\n",
        "The overview files are generated from the tables above at release time, never edited "
        "by hand: each joins a fact table with its region, plan and source so that one row "
        "reads on its own. The release's SQLite database holds the same as views "
        "(`overview_targets`, `overview_clusters`).\n",
    ]
    for overview in overviews:
        lines += [f"### `{overview.name}`\n", f"{overview.description}\n"]
        if overview.schema is not None:
            lines += [*_fields(overview.schema), ""]
    return "\n".join(lines)


def _sources(descriptor: dict[str, Any], tables: Sequence[TypedTable]) -> str:
    lines = ["## Sources\n"]
    if any(t.name == "sources" for t in tables):
        lines.append(
            "Every fact row names its source document in `source_id`, a row of "
            "`resources/sources.csv` (the document's title, publisher, URL and date), and quotes "
            "it verbatim in `quote`. The archived texts themselves are third parties' articles "
            "and are not redistributed in this release; the repository keeps each at the path "
            "`sources.path` names.\n"
        )
    named = [s for s in descriptor.get("sources", []) if isinstance(s, dict) and s.get("title")]
    if named:
        lines.append("The source documents:\n")
        lines += [f"- {_cell(s['title'])}" for s in named]
        lines.append("")
    return "\n".join(lines)


def _citation(descriptor: dict[str, Any]) -> str:
    authors = [
        str(c.get("title"))
        for c in descriptor.get("contributors", [])
        if isinstance(c, dict) and c.get("title") and c.get("role", "author") == "author"
    ]
    year = str(descriptor.get("created", ""))[:4]
    title = str(descriptor.get("title") or descriptor.get("name", ""))
    version = str(descriptor.get("version", ""))
    reference = f"{', '.join(authors) or 'The authors'} ({year or 'n.d.'}). {title}"
    return (
        "## How to cite\n\n"
        f"> {reference} (version {version}) [Data set].\n\n"
        "`CITATION.cff` in this folder holds the citation metadata; the DOI of the release is on "
        "its Zenodo record.\n"
    )


def _licence(descriptor: dict[str, Any]) -> str:
    licences = [lic for lic in descriptor.get("licenses", []) if isinstance(lic, dict)]
    if not licences:
        return "## Licence\n\nThe descriptor names no licence for the data.\n"
    named = "; ".join(_licence_name(lic) for lic in licences)
    return (
        f"## Licence\n\nThe data (the CSV files, the schemas and the descriptor) are licensed "
        f"under {named}: share and adapt them, crediting the source as under How to cite. "
        "`LICENSE` is the licence of the code.\n"
    )


def _licence_name(licence: dict[str, Any]) -> str:
    """ "Title (`id`) <url>", leaving out what the licence does not give."""
    parts = [str(licence.get("title") or licence.get("name", ""))]
    if licence.get("title") and licence.get("name"):
        parts.append(f"(`{licence['name']}`)")
    if licence.get("path"):
        parts.append(f"<{licence['path']}>")
    return " ".join(p for p in parts if p)
