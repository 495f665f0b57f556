"""Read the data package the site describes: descriptor, Table Schemas, rows (as text), citation.

Rows stay the text the CSV files hold: the site shows the published values, not a re-formatting
of parsed numbers. The descriptor, schemas, paths and CSV records are read by
:mod:`cnplans.datapackage`, as every command reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cnplans import datapackage
from cnplans.datapackage import citation
from cnplans.datapackage.errors import EXIT_INVALID, CnplansError
from cnplans.datapackage.paths import DESCRIPTOR_NAME
from cnplans.datapackage.table_schema import ForeignKey, TableSchema

CITATION_NAME = citation.CITATION_NAME
DATA_FOLDER = "data"  # where the site keeps the package itself: descriptor, schemas, CSVs, texts
# Every fact row cites a sources row by ``source_id`` and carries a verbatim ``quote``; the
# sources table's ``path`` is the archived text.
SOURCES_TABLE = "sources"
SOURCE_FIELD = "source_id"
QUOTE_FIELD = "quote"
SOURCE_PATH_FIELD = "path"

Row = dict[str, str]


class SiteError(CnplansError):
    """Input the site cannot be built from; the message says which file and what to change."""

    exit_code = EXIT_INVALID


@dataclass(frozen=True)
class Table:
    """One resource of the package: its descriptor entry, schema and rows (as text)."""

    name: str
    title: str
    description: str
    relative_path: PurePosixPath
    schema_relative_path: PurePosixPath | None
    schema: TableSchema
    rows: list[Row]

    def key(self, row: Row) -> tuple[str, ...]:
        """The row's primary key values (the whole row when the schema declares none)."""
        return tuple(row[name] for name in self.schema.primary_key or self.schema.field_names)

    def anchor(self, row: Row) -> str:
        """The HTML id of the row: ``plan-<plan_id>``; a composite key joins with ``--``."""
        values = ("_".join(value.split()) for value in self.key(row))
        return self.name.removesuffix("s") + "-" + "--".join(values)


@dataclass(frozen=True)
class Package:
    """The whole package, with the look-ups the pages need."""

    root: Path
    descriptor: dict[str, Any]
    tables: list[Table]
    citation_text: str | None  # CITATION.cff as written
    citation: dict[str, Any]  # and as parsed ({} without one)

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @property
    def title(self) -> str:
        return str(self.descriptor.get("title") or self.name)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def description(self) -> str:
        return str(self.descriptor.get("description", ""))

    def table(self, name: str) -> Table | None:
        """The table called ``name``, or None when the package has none."""
        return next((table for table in self.tables if table.name == name), None)

    def referenced_row(self, fk: ForeignKey, row: Row) -> tuple[Table, Row] | None:
        """The row a foreign key of ``row`` points to; None when empty or dangling."""
        values = [row.get(name, "") for name in fk.fields]
        table = self.table(fk.resource)
        if table is None or not any(values):
            return None
        rows = (r for r in table.rows if [r.get(f, "") for f in fk.reference_fields] == values)
        target = next(rows, None)
        return None if target is None else (table, target)

    def source(self, source_id: str) -> Row | None:
        """The sources row with this id (None when the package has no such row)."""
        sources = self.table(SOURCES_TABLE)
        rows = sources.rows if sources else []
        return next((r for r in rows if r.get(SOURCE_FIELD) == source_id), None)


def read_table(root: Path, entry: dict[str, Any], position: int) -> Table:
    """Read one resource entry of ``datapackage.json`` with its schema and rows."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise SiteError(f"{root / DESCRIPTOR_NAME}, resources[{position}]: needs a 'name'")
    where = f"{root / DESCRIPTOR_NAME}, resources[{position}] ({name}): 'path'"
    file = datapackage.inside(root, entry.get("path"), where)
    schema = datapackage.read_schema(root, entry)  # inline, or a file inside root
    declared = entry["schema"]
    return Table(
        name=name,
        title=str(entry.get("title") or name),
        description=str(entry.get("description", "")),
        relative_path=PurePosixPath(entry["path"]),
        schema_relative_path=PurePosixPath(declared) if isinstance(declared, str) else None,
        schema=schema,
        rows=read_rows(file, name, schema),
    )


def read_rows(path: Path, name: str, schema: TableSchema) -> list[Row]:
    """The CSV rows as text, checked against the schema's field names and primary key."""
    header, records = datapackage.read_rows(path)
    missing = [n for n in schema.field_names if n not in header]
    extra = [n for n in header if n not in schema.field_names]
    if missing or extra:
        raise SiteError(
            f"{path}, line 1: the header does not match the schema of {name!r}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; not in the schema: {', '.join(extra)}" if extra else "")
        )
    rows: list[Row] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in records:
        if len(cells) != len(header):
            raise SiteError(
                f"{path}, line {line}: {len(cells)} cells, expected {len(header)} "
                "(one per header column)"
            )
        row = dict(zip(header, cells, strict=True))
        key = tuple(row[k] for k in schema.primary_key or header)
        if key in seen:
            raise SiteError(
                f"{path}, line {line}: primary key {', '.join(key)} repeats line {seen[key]}; "
                "run `cnplans validate` and fix the data"
            )
        seen[key] = line
        rows.append(row)
    return rows


def read_package(root: Path) -> Package:
    """Read ``datapackage.json`` in ``root`` with every table's schema and rows, and the
    ``CITATION.cff`` beside it (as written and parsed) when there is one."""
    try:
        descriptor = datapackage.read_descriptor(root / DESCRIPTOR_NAME)
    except datapackage.PackageError as exc:
        raise SiteError(f"{exc}; pass the folder that holds {DESCRIPTOR_NAME}") from None
    tables = [read_table(root, entry, i) for i, entry in enumerate(descriptor["resources"])]
    try:
        found = citation.read_citation(root)
    except datapackage.PackageError as exc:
        raise SiteError(str(exc)) from None
    return Package(root, descriptor, tables, *(found or (None, {})))
