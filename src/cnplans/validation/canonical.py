"""Every table file in canonical CSV form: byte for byte what the csv module writes for its rows.

The form is ``csv.writer(file, lineterminator="\\n")`` (``QUOTE_MINIMAL``): a cell is in double
quotes only when it holds a comma, a double quote or a line break (inner quotes doubled), every
record ends with one line feed, the last one too, and there are no blank lines. ``cnplans fmt``
writes every table so and ``cnplans convert`` writes targets so (both through
:func:`render_rows`). The check (rule ``non-canonical-csv``) reports, once per file, the first
line that differs and what differs there.

A table the reading stage found a problem in (:data:`READING_RULES`: a BOM, bytes that are not
UTF-8, CR line ends, misplaced quotes, a blank or ragged row...) is skipped: that problem is
reported already, and fixing it rewrites the file anyway.

What the reading stage has established makes the check cheap. A cell is then written either as
its value or as its value in quotes, and a cell that needs quotes has them; so a row is as the
csv module writes it exactly when its bytes are as many as in that rendering (each needless pair
of quotes adds two, a missing final line feed takes one away). Those sizes are counted from the
bytes of the cells the reading stage parsed (numpy over pyarrow's buffers, no text built per
cell): a file of the right size that ends with a line feed is canonical, and otherwise the
first row whose size differs is the one to describe. Only a table this cannot be used for (one
column, or a column name used twice) is rendered whole with the csv module.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cnplans.validation.context import PackageContext
from cnplans.validation.problems import Problem
from cnplans.validation.vectorized import spans, text_chunks

RULE = "non-canonical-csv"
# Problems of the reading stage: a table that has one is not checked again here.
READING_RULES = frozenset(
    {
        "missing-file",
        "unreadable-file",
        "file-too-large",
        "empty-file",
        "bom",
        "encoding",
        "line-ending",
        "csv-syntax",
        "ragged-row",
    }
)
FIX = "run `cnplans fmt` to write the file in canonical CSV form, as the csv module writes it"
QUOTE, COMMA, NEWLINE = 0x22, 0x2C, 0x0A
_ROWS_AT_A_TIME = 1 << 16  # rows rendered at once when looking for the first difference
_SHOWN = 40  # characters of a cell shown in a message


def render_rows(rows: Iterable[Sequence[str]]) -> str:
    """CSV text in canonical form: ``csv.writer(lineterminator="\\n")``, one line per row."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@dataclass(frozen=True)
class Difference:
    """Where a CSV text first differs from its canonical form, and how (a sentence)."""

    line: int
    column: str | None
    what: str


