"""Every table file in the package's CSV form: byte for byte what
:mod:`cnplans.datapackage.csv_form` writes.

The form (:func:`cnplans.datapackage.csv_form.render_rows`): every non-empty cell of a field whose
Table Schema type is ``string`` is in double quotes; every other cell, and every empty one, is as
``csv.writer(file, lineterminator="\\n")`` (``QUOTE_MINIMAL``) writes it, in quotes only when it
holds a comma, a double quote or a line break; inner quotes are doubled, every record ends with
one line feed, the last one too, and there are no blank lines. The header is written as
``QUOTE_MINIMAL`` writes it. ``cnplans fmt`` writes every table so. The check (rule
``non-canonical-csv``) reports, once per file, the first line that differs and what differs
there; a table whose schema could not be read is not checked (its schema says which cells are
text).

A table the reading stage found a problem in (:data:`READING_RULES`: a BOM, bytes that are not
UTF-8, CR line ends, misplaced quotes, a blank or ragged row...) is skipped: that problem is
reported already, and fixing it rewrites the file anyway.

What the reading stage has established makes the check cheap. A cell is then written either as
its value or as its value in quotes (inner quotes doubled), and without its quotes the file is
the same whichever cells are quoted. So the file is canonical exactly when each cell is quoted
where the form quotes it, and the first cell that is not is the first difference: every cell
before it is as rendered, so it starts where the rendering puts it, and the byte there is a
double quote exactly when the file quotes it (an unquoted cell holds no quote). The sizes of
the rendered cells are counted from the bytes of the cells the reading stage parsed (numpy over
pyarrow's buffers, no text built per cell), their starts are summed from them, and one byte is
read at each start. Only a table this cannot be used for (one column, or a column name used
twice) is rendered whole.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cnplans.datapackage.csv_form import render_rows, text_columns
from cnplans.datapackage.table_schema import TableSchema
from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem
from cnplans.validation.reading import READING_RULES  # a table with one is not checked here
from cnplans.validation.vectorized import spans, text_chunks

RULE = "non-canonical-csv"
FIX = "run `cnplans fmt` to write the file in the package's CSV form (text cells in double quotes)"
QUOTE, COMMA, NEWLINE = 0x22, 0x2C, 0x0A
_ROWS_AT_A_TIME = 1 << 16  # rows rendered at once when looking for the first difference
_SHOWN = 40  # characters of a cell shown in a message


@dataclass(frozen=True)
class Difference:
    """Where a CSV text first differs from its canonical form, and how (a sentence)."""

    line: int
    column: str | None
    what: str


def first_difference(text: str, text_columns: Collection[int] = ()) -> Difference | None:
    """Where ``text`` first differs from the package's form of its rows, or None.

    The rows are the records :mod:`csv` reads (blank lines are not rows); the first is the
    header, the cells of the others at the positions ``text_columns`` are text. They are
    rendered a block at a time; the first block that differs is compared row by row.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    position = 0
    while block := list(itertools.islice(reader, _ROWS_AT_A_TIME)):
        rows = [row for row in block if row]
        first = not header
        header = header or (rows[0] if rows else [])
        if first:
            rendered = render_rows(rows[:1], ()) + render_rows(rows[1:], text_columns)
        else:
            rendered = render_rows(rows, text_columns)
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
    text: str,
    start: int,
    expected: str,
    header: list[str],
    text_columns: Collection[int],
    line_of_start: int | None = None,
) -> Difference:
    """The first difference between ``text`` from ``start`` on and the row ``expected``.

    ``line_of_start`` is the line ``start`` is on (by default counted in ``text``).
    """
    same = 0
    while same < len(expected) and start + same < len(text):
        if text[start + same] != expected[same]:
            break
        same += 1
    offset = start + same
    if line_of_start is None:
        line_of_start = text.count("\n", 0, start) + 1
    line = line_of_start + text.count("\n", start, offset)
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
    text = text.split("\n", 1)[0]
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _rendered_cells(column: pd.Series, text: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bytes of each cell of a text column as the package's form writes it, and whether it is
    in quotes there, counted without rendering it.

    A cell takes its UTF-8 bytes, and two more and one per double quote in it when it is quoted:
    when it is a non-empty ``text`` cell, or holds a comma, a double quote or a line feed.
    """
    sizes, quoted = [], []
    for chunk in text_chunks(column):
        offsets, data = spans(chunk)
        lengths = np.diff(offsets)
        cells = data[offsets[0] : offsets[-1]]
        quotes = cells == QUOTE
        special = quotes | (cells == COMMA)
        special |= cells == NEWLINE
        at = np.flatnonzero(special)
        owner = np.searchsorted(offsets, at + offsets[0], side="right") - 1
        needs = np.zeros(len(chunk), dtype=bool)
        needs[owner] = True
        if text:
            needs |= lengths > 0
        size = lengths + 2 * needs
        size += np.bincount(owner[quotes[at]], minlength=len(chunk))
        sizes.append(size)
        quoted.append(needs)
    if not sizes:
        return np.zeros(len(column), dtype=np.int64), np.zeros(len(column), dtype=bool)
    return np.concatenate(sizes), np.concatenate(quoted)


def canonical_row_sizes(
    header: list[str], raw: pd.DataFrame, text_columns: Collection[int] = ()
) -> np.ndarray:
    """Bytes of each row of the text table ``raw`` in the package's form (with its line feed),
    the cells at the positions ``text_columns`` being text; counted without rendering it.

    ``raw`` has every column of ``header``, in that order.
    """
    sizes = np.full(len(raw), len(header), dtype=np.int64)
    for index, name in enumerate(header):
        sizes += _rendered_cells(raw[name], index in text_columns)[0]
    return sizes


def _first_misquoted(
    data: np.ndarray, start: int, header: list[str], raw: pd.DataFrame, texts: Collection[int]
) -> tuple[int, np.ndarray] | None:
    """The first row (in file order) with a cell quoted otherwise than in the package's form,
    and the rows' sizes in that form; None (and the sizes) when every cell is as rendered.

    ``start`` is where the first row starts in ``data`` (the file's bytes).
    """
    cells = [_rendered_cells(raw[name], index in texts) for index, name in enumerate(header)]
    sizes = np.full(len(raw), len(header), dtype=np.int64)
    for size, _ in cells:
        sizes += size
    positions = start + np.cumsum(sizes) - sizes  # where each row starts
    first: tuple[int, int] | None = None
    for column, (size, quoted) in enumerate(cells):
        inside = positions < len(data)
        found = np.zeros(len(raw), dtype=bool)
        found[inside] = data[positions[inside]] == QUOTE
        wrong = np.flatnonzero(found != quoted)
        if wrong.size and (first is None or (int(wrong[0]), column) < first):
            first = (int(wrong[0]), column)
        positions += size + 1
    return (first[0], sizes) if first is not None else None


def file_problem(file: Path, label: str, raw: pd.DataFrame, schema: TableSchema) -> Problem | None:
    """The ``non-canonical-csv`` problem of one table file, or None when it is canonical.

    ``raw`` is the file's text table as the reading stage parsed it (every column, indexed by
    line); the file must have no reading problem (:data:`READING_RULES`). ``schema`` says which
    fields are text.
    """
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
        texts = text_columns(header, schema)
        data = file.read_bytes()
        if len(header) > 1 and list(raw.columns) == header:
            return _problem_by_sizes(data, label, header, raw, texts)
        found = first_difference(data.decode("utf-8"), texts)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the reading stage read the file: it is not for this check to say more
    if found is None:
        return None
    return Problem(label, found.line, found.column, RULE, found.what)


def _problem_by_sizes(
    data: bytes, label: str, header: list[str], raw: pd.DataFrame, texts: list[int]
) -> Problem | None:
    """:func:`file_problem` without rendering the file: the header, then the first cell quoted
    otherwise than the form quotes it, then the final line feed."""
    header_text = render_rows([header], ())
    header_bytes = header_text.encode("utf-8")
    if not data.startswith(header_bytes):
        end = data.find(b"\n") + 1 or len(data)
        found = _describe(data[:end].decode("utf-8"), 0, header_text, header, texts, 1)
        return Problem(label, found.line, found.column, RULE, found.what)
    bytes_ = np.frombuffer(data, dtype=np.uint8)
    misquoted = _first_misquoted(bytes_, len(header_bytes), header, raw, texts)
    if misquoted is None:
        if data.endswith(b"\n"):
            return None
        last_line = data.count(b"\n") + 1
        return Problem(label, last_line, None, RULE, f"no newline at the end of the file; {FIX}")
    row, sizes = misquoted
    start = len(header_bytes) + int(sizes[:row].sum())
    end = len(data)
    if row + 1 < len(raw):  # the record's own lines, as they are in the file
        end = start
        for _ in range(int(raw.index[row + 1]) - int(raw.index[row])):
            end = data.find(b"\n", end) + 1 or len(data)
    record = data[start:end].decode("utf-8")
    expected = render_rows([[str(raw[name].iat[row]) for name in header]], texts)
    found = _describe(record, 0, expected, header, texts, int(raw.index[row]))
    return Problem(label, found.line, found.column, RULE, found.what)


def canonical_csv(context: PackageContext) -> Iterator[Problem]:
    """Table files that are not byte for byte the package's CSV form of their rows."""
    unreadable = {problem.file for problem in context.problems if problem.rule in READING_RULES}
    for entry in context.resources:
        text = context.texts.get(entry.name)
        if entry.file is None or text is None or text.path != entry.path:
            continue
        if entry.path in unreadable or entry.schema is None:
            continue
        problem = file_problem(entry.file, entry.path, text.raw, entry.schema)
        if problem is not None:
            yield problem
