"""What a check sees: the loaded package, its tables with physical line numbers, its problems.

Checks (:mod:`cnplans.validation.checks`) read :attr:`PackageContext.tables`, indexed by the line
each row starts on, so a problem's line is the row's index label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from cnplans.datapackage.paths import MAX_FILE_BYTES
from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation.problems import Problem

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from cnplans.validation.package import MetadataCheck

# Rows whose cells a check holds as Python objects at once (see row_slices).
ROWS_AT_A_TIME = 1 << 14


def row_slices(count: int) -> Iterator[slice]:
    """The positions of ``count`` rows as slices of :data:`ROWS_AT_A_TIME` rows.

    Cells read as Python objects are read a slice at a time, so memory does not grow with rows.

    >>> list(row_slices(3)), len(list(row_slices(ROWS_AT_A_TIME + 1)))
    ([slice(0, 16384, None)], 2)
    """
    for start in range(0, count, ROWS_AT_A_TIME):
        yield slice(start, start + ROWS_AT_A_TIME)


@dataclass
class ResourceEntry:
    """One resource as the descriptor lists it, before its file is read."""

    index: int
    name: str
    path: str  # as written in the descriptor, relative to the descriptor's folder
    file: Path | None  # absolute path, or None when the path is unsafe or not a string
    schema_label: str  # where the schema comes from: a file such as ``schemas/x.json``, or inline
    schema: TableSchema | None  # None when the schema could not be read or is not valid


@dataclass
class TextTable:
    """A resource's CSV file as text, as soon as it is read (before its schema is checked).

    ``raw``: every column of the file (the first of two with one name), indexed by line.
    """

    name: str
    path: str
    raw: pd.DataFrame
    in_form: bool = False  # read as byte for byte the package's CSV form (no need to check it)


@dataclass
class Table:
    """A resource whose CSV file was read: its text cells (``raw``) and typed values (``frame``).

    ``frame`` has ``<NA>`` for empty cells and cells that did not convert (``unparsed``). Both
    hold the schema's fields that the file has, in schema order, indexed by line.
    """

    name: str
    path: str
    schema: TableSchema
    header: list[str]
    raw: pd.DataFrame
    frame: pd.DataFrame
    unparsed: pd.DataFrame  # bool, True where a non-empty cell could not be converted

    def text(self, line: int, column: str) -> str:
        """The text of one cell as written in the file."""
        return str(self.raw.at[line, column])

    def cells(self, mask: pd.Series, column: str) -> list[tuple[int, str]]:
        """``(line, text)`` of ``column`` on the rows where ``mask`` (indexed like raw) is true."""
        picked = self.raw.loc[mask.to_numpy(dtype=bool), column]
        return list(zip(picked.index.tolist(), [str(v) for v in picked.tolist()], strict=True))

    def problem(self, line: int | None, column: str | None, rule: str, message: str) -> Problem:
        """A problem at ``line`` and ``column`` of this table's file."""
        return Problem(self.path, line, column, rule, message)

    def column_number(self, column: str | None) -> int | None:
        """1-based position of ``column`` in the file's header, or None."""
        if column is None or column not in self.header:
            return None
        return self.header.index(column) + 1


def has(table: Table | None, *columns: str) -> TypeGuard[Table]:
    """Whether ``table`` was loaded and has every one of ``columns`` (checks skip it otherwise)."""
    return table is not None and all(c in table.frame.columns for c in columns)


def has_numbers(table: Table | None, *columns: str) -> TypeGuard[Table]:
    """Whether ``table`` has every one of ``columns``, typed as numbers or years by its schema
    (a retyped field is a schema change, not a value to compare)."""
    from pandas.api.types import is_numeric_dtype

    return has(table, *columns) and all(is_numeric_dtype(table.frame[c]) for c in columns)


@dataclass
class PackageContext:
    """The loaded data package handed to every check."""

    root: Path  # folder holding the descriptor
    descriptor_path: Path
    descriptor: dict[str, Any]
    resources: list[ResourceEntry] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    # Every table whose file could be read, as text, whether or not its schema is usable.
    texts: dict[str, TextTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # found while loading
    max_file_bytes: int = MAX_FILE_BYTES
    descriptor_text: str = ""  # the descriptor as written, to find the line of a key
    # The source files and their problems, read once by provenance.source_files.
    source_files: tuple[dict[str, Any], list[Problem]] | None = None
    # Frictionless' verdict on the descriptor and schemas, not in ``problems`` until asked for.
    metadata: MetadataCheck | None = None

    @property
    def descriptor_label(self) -> str:
        """The descriptor's file name, as problems name it."""
        return self.descriptor_path.name

    def table(self, name: str) -> Table | None:
        """The loaded table called ``name``, or None when it is absent or could not be read."""
        return self.tables.get(name)

    def relative(self, path: Path) -> str:
        """``path`` relative to the descriptor's folder, with forward slashes when possible."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
