"""Reading a CSV file as text cells, with the physical line each row starts on.

The file is scanned with numpy for the things a CSV reader silently tolerates (byte order
mark, line ends, RFC 4180 quoting, blank lines), then parsed by pyarrow into a DataFrame of
strings (pyarrow also checks the UTF-8). Line numbers come from the same vectorized scan: a
newline ends a record exactly when an even number of double quotes precedes it (a doubled quote
inside a quoted cell counts two), so the start line of every record is known without a Python
loop per row. Cells are counted per record (another pass, over commas) only when the parser
reports a row of the wrong width.

A clean file (the common case, and the large one) is scanned a block at a time and pyarrow
reads it itself, so its bytes are never held whole next to its cells; at the first doubt the
file is read into memory (bounded by a size limit) and checked there, which words every
problem (:func:`parse_csv_bytes`).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cnplans.datapackage import file_kind
from cnplans.validation.problems import Problem

BOM = b"\xef\xbb\xbf"
QUOTE, NEWLINE, COMMA = 0x22, 0x0A, 0x2C
_CHUNK_BYTES = 1 << 22  # scan in 4 MiB pieces so the scratch buffer stays in cache
_BLOCK_BYTES = 1 << 22  # pyarrow parses 4 MiB blocks in parallel
_SCAN_BYTES = 1 << 23  # the line scan reads 8 MiB at a time
# Limits of one table, each told as a problem at its line: a row must fit in one of pyarrow's
# blocks (a cell of megabytes is no quote), and a header of more columns than any schema has
# would cost minutes to compare.
MAX_ROW_BYTES = _BLOCK_BYTES
MAX_COLUMNS = 1_000
# The rules of the problems :func:`read_csv_text` reports about a file (the one list of them).
READING_RULES: tuple[str, ...] = (
    "missing-file",
    "unreadable-file",
    "file-too-large",
    "empty-file",
    "bom",
    "encoding",
    "line-ending",
    "csv-syntax",
    "ragged-row",
    "row-too-large",
    "header",
)


@dataclass
class CsvText:
    """A CSV file read as text: its header and its data rows indexed by physical start line."""

    header: list[str]
    rows: pd.DataFrame  # str cells; columns named by the header (first of duplicate names)


@dataclass
class _Records:
    starts: np.ndarray  # byte offset where each record starts (record 0 is the header)
    ends: np.ndarray  # byte offset just past each record (past its newline, if any)
    lines: np.ndarray  # physical line each record starts on
    terminators: np.ndarray  # byte offsets of the newlines that end records
    quoted_newlines: bool  # some newline lies inside a quoted cell


def _positions(arr: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of every occurrence of ``byte`` in ``arr``, scanning in cache-sized chunks."""
    scratch = np.empty(min(arr.size, _CHUNK_BYTES), dtype=bool)
    found = []
    for start in range(0, arr.size, _CHUNK_BYTES):
        chunk = arr[start : start + _CHUNK_BYTES]
        hits = scratch[: chunk.size]
        np.equal(chunk, byte, out=hits)
        found.append(np.flatnonzero(hits) + start)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _decode_problem(data: bytes, label: str, error: UnicodeDecodeError) -> Problem:
    line = data.count(b"\n", 0, error.start) + 1
    found = " ".join(f"0x{b:02X}" for b in data[error.start : error.start + 4])
    hint = ""
    try:
        data.decode("gb18030")
        hint = " It looks like Chinese text saved as GBK/GB18030;"
    except UnicodeDecodeError:
        pass
    return Problem(
        label,
        line,
        None,
        "encoding",
        f"the file is not valid UTF-8: line {line} has the bytes {found}, which are not UTF-8."
        f"{hint} expected UTF-8 text: open the file and save it again as 'UTF-8'.",
    )


