"""Read the data package the site describes: descriptor, Table Schemas, rows (as text), citation.

Rows stay the text the CSV files hold: the site shows the published values, not a re-formatting
of parsed numbers. The descriptor, the schemas and the paths are read and checked by
:mod:`cnplans.datapackage`, as every command reads them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from cnplans import datapackage
from cnplans.datapackage import PackageError
from cnplans.datapackage.paths import DESCRIPTOR_NAME
from cnplans.datapackage.table_schema import ForeignKey, TableSchema

CITATION_NAME = "CITATION.cff"
DATA_FOLDER = "data"  # where the site keeps the package itself: descriptor, schemas, CSVs, texts
# The package's design: every fact row cites a sources row by ``source_id`` and carries a
# verbatim ``quote``; the sources table's ``path`` is the archived text.
SOURCES_TABLE = "sources"
SOURCE_FIELD = "source_id"
QUOTE_FIELD = "quote"
SOURCE_PATH_FIELD = "path"

Row = dict[str, str]


class SiteError(Exception):
    """Input the site cannot be built from; the message says which file and what to change."""


def relative_posix(path_text: str, where: str) -> PurePosixPath:
    """A path from the package as a relative POSIX path that stays inside its folder."""
    reason = datapackage.unsafe_reason(path_text)
    if reason is not None:
        raise SiteError(f"{where}: path {path_text!r} cannot be used: {reason}")
    return PurePosixPath(path_text)


def anchor_id(table_name: str, key: Iterable[str]) -> str:
    """The HTML id of a row: ``plan-<plan_id>``; a composite key joins its values with ``--``."""
    singular = table_name.removesuffix("s")
    return singular + "-" + "--".join("_".join(value.split()) for value in key)


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
        """The id of the row's ``<tr>`` on the table's page."""
        return anchor_id(self.name, self.key(row))


@dataclass
class Package:
    """The whole package, with the look-ups the pages need (rows by key, sources by id)."""

    root: Path
    descriptor: dict[str, Any]
    tables: list[Table]
    citation_text: str | None  # CITATION.cff as written
    citation: dict[str, Any]  # and as parsed ({} without one)
    _indexes: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], Row]] = field(
        default_factory=dict, repr=False
    )

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

    def lookup(self, resource: str, fields: list[str], values: tuple[str, ...]) -> Row | None:
        """The row of ``resource`` whose ``fields`` hold ``values``, or None when there is none."""
        table = self.table(resource)
        if table is None:
            return None
        index = self._indexes.setdefault((resource, tuple(fields)), {})
        if not index:
            index.update({tuple(row.get(f, "") for f in fields): row for row in table.rows})
        return index.get(values)

    def referenced_row(self, fk: ForeignKey, row: Row) -> tuple[Table, Row] | None:
        """The row a foreign key of ``row`` points to; None when empty or dangling."""
        values = tuple(row.get(name, "") for name in fk.fields)
        target = None if not any(values) else self.lookup(fk.resource, fk.reference_fields, values)
        table = self.table(fk.resource)
        return None if target is None or table is None else (table, target)

    def source(self, source_id: str) -> Row | None:
        """The sources row with this id (None when the package has no such row)."""
        return self.lookup(SOURCES_TABLE, [SOURCE_FIELD], (source_id,))


def read_table(root: Path, entry: dict[str, Any], position: int) -> Table:
    """Read one resource entry of ``datapackage.json`` with its schema and rows."""
    where = f"{root / DESCRIPTOR_NAME}, resources[{position}]"
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise SiteError(f"{where}: every resource needs a 'name'")
    where = f"{where} ({name})"
    if not isinstance(entry.get("path"), str):
        raise SiteError(f"{where}: 'path' must be one CSV file path")
    try:
        file = datapackage.inside(root, entry["path"], f"{where}: 'path'")
        schema = datapackage.read_schema(root, entry)  # inline, or a file inside root
    except PackageError as exc:
        raise SiteError(str(exc)) from None
    relative = PurePosixPath(entry["path"])
    declared = entry["schema"]  # a path inside root (read_schema checked), or inline
    return Table(
        name=name,
        title=str(entry.get("title") or name),
        description=str(entry.get("description", "")),
        relative_path=relative,
        schema_relative_path=PurePosixPath(declared) if isinstance(declared, str) else None,
        schema=schema,
        rows=read_rows(file, name, schema),
    )


def read_rows(path: Path, name: str, schema: TableSchema) -> list[Row]:
    """The CSV rows as text, checked against the schema's field names and primary key."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise SiteError(f"{path} does not exist (resource {name!r})") from None
    rows: list[Row] = []
    seen: dict[tuple[str, ...], int] = {}
    key_names = schema.primary_key or schema.field_names
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise SiteError(f"{path} is empty: expected a header row")
            missing = [n for n in schema.field_names if n not in header]
            extra = [n for n in header if n not in schema.field_names]
            if missing or extra:
                raise SiteError(
                    f"{path}, line 1: the header does not match the schema of {name!r}"
                    + (f"; missing {', '.join(missing)}" if missing else "")
                    + (f"; not in the schema: {', '.join(extra)}" if extra else "")
                )
            for cells in reader:
                if len(cells) != len(header):
                    raise SiteError(
                        f"{path}, line {reader.line_num}: {len(cells)} cells, expected "
                        f"{len(header)} (one per header column)"
                    )
                row = dict(zip(header, cells, strict=True))
                key = tuple(row[k] for k in key_names)
                if key in seen:
                    raise SiteError(
                        f"{path}, line {reader.line_num}: primary key {', '.join(key)} repeats "
                        f"line {seen[key]}; run `cnplans validate` and fix the data"
                    )
                seen[key] = reader.line_num
                rows.append(row)
        except UnicodeDecodeError as exc:
            raise SiteError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except csv.Error as exc:
            raise SiteError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None
    return rows


def read_citation(root: Path) -> tuple[str | None, dict[str, Any]]:
    """``CITATION.cff`` at the package root as written and parsed; ``(None, {})`` without one."""
    path = root / CITATION_NAME
    if not path.is_file():
        return None, {}
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SiteError(f"{path}{place}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SiteError(f"{path}: expected a mapping of CFF keys (cff-version, title, authors...)")
    return text, data


def read_package(root: Path) -> Package:
    """Read ``datapackage.json`` in ``root`` with every table's schema and rows."""
    try:
        descriptor = datapackage.read_descriptor(root / DESCRIPTOR_NAME)
    except PackageError as exc:
        raise SiteError(f"{exc}; pass the folder that holds {DESCRIPTOR_NAME}") from None
    tables = [read_table(root, entry, i) for i, entry in enumerate(descriptor["resources"])]
    return Package(root, descriptor, tables, *read_citation(root))