def first_difference(text: str) -> Difference | None:
    """Where ``text`` first differs from the csv module's rendering of its rows, or None.

    The rows are the records :mod:`csv` reads (blank lines are not rows). They are rendered a
    block at a time; the first block that differs is compared row by row.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    position = 0
    while block := list(itertools.islice(reader, _ROWS_AT_A_TIME)):
        rows = [row for row in block if row]
        header = header or (rows[0] if rows else [])
        rendered = render_rows(rows)
        if text.startswith(rendered, position) and len(rows) == len(block):
            position += len(rendered)
            continue
        for row in rows:
            line = render_rows([row])
            if not text.startswith(line, position):
                return _describe(text, position, line, header)
            position += len(line)
        if len(rows) != len(block):  # every row as rendered: a blank line after them
            return _describe(text, position, "", header)
    return _describe(text, position, "", header) if position < len(text) else None


def _describe(
    text: str, start: int, expected: str, header: list[str], line_of_start: int | None = None
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
        return Difference(line, column, f"a cell needs double quotes around it; {FIX}")
    return Difference(
        line,
        column,
        f"the text differs from the csv module's (found {_shorten(text[offset:])!r}, expected "
        f"{_shorten(expected[same:])!r}); {FIX}",
    )


def _shorten(text: str) -> str:
    text = text.split("\n", 1)[0]
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def canonical_row_sizes(header: list[str], raw: pd.DataFrame) -> np.ndarray:
    """Bytes of each row of the text table ``raw`` as the csv module writes it (with its line
    feed), counted without rendering it.

    ``raw`` has every column of ``header``, in that order. A cell takes its UTF-8 bytes, and two
    more and one per double quote in it when it holds a comma, a double quote or a line feed; a
    row takes a comma between cells and a line feed.
    """
    sizes = np.full(len(raw), len(header), dtype=np.int64)
    for name in header:
        first = 0
        for chunk in text_chunks(raw[name]):
            offsets, data = spans(chunk)
            part = sizes[first : first + len(chunk)]
            first += len(chunk)
            part += np.diff(offsets)
            cells = data[offsets[0] : offsets[-1]]
            quotes = cells == QUOTE
            special = quotes | (cells == COMMA)
            special |= cells == NEWLINE
            at = np.flatnonzero(special)
            if at.size:
                owner = np.searchsorted(offsets, at + offsets[0], side="right") - 1
                part[owner[np.diff(owner, prepend=-1) != 0]] += 2
                part += np.bincount(owner[quotes[at]], minlength=len(chunk))
    return sizes


def _first_row_that_differs(
    data: bytes, label: str, header: list[str], raw: pd.DataFrame, sizes: np.ndarray
) -> Problem | None:
    """The problem at the first row (or the header) whose size is not its canonical size."""
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == NEWLINE)
    line_starts = np.concatenate(([0], newlines + 1))
    starts = line_starts[raw.index.to_numpy(dtype=np.int64) - 1]
    ends = np.append(starts[1:], len(data))
    header_text = render_rows([header])
    header_end = int(starts[0]) if len(starts) else len(data)
    if header_end != len(header_text.encode("utf-8")):
        found = _describe(data[:header_end].decode("utf-8"), 0, header_text, header, 1)
        return Problem(label, found.line, found.column, RULE, found.what)
    differing = np.flatnonzero(ends - starts != sizes)
    if not differing.size:
        return None
    row = int(differing[0])
    record = data[int(starts[row]) : int(ends[row])].decode("utf-8")
    expected = render_rows([[str(raw[name].iat[row]) for name in header]])
    found = _describe(record, 0, expected, header, int(raw.index[row]))
    return Problem(label, found.line, found.column, RULE, found.what)


def file_problem(file: Path, label: str, raw: pd.DataFrame) -> Problem | None:
    """The ``non-canonical-csv`` problem of one table file, or None when it is canonical.

    ``raw`` is the file's text table as the reading stage parsed it (every column, indexed by
    line); the file must have no reading problem (:data:`READING_RULES`).
    """
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
        with file.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(size - 1, 0))
            ends_with_newline = handle.read(1) == b"\n"
        data: bytes | None = None
        if len(header) > 1 and list(raw.columns) == header:
            sizes = canonical_row_sizes(header, raw)
            expected = len(render_rows([header]).encode("utf-8")) + int(sizes.sum())
            if size == expected and ends_with_newline:
                return None
            data = file.read_bytes()
            problem = _first_row_that_differs(data, label, header, raw, sizes)
            if problem is not None:
                return problem
        found = first_difference((data or file.read_bytes()).decode("utf-8"))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the reading stage read the file: it is not for this check to say more
    if found is None:
        return None
    return Problem(label, found.line, found.column, RULE, found.what)


def canonical_csv(context: PackageContext) -> Iterator[Problem]:
    """Table files that are not byte for byte the csv module's rendering of their rows."""
    unreadable = {problem.file for problem in context.problems if problem.rule in READING_RULES}
    for entry in context.resources:
        text = context.texts.get(entry.name)
        if entry.file is None or text is None or text.path != entry.path:
            continue
        if entry.path in unreadable:
            continue
        problem = file_problem(entry.file, entry.path, text.raw)
        if problem is not None:
            yield problem
