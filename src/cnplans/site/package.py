"""Read the data package the site describes: descriptor, Table Schemas, rows and citation.

Rows are kept as the text the CSV files hold (the site shows the published values, not a
re-formatting of parsed numbers); types, constraints and descriptions come from the Table Schemas
through :mod:`cnplans.table_schema`, the one place that reads them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cnplans.table_schema import ForeignKey, TableSchema

DESCRIPTOR_NAME = "datapackage.json"
CITATION_NAME = "CITATION.cff"
# Where the site keeps the package itself (descriptor, schemas, CSVs, archived sources).
DATA_FOLDER = "data"
# The package's design: every fact row cites a row of the sources table by ``source_id`` and
# carries a verbatim ``quote``; the sources table's ``path`` is the archived text.
SOURCES_TABLE = "sources"
SOURCE_FIELD = "source_id"
QUOTE_FIELD = "quote"
SOURCE_PATH_FIELD = "path"
SOURCE_LANGUAGE_FIELD = "language"

Row = dict[str, str]


class SiteError(Exception):
    """Input the site cannot be built from; the message says which file and what to change."""


def relative_posix(path_text: str, where: str) -> PurePosixPath:
    """A descriptor path as a relative POSIX path that stays inside the package folder."""
    path = PurePosixPath(path_text)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise SiteError(
            f"{where}: path {path_text!r} must be relative to {DESCRIPTOR_NAME} and stay inside "
            "its folder (no leading '/', no '..')"
        )
    return path


def singular(table_name: str) -> str:
    """The word row anchors start with: ``plans`` -> ``plan``, ``regions`` -> ``region``."""
    return table_name[:-1] if table_name.endswith("s") else table_name


def anchor_id(table_name: str, key: Iterable[str]) -> str:
    """The HTML id of a row: ``plan-<plan_id>``; a composite key joins its values with ``--``."""
    return singular(table_name) + "-" + "--".join("_".join(value.split()) for value in key)


@dataclass(frozen=True)
class Table:
    """One resource of the package: its descriptor entry, schema and rows (as text)."""

    name: str
    title: str
    description: str
    csv_path: Path
    relative_path: PurePosixPath
    schema: TableSchema
    schema_relative_path: PurePosixPath | None
    schema_descriptor: dict[str, Any]
    rows: list[Row]

    def key(self, row: Row) -> tuple[str, ...]:
        """The row's primary key values (the whole row when the schema declares none)."""
        names = self.schema.primary_key or self.schema.field_names
        return tuple(row[name] for name in names)

    def anchor(self, row: Row) -> str:
        """The id of the row's ``<tr>`` on the table's page."""
        return anchor_id(self.name, self.key(row))

    def field_property(self, field_name: str, prop: str) -> Any:
        """A field property :class:`cnplans.table_schema.Field` does not model (``unit``...)."""
        for entry in self.schema_descriptor.get("fields", []):
            if entry.get("name") == field_name:
                return entry.get(prop)
        return None


@dataclass(frozen=True)
class Citation:
    """``CITATION.cff`` as written, and parsed when PyYAML can parse it."""

    text: str
    data: dict[str, Any]


@dataclass
class Package:
    """The whole package, with the look-ups the pages need (rows by key, sources by id)."""

    root: Path
    descriptor: dict[str, Any]
    tables: list[Table]
    citation: Citation | None
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

    @property
    def licenses(self) -> list[dict[str, Any]]:
        return list(self.descriptor.get("licenses", []))

    def has_table(self, name: str) -> bool:
        return any(table.name == name for table in self.tables)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def lookup(self, resource: str, fields: list[str], values: tuple[str, ...]) -> Row | None:
        """The row of ``resource`` whose ``fields`` hold ``values``, or None when there is none."""
        if not self.has_table(resource):
            return None
        index_key = (resource, tuple(fields))
        if index_key not in self._indexes:
            rows = self.table(resource).rows
            self._indexes[index_key] = {tuple(row.get(f, "") for f in fields): row for row in rows}
        return self._indexes[index_key].get(values)

    def referenced_row(self, fk: ForeignKey, row: Row) -> tuple[Table, Row] | None:
        """The row a foreign key of ``row`` points to; None when empty or dangling."""
        values = tuple(row.get(name, "") for name in fk.fields)
        if all(value == "" for value in values):
            return None
        target = self.lookup(fk.resource, fk.reference_fields, values)
        return None if target is None else (self.table(fk.resource), target)

    def source(self, source_id: str) -> Row | None:
        """The sources row with this id (None when the package has no such row)."""
        return self.lookup(SOURCES_TABLE, [SOURCE_FIELD], (source_id,))