def _encoding_problem(data: bytes, label: str) -> Problem | None:
    """The first non-UTF-8 bytes of ``data`` as a problem, or None when it is all UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _decode_problem(data, label, error)
    return None


def _separator(found: np.ndarray) -> np.ndarray:
    """Which bytes may stand next to a quote that opens or closes a cell."""
    separator: np.ndarray = (found == COMMA) | (found == NEWLINE) | (found == QUOTE)
    return separator


_SYNTAX_MESSAGES = (
    "a double quote appears inside a cell that does not start with one; "
    'expected the whole cell in double quotes with each inner quote doubled ("")',
    "a quoted cell is followed by other characters; expected a comma or the end "
    "of the line right after the closing double quote",
)


def _first_misplaced_quote(
    arr: np.ndarray, quotes: np.ndarray, seen: int
) -> tuple[int, str, int | None] | None:
    """The first quoting error among ``quotes`` (``seen`` quotes come before them), or None.

    Quotes alternate between opening and closing. An opening quote (even position in the file's
    list) must start a cell or be the second of a doubled quote; a closing quote must end the
    cell or be the first of a doubled quote. The third value is where the cell of a misplaced
    closing quote was opened, when that is in ``quotes`` (it may be lines above).
    """
    size = arr.size
    is_opening = ((np.arange(quotes.size) + seen) & 1) == 0
    opening, closing = quotes[is_opening], quotes[~is_opening]
    bad_open = opening[(opening > 0) & ~_separator(arr[np.maximum(opening - 1, 0)])]
    bad_close = closing[(closing + 1 < size) & ~_separator(arr[np.minimum(closing + 1, size - 1)])]
    offenders: list[tuple[int, str, int | None]] = []
    if bad_open.size:
        offenders.append((int(bad_open[0]), _SYNTAX_MESSAGES[0], None))
    if bad_close.size:
        position = int(np.searchsorted(quotes, bad_close[0]))
        opened = int(quotes[position - 1]) if position > 0 else None
        offenders.append((int(bad_close[0]), _SYNTAX_MESSAGES[1], opened))
    return min(offenders, key=lambda offender: offender[0]) if offenders else None


def _records(arr: np.ndarray, label: str) -> tuple[_Records | None, Problem | None]:
    """Where each record starts and on which line; or the first quoting error.

    One pass over the bytes in blocks of :data:`_SCAN_BYTES`, so the scratch arrays stay small
    whatever the file's size: a newline ends a record exactly when an even number of double
    quotes precedes it in the file.
    """
    scratch = np.empty(min(arr.size, _SCAN_BYTES), dtype=bool)
    quotes_seen = newlines_seen = 0
    last_quote_line = 0
    terminators, terminator_index = [], []
    for base in range(0, arr.size, _SCAN_BYTES):
        block = arr[base : base + _SCAN_BYTES]
        hits = scratch[: block.size]
        np.equal(block, QUOTE, out=hits)
        quotes = np.flatnonzero(hits)
        quotes += base
        np.equal(block, NEWLINE, out=hits)
        newlines = np.flatnonzero(hits)
        newlines += base
        if quotes.size:
            found = _first_misplaced_quote(arr, quotes, quotes_seen)
            if found is not None:
                offset, message, opened = found
                line = newlines_seen + int(np.searchsorted(newlines, offset)) + 1
                if opened is not None:
                    start = newlines_seen + int(np.searchsorted(newlines, opened)) + 1
                    if start != line:
                        message += (
                            f" (the quoted cell starts on line {start}: a double quote there "
                            "may be missing its pair)"
                        )
                return None, Problem(label, line, None, "csv-syntax", message)
            outside = ((np.searchsorted(quotes, newlines) + quotes_seen) & 1) == 0
            index = np.flatnonzero(outside)
            last_quote_line = newlines_seen + int(np.searchsorted(newlines, quotes[-1])) + 1
        elif quotes_seen & 1:
            index = np.zeros(0, dtype=np.int64)  # the whole block lies inside a quoted cell
        else:
            index = np.arange(newlines.size)
        terminators.append(newlines[index])
        terminator_index.append(index + newlines_seen)
        quotes_seen += quotes.size
        newlines_seen += newlines.size
    if quotes_seen % 2 == 1:
        return None, Problem(
            label,
            last_quote_line,
            None,
            "csv-syntax",
            f"a quoted cell that starts on line {last_quote_line} is never closed; "
            "expected a closing double quote",
        )
    ends_at = np.concatenate(terminators) if terminators else np.zeros(0, dtype=np.int64)
    indexes = np.concatenate(terminator_index) if terminator_index else np.zeros(0, np.int64)
    starts = np.concatenate(([0], ends_at + 1))
    lines = np.concatenate(([1], indexes + 2))
    ends = np.concatenate((ends_at + 1, [arr.size]))
    if starts[-1] == arr.size:  # the file ends with a newline: no record after it
        starts, lines, ends = starts[:-1], lines[:-1], ends[:-1]
    quoted_newlines = ends_at.size != newlines_seen
    return _Records(starts, ends, lines, ends_at, quoted_newlines), None


def _cell_counts(arr: np.ndarray, records: _Records) -> np.ndarray:
    """Number of cells in each record: separating commas (outside quotes) plus one."""
    commas = _positions(arr, COMMA)
    quotes = _positions(arr, QUOTE)
    if quotes.size:
        commas = commas[(np.searchsorted(quotes, commas) & 1) == 0]
    record_of_comma = np.searchsorted(records.terminators, commas)
    counts = np.bincount(record_of_comma, minlength=records.starts.size)
    return counts[: records.starts.size] + 1


def _ragged(arr: np.ndarray, records: _Records, label: str) -> tuple[np.ndarray, list[Problem]]:
    """Records whose cell count differs from the header's; returns (keep mask, problems)."""
    counts = _cell_counts(arr, records)
    expected = int(counts[0])
    blank = (records.ends - records.starts) - (arr[np.maximum(records.ends - 1, 0)] == NEWLINE) == 0
    keep = (counts == expected) & ~(blank & (expected > 1))
    keep[0] = True
    problems = []
    for index in np.flatnonzero(~keep):  # only the bad records, usually none
        line = int(records.lines[index])
        found = int(counts[index])
        if blank[index]:
            message = f"the line is blank; expected a row of {expected} cells (remove the line)"
        elif found > expected:
            message = (
                f"the row has {_cells(found)} but the header has {expected}; "
                "expected one cell per column (a comma inside a cell needs double quotes around "
                "the cell)"
            )
        else:
            message = (
                f"the row has {_cells(found)} but the header has {expected}; "
                "expected one cell per column (empty cells still need their commas)"
            )
        problems.append(Problem(label, line, None, "ragged-row", message))
    return keep, problems


