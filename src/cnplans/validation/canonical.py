"""Every table file in the package's CSV form: byte for byte what ``cnplans fmt`` writes
(:func:`cnplans.datapackage.csv_form.render_rows`: non-empty text cells quoted, the rest as
``QUOTE_MINIMAL``, LF after every record, no blank lines).

Rule ``non-canonical-csv`` reports the first difference of each file; a table without a usable
schema, or with a :data:`READING_RULES` problem (reported already), is skipped, and so is a file
the reading found in the form already (``TextTable.in_form``,
:func:`cnplans.validation.reading.read_csv_text`).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from cnplans.datapackage.csv_form import render_rows, text_columns
from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem, cut
from cnplans.validation.reading import READING_RULES  # a table with one is not checked here

RULE = "non-canonical-csv"
FIX = "run `cnplans fmt` to write the file in the package's CSV form (text cells in double quotes)"
_ROWS_AT_A_TIME = 1 << 12  # rows rendered at once
_SHOWN = 40  # characters of a cell shown in a message


@dataclass(frozen=True)
class Difference:
    """Where a CSV text first differs from its canonical form, and how (a sentence)."""

    line: int
    column: str | None
    what: str


def _rendered(rows: list[list[str]], first: bool, texts: Collection[int]) -> str:
    """``rows`` in the package's form; with ``first``, the first one is the header."""
    if first:
        return render_rows(rows[:1], ()) + render_rows(rows[1:], texts)
    return render_rows(rows, texts)


def first_difference(text: str, text_columns: Collection[int] = ()) -> Difference | None:
    """Where ``text`` first differs from the package's form of its rows, or None.

    ``text_columns`` are the positions of text cells. Rows are rendered a block at a time; the
    first block that differs is compared row by row.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    position = 0
    while block := list(itertools.islice(reader, _ROWS_AT_A_TIME)):
        rows = [row for row in block if row]
        first = not header
        header = header or (rows[0] if rows else [])
        rendered = _rendered(rows, first, text_columns)
        if text.startswith(rendered, position) and len(rows) == len(block):
            position += len(rendered)
            continue
        for number, row in enumerate(rows):
            line = render_rows([row], () if first and number == 0 else text_columns)
            if not text.startswith(line, position):
                return _describe(text, position, line, header, text_columns)
            position += len(line)
        if len(rows) != len(block):  # every row as rendered: a blank line after them
            return _describe(text, position, "", header, text_columns)
    if position < len(text):
        return _describe(text, position, "", header, text_columns)
    return None


def _describe(
    text: str, start: int, expected: str, header: list[str], text_columns: Collection[int]
) -> Difference:
    """The first difference between ``text`` from ``start`` on and the row ``expected``."""
    same = 0
    while same < len(expected) and start + same < len(text):
        if text[start + same] != expected[same]:
            break
        same += 1
    offset = start + same
    line = text.count("\n", 0, offset) + 1
    found, wanted = text[offset : offset + 1], expected[same : same + 1]
    if not found:
        return Difference(line, None, f"no newline at the end of the file; {FIX}")
    if found == "\n" and (offset == 0 or text[offset - 1] == "\n"):
        return Difference(line, None, f"a blank line; {FIX}")
    if found == "\r":
        return Difference(line, None, f"a carriage return (CR) ends the line; {FIX}")
    # Before ``offset`` the row is as rendered: count its cells to name the column.
    before = next(csv.reader(io.StringIO(expected[:same] + "x", newline="")))
    index = len(before) - 1
    column = header[index] if index < len(header) else None
    if found == '"' and wanted != '"':
        close = text.find('"', offset + 1)
        cell = text[offset : close + 1] if close > offset else text[offset:]
        value = repr(_shorten(cell[1:-1])) if len(cell) > 2 else "an empty cell"
        return Difference(
            line,
            column,
            f"a cell is quoted that needs no quotes (found {_shorten(cell)!r}, expected "
            f"{value}); {FIX}",
        )
    if wanted == '"':
        if line > 1 and index in text_columns:
            cell = next(csv.reader(io.StringIO(text[offset:], newline="")), [""])[0]
            return Difference(
                line,
                column,
                f"a text cell is not in double quotes (found {_shorten(cell)!r}); every "
                f"non-empty cell of a string field is quoted; {FIX}",
            )
        return Difference(line, column, f"a cell needs double quotes around it; {FIX}")
    return Difference(
        line,
        column,
        f"the text differs from the package's CSV form (found {_shorten(text[offset:])!r}, "
        f"expected {_shorten(expected[same:])!r}); {FIX}",
    )


def _shorten(text: str) -> str:
    return cut(text.split("\n", 1)[0], _SHOWN)


def file_problem(file: Path, label: str, schema: TableSchema) -> Problem | None:
    """The ``non-canonical-csv`` problem of one table file (with no reading problem), or None."""
    try:
        text = file.read_bytes().decode("utf-8")
        header = next(csv.reader(io.StringIO(text, newline="")), [])
        found = first_difference(text, text_columns(header, schema))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the reading stage read the file: it is not for this check to say more
    if found is None:
        return None
    return Problem(label, found.line, found.column, RULE, found.what)


def canonical_csv(context: PackageContext) -> Iterator[Problem]:
    """Table files that are not byte for byte the package's CSV form of their rows."""
    unreadable = {problem.file for problem in context.problems if problem.rule in READING_RULES}
    for entry in context.resources:
        text = context.texts.get(entry.name)
        if entry.file is None or text is None or text.path != entry.path or text.in_form:
            continue  # (in_form: the reading compared the file with its form already)
        if entry.path in unreadable or entry.schema is None:
            continue
        problem = file_problem(entry.file, entry.path, entry.schema)
        if problem is not None:
            yield problem