def read_table(root: Path, entry: dict[str, Any], position: int) -> Table:
    """Read one resource entry of ``datapackage.json`` with its schema and rows."""
    where = f"{root / DESCRIPTOR_NAME}, resources[{position}]"
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise SiteError(f"{where}: every resource needs a 'name'")
    if not isinstance(entry.get("path"), str):
        raise SiteError(f"{where} ({name}): 'path' must be one CSV file path")
    relative = relative_posix(entry["path"], where)
    schema_entry = entry.get("schema")
    schema_relative: PurePosixPath | None = None
    if isinstance(schema_entry, str):
        schema_relative = relative_posix(schema_entry, where)
        schema_file = root / schema_relative
        try:
            schema_descriptor = json.loads(schema_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SiteError(f"{where} ({name}): schema file {schema_file} does not exist") from None
        except json.JSONDecodeError as exc:
            raise SiteError(
                f"{schema_file}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
            ) from None
    elif isinstance(schema_entry, dict):
        schema_descriptor = schema_entry
    else:
        raise SiteError(f"{where} ({name}): 'schema' must be a path or an inline Table Schema")
    schema = TableSchema.from_descriptor(schema_descriptor)
    table = Table(
        name=name,
        title=str(entry.get("title") or name),
        description=str(entry.get("description", "")),
        csv_path=root / relative,
        relative_path=relative,
        schema=schema,
        schema_relative_path=schema_relative,
        schema_descriptor=schema_descriptor,
        rows=[],
    )
    table.rows.extend(read_rows(table))
    return table


def read_rows(table: Table) -> list[Row]:
    """The CSV rows as text, checked against the schema's field names and primary key."""
    path = table.csv_path
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise SiteError(f"{path} does not exist (resource {table.name!r})") from None
    rows: list[Row] = []
    seen: dict[tuple[str, ...], int] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise SiteError(f"{path} is empty: expected a header row")
            expected = table.schema.field_names
            missing = [name for name in expected if name not in header]
            extra = [name for name in header if name not in expected]
            if missing or extra:
                raise SiteError(
                    f"{path}, line 1: the header does not match the schema of {table.name!r}"
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
                key = table.key(row)
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


def read_citation(root: Path) -> Citation | None:
    """``CITATION.cff`` at the package root, or None when there is none."""
    path = root / CITATION_NAME
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:  # the citation is then shown as written
        return Citation(text, {})
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SiteError(f"{path}{place}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SiteError(f"{path}: expected a mapping of CFF keys (cff-version, title, authors...)")
    return Citation(text, data)


def read_package(root: Path) -> Package:
    """Read ``datapackage.json`` in ``root`` with every table's schema and rows."""
    descriptor_path = root / DESCRIPTOR_NAME
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteError(
            f"{descriptor_path} does not exist: pass the folder that holds {DESCRIPTOR_NAME}"
        ) from None
    except json.JSONDecodeError as exc:
        raise SiteError(
            f"{descriptor_path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise SiteError(f"{descriptor_path}: expected an object with a 'resources' list")
    tables = [read_table(root, entry, i) for i, entry in enumerate(descriptor["resources"])]
    return Package(root=root, descriptor=descriptor, tables=tables, citation=read_citation(root))