def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"


def _without_records(data: bytes, records: _Records, keep: np.ndarray) -> bytes:
    """The file's bytes with the records not kept cut out."""
    if keep.all():
        return data
    pieces = []
    position = 0
    for index in np.flatnonzero(~keep):
        pieces.append(data[position : int(records.starts[index])])
        position = int(records.ends[index])
    pieces.append(data[position:])
    return b"".join(pieces)


def _memory_pool() -> Any:
    """The pool pyarrow parses into: jemalloc where built in, else the system allocator.

    pyarrow's default mimalloc pool spends about half a second on the first few hundred
    megabytes a fresh process parses (measured on pyarrow 26, Linux); the others do not.
    """
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, AttributeError):
        return pa.system_memory_pool()


class _WrongWidth(Exception):
    """pyarrow met a row with the wrong number of cells."""


def _parse(data: bytes | Path, columns: int, quoted_newlines: bool, lone_cr: bool) -> pd.DataFrame:
    """Parse CSV bytes (or a file, which pyarrow then reads itself) into a DataFrame of
    strings (header row included).

    Raises :class:`_WrongWidth` when a row has the wrong number of cells, ``UnicodeError``
    when the bytes are not UTF-8.
    """
    names = [f"c{i}" for i in range(columns)]
    if lone_cr:
        # pyarrow ends lines at a bare carriage return; pandas' C reader can be told not to.
        return pd.read_csv(
            io.BytesIO(data) if isinstance(data, bytes) else data,
            header=None,
            names=names,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            lineterminator="\n",
            encoding="utf-8",
            engine="c",
        )
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wrong_width = []

    def invalid_row(row: object) -> str:
        wrong_width.append(row)
        return "skip"

    pool = _memory_pool()
    try:
        table = pacsv.read_csv(
            # zero-copy; a BytesIO would be read through Python
            pa.BufferReader(data) if isinstance(data, bytes) else str(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=quoted_newlines,
                ignore_empty_lines=False,
                invalid_row_handler=invalid_row,
            ),
            convert_options=pacsv.ConvertOptions(
                # pandas keeps text as large_string: reading it so spares a cast and a copy
                column_types={name: pa.large_string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            memory_pool=pool,
        )
    except pa.ArrowInvalid as error:
        if "UTF8" in str(error) or "UTF-8" in str(error):
            raise UnicodeError(str(error)) from None
        raise
    finally:
        # The parser's scratch memory, freed but kept by the allocator, goes back to the
        # system now (about 60 MB per million rows), not whenever the allocator decides.
        pool.release_unused()
    if wrong_width:
        raise _WrongWidth()
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _line_ending_problem(data: bytes, label: str) -> Problem:
    crlf = data.find(b"\r\n")
    position = crlf if crlf >= 0 else data.find(b"\r")
    line = data.count(b"\n", 0, position) + 1
    count = data.count(b"\r")
    more = f" ({count} carriage returns in the file)" if count > 1 else ""
    if crlf >= 0:
        found = "Windows line ends (CR LF)"
    else:
        found = "a carriage return (CR) without a line feed"
    return Problem(
        label,
        line,
        None,
        "line-ending",
        f"expected Unix line ends (LF only), found {found} on line {line}{more}; "
        "save the file with LF line endings",
    )


def _unreadable(label: str, error: OSError) -> Problem:
    reason = error.strerror or str(error)
    return Problem(label, None, None, "unreadable-file", f"the file cannot be read: {reason}")


def read_csv_text(file: Path, label: str, max_bytes: int) -> tuple[CsvText | None, list[Problem]]:
    """Read ``file`` (named ``label`` in problems) as CSV text cells with physical line numbers.

    Returns the text (or None when the file cannot be used at all) and the file-level problems:
    ``missing-file``, ``unreadable-file``, ``file-too-large``, ``empty-file``, ``bom``,
    ``encoding``, ``line-ending``, ``csv-syntax``, ``ragged-row``, ``header``. Ragged rows are
    reported and left out; the other rows are still returned.
    """
    try:
        status = file.stat()
    except FileNotFoundError:
        return None, [Problem(label, None, None, "missing-file", "the file does not exist")]
    except OSError as error:
        return None, [_unreadable(label, error)]
    kind = file_kind(status.st_mode)
    if kind is not None:  # never opened: a FIFO or a device would wait or never end
        return None, [
            Problem(label, None, None, "unreadable-file", f"expected a CSV file, found {kind}")
        ]
    size = status.st_size
    if size > max_bytes:
        return None, [
            Problem(
                label,
                None,
                None,
                "file-too-large",
                f"the file has {size:,} bytes, more than the limit of {max_bytes:,} bytes; "
                "raise the limit with --max-file-size-mb if this is intended",
            )
        ]
    streamed = _read_streaming(file)
    if streamed is not None:
        return streamed, []
    try:
        data = file.read_bytes()
    except OSError as error:
        return None, [_unreadable(label, error)]
    return parse_csv_bytes(data, label)


@dataclass
class _Scanned:
    """What the streaming scan of a clean file found."""

    header: list[str]
    lines: np.ndarray  # physical line each record starts on (the header's first)
    quoted_newlines: bool
    longest_record: int  # bytes of the longest record, its line end included


def _read_streaming(file: Path) -> CsvText | None:
    """The file's text when it is clean, read without holding its bytes; None otherwise.

    The common case at scale: UTF-8 without a BOM, LF line ends, RFC 4180 quoting, no blank
    or ragged row. The bytes are scanned a block at a time and pyarrow reads the file itself,
    so the whole file is never in memory next to its parsed cells. Anything else (or any doubt)
    gives None, and :func:`parse_csv_bytes` reads the file again to say what is wrong.
    """
    try:
        scanned = _scan_file(file)
        if scanned is None or not any(name.strip() for name in scanned.header):
            return None
        if len(scanned.header) > MAX_COLUMNS or scanned.longest_record > MAX_ROW_BYTES:
            return None  # the careful path tells it
        parsed = _parse(file, len(scanned.header), scanned.quoted_newlines, False)
    except (OSError, _WrongWidth, UnicodeError, ValueError):
        return None
    if len(parsed) != scanned.lines.size:
        return None
    return _text_of(parsed, scanned.header, scanned.lines)


def _scan_file(file: Path) -> _Scanned | None:
    """Record lines of a clean file, scanning it in blocks; None at the first doubt."""
    block = _SCAN_BYTES
    buffer = bytearray(block + 2)  # the byte before the block, the block, the byte after it
    view = memoryview(buffer)
    quotes_seen = newlines_seen = base = 0
    terminators, terminator_index = [], []
    header: bytes | None = None
    previous = NEWLINE  # as if a line ended before the file: a first quote opens a cell
    with file.open("rb") as stream:
        while True:
            count = stream.readinto(view[1 : block + 2])
            if not count:
                break
            length = min(count, block)
            if count > block:
                stream.seek(-1, os.SEEK_CUR)  # the byte after the block starts the next one
            else:
                buffer[length + 1] = NEWLINE  # past the end: a last quote closes a cell
            buffer[0] = previous
            ext = np.frombuffer(buffer, dtype=np.uint8, count=length + 2)
            chunk = ext[1 : length + 1]
            if (base == 0 and bytes(view[1:4]) == BOM) or buffer.find(b"\r", 1, length + 1) >= 0:
                return None
            quotes = np.flatnonzero(chunk == QUOTE)
            newlines = np.flatnonzero(chunk == NEWLINE)
            if quotes.size:
                opening = ((np.arange(quotes.size) + quotes_seen) & 1) == 0
                if not _separator(ext[quotes[opening]]).all():  # the byte before each
                    return None
                if not _separator(ext[quotes[~opening] + 2]).all():  # the byte after each
                    return None
                outside = ((np.searchsorted(quotes, newlines) + quotes_seen) & 1) == 0
                index = np.flatnonzero(outside)
            elif quotes_seen & 1:
                index = np.zeros(0, dtype=np.int64)
            else:
                index = np.arange(newlines.size)
            if header is None:
                if not index.size:
                    return None  # a header longer than a block, or no line end: careful path
                header = bytes(view[1 : int(newlines[index[0]]) + 2])
            terminators.append(newlines[index] + base)
            terminator_index.append(index + newlines_seen)
            quotes_seen += quotes.size
            newlines_seen += newlines.size
            base += length
            previous = int(chunk[-1])
    if header is None or quotes_seen % 2 == 1:
        return None
    ends_at = np.concatenate(terminators)
    if (np.diff(ends_at) == 1).any():
        return None  # a blank line: the careful path reports it
    lines = np.concatenate(([1], np.concatenate(terminator_index) + 2))
    if int(ends_at[-1]) + 1 == base:  # the file ends with a newline: no record after it
        lines = lines[:-1]
    try:
        header_text = header.decode("utf-8")
    except UnicodeDecodeError:
        return None
    names = next(csv.reader(io.StringIO(header_text, newline="")), [])
    longest = int(np.diff(ends_at, prepend=-1).max()) if ends_at.size else base
    return _Scanned(
        names, lines, ends_at.size != newlines_seen, max(longest, base - int(ends_at[-1]) - 1)
    )


def parse_csv_bytes(data: bytes, label: str) -> tuple[CsvText | None, list[Problem]]:
    """The checks and parsing of :func:`read_csv_text`, on bytes already in memory."""
    problems: list[Problem] = []
    if data.startswith(BOM):
        problems.append(
            Problem(
                label,
                1,
                None,
                "bom",
                "the file starts with a byte order mark (BOM); expected UTF-8 without a BOM "
                "(save as 'UTF-8', not 'UTF-8 with BOM')",
            )
        )
        data = data[len(BOM) :]
    if not data or data.isspace():
        problems.append(
            Problem(label, None, None, "empty-file", "the file is empty; expected a header row")
        )
        return None, problems
    lone_cr = False
    if b"\r" in data:
        problems.append(_line_ending_problem(data, label))
        data = data.replace(b"\r\n", b"\n")
        lone_cr = b"\r" in data
        if lone_cr:
            encoding = _encoding_problem(data, label)
            if encoding is not None:
                return None, [*problems, encoding]

    arr = np.frombuffer(data, dtype=np.uint8)
    records, syntax = _records(arr, label)
    if records is None:
        encoding = _encoding_problem(data, label)  # mojibake often looks like bad quoting
        return None, [*problems, encoding or syntax]  # type: ignore[list-item]
    try:
        header_text = data[int(records.starts[0]) : int(records.ends[0])].decode("utf-8")
    except UnicodeDecodeError:
        return None, [*problems, _encoding_problem(data, label)]  # type: ignore[list-item]
    header = next(csv.reader(io.StringIO(header_text, newline="")), [])
    if not any(name.strip() for name in header):
        problems.append(
            Problem(label, 1, None, "header", "the first line is blank; expected the header row")
        )
        return None, problems

    columns = len(header)
    if columns > MAX_COLUMNS:
        message = (
            f"the header has {columns:,} columns, more than the limit of {MAX_COLUMNS:,}; "
            "expected the schema's fields (a fixed limit of the validator)"
        )
        return None, [*problems, Problem(label, 1, None, "header", message)]
    lengths = records.ends - records.starts
    too_long = np.flatnonzero(lengths > MAX_ROW_BYTES)
    if too_long.size:
        first = int(too_long[0])
        message = (
            f"the row is {int(lengths[first]):,} bytes long, more than the limit of "
            f"{MAX_ROW_BYTES:,} bytes for one row (a fixed limit of the CSV reader); expected "
            "cells of a few sentences: a quote is the passage that states the row"
        )
        return None, [
            *problems,
            Problem(label, int(records.lines[first]), None, "row-too-large", message),
        ]
    keep = np.ones(records.starts.size, dtype=bool)
    try:
        if lone_cr or _has_blank_record(arr, records):
            raise _WrongWidth()
        parsed = _parse(data, columns, records.quoted_newlines, lone_cr)
    except _WrongWidth:
        keep, ragged = _ragged(arr, records, label)
        problems.extend(ragged)
        try:
            parsed = _parse(
                _without_records(data, records, keep), columns, records.quoted_newlines, lone_cr
            )
        except (_WrongWidth, UnicodeError, ValueError) as error:
            return None, [*problems, _unparsable(data, label, error)]
    except (UnicodeError, ValueError) as error:
        return None, [*problems, _unparsable(data, label, error)]
    lines = records.lines[keep]
    if len(parsed) != lines.size:
        problems.append(
            Problem(
                label,
                None,
                None,
                "csv-syntax",
                f"the CSV reader found {len(parsed)} records where the line scan found "
                f"{lines.size}; expected RFC 4180 CSV",
            )
        )
        return None, problems
    return _text_of(parsed, header, lines), problems


def _text_of(parsed: pd.DataFrame, header: list[str], lines: np.ndarray) -> CsvText:
    """The parsed records (header row first) as text cells indexed by line."""
    rows = parsed.iloc[1:]
    first_of_name: dict[str, str] = {}
    for position, name in enumerate(header):
        first_of_name.setdefault(name, f"c{position}")
    rows = rows[list(first_of_name.values())]
    rows.columns = pd.Index(list(first_of_name.keys()))
    rows.index = pd.Index(lines[1:].astype(np.int64), name="line")
    return CsvText(header=header, rows=rows)


def _has_blank_record(arr: np.ndarray, records: _Records) -> bool:
    """Whether a data record is an empty line (pyarrow would read it as a row of empties)."""
    lengths = records.ends[1:] - records.starts[1:]
    ones = np.flatnonzero(lengths == 1)
    return bool((arr[records.starts[1:][ones]] == NEWLINE).any())


def _unparsable(data: bytes, label: str, error: Exception) -> Problem:
    """The problem for bytes the CSV reader refused after the scan found no quoting error."""
    encoding = _encoding_problem(data, label)
    if encoding is not None:
        return encoding
    return Problem(label, None, None, "csv-syntax", f"the file cannot be parsed as CSV: {error}")


def header_problems(header: list[str], expected: list[str], label: str) -> list[Problem]:
    """Compare the header row with the schema's field names (same names, same order)."""
    if header == expected:
        return []
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen:
            problems.append(
                Problem(
                    label,
                    1,
                    name,
                    "header",
                    f"column {position} repeats the name {name!r}; expected each column name once",
                )
            )
        seen.add(name)
    known = set(expected)
    for position, name in enumerate(header, start=1):
        if name not in known:
            shown = repr(name) if name.strip() else "an empty name"
            problems.append(
                Problem(
                    label,
                    1,
                    name or None,
                    "unknown-column",
                    f"column {position} has {shown}, which the schema does not define; "
                    f"expected only these columns: {', '.join(expected)}",
                )
            )
    present = set(header)
    for name in expected:
        if name not in present:
            problems.append(
                Problem(
                    label,
                    1,
                    name,
                    "missing-column",
                    f"the header has no column {name!r}, which the schema requires; "
                    f"expected these columns in this order: {', '.join(expected)}",
                )
            )
    common_in_file = [name for name in dict.fromkeys(header) if name in known]
    common_expected = [name for name in expected if name in present]
    if common_in_file != common_expected:
        problems.append(
            Problem(
                label,
                1,
                None,
                "header",
                "the columns are in the wrong order; expected "
                f"{', '.join(common_expected)}; found {', '.join(common_in_file)}",
            )
        )
    return problems
